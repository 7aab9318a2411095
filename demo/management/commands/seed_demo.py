import time
from datetime import date, timedelta
from datetime import time as clock_time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from agents.models import Team
from demo import generator, quality
from forecasting import services as forecasts
from forecasting.models import QueueGroup, SpecialDay, SpecialDayKind, Trigger
from interactions.models import Queue
from kpis import rollup
from kpis.models import AlertRule, Target
from scheduling.models import ShiftTemplate, ShiftTemplateActivity
from staffing.models import QueueStaffing, ShrinkageSource, TeamStaffing

ACCURACY_WEEKS = 3  # past weeks forecast as they would have been, to measure accuracy on

# The business's targets in the demo: what a manager of such a center would set.
DEMO_TARGETS = [
    # kpi, value, warning margin, scope, queue or team name
    ("service_level", 80, 5, "center", None),
    ("abandonment_rate", 5, 2, "center", None),
    ("aht", 360, 30, "center", None),
    ("fcr", 75, 5, "center", None),
    ("csat", 80, 5, "center", None),
    ("nps", 30, 10, "center", None),
    ("occupancy", 85, 5, "center", None),
    ("adherence", 90, 5, "center", None),
    ("quality_score", 85, 5, "center", None),
    ("critical_fail_rate", 5, 3, "center", None),
    ("asa", 30, 15, "queue", "Billing"),
    ("service_level", 80, 5, "queue", "Tech Support"),
    ("service_level", 85, 5, "team", "Care North"),
    ("aht", 330, 30, "team", "Care North"),
]


class Command(BaseCommand):
    help = "Build a believable demo contact center: queues, teams, agents, shifts, contacts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=63,
            help="days of contacts (default 63: nine weeks, enough to forecast from)",
        )
        parser.add_argument("--agents", type=int, default=40, help="number of agents (default 40)")
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument(
            "--end",
            type=date.fromisoformat,
            help="last local day with contacts, YYYY-MM-DD (default today, up to now)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already holds a center (used by make run)",
        )

    def handle(self, *args, days, agents, seed, end, if_empty, **options):
        if days < 1 or agents < 4:
            raise CommandError("--days must be at least 1 and --agents at least 4.")
        if generator.demo_data_present():
            if if_empty:
                self.stdout.write("The database already holds a contact center; no demo added.")
                return
            raise CommandError(
                "The database already holds teams, agents or contacts. The demo goes into an "
                "empty database: run `python manage.py flush` first, or use a new DATABASE_URL."
            )
        started = time.monotonic()
        made = generator.seed_demo(days=days, agent_count=agents, seed=seed, end=end)
        quality.seed_quality(seed=seed, last_day=made["last_day"])
        self._targets(made["first_day"], made["last_day"])
        self._alert_rules()
        self._shift_templates()
        self._staffing()
        # Numbers at once, before the first beat: roll every demo day up now.
        rolled_at = timezone.now()
        rollup.roll_up_days(
            made["first_day"] + timedelta(days=n)
            for n in range((made["last_day"] - made["first_day"]).days + 1)
        )
        rollup.record_fill_states(rolled_at)
        self._forecast_setup(made["last_day"])
        self._forecast(made["first_day"], made["last_day"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo center built in {time.monotonic() - started:.1f} s: {made['contacts']:,} contacts "
                f"from {made['first_day']} to {made['last_day']}, {made['agents']} agents in "
                f"{made['teams']} teams, {made['queues']} queues."
            )
        )
        self.stdout.write("Demo logins (demo only; change them before real use):")
        for username in made["users"]:
            self.stdout.write(f"  {username:<20} password: {generator.DEMO_PASSWORD}")

    def _forecast(self, first_day: date, last_day: date):
        """The forecasts a running center would hold: each of the last ACCURACY_WEEKS weeks
        forecast from the history before it (so the Forecast page's accuracy has days to
        compare), then six weeks from the day after the demo, as the nightly task makes it."""
        tomorrow = last_day + timedelta(days=1)
        for weeks_back in range(ACCURACY_WEEKS, 0, -1):
            start = tomorrow - timedelta(weeks=weeks_back)
            if start - first_day >= timedelta(weeks=3):
                forecasts.forecast_contacts(start=start, weeks=1, trigger=Trigger.COMMAND)
        forecasts.forecast_contacts(start=tomorrow, trigger=Trigger.COMMAND)

    def _forecast_setup(self, last_day: date):
        """Queue groups a planner would forecast together, and the holidays the center
        closes on in the next six weeks (if any fall there)."""
        groups = {
            "Voice": ["Billing", "Tech Support", "Sales"],
            "Digital": ["Chat Support", "Email", "Social", "SMS"],
        }
        for name, queue_names in groups.items():
            group = QueueGroup.objects.create(name=name)
            group.queues.set(Queue.objects.filter(name__in=queue_names))
        holidays = [(12, 25, "Christmas Day"), (1, 1, "New Year's Day")]
        for year in (last_day.year, last_day.year + 1):
            for month, day, reason in holidays:
                when = date(year, month, day)
                if last_day < when <= last_day + timedelta(weeks=forecasts.MAX_WEEKS):
                    SpecialDay.objects.create(date=when, kind=SpecialDayKind.CLOSED, reason=reason)

    def _shift_templates(self):
        """The demo's own shift patterns, so supervisors can plan with them."""
        for name, start in (
            ("Early", clock_time(7)),
            ("Day", clock_time(9)),
            ("Late", clock_time(11, 30)),
        ):
            template = ShiftTemplate.objects.create(
                name=f"{name} {start:%H:%M}",
                start_time=start,
                minutes=int(generator.SHIFT_HOURS * 60),
            )
            ShiftTemplateActivity.objects.bulk_create(
                ShiftTemplateActivity(template=template, kind=kind, offset_minutes=offset,
                                      minutes=minutes)
                for kind, offset, minutes in (("break", 105, 15), ("lunch", 210, 30),
                                              ("break", 360, 15))
            )  # fmt: skip

    def _staffing(self):
        """How the demo plans its staff: chat agents take two chats at once; each team
        has a configured shrinkage of 30-35 % and plans with it, but Digital plans with
        the one measured from its schedules; no queue overrides patience, so the
        estimates from the demo's own abandonment show."""
        QueueStaffing.objects.bulk_create(
            QueueStaffing(queue=queue, concurrency=2)
            for queue in Queue.objects.filter(channel="chat")
        )
        configured = {"Care North": 0.32, "Care South": 0.32, "Sales": 0.30, "Digital": 0.35}
        TeamStaffing.objects.bulk_create(
            TeamStaffing(
                team=team,
                shrinkage=configured.get(team.name, 0.30),
                plan_with=(
                    ShrinkageSource.MEASURED
                    if team.name == "Digital"
                    else ShrinkageSource.CONFIGURED
                ),
            )
            for team in Team.objects.all()
        )

    def _targets(self, first_day, last_day):
        teams = {team.name: team for team in Team.objects.all()}
        queues = {queue.name: queue for queue in Queue.objects.all()}
        Target.objects.bulk_create(
            Target(
                kpi=kpi,
                value=value,
                warning_margin=margin,
                scope=scope,
                team=teams[name] if scope == "team" else None,
                queue=queues[name] if scope == "queue" else None,
                valid_from=first_day,
                due_by=last_day + timedelta(days=60),
            )
            for kpi, value, margin, scope, name in DEMO_TARGETS
        )

    def _alert_rules(self):
        billing = Queue.objects.get(name="Billing")
        AlertRule.objects.bulk_create([
            AlertRule(name="Billing queue backing up", kind="waiting_above", threshold=2, queue=billing,
                      recipients="supervisor@example.com"),
            AlertRule(name="A caller waited over two minutes", kind="longest_wait_above", threshold=120,
                      channel="voice"),
            AlertRule(name="Today's service level below target", kind="service_level_below_target",
                      threshold=0),
            AlertRule(name="Abandonment over 15 % in 30 minutes", kind="abandonment_above", threshold=15),
            AlertRule(name="Unusual volume", kind="volume_anomaly", threshold=3),
            AlertRule(name="Break over 30 minutes", kind="agent_state_longer", threshold=30, state="break"),
        ])  # fmt: skip
