import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from interactions import demo


class Command(BaseCommand):
    help = "Build a believable demo contact center: queues, teams, agents, shifts, contacts."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="days of contacts (default 30)")
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
        if demo.demo_data_present():
            if if_empty:
                self.stdout.write("The database already holds a contact center; no demo added.")
                return
            raise CommandError(
                "The database already holds teams, agents or contacts. The demo goes into an "
                "empty database: run `python manage.py flush` first, or use a new DATABASE_URL."
            )
        started = time.monotonic()
        made = demo.seed_demo(days=days, agent_count=agents, seed=seed, end=end)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo center built in {time.monotonic() - started:.1f} s: {made['contacts']:,} contacts "
                f"from {made['first_day']} to {made['last_day']}, {made['agents']} agents in "
                f"{made['teams']} teams, {made['queues']} queues."
            )
        )
        self.stdout.write("Demo logins (demo only; change them before real use):")
        for username in made["users"]:
            self.stdout.write(f"  {username:<20} password: {demo.DEMO_PASSWORD}")
