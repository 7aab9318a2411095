from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min
from django.utils import timezone
from tqdm import tqdm

from agents.models import AgentStateEvent
from core.localtime import zone as local_zone
from interactions.models import Interaction
from kpis import rerolls, rollup
from kpis.rollup import rebuild
from kpis.rollup.run import DAYS_PER_RUN


class Command(BaseCommand):
    help = (
        "Rebuild KPI rollups for a range of local days (or all), with a progress bar: every "
        "table at once when the range holds every stored day, else in runs of days."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", type=date.fromisoformat, help="first local day, YYYY-MM-DD")
        parser.add_argument("--end", type=date.fromisoformat, help="last local day, YYYY-MM-DD")
        parser.add_argument(
            "--all", action="store_true", dest="all_days", help="every day that has data"
        )

    def handle(self, *args, start, end, all_days, **options):
        began = timezone.now()
        if all_days:
            start, end = self._data_range()
            if start is None:
                rerolls.record_settings(since=began)
                self.stdout.write("No contacts or agent states yet: nothing to roll up.")
                return
        elif not (start and end):
            raise CommandError("Give --start and --end, or --all.")
        if end < start:
            raise CommandError("--end comes before --start.")
        stored = rerolls.stored_range()
        if all_days or stored is None or (start <= stored[0] and stored[1] <= end):
            # Nothing stored outside the range: the tables are rebuilt whole.
            phases = rebuild.phases(start, end)
            with tqdm(total=len(phases), unit="step", file=self.stderr) as bar:
                rebuild.rebuild(start, end, now=began, done=lambda phase: _step(bar, phase))
        else:
            days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
            runs = [days[n : n + DAYS_PER_RUN] for n in range(0, len(days), DAYS_PER_RUN)]
            with tqdm(total=len(days), unit="day", file=self.stderr) as bar:
                for run in runs:
                    rollup.roll_up_days(run, now=began)
                    bar.update(len(run))
        if all_days:
            # Every day is rolled with the running settings now (kpis.rerolls).
            rerolls.record_settings(since=began)
        days = (end - start).days + 1
        self.stdout.write(self.style.SUCCESS(f"Rolled up {days:,} days, {start} to {end}."))

    def _data_range(self):
        zone = local_zone()
        bounds = [
            Interaction.objects.aggregate(first=Min("arrived_at"), last=Max("arrived_at")),
            AgentStateEvent.objects.aggregate(first=Min("at"), last=Max("at")),
        ]
        firsts = [b["first"].astimezone(zone).date() for b in bounds if b["first"]]
        lasts = [b["last"].astimezone(zone).date() for b in bounds if b["last"]]
        if not firsts:
            return None, None
        # Also the days rollups are stored for: after a TIME_ZONE change, those of the old
        # zone's edges are cleared too.
        stored = rerolls.stored_range()
        if stored:
            firsts.append(stored[0])
            lasts.append(stored[1])
        return min(firsts), max(lasts)


def _step(bar, phase: str) -> None:
    bar.set_postfix_str(phase)
    bar.update()
