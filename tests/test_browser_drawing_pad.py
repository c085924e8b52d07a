"""The drawing pad in a real JupyterLab, driven by headless Chromium (Playwright).

The fixture notebook ``tests/fixtures/drawing_pad_pca.ipynb`` puts a PCA model (a stand-in for an
autoencoder: no framework, no training) behind ``aelab.widgets.drawing_pad``. Strokes are drawn
with real mouse events on the pad's canvas; the kernel is asked through a second client
(``lab_harness.kernel_execute``) what it received and computed.

Checked: a vertical stroke lands among the 1s; a drawn 0 scores below the anomaly threshold and a
scribble above it; "clear" empties the canvas and the images; after fast drawing, the
image shown is the model's output for the finished drawing, never a stale one.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from lab_harness import canvas_frame, canvas_pixels, kernel_execute, open_and_run_all, settle_canvases

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOKS = {"pca": "drawing_pad_pca.ipynb"}
CANVAS, INPUT, OUTPUT = "canvas.aelab-drawing", ".aelab-drawing-input canvas", ".aelab-drawing-output canvas"
RES = 112  # the pad's canvas resolution (drawing_pad's default)


class Pad:
    """The drawing pad of the opened fixture notebook."""

    def __init__(self, page, lab):
        self.page, self.lab = page, lab
        self.canvas = page.locator(CANVAS)
        self.input, self.output = page.locator(INPUT), page.locator(OUTPUT)
        self.readout = page.locator(".aelab-drawing-readout")

    def stroke(self, points, *, steps: int = 6, wait_each: bool = True):
        """Draw a polyline through ``points`` (row, col) in canvas pixels (0..112) with the mouse."""
        box = self.canvas.bounding_box()
        to_page = lambda r, c: (box["x"] + c * box["width"] / RES, box["y"] + r * box["height"] / RES)
        m = self.page.mouse
        m.move(*to_page(*points[0]))
        m.down()
        for (r0, c0), (r1, c1) in zip(points[:-1], points[1:]):
            for i in range(1, steps + 1):
                m.move(*to_page(r0 + (r1 - r0) * i / steps, c0 + (c1 - c0) * i / steps))
                if wait_each:
                    self.page.wait_for_timeout(16)
        m.up()
        self.settle()

    def settle(self):
        """Wait until the browser has sent its last drawing and the output no longer changes."""
        self.page.wait_for_timeout(100)
        settle_canvases(self.page, [self.input, self.output], quiet_ms=600, timeout_ms=20_000)

    def clear(self):
        self.page.locator("button:has-text('clear')").click()
        self.settle()

    def kernel(self) -> dict:
        code = """
import json as _j, numpy as _np
_q = lambda a: _np.clip(_np.asarray(a, _np.float32) * 255 + 0.5, 0, 255).astype(int).tolist()
_digit = widgets.mnist_style(pad.drawing)
print(_j.dumps({"drawing": _np.frombuffer(pad.canvas.drawing, _np.uint8).tolist(),
                "digit": _q(_digit), "output": _q(reconstruct(_digit[None])[0]),
                "score": pad.score, "label": pad.nearest_label, "threshold": threshold,
                "marker": list(pad.map.marker)}))
"""
        out = kernel_execute(self.lab.connection_file(NOTEBOOKS["pca"]), code)
        return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def pad(lab, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    open_and_run_all(page, lab, NOTEBOOKS["pca"], ready=f"{OUTPUT}[data-frame]", scroll_to=CANVAS)
    yield Pad(page, lab)
    page.close()


ZERO = [(56 + 40 * np.sin(a), 56 + 28 * np.cos(a)) for a in np.linspace(0, 2 * np.pi, 25)]
# a crossed-out square: nothing like a digit (PCA's score 0.13 against a threshold of 0.048 when
# drawn in Python; a W or an A scores too close to the threshold for this linear stand-in)
SCRIBBLE = [(15, 15), (15, 97), (97, 97), (97, 15), (15, 15), (97, 97)]


def test_a_vertical_stroke_lands_among_the_ones(pad):
    pad.clear()
    pad.stroke([(15, 56), (97, 58)])
    state = pad.kernel()
    assert state["label"] == 1
    assert "mostly <b>1</b>s" in pad.readout.inner_html()
    assert len(state["marker"]) == 2  # marked on the latent map
    assert pad.page.locator("canvas.aelab-latent-map").get_attribute("data-marker")


def test_a_zero_looks_normal_and_a_scribble_is_flagged(pad):
    pad.clear()
    pad.stroke(ZERO)
    zero = pad.kernel()
    assert zero["score"] < zero["threshold"], zero["score"]
    assert "looks normal" in pad.readout.inner_text()
    pad.clear()
    pad.stroke(SCRIBBLE)
    scribble = pad.kernel()
    assert scribble["score"] > scribble["threshold"], scribble["score"]
    assert "flagged as unusual" in pad.readout.inner_text()


def test_clear_empties_the_canvas_and_the_images(pad):
    pad.stroke([(20, 30), (90, 80)])
    assert canvas_pixels(pad.canvas).any()
    pad.clear()
    assert not canvas_pixels(pad.canvas).any()
    assert not canvas_pixels(pad.input).any()
    state = pad.kernel()
    assert not any(state["drawing"]) and not np.any(state["digit"])
    assert "Draw a digit" in pad.readout.inner_text()


def test_fast_drawing_ends_on_the_output_of_the_finished_drawing(pad):
    pad.clear()
    before = canvas_frame(pad.output)
    pad.stroke(ZERO + SCRIBBLE, steps=12, wait_each=False)  # as fast as mouse events go
    assert canvas_frame(pad.output) != before
    state = pad.kernel()
    shown = canvas_pixels(pad.canvas)
    np.testing.assert_array_equal(np.array(state["drawing"], np.uint8).reshape(RES, RES), shown)
    np.testing.assert_allclose(canvas_pixels(pad.input).astype(int), np.array(state["digit"]), atol=1)
    np.testing.assert_allclose(canvas_pixels(pad.output).astype(int), np.array(state["output"]), atol=1)
