"""Report mail benchmark: the weekly center report with its charts, on demo data.

    DATABASE_URL=sqlite:////path/to/demo.sqlite3 python bench/report_render.py [--html OUT]

On a seeded demo database (`manage.py seed_demo`: 40 agents, nine weeks). Renders the
manager's weekly center overview (last Monday to Sunday) with `reports.render`: the
reads (tiles with their comparison and targets, trend charts' series, the team table),
four chart PNGs through core.chart_images and the two templates. The first render of a
process starts Chromium (kaleido's server); the next ones reuse it, as a worker does.
The next renders clear core.chart_images' cache of drawn figures first (a report of
other figures); one more is timed with them kept (another recipient of the same report).
Also timed: the supervisor's weekly overview and team report, and `send` into Django's
locmem backend. A Markdown table is printed for docs/benchmarks.md. With --html the
mail's HTML is written with its images as data: URIs (to look at it in a browser).
"""

import base64
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
from django.core import mail  # noqa: E402

from core import chart_images  # noqa: E402
from core.localtime import local_today  # noqa: E402
from reports import render  # noqa: E402
from reports.selectors import period_of  # noqa: E402

RUNS = 5
CHART_SECONDS = []


def _timed_png(draw):
    def png(figure, width, height):
        started = time.perf_counter()
        try:
            return draw(figure, width, height)
        finally:
            CHART_SECONDS.append(time.perf_counter() - started)

    return png


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def main(argv):
    chart_images.png = _timed_png(chart_images.png)
    users = get_user_model().objects
    manager, supervisor = users.get(username="manager"), users.get(username="supervisor")
    first, last = period_of("weekly", local_today())
    print(f"Week {first} – {last}, Chromium {settings.CHROMIUM_PATH}")

    rendered, cold = timed(render.render_report, "overview", "", manager, first, last)
    cold_charts = sum(CHART_SECONDS)
    warm, warm_charts = [], []
    for _ in range(RUNS):
        CHART_SECONDS.clear()
        chart_images._draw.cache_clear()  # draw them again: a report of other figures
        rendered, seconds = timed(render.render_report, "overview", "", manager, first, last)
        warm.append(seconds)
        warm_charts.append(sum(CHART_SECONDS))
    _same, cached = timed(render.render_report, "overview", "", manager, first, last)
    others = {
        "supervisor's weekly overview (their team)": ("overview", "", supervisor),
        "weekly team report (Care North: tiles, charts, vs center, agents)": (
            "team", "team=Care North", manager),
    }  # fmt: skip
    rows = []
    for label, (kind, params, user) in others.items():
        times = []
        for _ in range(3):
            chart_images._draw.cache_clear()
            times.append(timed(render.render_report, kind, params, user, first, last)[1])
        rows.append((label, statistics.median(times)))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    _sent, send_seconds = timed(render.send, rendered, "manager@example.com", "http://x/u/")
    size = len(mail.outbox[0].message().as_bytes())

    images = sum(len(png) for _cid, png in rendered.images)
    print()
    print("| step | time |")
    print("|---|---:|")
    print(f"| weekly center overview, first in the process (starts Chromium) | {cold:.2f} s "
          f"(charts {cold_charts:.2f} s) |")  # fmt: skip
    print(f"| weekly center overview, next renders (median of {RUNS}) | {statistics.median(warm):.2f} s "
          f"(charts {statistics.median(warm_charts):.2f} s, reads and templates "
          f"{statistics.median(warm) - statistics.median(warm_charts):.2f} s) |")  # fmt: skip
    print(f"| the same report again (its figures drawn already, kept by core.chart_images) | "
          f"{cached:.2f} s |")  # fmt: skip
    for label, seconds in rows:
        print(f"| {label}, median of 3 | {seconds:.2f} s |")
    print(f"| `send` to the locmem backend (MIME build) | {1000 * send_seconds:.0f} ms |")
    print()
    print(f"{len(rendered.images)} images, {images / 1024:.0f} KiB; HTML {len(rendered.html) / 1024:.0f} KiB, "
          f"text {len(rendered.text)} characters; the whole message {size / 1024:.0f} KiB")  # fmt: skip
    if "--html" in argv:
        html = rendered.html
        for cid, png in rendered.images:
            data = base64.b64encode(png).decode("ascii")
            html = html.replace(f'src="cid:{cid}"', f'src="data:image/png;base64,{data}"')
        Path(argv[argv.index("--html") + 1]).write_text(html)


if __name__ == "__main__":
    main(sys.argv[1:])
