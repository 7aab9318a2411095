"""A proposal's mode (fill the gap, or re-plan the week), and each proposed shift's break
stagger as a field (it was kept in the proposal's summary["break_delays"] by shift id)."""

from django.db import migrations, models


def break_delays_to_field(apps, schema_editor):
    ScheduleProposal = apps.get_model("staffing", "ScheduleProposal")
    ProposedShift = apps.get_model("staffing", "ProposedShift")
    for proposal in ScheduleProposal.objects.filter(summary__has_key="break_delays"):
        delays = proposal.summary.pop("break_delays") or {}
        moved = [
            ProposedShift(pk=int(pk), break_delay_minutes=int(minutes))
            for pk, minutes in delays.items()
            if int(minutes)
        ]
        kept = set(
            ProposedShift.objects.filter(pk__in=[row.pk for row in moved]).values_list(
                "pk", flat=True
            )
        )
        ProposedShift.objects.bulk_update(
            [row for row in moved if row.pk in kept], ["break_delay_minutes"]
        )
        proposal.save(update_fields=["summary"])


class Migration(migrations.Migration):
    dependencies = [
        ("staffing", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="proposedshift",
            name="break_delay_minutes",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="scheduleproposal",
            name="mode",
            field=models.CharField(
                choices=[
                    ("fill", "Fill the gap (keep the week's shifts)"),
                    ("replan", "Re-plan the week (replace the team's shifts)"),
                ],
                default="fill",
                max_length=16,
            ),
        ),
        migrations.RunPython(break_delays_to_field, migrations.RunPython.noop),
    ]
