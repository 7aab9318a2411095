"""core.chart_images: a Plotly figure dict as PNG bytes through the machine's Chromium."""

import logging
import struct
from pathlib import Path

import pytest

from core import chart_images
from tests.conftest import CHROMIUM

FIGURE = {
    "data": [{"type": "bar", "x": ["Mon", "Tue", "Wed"], "y": [120, 95, 143], "name": "Contacts"}],
    "layout": {"title": {"text": "Contacts per day"}},
}


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_png_renders_the_figure_at_the_size_asked(settings):
    settings.CHROMIUM_PATH = CHROMIUM
    first = chart_images.png(FIGURE, 600, 300)
    second = chart_images.png(FIGURE, 400, 200)  # the same browser draws the next one
    drawn = chart_images._draw.cache_info()
    assert chart_images.png(dict(FIGURE), 400, 200) == second  # an equal figure: not again
    assert chart_images._draw.cache_info().hits == drawn.hits + 1

    for image, size in ((first, (600, 300)), (second, (400, 200))):
        assert image[:8] == b"\x89PNG\r\n\x1a\n"
        assert image[12:16] == b"IHDR"
        assert struct.unpack(">II", image[16:24]) == size
        assert len(image) > 2000  # bars, axes and a title, not an empty canvas


def test_png_without_a_chromium_is_none_and_says_so_once(settings, tmp_path, caplog):
    settings.CHROMIUM_PATH = str(tmp_path / "no-chromium")
    with caplog.at_level(logging.WARNING, logger="core.chart_images"):
        assert chart_images.png(FIGURE, 600, 300) is None
        assert chart_images.png(FIGURE, 600, 300) is None
    warnings = [r for r in caplog.records if "No working Chromium" in r.getMessage()]
    assert len(warnings) == 1
    assert str(tmp_path / "no-chromium") in warnings[0].getMessage()


def test_png_with_a_program_that_is_no_browser_is_none(settings, tmp_path, caplog):
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    settings.CHROMIUM_PATH = str(broken)
    with caplog.at_level(logging.WARNING, logger="core.chart_images"):
        assert chart_images.png(FIGURE, 600, 300) is None
    assert any(str(broken) in r.getMessage() for r in caplog.records)
