"""aelab.widgets driven in the kernel without a browser: move sliders, check what is shown.

A numpy PCA decoder on real MNIST runs in-process; the PyTorch and Keras adapters are
exercised in one subprocess each (never torch and tensorflow in the same process).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from aelab import noise, widgets
from aelab.data import load_mnist
from tiny_decoder_pca import fit_pca_codec  # tests/fixtures

ONE_GREY_LEVEL = 1 / 255 + 1e-6


@pytest.fixture(scope="module")
def mnist():
    return load_mnist("test", size=300)


@pytest.fixture(scope="module")
def codec(mnist):
    images, _ = mnist
    w = fit_pca_codec(images, 5)

    def encode(x):
        return ((np.asarray(x).reshape(len(x), -1) - w["mean"]) @ w["encoder_weight"]).astype(np.float32)

    def decode(z):
        return np.clip(np.asarray(z) @ w["decoder_weight"] + w["mean"], 0, 1).reshape(-1, 28, 28)

    return encode, decode


def _shown(pixel_image) -> np.ndarray:
    """The image a PixelImage sends to the browser, on [0, 1]."""
    return pixel_image.grey / 255.0


def _assert_shows(widget, decode, code):
    """The widget's image and the grey levels sent to the browser are decode(code)."""
    expected = decode(np.asarray(code, np.float32)[None])[0]
    np.testing.assert_allclose(widget.code, code, atol=1e-6)
    np.testing.assert_allclose(widget.image, expected, atol=1e-6)
    np.testing.assert_allclose(_shown(widget.image_widget), expected, atol=ONE_GREY_LEVEL)


# ---------------------------------------------------------------- the canvas widget

def test_pixel_image_rounds_and_clips_to_the_value_range():
    img = np.array([[-1.0, 0.0, 0.5, 1.0, 2.0]])
    p = widgets.PixelImage()
    p.show(img)
    np.testing.assert_array_equal(p.grey, [[0, 0, 128, 255, 255]])
    assert p.grey.dtype == np.uint8
    p.show(img, vmin=-1, vmax=1)
    np.testing.assert_array_equal(p.grey, [[0, 128, 191, 255, 255]])
    with pytest.raises(ValueError, match="one grey image"):
        p.show(np.zeros((1, 28, 28)))
    with pytest.raises(ValueError, match="vmin < vmax"):
        p.show(img, vmin=1, vmax=0)


def _sent_messages(widget, monkeypatch):
    """Record the state updates a widget sends to the browser: [(state, buffers)], where state
    names the binary attributes too (sent as buffers, not in the JSON)."""
    sent = []

    def record(msg, buffers=None):
        state = dict(msg["state"], **{path[0]: "<buffer>" for path in msg.get("buffer_paths", [])})
        sent.append((state, buffers))

    monkeypatch.setattr(widget, "_send", record)
    return sent


def test_pixel_image_sends_raw_grey_levels_in_one_small_binary_message(mnist, monkeypatch):
    image = mnist[0][0]
    p = widgets.PixelImage(scale=8)
    sent = _sent_messages(p, monkeypatch)
    p.show(image)
    # a new shape: size and pixels in ONE message, so the browser never draws a half-updated image
    assert len(sent) == 1 and set(sent[0][0]) == {"height", "width", "pixels"}
    assert (sent[0][0]["height"], sent[0][0]["width"]) == (28, 28)
    np.testing.assert_array_equal(p.grey, widgets._grey_levels(image))
    assert p.grey.shape == (28, 28) and p.grey.dtype == np.uint8
    p.show(mnist[0][1])
    # the same shape: one message with only the pixels, as a binary buffer of H*W bytes
    assert len(sent) == 2 and set(sent[1][0]) == {"pixels"}
    (buffer,) = sent[1][1]
    assert bytes(buffer) == widgets._grey_levels(mnist[0][1]).tobytes() and len(buffer) == 784
    p.show(mnist[0][1])
    assert len(sent) == 2, "showing the same image again sends nothing"


def test_pixel_image_front_end_is_an_es_module_drawing_into_a_canvas():
    p = widgets.PixelImage()
    esm = p._esm
    assert "export default" in esm and "putImageData" in esm and "pixelated" in esm
    assert p.get_state()["_esm"] == esm  # sent to the browser: nothing to build or install


def test_widgets_show_every_image_through_pixel_images(mnist, codec):
    images, labels = mnist
    encode, decode = codec
    sliders = widgets.latent_sliders(decode, 5, encode=encode, images=images)
    interp = widgets.interpolation_widget(decode, encode, images)
    noise = widgets.noise_widget(lambda x: x, images)
    shown = [sliders.image_widget, sliders.real_image_widget, interp.image_widget, interp.a_widget,
             interp.b_widget, noise.clean_widget, noise.noisy_widget, noise.output_widget]
    assert all(isinstance(p, widgets.PixelImage) for p in shown)
    assert [p.scale for p in shown] == [8, 3, 8, 4, 4, 6, 6, 6]
    assert "aelab-latent-image" in sliders.image_widget._dom_classes
    assert "aelab-interpolation-image" in interp.image_widget._dom_classes


def test_a_slider_event_sends_one_image_update(codec, monkeypatch):
    _, decode = codec
    w = widgets.latent_sliders(decode, 5)
    sent = _sent_messages(w.image_widget, monkeypatch)
    w.sliders[0].value = 1.0
    assert len(sent) == 1 and set(sent[0][0]) == {"pixels"}
    np.testing.assert_array_equal(w.image_widget.grey, widgets._grey_levels(decode(w.code[None])[0]))


def test_a_value_from_the_browser_is_not_echoed_back(mnist, codec, monkeypatch):
    import ipywidgets

    encode, decode = codec
    w = widgets.latent_sliders(decode, 5)
    interp = widgets.interpolation_widget(decode, encode, mnist[0])
    plain = ipywidgets.FloatSlider()   # ipywidgets' default: echoes what the browser sends
    for slider, image in ((w.sliders[0], w.image_widget), (interp.t_slider, interp.image_widget),
                          (plain, None)):
        echoed = _sent_messages(slider, monkeypatch)
        drawn = [] if image is None else _sent_messages(image, monkeypatch)
        slider.set_state({"value": 0.5})   # what a drag's "update" message from the page does
        assert slider.value == 0.5
        if image is None:
            assert echoed == [({"value": 0.5}, [])], "ipywidgets no longer echoes by default"
        else:
            assert echoed == [], "the slider sent the browser's value back"
            assert len(drawn) == 1 and set(drawn[0][0]) == {"pixels"}
    np.testing.assert_array_equal(w.image_widget.grey, widgets._grey_levels(decode(w.code[None])[0]))
    sent = _sent_messages(w.sliders[1], monkeypatch)
    w.set_code(np.ones(5, np.float32))   # values set from Python still go to the browser
    assert w.sliders[1].value == 1.0 and {"value": 1.0} in [state for state, _ in sent]


# ---------------------------------------------------------------- latent sliders

def test_sliders_start_at_zero_and_follow_each_slider(codec):
    encode, decode = codec
    w = widgets.latent_sliders(decode, 5)
    assert len(w.sliders) == 5 and [s.description for s in w.sliders] == [f"z[{i}]" for i in range(5)]
    assert all((s.min, s.max) == (-3.0, 3.0) and s.continuous_update for s in w.sliders)
    assert all(s.step is None for s in w.sliders)  # continuous: the browser never snaps a code
    _assert_shows(w, decode, np.zeros(5))
    first = w.image_widget.grey
    renders = w.renders
    w.sliders[2].value = 1.5
    _assert_shows(w, decode, [0, 0, 1.5, 0, 0])
    assert w.renders == renders + 1, "one slider event must redraw exactly once"
    assert not np.array_equal(w.image_widget.grey, first)
    for v in np.linspace(-2.9, 2.9, 25):  # a drag: every event redraws, the last one wins
        w.sliders[0].value = float(v)
    _assert_shows(w, decode, [2.9, 0, 1.5, 0, 0])
    assert w.renders == renders + 26


def test_buttons_prior_reset_and_real_digit(mnist, codec):
    images, labels = mnist
    encode, decode = codec
    w = widgets.latent_sliders(decode, 5, encode=encode, images=images, labels=labels, seed=3)
    renders = w.renders
    w.prior_button.click()
    z = w.code
    assert w.renders == renders + 1, "a prior sample redraws once, not once per slider"
    np.testing.assert_allclose(z, np.random.default_rng(3).standard_normal(5), atol=1e-6)
    np.testing.assert_allclose([s.value for s in w.sliders], z, atol=1e-6)
    _assert_shows(w, decode, z)

    w.digit_index.value = 7
    assert w.real_label.value == f"label {labels[7]}"
    np.testing.assert_allclose(_shown(w.real_image_widget), images[7],
                               atol=ONE_GREY_LEVEL)
    w.digit_button.click()
    _assert_shows(w, decode, encode(images[7:8])[0])
    np.testing.assert_allclose([s.value for s in w.sliders], encode(images[7:8])[0], atol=1e-6)
    # the reconstruction of a real digit looks like it: closer to it than to another digit
    assert np.mean((w.image - images[7]) ** 2) < np.mean((w.image - images[8]) ** 2)

    w.reset_button.click()
    _assert_shows(w, decode, np.zeros(5))
    assert all(s.value == 0 for s in w.sliders)


def test_data_ranges_and_data_prior(mnist, codec):
    images, _ = mnist
    encode, decode = codec
    codes = encode(images)
    w = widgets.latent_sliders(decode, 5, encode=encode, images=images, prior="data")
    for j, s in enumerate(w.sliders):
        assert s.min <= np.percentile(codes[:, j], 0.5) and s.max >= np.percentile(codes[:, j], 99.5)
        assert s.min <= 0 <= s.max
    draws = np.stack([w.sample_prior() for _ in range(200)])
    np.testing.assert_allclose(draws.std(axis=0), codes.std(axis=0), rtol=0.25)


def test_with_a_step_codes_set_from_python_are_on_the_slider_grid(mnist, codec):
    images, _ = mnist
    encode, decode = codec
    w = widgets.latent_sliders(decode, 5, encode=encode, images=images, step=0.05)
    for s in w.sliders:  # grid = multiples of the step: 0 is on it, the range covers the data
        assert s.step == 0.05 and abs(s.min / 0.05 - round(s.min / 0.05)) < 1e-4
    assert all(s.value == 0 for s in w.sliders)
    z = w.start_from_digit(3)
    np.testing.assert_allclose(z, np.round(encode(images[3:4])[0] / 0.05) * 0.05, atol=1e-6)
    np.testing.assert_allclose([s.value for s in w.sliders], z, atol=1e-6)
    _assert_shows(w, decode, z)
    exact = widgets.latent_sliders(decode, 5, encode=encode, images=images)
    np.testing.assert_allclose(exact.start_from_digit(3), encode(images[3:4])[0], atol=1e-5)
    with pytest.raises(ValueError, match="step must be a positive number or None"):
        widgets.latent_sliders(decode, 5, step=0)


def test_codes_outside_the_slider_range_widen_it(codec):
    _, decode = codec
    w = widgets.latent_sliders(decode, 5, ranges=(-1, 1))
    w.set_code([4.0, -5.0, 0, 0, 0])
    assert w.sliders[0].max >= 4.0 and w.sliders[0].value == 4.0
    assert w.sliders[1].min <= -5.0 and w.sliders[1].value == -5.0
    _assert_shows(w, decode, [4.0, -5.0, 0, 0, 0])


def test_many_dims_show_k_sliders_and_a_dims_chooser(mnist, codec):
    images, _ = mnist
    encode, decode = codec
    w = widgets.latent_sliders(decode, 5, encode=encode, images=images, max_sliders=2)
    assert len(w.sliders) == 2
    names = [name for name, _ in w.dims_chooser.options]
    assert names[0] == "the 2 most varied dims"
    assert [dims for _, dims in w.dims_chooser.options[1:]] == [(0, 1), (2, 3), (3, 4)]
    most_varied = tuple(np.argsort(-encode(images).std(axis=0))[:2])
    assert w.dims_chooser.value == most_varied and tuple(w.slider_dims) == most_varied
    w.set_code([0.1, 0.2, 0.3, 0.4, 0.5])
    w.dims_chooser.value = (2, 3)
    assert w.slider_dims == [2, 3]
    assert [s.description for s in w.sliders] == ["z[2]", "z[3]"]
    np.testing.assert_allclose([s.value for s in w.sliders], [0.3, 0.4], atol=1e-6)
    w.sliders[1].value = -1.0  # now moves dim 3
    _assert_shows(w, decode, [0.1, 0.2, 0.3, -1.0, 0.5])
    w.dims_chooser.value = (3, 4)
    assert w.slider_dims == [3, 4] and w.sliders[1].description == "z[4]"
    np.testing.assert_allclose([s.value for s in w.sliders], [-1.0, 0.5], atol=1e-6)
    with pytest.raises(ValueError, match="2 different dims"):
        w.show_dims([1, 1])


def test_decoder_errors_are_shown_not_lost(codec):
    _, decode = codec
    calls = {"n": 0}

    def flaky(z):
        calls["n"] += 1
        return decode(z) if z[0, 0] < 2 else np.full((1, 28, 28), np.nan)

    w = widgets.latent_sliders(flaky, 5)
    good = w.image_widget.grey
    w.sliders[0].value = 2.5
    assert "NaN" in w._status.value and np.array_equal(w.image_widget.grey, good)
    w.sliders[0].value = 1.0
    assert w._status.value == ""
    _assert_shows(w, decode, [1.0, 0, 0, 0, 0])


@pytest.mark.parametrize("args, kwargs, err, words", [
    (("not callable", 2), {}, TypeError, "decode: expected a callable"),
    ((None, 0), {}, TypeError, "callable"),
    ((lambda z: z, 0), {}, ValueError, "latent_dim must be a positive int"),
    ((lambda z: np.zeros((len(z), 28, 28)), 2), {"max_sliders": 0}, ValueError, "max_sliders"),
    ((lambda z: np.zeros((len(z), 28, 28)), 2), {"encode": lambda x: x}, ValueError, "without images"),
    ((lambda z: np.zeros((len(z), 28, 28)), 2), {"ranges": (1, -1)}, ValueError, "ranges"),
    ((lambda z: np.zeros((len(z), 28, 28)), 2), {"ranges": "data"}, ValueError, "needs encode"),
    ((lambda z: np.zeros((len(z), 28, 28)), 2), {"prior": "uniform"}, ValueError, "prior"),
    ((lambda z: np.zeros((2, 28, 28)), 2), {}, ValueError, "one image back"),
    ((lambda z: np.zeros((1, 28, 28, 3)), 2), {}, ValueError, "expected a stack of images"),
])
def test_latent_sliders_reject_bad_input(args, kwargs, err, words):
    with pytest.raises(err, match=words):
        widgets.latent_sliders(*args, **kwargs)


def test_set_code_rejects_wrong_length(codec):
    w = widgets.latent_sliders(codec[1], 5)
    with pytest.raises(ValueError, match=r"\(N, 5\)"):
        w.set_code([1.0, 2.0])
    with pytest.raises(ValueError, match="dim must be in 0..4"):
        w.set_dim(5, 1.0)
    with pytest.raises(RuntimeError, match="needs encode"):
        w.start_from_digit(0)


# ---------------------------------------------------------------- decoding in the browser

@pytest.fixture(scope="module")
def vae_16d():
    from aelab import pretrained

    return pretrained.numpy_model("vae_16d")


def _numbers(widget, spec, what: str) -> np.ndarray:
    """The float32 numbers of one layer's ``what`` ("weight" or "bias") in the widget's buffer."""
    numbers = np.frombuffer(widget.weights, "<f4")
    size = int(np.prod(spec["weight_shape"])) if what == "weight" else spec["bias_size"]
    return numbers[spec[what]:spec[what] + size]


def test_browser_decoder_sends_the_layers_once_as_float32_buffers(vae_16d, monkeypatch):
    from ipywidgets.widgets.widget import _remove_buffers

    w = widgets.latent_sliders(vae_16d.decode, 16, browser_decoder=vae_16d)
    dec = w.image_widget
    assert type(dec).__name__ == "DecoderImage" and "aelab-latent-image" in dec._dom_classes
    layers = vae_16d.decoder_layers()
    assert [spec["op"] for spec in dec.layers] == [layer[0] for layer in layers]
    shapes = [tuple(spec["output_shape"]) for spec in dec.layers]
    assert shapes[0] == (256,) and shapes[4] == (48, 7, 7) and shapes[-1] == (1, 28, 28)
    assert dec.layers[0]["input_shape"] == [16] and (dec.height, dec.width) == (28, 28)
    for spec, layer in zip(dec.layers, layers):   # the buffer holds exactly the model's arrays
        if len(layer) == 3:
            assert spec["weight_shape"] == list(layer[1].shape)
            np.testing.assert_array_equal(_numbers(dec, spec, "weight"), layer[1].ravel())
            np.testing.assert_array_equal(_numbers(dec, spec, "bias"), layer[2])
    total = sum(layer[1].size + layer[2].size for layer in layers if len(layer) == 3)
    assert len(dec.weights) == 4 * total
    # the weights go as one binary buffer (not JSON); the sliders as anywidget references
    state, _, buffers = _remove_buffers(dec.get_state())
    assert "weights" not in state and [len(b) for b in buffers] == [4 * total]
    assert state["sliders"] == [f"anywidget:{s.model_id}" for s in w.sliders]
    assert state["dims"] == list(range(8)) and state["code"] == [0.0] * 16 and state["condition"] == []

    # a drag: the kernel follows the sliders and sends the page nothing
    sent = _sent_messages(dec, monkeypatch)
    renders = w.renders
    w.sliders[3].set_state({"value": 1.25})
    assert sent == [] and w.renders == renders
    expected = np.zeros(16, np.float32)
    expected[3] = 1.25
    np.testing.assert_array_equal(w.code, expected)
    np.testing.assert_allclose(w.image, vae_16d.decode(expected[None])[0], atol=1e-6)
    # a code set from Python, a new choice of dims: one small message each, what changed
    w.set_code(np.arange(16) / 10)
    assert [state for state, _ in sent] == [{"code": list(np.arange(16, dtype=np.float32) / np.float32(10))}]
    w.show_dims(range(8, 16))
    assert len(sent) == 2 and sent[1][0] == {"dims": list(range(8, 16))}
    w.sliders[0].set_state({"value": -2.0})   # now z[8]
    assert len(sent) == 2 and w.code[8] == -2.0
    w.show_dims(range(8))   # the page gets the code of the dims it no longer has sliders for
    assert len(sent) == 3 and set(sent[2][0]) == {"code", "dims"} and sent[2][0]["code"][8] == -2.0
    assert all(len(buffers or []) == 0 for _, buffers in sent), "the weights were sent again"


def test_browser_decoder_of_the_conditional_model_sends_the_label(monkeypatch):
    from aelab import pretrained

    cvae = pretrained.numpy_model("cvae_2d")
    digit = {"label": 7}
    w = widgets.latent_sliders(lambda z: cvae.decode(z, np.full(len(z), digit["label"])), 2,
                               browser_decoder=cvae, label=7)
    assert w.image_widget.condition == [float(i == 7) for i in range(10)]
    assert w.image_widget.layers[0]["input_shape"] == [12]
    sent = _sent_messages(w.image_widget, monkeypatch)
    digit["label"] = 3
    w.set_label(3)
    assert [state for state, _ in sent] == [{"condition": [float(i == 3) for i in range(10)]}]
    np.testing.assert_allclose(w.image, cvae.decode(np.zeros((1, 2), np.float32), np.array([3]))[0], atol=1e-6)
    with pytest.raises(ValueError, match="int 0-9"):
        w.set_label(10)


def test_browser_decoder_rejects_bad_input(vae_16d, codec):
    from aelab import pretrained

    cvae = pretrained.numpy_model("cvae_2d")
    with pytest.raises(TypeError, match="lists its decoder's layers"):
        widgets.latent_sliders(vae_16d.decode, 16, browser_decoder=vae_16d.decode)
    with pytest.raises(ValueError, match="16 numbers, latent_dim is 2"):
        widgets.latent_sliders(vae_16d.decode, 2, browser_decoder=vae_16d)
    with pytest.raises(ValueError, match="needs the label"):
        widgets.latent_sliders(lambda z: cvae.decode(z, np.zeros(len(z), int)), 2, browser_decoder=cvae)
    with pytest.raises(TypeError, match="not conditional"):
        widgets.latent_sliders(vae_16d.decode, 16, browser_decoder=vae_16d, label=3)
    with pytest.raises(TypeError, match="label= is the label"):
        widgets.latent_sliders(vae_16d.decode, 16, label=3)
    with pytest.raises(ValueError, match="disagree"):   # another decoder than the one the page runs
        widgets.latent_sliders(lambda z: 1 - vae_16d.decode(z), 16, browser_decoder=vae_16d)
    with pytest.raises(RuntimeError, match="conditional browser_decoder"):
        widgets.latent_sliders(vae_16d.decode, 16, browser_decoder=vae_16d).set_label(1)


@pytest.mark.parametrize("layers, words", [
    ([], "non-empty list"),
    ([("softmax",)], "op one of"),
    ([("dense", np.zeros((3, 4), np.float32), np.zeros(4, np.float32))], r"weight \(2, out\)"),
    ([("dense", np.zeros((2, 784), np.int32), np.zeros(784, np.float32))], "finite floats"),
    ([("dense", np.full((2, 784), np.nan, np.float32), np.zeros(784, np.float32))], "finite floats"),
    ([("dense", np.zeros((2, 784), np.float32))], "expects .op, weight, bias."),
    ([("relu", 1)], "takes no arguments"),
    ([("silu", 1)], "takes no arguments"),
    ([("reshape", (3, 7))], "cannot reshape"),
    ([("conv_transpose", np.zeros((2, 1, 4, 4), np.float32), np.zeros(1, np.float32))], r"input \(2,\)"),
    ([("dense", np.zeros((2, 10), np.float32), np.zeros(10, np.float32))], "one square grey image"),
])
def test_decoder_spec_rejects_bad_layers(layers, words):
    with pytest.raises((TypeError, ValueError), match=words):
        widgets._decoder_spec(layers, 2)


def test_decoder_image_front_end_decodes_the_slider_models():
    esm = widgets._DECODER_IMAGE_ESM
    assert "export default" in esm and "host.getModel" in esm and 'on("change:value"' in esm
    assert "putImageData" in esm and "dataset.frame" in esm   # the draw counter tests and benchmarks read


# ---------------------------------------------------------------- interpolation

def test_interpolation_walks_from_one_code_to_the_other(mnist, codec):
    images, _ = mnist
    encode, decode = codec
    w = widgets.interpolation_widget(decode, encode, images, labels=mnist[1], a=3, b=10)
    assert w.a_caption.value == f"<center>from #3, label {mnist[1][3]}</center>"
    za, zb = encode(images[[3]])[0], encode(images[[10]])[0]
    _assert_shows(w, decode, za)
    w.t_slider.value = 1.0
    _assert_shows(w, decode, zb)
    w.set_t(0.25)
    _assert_shows(w, decode, 0.75 * za + 0.25 * zb)
    w.set_t(0.3333)  # rounded to the slider's grid of 100 steps, as the browser would
    assert w.t == 0.33
    np.testing.assert_allclose(_shown(w.a_widget), images[3], atol=ONE_GREY_LEVEL)
    w.b_index.value = 11  # a new end digit, same t
    _assert_shows(w, decode, 0.67 * za + 0.33 * encode(images[[11]])[0])
    with pytest.raises(ValueError, match=r"t must be in \[0, 1\]"):
        w.set_t(1.5)


def test_interpolation_slerp_and_bad_input(mnist, codec):
    images, _ = mnist
    encode, decode = codec
    w = widgets.interpolation_widget(decode, encode, images, method="slerp")
    w.set_t(0.5)
    za, zb = encode(images[:2])
    omega = np.arccos(np.dot(za, zb) / np.linalg.norm(za) / np.linalg.norm(zb))
    expected = (np.sin(0.5 * omega) * (za + zb)) / np.sin(omega)
    _assert_shows(w, decode, expected)
    with pytest.raises(ValueError, match="'linear' or 'slerp'"):
        widgets.interpolation_widget(decode, encode, images, method="cubic")
    with pytest.raises(TypeError, match="encode: expected a callable"):
        widgets.interpolation_widget(decode, None, images)
    with pytest.raises(ValueError, match="image indices"):
        widgets.interpolation_widget(decode, encode, images, b=10_000)


# ---------------------------------------------------------------- noise

def test_noise_widget_shows_clean_noisy_and_model_output(mnist, codec):
    images, _ = mnist
    encode, decode = codec

    def denoise(noisy):
        return decode(encode(noisy))

    w = widgets.noise_widget(denoise, images, level=0.0, index=4)
    np.testing.assert_allclose(w.clean, images[4])
    np.testing.assert_allclose(w.noisy, images[4], atol=1e-6)  # gaussian at level 0
    w.set_level(0.2)
    assert w.level_slider.value == pytest.approx(0.2)
    noisy_02 = w.noisy.copy()
    np.testing.assert_allclose(w.output, denoise(noisy_02[None])[0], atol=1e-6)
    np.testing.assert_allclose(_shown(w.noisy_widget), noisy_02,
                               atol=ONE_GREY_LEVEL)
    np.testing.assert_allclose(_shown(w.output_widget), w.output,
                               atol=ONE_GREY_LEVEL)
    w.set_level(0.4)  # same pattern, twice the amplitude where nothing was clipped
    inside = (noisy_02 > 0) & (noisy_02 < 1) & (w.noisy > 0) & (w.noisy < 1)
    np.testing.assert_allclose((w.noisy - images[4])[inside], 2 * (noisy_02 - images[4])[inside], atol=1e-5)
    before = w.noisy.copy()
    w.new_noise_button.click()
    assert not np.allclose(w.noisy, before)
    assert w.noises == noise.NOISES  # the default: the corruptions of lesson 04
    w.set_noise("block mask")
    assert np.all((w.noisy == 0) | (w.noisy == images[4]))
    w.set_index(5)
    np.testing.assert_allclose(w.clean, images[5])
    with pytest.raises(ValueError, match="expected one of"):
        w.set_noise("speckle")


def test_noise_widget_takes_lesson_noise_functions_and_flat_images(mnist):
    images, _ = mnist
    flat = images[:10].reshape(10, 784)
    seen = {}

    def invert(x, level, rng):
        seen["shape"] = x.shape
        return (1 - level) * x + level * (1 - x)

    w = widgets.noise_widget(lambda x: x, flat, noises={"invert": invert}, level=1.0)
    assert seen["shape"] == (1, 784)
    np.testing.assert_allclose(w.noisy, 1 - images[0], atol=1e-6)
    np.testing.assert_allclose(w.output, 1 - images[0], atol=1e-6)


def test_noise_widget_rejects_bad_input_and_reports_bad_noise(mnist):
    images, _ = mnist
    with pytest.raises(ValueError, match="empty"):
        widgets.noise_widget(lambda x: x, images, noises={})
    with pytest.raises(TypeError, match="noise\\(images, level, rng\\)"):
        widgets.noise_widget(lambda x: x, images, noises={"bad": 3})
    with pytest.raises(ValueError, match="level_range"):
        widgets.noise_widget(lambda x: x, images, level=2.0)
    with pytest.raises(ValueError, match="expected output shape"):
        widgets.noise_widget(lambda x: x, images, noises={"crop": lambda x, lv, rng: x[:, :10]})
    w = widgets.noise_widget(lambda x: x, images, noises={
        "ok": noise.gaussian_noise, "crop": lambda x, lv, rng: x[:, :10]})
    w.set_noise("crop")
    assert "expected output shape" in w._status.value


# ---------------------------------------------------------------- framework adapters

_FRAMEWORK_SCRIPT = """
import json, sys, numpy as np, aelab
aelab.setup({fw!r}, seed=0, verbose=False)
from aelab import widgets, {support} as support
from aelab.data import load_mnist
sys.path.insert(0, {fixtures!r})
import tiny_decoder_{fw} as tiny
images, labels = load_mnist("test", size=300)
encoder, decoder = tiny.pca_codec(images, 4)
decode, encode = support.numpy_function(decoder), support.numpy_function(encoder)
w = widgets.latent_sliders(decode, 4, encode=encode, images=images)
out = {{"zero": w.image.tolist()}}
w.sliders[1].value = 1.25
out["moved"] = w.image.tolist(); out["moved_shown"] = (w.image_widget.grey / 255).tolist()
w.start_from_digit(2)
out["digit_code"] = w.code.tolist()
i = widgets.interpolation_widget(decode, encode, images, a=0, b=1); i.set_t(0.5)
out["interp_code"] = i.code.tolist()
n = widgets.noise_widget(lambda x: decode(encode(x)), images, level=0.3)
out["noise_output"] = n.output.tolist()
for name in ("mlp_decoder", "conv_decoder"):
    wd = widgets.latent_sliders(support.numpy_function(getattr(tiny, name)(2)), 2)
    wd.sliders[0].value = 1.0
    out[name] = [wd.image.shape, float(wd.image.min()), float(wd.image.max())]
if {fw!r} == "torch":  # a training model is decoded in eval mode, and left training
    import torch
    net = torch.nn.Sequential(torch.nn.Linear(2, 784), torch.nn.Dropout(0.5)).train()
    f = support.numpy_function(net)
    z = np.ones((2, 2), np.float32)
    out["eval_mode_ok"] = bool(np.array_equal(f(z), f(z)) and net.training)
else:  # the compiled Keras call agrees with the eager one
    m = tiny.conv_decoder(2)
    z = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    out["eval_mode_ok"] = bool(np.allclose(support.numpy_function(m)(z),
                                           support.numpy_function(m, compiled=False)(z), atol=1e-6))
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.parametrize("fw, support", [("torch", "torch_support"), ("keras", "keras_support")])
def test_widgets_work_with_framework_decoders(fw, support, mnist, codec):
    """The same PCA codec as a PyTorch / Keras model behaves like the numpy one, in a subprocess."""
    code = textwrap.dedent(_FRAMEWORK_SCRIPT.format(fw=fw, support=support,
                                                    fixtures=str(Path(__file__).parent / "fixtures")))
    env = {"AELAB_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    import os

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env=os.environ | env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    images, _ = load_mnist("test", size=300)
    w = fit_pca_codec(images, 4)

    def decode(z):
        return np.clip(np.asarray(z) @ w["decoder_weight"] + w["mean"], 0, 1).reshape(-1, 28, 28)

    def encode(x):
        return (x.reshape(len(x), -1) - w["mean"]) @ w["encoder_weight"]

    np.testing.assert_allclose(out["zero"], decode(np.zeros((1, 4)))[0], atol=1e-5)
    np.testing.assert_allclose(out["moved"], decode(np.array([[0, 1.25, 0, 0]]))[0], atol=1e-5)
    np.testing.assert_allclose(out["moved_shown"], out["moved"], atol=ONE_GREY_LEVEL + 1e-5)
    np.testing.assert_allclose(out["digit_code"], encode(images[2:3])[0], atol=1e-4)
    np.testing.assert_allclose(out["interp_code"], encode(images[:2]).mean(axis=0), atol=1e-4)
    assert np.array(out["noise_output"]).shape == (28, 28)
    assert out["eval_mode_ok"]
    for name in ("mlp_decoder", "conv_decoder"):
        shape, lo, hi = out[name]
        assert tuple(shape) == (28, 28) and 0.0 <= lo < hi <= 1.0


def test_widened_range_reaches_the_browser_before_the_value(monkeypatch):
    """A code outside the slider range: the new range is sent in a message before the value."""
    codes = np.array([[0.0, 0.0], [-4.05, 1.0]], np.float32)
    w = widgets.latent_sliders(lambda z: np.zeros((len(z), 28, 28), np.float32), 2,
                               encode=lambda images: codes[: len(images)],
                               images=np.zeros((2, 28, 28), np.float32), ranges=(-3, 3))
    sent = []
    for slider in w.sliders:
        monkeypatch.setattr(slider, "send_state",
                            lambda key=None, s=slider: sent.append((s.description, s.get_state(key))))
    w.start_from_digit(1)
    first_dim = [state for name, state in sent if name == "z[0]"]
    range_at = next(i for i, state in enumerate(first_dim) if "min" in state)
    value_at = next(i for i, state in enumerate(first_dim) if state.get("value") == pytest.approx(-4.05))
    assert first_dim[range_at]["min"] <= -4.05
    assert range_at < value_at, "range and value were sent together: the browser would clamp the value"
    assert w.sliders[0].value == pytest.approx(-4.05) and w.code[0] == pytest.approx(-4.05)
