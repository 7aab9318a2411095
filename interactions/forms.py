from django import forms

from interactions import imports


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A CSV file with the columns of docs/imports.md, UTF-8.")
    format = forms.ChoiceField(
        choices=[(name, name) for name in imports.FORMATS],
        initial="native",
        help_text="native: our own CSV columns; anonymous-bank: the bank's call log.",
    )
    source = forms.CharField(
        max_length=64,
        required=False,
        help_text="Which system the contacts come from (default: the format's, e.g. csv).",
    )
    dry_run = forms.BooleanField(
        required=False, label="Dry run", help_text="Check the whole file and keep nothing."
    )
