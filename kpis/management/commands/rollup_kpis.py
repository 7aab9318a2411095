from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min
from django.utils import timezone
from tqdm import tqdm

from agents.models import AgentStateEvent
from core.localtime import zone as local_zone
from interactions.models import Interaction
from kpis import rerolls, rollup


class Command(BaseCommand):
    help = "Rebuild KPI rollups for a range of local days (or all), with a progress bar."

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
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        for day in tqdm(days, unit="day", file=self.stderr):
            rollup.roll_up_days([day])
        if all_days:
            # Every day is rolled with the running settings now (kpis.rerolls).
            rerolls.record_settings(since=began)
        self.stdout.write(self.style.SUCCESS(f"Rolled up {len(days):,} days, {start} to {end}."))

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
