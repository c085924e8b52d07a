"""The latent explorer (`make explore`: notebooks/explore.ipynb served by Voila) in headless Chromium.

The server is started as `make explore` starts it (``jupyter_server`` with
``aelab.lab_server.explore_flags()``). The page must load with every widget drawn, and what the
canvases show after real mouse drags must be the pretrained models' decoding of the values the
sliders show, within one grey level. The explorer runs the models in numpy
(``aelab.pretrained``), so this process computes the expected images itself, with the same
weights and no framework.

The latent sliders' digits are decoded in the page (``latent_sliders(..., browser_decoder=...)``):
while the kernel is kept busy by a second client, a drag must still draw the right digit, and
once the kernel is free again its ``code`` must be the values the sliders show. The same holds
for lesson 07's adversarial autoencoder, whose digit chooser moves the code to a component's centre.
"""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from aelab import lab_server, pretrained
from aelab._arrays import interpolate
from aelab.data import load_mnist
from lab_harness import (LATENT_CANVAS, ROOT, JupyterLab, canvas_pixels, kernel_execute, require_browser,
                         settle_canvases)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE_TIMEOUT_MS = 180_000   # kernel start + the explorer's cells, on a busy machine


@pytest.fixture(scope="module")
def lab():
    """The explorer's server (named ``lab``: conftest's ``browser`` starts after it)."""
    require_browser()
    if not pretrained.PRETRAINED_FILES:
        pytest.skip("no pretrained weights shipped yet: the explorer needs them "
                    "(`python tools/train_pretrained.py`, see data/pretrained/README.md)")
    flags = [f for f in lab_server.explore_flags() if f not in lab_server.SERVER_FLAGS]
    server = JupyterLab([ROOT / "notebooks" / lab_server.EXPLORER], app="jupyter_server",
                        server_args=flags)
    try:
        yield server
    finally:
        server.close()


def _grey(values) -> np.ndarray:
    return np.clip(np.asarray(values, np.float32) * 255 + 0.5, 0, 255).astype(int)


def _same_image(canvas, expected, what: str) -> None:
    shown = canvas_pixels(canvas).astype(int)
    assert shown.shape == (28, 28), shown.shape
    worst = np.abs(shown - _grey(expected)).max()
    assert worst <= 1, f"{what}: the page shows an image up to {worst} grey levels off the model's"


def _values(sliders, first: int, count: int) -> np.ndarray:
    texts = [sliders.nth(i).locator(".widget-readout").inner_text() for i in range(first, first + count)]
    return np.array([float(t.replace("\u2212", "-")) for t in texts], np.float32)


def _drag(page, slider, dx: float, steps: int, pause_ms: int) -> None:
    handle = slider.locator(".noUi-handle")
    handle.hover()
    page.wait_for_timeout(200)
    box = handle.bounding_box()
    assert 0 <= box["y"] <= page.viewport_size["height"], f"slider handle off screen: {box}"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(1, steps + 1):
        page.mouse.move(x + dx * k / steps, y)
        if pause_ms:
            page.wait_for_timeout(pause_ms)
    page.mouse.up()


def _kernel(lab):
    """The connection file of the explorer's one kernel (Voila's, not in /api/sessions)."""
    (kernel,) = lab.api("GET", "/api/kernels")
    return lab.tmp / "runtime" / f"kernel-{kernel['id']}.json"


def _kernel_code(lab, name: str) -> np.ndarray:
    """``<name>.code`` in the explorer's kernel (the LatentSliders called ``name``)."""
    out = kernel_execute(_kernel(lab), f"import json as _j; print(_j.dumps({name}.code.tolist()))")
    return np.array(json.loads(out.strip().splitlines()[-1]), np.float32)


def _codes_16d(sliders, dims, kernel_code) -> np.ndarray:
    """The 16-D code shown: the kernel's code with the shown sliders' values at ``dims``."""
    code = kernel_code.copy()
    code[dims] = _values(sliders, 2, 8)
    return code


def _dims(sliders) -> list[int]:
    return [int(sliders.nth(2 + k).locator(".widget-label").inner_text().strip("z[]")) for k in range(8)]


def test_explorer_page_renders_and_follows_drags(lab, browser):
    vae_2d, vae_16d, cvae, aae = (pretrained.numpy_model(n) for n in ("vae_2d", "vae_16d", "cvae_2d", "aae_labelled"))
    images = load_mnist("test")[0][:2]   # the explorer interpolates between test digits 0 and 1
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{lab.url}/voila/render/{lab_server.EXPLORER}?token={lab.token}")
        page.wait_for_function(
            f"() => document.querySelectorAll({LATENT_CANVAS!r} + '[data-frame]').length >= 4",
            timeout=PAGE_TIMEOUT_MS)
        page.wait_for_selector(".aelab-interpolation-image canvas[data-frame]", timeout=PAGE_TIMEOUT_MS)

        # --- every widget is there and drawn; no error output
        latent_images = page.locator(LATENT_CANVAS)
        sliders = page.locator(".aelab-latent-slider")
        assert latent_images.count() == 4            # 2-D VAE, 16-D VAE, conditional VAE, AAE
        assert sliders.count() == 2 + 8 + 2 + 2
        assert page.locator(".widget-dropdown:has-text('dims') select").count() == 1
        assert page.locator(".widget-toggle-buttons button").count() == 2 * 10   # two digit choosers
        assert page.locator(".aelab-interpolation-slider").count() == 1
        assert page.locator(".jp-OutputArea-output img").count() == 1   # the latent map
        assert page.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
        assert page.locator(".jp-OutputArea-output:has-text('Traceback')").count() == 0
        for i in range(4):
            assert canvas_pixels(latent_images.nth(i)).max() > 100, f"latent image {i} is blank"

        # --- 2-D VAE: a slow drag of z[0]; the canvas shows decode(shown values)
        image_2d = latent_images.nth(0)
        before = canvas_pixels(image_2d)
        _drag(page, sliders.nth(0), 70, steps=6, pause_ms=40)
        settle_canvases(page, [image_2d], quiet_ms=500, timeout_ms=20_000)
        values = _values(sliders, 0, 2)
        assert abs(values[0]) >= 0.05 and values[1] == 0.0, values
        _same_image(image_2d, vae_2d.decode(values[None])[0], f"2-D VAE at z={values}")
        assert not np.array_equal(canvas_pixels(image_2d), before)

        # --- a fast drag (mouse events as fast as they come): it ends on the right image
        _drag(page, sliders.nth(1), -150, steps=40, pause_ms=0)
        settle_canvases(page, [image_2d], quiet_ms=500, timeout_ms=20_000)
        values = _values(sliders, 0, 2)
        assert values[1] <= -0.1, values
        _same_image(image_2d, vae_2d.decode(values[None])[0], f"2-D VAE after a fast drag, z={values}")

        # --- the page decodes: with the kernel busy (a second client's 6-second cell), a fast
        # drag still ends on the right digit; once free, the kernel's code is the values shown
        busy = threading.Thread(target=kernel_execute, args=(_kernel(lab), "import time; time.sleep(6)"))
        busy.start()
        try:
            page.wait_for_timeout(500)
            _drag(page, sliders.nth(0), -120, steps=40, pause_ms=0)
            settle_canvases(page, [image_2d], quiet_ms=300, timeout_ms=4_000)
            values = _values(sliders, 0, 2)
            _same_image(image_2d, vae_2d.decode(values[None])[0], f"2-D VAE, kernel busy, z={values}")
            assert busy.is_alive(), "the kernel was free again before the check: no proof the page decoded"
        finally:
            busy.join()
        np.testing.assert_allclose(_kernel_code(lab, "sliders_2d"), values, atol=1e-6)

        # --- a button sets the code from Python: the page draws decode(the values it shows)
        page.locator("button:has-text('sample from prior')").first.click()
        page.wait_for_function("(v) => document.querySelector('.aelab-latent-slider .widget-readout')"
                               ".innerText !== v", arg=f"{values[0]:.2f}", timeout=20_000)
        settle_canvases(page, [image_2d], quiet_ms=500, timeout_ms=20_000)
        values = _values(sliders, 0, 2)
        np.testing.assert_allclose(_kernel_code(lab, "sliders_2d"), values, atol=1e-6)
        _same_image(image_2d, vae_2d.decode(values[None])[0], f"2-D VAE, sampled from the prior, z={values}")

        # --- 16-D VAE: drag the 4th slider shown; its label says which z[j] it moves, the
        # other 15 numbers stay 0
        image_16d = latent_images.nth(1)
        _drag(page, sliders.nth(2 + 3), 80, steps=6, pause_ms=40)
        settle_canvases(page, [image_16d], quiet_ms=500, timeout_ms=20_000)
        dims = _dims(sliders)
        code = np.zeros((1, 16), np.float32)
        code[0, dims] = _values(sliders, 2, 8)
        assert len(set(dims)) == 8 and code[0, dims[3]] != 0 and np.count_nonzero(code) == 1, (dims, code)
        _same_image(image_16d, vae_16d.decode(code)[0], f"16-D VAE after dragging z[{dims[3]}]")

        # --- a fast drag of the 1st slider shown, then other dims chosen and one of them
        # dragged: the page decodes all 16 numbers (the hidden ones keep their values)
        _drag(page, sliders.nth(2), -130, steps=40, pause_ms=0)
        settle_canvases(page, [image_16d], quiet_ms=500, timeout_ms=20_000)
        code = _codes_16d(sliders, dims, code[0])
        assert np.count_nonzero(code) == 2, code
        _same_image(image_16d, vae_16d.decode(code[None])[0], f"16-D VAE after a fast drag, z={code}")
        page.locator(".widget-dropdown:has-text('dims') select").select_option(index=2)   # z[8]..z[15]
        page.wait_for_function("() => document.querySelectorAll('.aelab-latent-slider .widget-label')[2]"
                               ".innerText === 'z[8]'", timeout=20_000)
        _drag(page, sliders.nth(2 + 1), 90, steps=40, pause_ms=0)
        settle_canvases(page, [image_16d], quiet_ms=500, timeout_ms=20_000)
        dims = _dims(sliders)
        assert dims == list(range(8, 16)), dims
        kernel_code = _kernel_code(lab, "sliders_16d")
        shown = _codes_16d(sliders, dims, code)
        np.testing.assert_allclose(kernel_code, shown, atol=1e-6)
        assert np.count_nonzero(shown) == 3, shown
        _same_image(image_16d, vae_16d.decode(shown[None])[0], f"16-D VAE over z[8..15], z={shown}")

        # --- conditional VAE: click digit 3, drag the style; decode(style, label 3)
        image_cvae = latent_images.nth(2)
        page.locator(".widget-toggle-buttons button:text-is('3')").first.click()
        _drag(page, sliders.nth(10), 60, steps=6, pause_ms=40)
        settle_canvases(page, [image_cvae], quiet_ms=500, timeout_ms=20_000)
        style = _values(sliders, 10, 2)
        _same_image(image_cvae, cvae.decode(style[None], np.array([3]))[0], f"conditional VAE, 3, z={style}")

        # --- interpolation between test digits 0 and 1 of the 16-D VAE: drag t
        t_slider = page.locator(".aelab-interpolation-slider").first
        interpolation_image = page.locator(".aelab-interpolation-image canvas").first
        _drag(page, t_slider, 150, steps=6, pause_ms=40)
        settle_canvases(page, [interpolation_image], quiet_ms=500, timeout_ms=20_000)
        t = float(t_slider.locator(".widget-readout").inner_text())
        assert 0 < t <= 1, t
        ends = vae_16d.encode(images[:2])
        _same_image(interpolation_image, vae_16d.decode(interpolate(ends[0], ends[1], t, "linear")[None])[0],
                    f"interpolation at t={t}")

        # --- lesson 07's AAE, label-informed prior: it starts at component 7's centre; clicking
        # 3 moves the code to component 3's centre (set_code), then a drag moves the code
        angles = 2 * np.pi * np.arange(10) / 10
        centres = 4.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        image_aae = latent_images.nth(3)
        np.testing.assert_allclose(_values(sliders, 12, 2), centres[7], atol=0.006)
        _same_image(image_aae, aae.decode(_values(sliders, 12, 2)[None])[0], "AAE at component 7")
        shown_z1 = sliders.nth(13).locator(".widget-readout").inner_text()   # 7 and 3 differ in z[1]
        page.locator(".widget-toggle-buttons").nth(1).locator("button:text-is('3')").click()
        page.wait_for_function("(v) => document.querySelectorAll('.aelab-latent-slider .widget-readout')[13]"
                               ".innerText !== v", arg=shown_z1, timeout=20_000)
        settle_canvases(page, [image_aae], quiet_ms=500, timeout_ms=20_000)
        values = _values(sliders, 12, 2)
        np.testing.assert_allclose(values, centres[3], atol=0.006)
        _same_image(image_aae, aae.decode(values[None])[0], f"AAE at component 3, z={values}")
        _drag(page, sliders.nth(12), 70, steps=6, pause_ms=40)
        settle_canvases(page, [image_aae], quiet_ms=500, timeout_ms=20_000)
        values = _values(sliders, 12, 2)
        assert abs(values[0] - centres[3][0]) >= 0.05 and values[1] == pytest.approx(centres[3][1], abs=0.006), values
        _same_image(image_aae, aae.decode(values[None])[0], f"AAE after a drag, z={values}")
        np.testing.assert_allclose(_kernel_code(lab, "aae_sliders"), values, atol=1e-6)
    except Exception:
        page.screenshot(path=str(lab.tmp.parent / "aelab-explorer-failure.png"))
        raise
    finally:
        page.close()
