"""Lesson 07's sliders and mode chooser in a real JupyterLab, driven by headless Chromium (Playwright).

For each framework: copy the lesson's solution notebook, make it run in quick mode (a first
cell sets AELAB_QUICK=1) with ``USE_PRETRAINED = True`` (the flag a teacher sets in front of a
class: the notebook runs with the course's weights, a path the notebook tests, which run the
lesson as written, do not take), Run All, then act on the lesson's
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

import numpy as np
import pytest

from lab_harness import LATENT_CANVAS, LessonPage, assert_same_image, grey, open_and_run_all, quick_solution_lab

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LESSON = "07_adversarial_autoencoder"
TRACKS = {"torch": "pytorch", "keras": "keras"}
RUN_TIMEOUT_S = 900  # the whole lesson in quick mode, on a busy machine


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with quick_solution_lab(LESSON, tmp_path_factory.mktemp("lesson07"), pretrained=True) as server:
        yield server


@pytest.mark.parametrize("framework", list(TRACKS))
def test_lesson07_sliders_and_mode_chooser_in_jupyterlab(lab, browser, framework):
    notebook = lab.notebooks[framework]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_and_run_all(page, lab, notebook, ready=f"{LATENT_CANVAS}[data-frame]", count=2,
                         scroll_to=None, timeout_ms=RUN_TIMEOUT_S * 1000)
        page.wait_for_timeout(1000)
        lab.wait_kernel_idle(notebook, timeout=RUN_TIMEOUT_S)
        lesson = LessonPage(page, lab, notebook)
        assert lesson.kernel("import json; print(json.dumps(USE_PRETRAINED))") is True
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
        expected = grey(lesson.kernel(
            f"import json; print(json.dumps(decode_ring(np.array([{values.tolist()}], np.float32))[0].tolist()))"))
        assert_same_image(lesson.shown(image_ring), expected, "after dragging z[0]")
        assert not np.array_equal(lesson.shown(image_ring), before)

        # --- "sample from prior": a code of the ring (radius 4, std 0.5), sliders follow
        page.locator("button:has-text('sample from prior')").first.click()
        lesson.settle(image_ring)
        prior_code = np.array(lesson.kernel("import json; print(json.dumps(sliders_ring.code.tolist()))"))
        assert not np.allclose(prior_code, kernel_code)
        assert 1.5 < np.linalg.norm(prior_code) < 6.5, prior_code
        np.testing.assert_allclose(lesson.slider_values(0, 2), prior_code, atol=0.006)
        expected = grey(lesson.kernel(
            "import json; print(json.dumps(decode_ring(sliders_ring.code[None])[0].tolist()))"))
        assert_same_image(lesson.shown(image_ring), expected, "after sample from prior")

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
        assert_same_image(lesson.shown(image_style), grey(expected), "label-informed AAE, digit 3")
    except Exception:
        page.screenshot(path=str(lab.tmp.parent / f"aelab-lesson07-{framework}-failure.png"))
        raise
    finally:
        page.close()
        lab.delete_sessions()
