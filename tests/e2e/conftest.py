"""Browser tests wait longer than Playwright's 5 s default for what they expect: on the
2-core CI machine a page that parses Plotly (3 MB of JavaScript) while two test workers
and the database share the cores can take that long to draw."""

from playwright.sync_api import expect

expect.set_options(timeout=15_000)
