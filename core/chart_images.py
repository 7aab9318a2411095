"""Plotly figures as PNG images, rendered on the server (mails, PDFs).

Kaleido 1.x draws the figure in the machine's Chromium (settings.CHROMIUM_PATH). Starting
a browser costs about three seconds, so the first image of a process opens one Kaleido
browser on a background thread with its own event loop, and every later image reuses it;
it closes when the process exits. (Kaleido's own sync server does the same, but waits
forever when its browser fails to start; here a failure to start or a slow image ends in
None within TIMEOUT seconds.) Without a working Chromium `png` returns None and logs that
once; callers then leave the image out and say so in text.
"""

import asyncio
import atexit
import functools
import json
import logging
import threading

from django.conf import settings

logger = logging.getLogger(__name__)

TIMEOUT = 60  # seconds to start the browser, and to draw one image
CACHED = 64  # images kept, about 25 KiB each

_lock = threading.Lock()
_browsers: dict = {}  # path -> _Browser, or None when it could not start there


class _Browser:
    """One Kaleido (a Chromium and a tab) driven from an event loop on its own thread."""

    def __init__(self, path: str):
        import kaleido

        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="chart-images", daemon=True).start()
        try:
            self.kaleido = kaleido.Kaleido(n=1, timeout=TIMEOUT, path=path)
            self.run(self.kaleido.open())
        except BaseException:
            self.loop.call_soon_threadsafe(self.loop.stop)
            raise
        atexit.register(self.close)

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(TIMEOUT)

    def close(self):
        try:
            self.run(self.kaleido.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)


def _browser(path: str) -> _Browser | None:
    if path not in _browsers:
        # kaleido and choreographer narrate every tab at INFO
        for name in ("kaleido", "choreographer"):
            logging.getLogger(name).setLevel(logging.WARNING)
        try:
            _browsers[path] = _Browser(path)
        except Exception as error:  # noqa: BLE001 - any failure: no images in this process
            _browsers[path] = None
            logger.warning(
                "No working Chromium at %s (CHROMIUM_PATH): charts are left out of mails and "
                "PDFs (%s: %s)",
                path,
                type(error).__name__,
                str(error).splitlines()[0][:200] if str(error) else "",
            )
    return _browsers[path]


def png(figure: dict, width: int, height: int) -> bytes | None:
    """The figure ({"data": ..., "layout": ...}) as PNG bytes, or None without a Chromium.
    The same figure at the same size is drawn once per process (the last CACHED ones are
    kept): many recipients of one report get the same charts."""
    spec = json.dumps(figure, sort_keys=True, default=str)
    return _draw(settings.CHROMIUM_PATH, spec, width, height)


@functools.lru_cache(maxsize=CACHED)
def _draw(path: str, spec: str, width: int, height: int) -> bytes | None:
    with _lock:
        browser = _browser(path)
        if browser is None:
            return None
        try:
            return browser.run(
                browser.kaleido.calc_fig(
                    json.loads(spec), opts={"format": "png", "width": width, "height": height}
                )
            )
        except Exception:
            logger.exception("Chart image failed with the Chromium at %s", path)
            return None
