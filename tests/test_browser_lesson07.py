"""Lesson 07's sliders and mode chooser in a real JupyterLab, driven by headless Chromium (Playwright).

For each framework: copy the lesson's solution notebook, make it run in quick mode (a first
cell sets AELAB_QUICK=1, the rest is the lesson unchanged), Run All, then act on the lesson's
own widgets with real mouse events and check that what the page shows is what the notebook's
model decodes (asked from the notebook's kernel through a second client, so this process
imports neither torch nor tensorflow):

- the ring-prior AAE's sliders: drag z[0]; "sample from prior" draws a code of the ring;
- the label-informed AAE: drag a style slider, then click another digit in the mode chooser:
  the style offset stays, and the page shows that digit's component centre + the offset, decoded.

Uses the JupyterLab / Chromium harness of ``tests/lab_harness.py`` (shared with test_browser.py).
Skipped like test_browser.py when Chromium or Playwright is missing (fails under CI=true).
"""

from __future__ import annotations

import json
import os

import nbformat
import numpy as np
import pytest

from lab_harness import (LATENT_CANVAS, JupyterLab, canvas_pixels, kernel_execute, open_and_run_all,
                         require_browser, settle_canvases)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LESSON = "07_adversarial_autoencoder.ipynb"
TRACKS = {"torch": "pytorch", "keras": "keras"}
RUN_TIMEOUT_S = 900  # the whole lesson in quick mode, on a busy machine


def _quick_copy(framework: str, folder) -> str:
    """The lesson's solution notebook with a first cell switching on quick mode."""
    source = os.path.join(ROOT, "notebooks", TRACKS[framework], "solutions",
                          LESSON.replace(".ipynb", "_solution.ipynb"))
    nb = nbformat.read(source, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        'import os\nos.environ["AELAB_QUICK"] = "1"\nos.environ["AELAB_THREADS"] = "1"'))
    name = f"lesson07_{framework}.ipynb"
    nbformat.write(nb, os.path.join(folder, name))
    return name


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require_browser()
    folder = tmp_path_factory.mktemp("lesson07")
    names = {fw: _quick_copy(fw, folder) for fw in TRACKS}
    server = JupyterLab([folder / name for name in names.values()])
    server.notebooks = names
    try:
        yield server
    finally:
        server.close()


class Lesson07Page:
    """The lesson's two slider widgets on the page, in notebook order: the ring-prior AAE's
    sliders, then the label-informed AAE's mode chooser + style sliders."""

    def __init__(self, page, lab, notebook):
        self.page, self.lab, self.notebook = page, lab, notebook
        self.latent_images = page.locator(LATENT_CANVAS)
        self.sliders = page.locator(".aelab-latent-slider")

    def kernel(self, code: str):
        """Run code in the notebook's kernel; it must print one JSON line, returned parsed."""
        out = kernel_execute(self.lab.connection_file(self.notebook), code, timeout=60)
        return json.loads(out.strip().splitlines()[-1])

    def shown(self, canvas) -> np.ndarray:
        """The grey levels drawn on an image's canvas, (H, W)."""
        return canvas_pixels(canvas).astype(int)

    def settle(self, canvas, quiet_ms: int = 500, timeout_s: float = 20.0) -> None:
        """Wait until ``canvas`` has drawn no new image for ``quiet_ms``."""
        settle_canvases(self.page, [canvas], quiet_ms=quiet_ms, timeout_ms=int(timeout_s * 1000))

    def slider_values(self, first: int, count: int) -> np.ndarray:
        texts = [self.sliders.nth(i).locator(".widget-readout").inner_text()
                 for i in range(first, first + count)]
        return np.array([float(t.replace("\u2212", "-")) for t in texts], np.float32)

    def drag(self, slider, dx: float, steps: int = 6) -> None:
        handle = slider.locator(".noUi-handle")
        handle.hover()   # scrolls it into view and waits until it is visible and stable
        self.page.wait_for_timeout(200)
        box = handle.bounding_box()
        viewport = self.page.viewport_size
        assert 0 <= box["y"] <= viewport["height"], f"slider handle off screen: {box}"
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        for k in range(1, steps + 1):
            self.page.mouse.move(x + dx * k / steps, y)
            self.page.wait_for_timeout(30)
        self.page.mouse.up()


def _grey(values) -> np.ndarray:
    """Decoder output in [0, 1] -> the widget's grey levels 0..255."""
    return np.clip(np.asarray(values, np.float32) * 255 + 0.5, 0, 255).astype(int)


def _same_image(shown: np.ndarray, expected: np.ndarray, what: str) -> None:
    assert shown.shape == expected.shape == (28, 28), (shown.shape, expected.shape)
    worst = np.abs(shown - expected).max()
    assert worst <= 1, f"{what}: the page shows an image up to {worst} grey levels off the model's"


@pytest.mark.parametrize("framework", list(TRACKS))
def test_lesson07_sliders_and_mode_chooser_in_jupyterlab(lab, browser, framework):
    notebook = lab.notebooks[framework]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_and_run_all(page, lab, notebook, ready=f"{LATENT_CANVAS}[data-frame]", count=2,
                         scroll_to=None, timeout_ms=RUN_TIMEOUT_S * 1000)
        page.wait_for_timeout(1000)
        lab.wait_kernel_idle(notebook, timeout=RUN_TIMEOUT_S)
        lesson = Lesson07Page(page, lab, notebook)
        assert lesson.latent_images.count() == 2   # ring-prior AAE, label-informed AAE
        assert lesson.sliders.count() == 2 + 2

        # --- ring-prior AAE: drag z[0]; the page shows decode_ring(slider values)
        image_ring = lesson.latent_images.nth(0)
        before = lesson.shown(image_ring)
        lesson.drag(lesson.sliders.nth(0), 60)
        lesson.settle(image_ring)
        values = lesson.slider_values(0, 2)
        kernel_code = np.array(lesson.kernel("import json; print(json.dumps(sliders_ring.code.tolist()))"))
        np.testing.assert_allclose(kernel_code, values, atol=0.006)
        assert abs(values[0]) > 0.05 and values[1] == 0.0, values   # only z[0] moved
        expected = _grey(lesson.kernel(
            f"import json; print(json.dumps(decode_ring(np.array([{values.tolist()}], np.float32))[0].tolist()))"))
        _same_image(lesson.shown(image_ring), expected, "after dragging z[0]")
        assert not np.array_equal(lesson.shown(image_ring), before)

        # --- "sample from prior": a code of the ring (radius 4, std 0.5), sliders follow
        page.locator("button:has-text('sample from prior')").first.click()
        lesson.settle(image_ring)
        prior_code = np.array(lesson.kernel("import json; print(json.dumps(sliders_ring.code.tolist()))"))
        assert not np.allclose(prior_code, kernel_code)
        assert 1.5 < np.linalg.norm(prior_code) < 6.5, prior_code
        np.testing.assert_allclose(lesson.slider_values(0, 2), prior_code, atol=0.006)
        expected = _grey(lesson.kernel(
            "import json; print(json.dumps(decode_ring(sliders_ring.code[None])[0].tolist()))"))
        _same_image(lesson.shown(image_ring), expected, "after sample from prior")

        # --- label-informed AAE: drag a style slider, then click digit 3 in the mode chooser
        image_style = lesson.latent_images.nth(1)
        start = lesson.kernel("import json; print(json.dumps(style_sliders.code.tolist()))")
        lesson.drag(lesson.sliders.nth(3), -40)
        lesson.settle(image_style)
        page.locator(".widget-toggle-buttons button:text-is('3')").first.click()
        lesson.settle(image_style)
        chosen, offset, expected = lesson.kernel(
            "import json; print(json.dumps([digit_chooser.value, style_sliders.code.tolist(), "
            "decode_labelled(centres[3] + style_sliders.code[None])[0].tolist()]))")
        assert chosen == 3
        assert offset[0] == start[0] and offset[1] < start[1] - 0.01, (start, offset)   # z[1] only
        np.testing.assert_allclose(lesson.slider_values(2, 2), offset, atol=0.006)
        _same_image(lesson.shown(image_style), _grey(expected), "label-informed AAE, digit 3")
    except Exception:
        page.screenshot(path=str(lab.tmp.parent / f"aelab-lesson07-{framework}-failure.png"))
        raise
    finally:
        page.close()
        lab.delete_sessions()
