"""Lesson 05's sliders in a real JupyterLab, driven by headless Chromium (Playwright).

For each framework: copy the lesson's solution notebook, make it run in quick mode (a first
cell sets AELAB_QUICK=1) with ``USE_PRETRAINED = True`` (the flag a teacher sets in front of a
class: the notebook runs with the course's weights, a path the notebook tests, which run the
lesson as written, do not take), Run All, then act on the lesson's
own widgets with real mouse events and check that what the page shows is what the notebook's
model decodes (asked from the notebook's kernel through a second client, so this process
imports neither torch nor tensorflow):

- the 2-D VAE sliders: drag z[0]; "sample from prior"; "start from this digit";
- the interpolation between two digits: drag t;
- the conditional VAE: click another digit in the chooser, the style code stays.

Uses the JupyterLab / Chromium harness of ``tests/lab_harness.py`` (shared with test_browser.py).
Skipped like test_browser.py when Chromium or Playwright is missing (fails under CI=true).
"""

from __future__ import annotations

import numpy as np
import pytest

from lab_harness import LATENT_CANVAS, LessonPage, assert_same_image, grey, open_and_run_all, quick_solution_lab

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LESSON = "05_variational_autoencoder"
TRACKS = {"torch": "pytorch", "keras": "keras"}
RUN_TIMEOUT_S = 900  # the whole lesson in quick mode, on a busy machine


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with quick_solution_lab(LESSON, tmp_path_factory.mktemp("lesson05"), pretrained=True) as server:
        yield server


@pytest.mark.parametrize("framework", list(TRACKS))
def test_lesson05_sliders_in_jupyterlab(lab, browser, framework):
    notebook = lab.notebooks[framework]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_and_run_all(page, lab, notebook, ready=f"{LATENT_CANVAS}[data-frame]", count=3,
                         scroll_to=None, timeout_ms=RUN_TIMEOUT_S * 1000)
        page.wait_for_timeout(1000)
        lab.wait_kernel_idle(notebook, timeout=RUN_TIMEOUT_S)
        lesson = LessonPage(page, lab, notebook)
        assert lesson.kernel("import json; print(json.dumps(USE_PRETRAINED))") is True
        assert lesson.latent_images.count() == 3   # 2-D VAE, 16-D VAE, conditional VAE
        assert lesson.sliders.count() == 2 + 8 + 2

        # --- 2-D VAE: drag z[0]; the page shows decode_2d(slider values)
        image_2d = lesson.latent_images.nth(0)
        before = lesson.shown(image_2d)
        lesson.drag(lesson.sliders.nth(0), 60)
        lesson.settle(image_2d)
        values = lesson.slider_values(0, 2)
        kernel_code = np.array(lesson.kernel("import json; print(json.dumps(sliders_2d.code.tolist()))"))
        np.testing.assert_allclose(kernel_code, values, atol=0.006)
        assert abs(values[0]) > 0.05 and values[1] == 0.0, values   # only z[0] moved
        expected = grey(lesson.kernel(
            f"import json; print(json.dumps(decode_2d(np.array([{values.tolist()}], np.float32))[0].tolist()))"))
        assert_same_image(lesson.shown(image_2d), expected, "after dragging z[0]")
        assert not np.array_equal(lesson.shown(image_2d), before)

        # --- "sample from prior": new code, sliders follow, image = decode of that code
        page.locator("button:has-text('sample from prior')").first.click()
        lesson.settle(image_2d)
        prior_code = np.array(lesson.kernel("import json; print(json.dumps(sliders_2d.code.tolist()))"))
        assert not np.allclose(prior_code, kernel_code)
        np.testing.assert_allclose(lesson.slider_values(0, 2), prior_code, atol=0.006)
        expected = grey(lesson.kernel("import json; print(json.dumps(decode_2d(sliders_2d.code[None])[0].tolist()))"))
        assert_same_image(lesson.shown(image_2d), expected, "after sample from prior")

        # --- "start from this digit": the test digit (of the first 200) whose code lies farthest
        # from 0. A code outside the sliders' range (-3..3) widens the range, never gets clamped,
        # so the sliders must show exactly the digit's code whichever digit it is.
        index = lesson.kernel(
            "import json; _far = np.abs(encode_2d(test_x[1:200])).max(axis=1);"
            " print(json.dumps(int(_far.argmax()) + 1))")
        digit_box = page.locator(".widget-text:has-text('digit #') input").first
        digit_box.fill(str(index))
        digit_box.press("Enter")
        page.locator("button:has-text('start from this digit')").first.click()
        lesson.settle(image_2d)
        digit_code, encoded = lesson.kernel(
            "import json; print(json.dumps([sliders_2d.code.tolist(), "
            f"encode_2d(test_x[{index}:{index + 1}])[0].tolist()]))")
        np.testing.assert_allclose(digit_code, encoded, atol=1e-5)
        np.testing.assert_allclose(lesson.slider_values(0, 2), digit_code, atol=0.006)
        expected = grey(lesson.kernel(
            "import json; print(json.dumps(decode_2d(sliders_2d.code[None])[0].tolist()))"))
        assert_same_image(lesson.shown(image_2d), expected, f"after start from digit {index}")

        # --- interpolation: drag t; the page shows decode(interpolation.code)
        t_slider = page.locator(".aelab-interpolation-slider").first
        interpolation_image = page.locator(".aelab-interpolation-image canvas").first
        lesson.drag(t_slider, 120)
        lesson.settle(interpolation_image)
        t, expected = lesson.kernel("import json; print(json.dumps([interpolation.t, "
                                    "decode(interpolation.code[None])[0].tolist()]))")
        assert 0.0 < t <= 1.0
        assert_same_image(lesson.shown(interpolation_image), grey(expected), f"interpolation at t={t}")

        # --- conditional VAE: click digit 3; same style code, the decoder draws a 3
        image_cvae = lesson.latent_images.nth(2)
        page.locator(".widget-toggle-buttons button:text-is('3')").first.click()
        lesson.settle(image_cvae)
        chosen, style, expected = lesson.kernel(
            "import json; print(json.dumps([digit_chooser.value, cvae_sliders.code.tolist(), "
            "decode_cvae(cvae_sliders.code[None], np.array([3]))[0].tolist()]))")
        assert chosen == 3
        np.testing.assert_allclose(lesson.slider_values(10, 2), style, atol=0.006)
        assert_same_image(lesson.shown(image_cvae), grey(expected), "conditional VAE, digit 3")
    except Exception:
        page.screenshot(path=str(lab.tmp.parent / f"aelab-lesson05-{framework}-failure.png"))
        raise
    finally:
        page.close()
        lab.delete_sessions()
