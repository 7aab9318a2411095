from django import forms
from django.core.exceptions import ValidationError

from reports import params as report_params
from reports import selectors
from reports.models import Frequency, ReportSubscription


class ScheduleForm(forms.ModelForm):
    """The checks every subscription form makes (the admin's too): filters against the
    known parameters, the day that goes with the frequency."""

    class Meta:
        model = ReportSubscription
        fields = ["recipient", "kind", "params", "frequency", "weekday", "month_day",
                  "send_time", "active"]  # fmt: skip

    def clean_params(self):
        return self.cleaned_data["params"].strip().lstrip("?")

    def clean(self):
        data = super().clean()
        kind, query = data.get("kind"), data.get("params", "")
        if kind:
            try:
                report_params.parse(kind, query)
            except ValidationError as error:
                self.add_error("params", error)
        frequency = data.get("frequency")
        if frequency == Frequency.WEEKLY and data.get("weekday") is None:
            self.add_error("weekday", "A weekly report needs the weekday it goes on.")
        if frequency == Frequency.MONTHLY and data.get("month_day") is None:
            self.add_error("month_day", "A monthly report needs the day of the month.")
        if frequency != Frequency.WEEKLY:
            data["weekday"] = None
        if frequency != Frequency.MONTHLY:
            data["month_day"] = None
        return data


class SubscriptionForm(ScheduleForm):
    """A subscription as its maker may set it on the Reports page: only recipients and
    reports they may subscribe (reports.selectors.subscribe_problem)."""

    class Meta(ScheduleForm.Meta):
        widgets = {"send_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
        labels = {"params": "Filters", "send_time": "Send at (local time)"}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["recipient"].queryset = selectors.subscribable_users(actor).order_by("username")
        self.fields["params"].help_text = (
            "The page's query string: queue, channel, team (a team's name), agent (a login)"
            " and compare, e.g. team=Care+North&channel=voice."
        )

    def clean(self):
        data = super().clean()
        recipient, kind = data.get("recipient"), data.get("kind")
        if recipient and kind and not self.has_error("params"):
            problem = selectors.subscribe_problem(
                self.actor, recipient, kind, data.get("params", "")
            )
            if problem:
                self.add_error("recipient", problem)
        return data
