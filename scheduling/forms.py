"""Schedule forms: parse local dates and clock times into aware spans; the services
check the rules and write."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError

from core.localtime import at_local, local_days
from scheduling.models import ShiftTemplate, TimeOffStatus
from scheduling.services import check_year, parse_activities, span_between

ACTIVITIES_HELP = (
    "Breaks, lunch, meetings, training as 'break 10:00-10:15; lunch 12:30-13:00'. "
    "The rest of the shift is work."
)


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class DateField(forms.DateField):
    """A local date from a date picker, within the years schedules can hold."""

    widget = DateInput

    def to_python(self, value):
        day = super().to_python(value)
        return check_year(day) if day else day


class ShiftForm(forms.Form):
    agent = forms.ModelChoiceField(queryset=None, empty_label=None)
    day = DateField(label="Date")
    start = forms.TimeField(widget=TimeInput)
    end = forms.TimeField(widget=TimeInput, help_text="Before the start: ends the next day.")
    activities = forms.CharField(required=False, help_text=ACTIVITIES_HELP, max_length=1000)
    note = forms.CharField(required=False, max_length=255)

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agents

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        data["start_at"], data["end_at"] = span_between(data["day"], data["start"], data["end"])
        try:
            data["spans"] = parse_activities(data["activities"], data["day"], data["start_at"])
        except ValidationError as error:
            self.add_error("activities", error)
        return data


class MoveShiftForm(forms.Form):
    day = DateField(label="New date")
    start = forms.TimeField(widget=TimeInput, label="New start")

    def clean(self):
        data = super().clean()
        if not self.errors:
            data["start_at"] = at_local(data["day"], data["start"])
        return data


class CopyForm(forms.Form):
    what = forms.ChoiceField(choices=[("day", "a day to the next day"),
                                      ("week", "the week to the next week")])  # fmt: skip
    day = DateField(help_text="The day to copy, or any day of the week.")


class TemplateApplyForm(forms.Form):
    template = forms.ModelChoiceField(ShiftTemplate.objects.all(), empty_label=None)
    agents = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple)
    days = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, agents, week, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agents"].queryset = agents
        self.fields["days"].choices = [
            (str(week + timedelta(days=offset)), f"{week + timedelta(days=offset):%a %d %b}")
            for offset in range(7)
        ]


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with columns agent, date, start, end, activities, note.")


class TimeOffForm(forms.Form):
    agent = forms.ModelChoiceField(queryset=None, empty_label=None)
    first_day = DateField()
    last_day = DateField(help_text="Inclusive: whole days off.")
    reason = forms.CharField(required=False, max_length=255)
    status = forms.ChoiceField(
        choices=[(TimeOffStatus.APPROVED, "Approved"), (TimeOffStatus.REQUESTED, "Requested")]
    )

    def __init__(self, *args, agents, with_status=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agents
        if not with_status:
            del self.fields["status"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            if data["last_day"] < data["first_day"]:
                self.add_error("last_day", "The last day is before the first.")
            else:
                data["start_at"], data["end_at"] = local_days(
                    data["first_day"], (data["last_day"] - data["first_day"]).days + 1
                )
        return data
