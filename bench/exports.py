"""PDF and Excel export benchmark on demo data.

    DATABASE_URL=sqlite:////path/to/demo.sqlite3 python bench/exports.py

On a seeded demo database (`manage.py seed_demo`). Through the real path (Django's test
client, the manager logged in): the overview of the last seven days as a PDF with its
charts (`?export=pdf`: the page's reads, its four tables from their CSV exports, the
chart PNGs through core.chart_images, fpdf2): the first run starting Chromium, then
(medians) every chart drawn anew in the running Chromium, then the images cached
(core.chart_images keeps 64); the same PDF without a Chromium (reads and layout alone);
and the .xlsx of the largest table a page offers (the contacts list, `?export=
contacts.xlsx`) beside its CSV. A Markdown table is printed for docs/benchmarks.md.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")

import django  # noqa: E402 (after the path above)

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from core import chart_images  # noqa: E402
from interactions.models import Interaction  # noqa: E402

RUNS = 3


def timed(client, url, stream=False):
    started = time.perf_counter()
    response = client.get(url)
    body = b"".join(response.streaming_content) if stream else response.content
    assert response.status_code == 200, (url, response.status_code)
    return body, time.perf_counter() - started


def main():
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(get_user_model().objects.get(username="manager"))
    overview = "/dashboard/?period=last7"
    rows = []
    pdf, cold = timed(client, overview + "&export=pdf")
    anew = []
    for _ in range(RUNS):
        chart_images._draw.cache_clear()  # every chart drawn again, Chromium kept
        anew.append(timed(client, overview + "&export=pdf")[1])
    cached = [timed(client, overview + "&export=pdf")[1] for _ in range(RUNS)]
    size = len(pdf) // 1024
    rows.append((f"overview PDF with charts ({size} KB), first (starts Chromium)", cold))
    rows.append(("overview PDF, charts drawn anew, Chromium running", statistics.median(anew)))
    rows.append(("overview PDF again, its chart images cached", statistics.median(cached)))
    chromium = settings.CHROMIUM_PATH
    settings.CHROMIUM_PATH = "/nonexistent"
    rows.append(("overview PDF without a Chromium (reads, tables, layout)",
                 statistics.median(timed(client, overview + "&export=pdf")[1] for _ in range(RUNS))))  # fmt: skip
    settings.CHROMIUM_PATH = chromium
    page = timed(client, overview)[1]
    rows.append(("the overview page itself (HTML), for reference", page))
    contacts = Interaction.objects.count()
    url = "/contacts/?export=contacts"
    csv_seconds = statistics.median(timed(client, url, stream=True)[1] for _ in range(RUNS))
    xlsx, _ = timed(client, url + ".xlsx")
    xlsx_seconds = statistics.median(timed(client, url + ".xlsx")[1] for _ in range(RUNS))
    rows.append((f"contacts list as CSV ({contacts:,} contacts in the database)", csv_seconds))
    rows.append((f"contacts list as .xlsx ({len(xlsx) // 1024} KB)", xlsx_seconds))
    all_tables = statistics.median(
        timed(client, overview + "&export=all.xlsx")[1] for _ in range(RUNS)
    )
    rows.append(("overview's four tables in one workbook (?export=all.xlsx)", all_tables))
    print("| what | seconds |\n|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
