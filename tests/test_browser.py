"""The latent sliders in a real JupyterLab, driven by headless Chromium (Playwright).

For each framework: open the fixture notebook, Run All, drag a slider with real mouse events,
and check that the image drawn on the widget's <canvas> changed and is, pixel for pixel (one
grey level), the decoder's output for the slider values shown on screen. The expected image comes from the notebook's own
kernel (asked through a second client), so this process imports neither torch nor tensorflow.

No timings are asserted here; ``benchmarks/browser_latency.py`` prints drag-to-paint latency.

Needs Debian's chromium (``apt-get install chromium``) or AELAB_CHROMIUM=/path/to/chromium.
Without it the tests are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import numpy as np
import pytest

from lab_harness import JupyterLab, SliderPage, kernel_decode, open_and_run_all

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOKS = {fw: f"latent_sliders_{fw}.ipynb" for fw in ("torch", "keras")}
def _assert_shows_decoder_output(sp: SliderPage, lab: JupyterLab, notebook: str) -> np.ndarray:
    """The image on screen == decode(slider values on screen), to one grey level; returns values."""
    values = sp.values()
    shown = sp.pixels().astype(int)
    expected, kernel_code = kernel_decode(lab.connection_file(notebook), values)
    np.testing.assert_allclose(kernel_code, values, atol=0.006,
                               err_msg="the kernel's code differs from the sliders on screen")
    assert shown.shape == expected.shape == (28, 28)
    worst = np.abs(shown - expected.astype(int)).max()
    assert worst <= 1, (f"image on screen differs from decode({values.tolist()}) by up to {worst} "
                        f"grey levels")
    return values


@pytest.mark.parametrize("framework", list(NOTEBOOKS))
def test_dragging_a_slider_redraws_the_decoded_digit(lab, browser, framework):
    notebook = NOTEBOOKS[framework]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_and_run_all(page, lab, notebook)
        sp = SliderPage(page)
        assert sp.sliders.count() == 4
        np.testing.assert_array_equal(sp.values(), np.zeros(4))
        # large and crisp: 28 x 28 image pixels, each shown as an 8 x 8 square without smoothing
        assert (sp.canvas.evaluate("(c) => [c.width, c.height]")) == [28, 28]
        box = sp.canvas.bounding_box()
        assert (round(box["width"]), round(box["height"])) == (224, 224), box
        assert sp.canvas.evaluate("(c) => getComputedStyle(c).imageRendering") == "pixelated"
        start = sp.pixels()
        _assert_shows_decoder_output(sp, lab, notebook)

        # slow drag: wait for each new image (one update in flight)
        sp.drag_steps(0, [3] * 8, wait_each=True)
        sp.settle()
        values = _assert_shows_decoder_output(sp, lab, notebook)
        assert values[0] > 0.1 and np.all(values[1:] == 0), values
        assert not np.array_equal(sp.pixels(), start), "the image did not change after dragging"
        assert len(sp.latencies_ms()) >= 8, "fewer image updates than drag steps"

        # fast drag without waiting: intermediate values may be dropped, the last one never
        middle = sp.pixels()
        sp.drag_steps(1, [-2] * 25 + [1] * 10, wait_each=False)
        sp.settle()
        values2 = _assert_shows_decoder_output(sp, lab, notebook)
        assert values2[1] < -0.1 and values2[0] == values[0], values2
        assert not np.array_equal(sp.pixels(), middle)
    except Exception:
        page.screenshot(path=str(lab.tmp.parent / f"aelab-browser-{framework}-failure.png"))
        raise
    finally:
        page.close()
        lab.delete_sessions()
