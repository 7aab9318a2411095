import secrets

from django import forms

from quality.models import Question, QuestionKind
from quality.services import Reply

NA = "na"
YES_NO = [("1", "Yes"), ("0", "No")]
SCALE = [(str(v), str(v)) for v in range(1, 6)]


class AnswersForm(forms.Form):
    """One choice and one comment per question of a scorecard version (fields q<id> and
    c<id>), and an overall comment. Submitting needs every question answered; a draft
    keeps what is answered."""

    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              label="Overall comment")  # fmt: skip

    def __init__(self, *args, version, answers=None, require_all=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.require_all = require_all
        self.questions = list(
            Question.objects.filter(section__version=version).select_related("section")
        )
        initial = {a.question_id: a for a in (answers or [])}
        for q in self.questions:
            choices = list(YES_NO if q.kind == QuestionKind.YES_NO else SCALE)
            if q.allow_na:
                choices.append((NA, "N/A"))
            given = initial.get(q.pk)
            self.fields[f"q{q.pk}"] = forms.ChoiceField(
                choices=choices, required=False, widget=forms.RadioSelect, label=q.text,
                help_text=q.help_text,
                initial=None if given is None else (NA if given.na else str(given.value)),
            )  # fmt: skip
            self.fields[f"c{q.pk}"] = forms.CharField(
                required=False, label="Comment", initial=given.comment if given else "",
                widget=forms.TextInput(attrs={"placeholder": "Comment (optional)"}),
            )  # fmt: skip

    def clean(self):
        data = super().clean()
        if self.require_all:
            for q in self.questions:
                if not data.get(f"q{q.pk}"):
                    self.add_error(f"q{q.pk}", "Answer this question to submit.")
        return data

    def sections(self):
        """[(section, [(question, choice field, comment field), ...]), ...] in order."""
        grouped = {}
        for q in self.questions:
            grouped.setdefault(q.section, []).append((q, self[f"q{q.pk}"], self[f"c{q.pk}"]))
        return list(grouped.items())

    def replies(self) -> dict[int, Reply]:
        out = {}
        for q in self.questions:
            choice = self.cleaned_data.get(f"q{q.pk}")
            if choice:
                comment = self.cleaned_data.get(f"c{q.pk}", "")
                value = None if choice == NA else int(choice)
                out[q.pk] = Reply(value=value, na=choice == NA, comment=comment)
        return out


class DisputeForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "Say why you dispute this evaluation."})  # fmt: skip


class ResolveForm(AnswersForm):
    OUTCOMES = [("uphold", "Uphold the evaluation as scored"),
                ("rescore", "Rescore it with the answers below")]  # fmt: skip
    outcome = forms.ChoiceField(choices=OUTCOMES, widget=forms.RadioSelect, initial="uphold")
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                                 error_messages={"required": "Say how the dispute is resolved."})  # fmt: skip

    def clean(self):
        self.require_all = self.data.get("outcome") == "rescore"
        return super().clean()


class SampleForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None)
    week = forms.DateField(help_text="Any day of the week; the sample takes its Monday to Sunday.")
    per_agent = forms.IntegerField(min_value=1, max_value=20, initial=3,
                                   label="Contacts per agent")  # fmt: skip
    seed = forms.IntegerField(min_value=0, max_value=2**62, required=False,
                              help_text="Empty: a random one. The same seed draws the same contacts.")  # fmt: skip

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["team"].empty_label = None

    def clean_seed(self):
        seed = self.cleaned_data.get("seed")
        return secrets.randbelow(2**31) if seed is None else seed
