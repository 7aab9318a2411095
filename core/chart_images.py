"""Plotly figures as PNG images, rendered on the server (mails, PDFs).

Kaleido 1.x draws the figure in the machine's Chromium (settings.CHROMIUM_PATH). Starting
a browser costs about three seconds, so the first image of a process starts kaleido's
sync server (one browser on a background thread) and every later image reuses it; the
server stops when the process exits. Without a Chromium `png` returns None, logs that
once, and callers leave the image out and say so in text.
"""

import logging
import os
import threading
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_started_with: str | None = None
_missing_logged: set[str] = set()


def _browser(path: str) -> bool:
    """Start (once per path) the kaleido server on the Chromium at `path`."""
    global _started_with
    import kaleido

    if _started_with == path:
        return True
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        if path not in _missing_logged:
            _missing_logged.add(path)
            logger.warning(
                "No Chromium at %s (CHROMIUM_PATH): charts are left out of mails and PDFs", path
            )
        return False
    if _started_with is not None:
        kaleido.stop_sync_server(silence_warnings=True)
    # choreographer reads BROWSER_PATH when it starts the browser; its and kaleido's
    # loggers narrate every tab at INFO
    os.environ["BROWSER_PATH"] = path
    for name in ("kaleido", "choreographer"):
        logging.getLogger(name).setLevel(logging.WARNING)
    kaleido.start_sync_server(n=1, timeout=60, silence_warnings=True)
    _started_with = path
    return True


def png(figure: dict, width: int, height: int) -> bytes | None:
    """The figure ({"data": ..., "layout": ...}) as PNG bytes, or None without a Chromium."""
    import kaleido

    path = settings.CHROMIUM_PATH
    with _lock:
        if not _browser(path):
            return None
        try:
            return kaleido.calc_fig_sync(
                figure, opts={"format": "png", "width": width, "height": height}
            )
        except Exception:
            logger.exception("Chart image failed with the Chromium at %s", path)
            return None
