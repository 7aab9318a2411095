"""Serve Plotly's JavaScript from the installed plotly package, never from a CDN.

Finding the file in the package (instead of a copy in static/) keeps the browser bundle
and the Python figure code on the same Plotly version after every upgrade. Only
plotly.min.js is exposed; the package's data sets and templates stay private.
"""

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"
PLOTLY_FILE = "plotly.min.js"
PLOTLY_STATIC_PATH = f"vendor/{PLOTLY_FILE}"


class PlotlyFinder(BaseFinder):
    storage = FileSystemStorage(location=PLOTLY_DIR, base_url=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage.prefix = "vendor"

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path != PLOTLY_STATIC_PATH:
            return [] if find_all else None
        match = str(PLOTLY_DIR / PLOTLY_FILE)
        return [match] if find_all else match

    def list(self, ignore_patterns):
        yield PLOTLY_FILE, self.storage
