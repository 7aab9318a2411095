"""Roster forms: they validate and explain; the services write."""

from django import forms
from django.contrib.auth import get_user_model, password_validation

from agents.models import Agent, Skill, Team


class AgentCreateForm(forms.Form):
    login = forms.CharField(
        max_length=255, help_text="The id the phone system, chat platform and CSV files use."
    )
    display_name = forms.CharField(max_length=255, required=False)
    team = forms.ModelChoiceField(Team.objects.all(), required=False, empty_label="No team")
    hourly_cost = forms.DecimalField(
        min_value=0,
        max_digits=8,
        decimal_places=2,
        initial=0,
        help_text="Loaded cost per paid hour.",
    )
    username = forms.CharField(
        max_length=150,
        required=False,
        help_text="Give a user name to let the agent sign in and see their own numbers.",
    )
    email = forms.EmailField(required=False)
    password = forms.CharField(
        widget=forms.PasswordInput, required=False, help_text="Needed with a user name."
    )

    def clean_login(self):
        login = self.cleaned_data["login"].strip()
        if Agent.objects.filter(login=login).exists():
            raise forms.ValidationError(f"An agent with login '{login}' already exists.")
        return login

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if username and get_user_model().objects.filter(username=username).exists():
            raise forms.ValidationError(f"The user name '{username}' is taken.")
        return username

    def clean(self):
        data = super().clean()
        if data.get("username"):
            if not data.get("password"):
                self.add_error("password", "Set a password for the new login.")
            else:
                try:
                    password_validation.validate_password(data["password"])
                except forms.ValidationError as error:
                    self.add_error("password", error)
        return data


class MoveForm(forms.Form):
    team = forms.ModelChoiceField(Team.objects.none(), empty_label=None)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class AddAgentForm(forms.Form):
    agent = forms.ModelChoiceField(Agent.objects.none(), empty_label=None)

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agents
        self.fields["agent"].label_from_instance = lambda agent: (
            f"{agent} ({agent.login}) · {agent.team or 'no team'}"
        )


class SkillForm(forms.Form):
    skill = forms.ModelChoiceField(Skill.objects.all(), empty_label=None)
    proficiency = forms.TypedChoiceField(
        coerce=int,
        choices=[(level, f"{level} · {label}") for level, label in (
            (1, "learning"), (2, "basic"), (3, "competent"), (4, "strong"), (5, "expert"))],
        initial=3,
    )  # fmt: skip
