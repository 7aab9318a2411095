"""Report sending benchmark: 500 subscriptions due at the same minute, sent by Celery
workers on Redis through a real SMTP server.

    DATABASE_URL=sqlite:////path/to/demo.sqlite3 CELERY_BROKER_URL=redis://127.0.0.1:6379/1 \
        python bench/reports.py [--workers 2] [--subscriptions 500]

On a seeded demo database (`manage.py seed_demo`). Makes N users (managers) and one daily
subscription each, due at the coming local minute, kinds in turn (overview, team, agent,
targets, adherence, forecast accuracy, on the demo's teams and agents). Starts an aiosmtpd
server on 127.0.0.1 and the workers (`celery worker -c 1` each, a queue of their own, the
SMTP backend pointed at that server), waits for the minute, sends
`reports.tasks.send_due_reports` as beat would, and waits until every delivery is settled.
Prints a Markdown table for docs/benchmarks.md. The bench's users and subscriptions are
removed again at the end.
"""

import argparse
import logging
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")
QUEUE = "reports-bench"
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE

import django  # noqa: E402 (after the path above)

django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db.models import Count, Max, Min  # noqa: E402
from django.utils import timezone  # noqa: E402

from agents.models import Agent, Team  # noqa: E402
from core.roles import MANAGER  # noqa: E402
from reports import selectors, tasks  # noqa: E402
from reports.models import ReportDelivery, ReportSubscription  # noqa: E402

PREFIX = "bench-report-"
SETTLED = ("sent", "failed", "skipped")


class Counter:
    def __init__(self):
        self.received = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_subscriptions(count: int, send_at) -> None:
    users = get_user_model()
    users.objects.filter(username__startswith=PREFIX).delete()
    managers = Group.objects.get_or_create(name=MANAGER)[0]
    team = Team.objects.order_by("name").first()
    agent = Agent.objects.order_by("login").first()
    kinds = [("overview", ""), ("team", f"team={team.name}"), ("agent", f"agent={agent.login}"),
             ("targets", ""), ("adherence", f"team={team.name}"), ("forecast_accuracy", "")]  # fmt: skip
    made = users.objects.bulk_create(
        users(username=f"{PREFIX}{n}", email=f"{PREFIX}{n}@example.com") for n in range(count)
    )
    managers.user_set.add(*made)
    ReportSubscription.objects.bulk_create(
        ReportSubscription(
            recipient=user,
            created_by=user,
            kind=kinds[n % len(kinds)][0],
            params=kinds[n % len(kinds)][1],
            frequency="daily",
            send_time=send_at,
        )  # fmt: skip
        for n, user in enumerate(made)
    )
    ReportSubscription.objects.filter(recipient__in=made).update(
        created_at=timezone.now() - timedelta(days=2)
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--subscriptions", type=int, default=500)
    args = parser.parse_args()

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command log
    counter, port = Counter(), free_port()
    smtp = Controller(counter, hostname="127.0.0.1", port=port)
    smtp.start()
    zone = selectors.center_zone()
    # The next local minute at least 40 s away: time to start the workers.
    local = (timezone.now() + timedelta(seconds=100)).astimezone(zone)
    due = local.replace(second=0, microsecond=0)
    make_subscriptions(args.subscriptions, due.time())
    env = {**os.environ, "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
           "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "LOG_LEVEL": "WARNING"}  # fmt: skip
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "contactcenter",
                "worker",
                "-c",
                "1",
                "-Q",
                QUEUE,
                "-n",
                f"bench{n}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
        )
        for n in range(args.workers)
    ]
    try:
        while timezone.now() < due:
            time.sleep(0.2)
        start = time.perf_counter()
        claimed = tasks.send_due_reports.apply()  # beat's minute run, here in this process
        claim_seconds = time.perf_counter() - start
        rows = ReportDelivery.objects.filter(subscription__recipient__username__startswith=PREFIX)
        while rows.filter(status__in=SETTLED).count() < args.subscriptions:
            time.sleep(0.5)
        total = time.perf_counter() - start
        summary = rows.aggregate(first=Min("sent_at"), last=Max("sent_at"))
        statuses = dict(rows.values_list("status").annotate(n=Count("pk")))
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait()
        smtp.stop()
        get_user_model().objects.filter(username__startswith=PREFIX).delete()

    print(f"\n{args.subscriptions} subscriptions due at {due:%H:%M} local, "
          f"{args.workers} worker(s) x 1 process, {due:%Y-%m-%d}\n")  # fmt: skip
    print("| step | figure |\n|---|---:|")
    print(
        f"| claim {claimed.result} deliveries and queue their sends (beat's run) | {claim_seconds:.1f} s |"
    )
    print(f"| all {args.subscriptions} settled after the due minute | {total:.0f} s |")
    print(f"| per mail, per worker | {total * args.workers / args.subscriptions:.2f} s |")
    print(f"| statuses | {statuses} |")
    print(f"| mails received by the SMTP server | {counter.received} |")
    print(
        f"| first / last sent_at (UTC) | {summary['first']:%H:%M:%S} / {summary['last']:%H:%M:%S} |"
    )


if __name__ == "__main__":
    main()
