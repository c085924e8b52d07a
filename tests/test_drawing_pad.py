"""aelab.widgets.mnist_style and the drawing pad, without a browser (tests/test_browser_drawing_pad.py
drives it with a mouse)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from skimage.transform import resize

from aelab import widgets
from aelab.data import load_mnist


def _redraw(image, rng, size=112, canvas=160):
    """A test digit as a student might draw it: larger, somewhere on a bigger canvas."""
    big = resize(image, (size, size), order=1)
    out = np.zeros((canvas, canvas), np.float32)
    top, left = rng.integers(0, canvas - size, 2)
    out[top:top + size, left:left + size] = big
    return out


def test_a_redrawn_test_digit_stays_close_to_itself():
    x, _ = load_mnist("test", size=500)
    rng = np.random.default_rng(0)
    redrawn = np.stack([widgets.mnist_style(_redraw(im, rng)) for im in x])
    errors = ((redrawn - x) ** 2).mean(axis=(1, 2))
    assert np.median(errors) < 0.02
    # each redrawn digit's nearest test digit is itself, nearly always
    flat, ref = redrawn.reshape(len(x), -1), x.reshape(len(x), -1)
    d = (flat ** 2).sum(1)[:, None] - 2 * flat @ ref.T + (ref ** 2).sum(1)[None, :]
    assert np.mean(d.argmin(axis=1) == np.arange(len(x))) > 0.95


def test_box_aspect_ratio_and_centre_of_mass():
    drawing = np.zeros((200, 300), np.float32)
    drawing[50:150, 20:70] = 1.0  # 100 x 50 block, off centre
    digit = widgets.mnist_style(drawing)
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    ink = digit > 0.5
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    assert rows[-1] - rows[0] + 1 == 20 and cols[-1] - cols[0] + 1 == 10
    cy, cx = ndimage.center_of_mass(digit)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert 0.0 <= digit.min() and digit.max() <= 1.0


def test_the_same_drawing_anywhere_and_any_size_gives_the_same_digit():
    x, _ = load_mnist("test", size=3)
    rng = np.random.default_rng(1)
    a = widgets.mnist_style(_redraw(x[0], rng, size=112))
    b = widgets.mnist_style(_redraw(x[0], rng, size=112))
    np.testing.assert_allclose(a, b, atol=1e-6)
    c = widgets.mnist_style(_redraw(x[0], rng, size=140))
    assert np.mean((a - c) ** 2) < 0.01


def test_an_empty_drawing_gives_an_empty_digit():
    assert not widgets.mnist_style(np.zeros((50, 50))).any()


@pytest.mark.parametrize("bad, error, words", [
    (np.zeros((2, 28, 28)), ValueError, "shape (H, W)"),
    (np.full((28, 28), 2.0), ValueError, "in [0, 1]"),
    (np.full((28, 28), np.nan), ValueError, "finite"),
    (np.array([["a"]]), TypeError, "real numbers"),
])
def test_mnist_style_rejects_bad_drawings(bad, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        widgets.mnist_style(bad)


# --------------------------------------------------------------------------- the pad

def _stroke_drawing():
    d = np.zeros((112, 112), np.float32)
    d[15:97, 52:60] = 1.0
    return d


@pytest.fixture(scope="module")
def model():
    from sklearn.decomposition import PCA

    x, y = load_mnist("train", size=2000)
    pca = PCA(20, random_state=0).fit(x.reshape(len(x), -1))

    def reconstruct(a):
        return pca.inverse_transform(pca.transform(np.reshape(a, (len(a), -1)))).reshape(len(a), 28, 28)

    def encode(a):
        return pca.transform(np.reshape(a, (len(a), -1)))[:, :2]

    def score(a, output):
        return ((np.reshape(output, (len(a), -1)) - np.reshape(a, (len(a), -1))) ** 2).mean(axis=1)

    return dict(reconstruct=reconstruct, encode=encode, score=score, codes=encode(x), labels=y)


def test_pad_shows_the_digit_and_the_models_output(model):
    pad = widgets.drawing_pad(model["reconstruct"])
    assert "Draw a digit" in pad.readout.value and not pad.input_widget.grey.any()
    pad.set_drawing(_stroke_drawing())
    digit = widgets.mnist_style(pad.drawing)
    np.testing.assert_array_equal(pad.digit, digit)
    np.testing.assert_allclose(pad.output, model["reconstruct"](digit[None])[0], atol=1e-6)
    np.testing.assert_array_equal(pad.output_widget.grey, widgets._grey_levels(pad.output))
    np.testing.assert_array_equal(pad.input_widget.grey, widgets._grey_levels(digit))
    mse = float(np.mean((pad.output - digit) ** 2))
    assert f"reconstruction error (MSE): {mse:.4f}" in pad.readout.value


def test_pad_passes_the_layout_the_model_takes(model):
    seen = []

    def reconstruct(x):
        seen.append(x.shape)
        return model["reconstruct"](x)

    widgets.drawing_pad(reconstruct, input_shape=(1, 28, 28)).set_drawing(_stroke_drawing())
    assert seen[-1] == (1, 1, 28, 28)


def test_pad_names_the_nearest_digits_and_marks_the_map(model):
    pad = widgets.drawing_pad(model["reconstruct"], encode=model["encode"], codes=model["codes"],
                              labels=model["labels"])
    assert pad.map is not None and pad.map.background.startswith(b"\x89PNG")
    assert pad.map.marker == []
    pad.set_drawing(_stroke_drawing())
    assert pad.nearest_label == 1 and "mostly <b>1</b>s" in pad.readout.value
    np.testing.assert_allclose(pad.code, model["encode"](pad.digit[None])[0], atol=1e-5)
    x, y = pad._map_axes.transData.transform(pad.code)
    assert pad.map.marker == pytest.approx([x, pad._map_height - y])


def test_the_latent_map_leaves_the_notebooks_matplotlib_backend_alone(model):
    import matplotlib

    before = matplotlib.get_backend()
    matplotlib.use("svg")   # any backend other than Agg, as a notebook's inline one is
    try:
        widgets.drawing_pad(model["reconstruct"], encode=model["encode"], codes=model["codes"],
                            labels=model["labels"])
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)


def test_pad_compares_the_score_with_the_threshold(model):
    digit = widgets.mnist_style(_stroke_drawing())
    s = float(model["score"](digit[None], model["reconstruct"](digit[None]))[0])
    low = widgets.drawing_pad(model["reconstruct"], score=model["score"], threshold=s * 2)
    low.set_drawing(_stroke_drawing())
    assert low.score == pytest.approx(s) and "looks normal" in low.readout.value
    high = widgets.drawing_pad(model["reconstruct"], score=model["score"], threshold=s / 2)
    high.set_drawing(_stroke_drawing())
    assert "above the threshold" in high.readout.value and "flagged as unusual" in high.readout.value


@pytest.mark.parametrize("input_shape", [(784,), (1, 28, 28)])
def test_the_score_comes_from_the_pads_own_reconstruction(model, input_shape):
    calls, seen = [], []

    def reconstruct(x):
        calls.append(x.shape)
        return model["reconstruct"](x).reshape(x.shape)

    def score(x, output):
        seen.append((x.copy(), np.array(output)))
        return model["score"](x, output)

    pad = widgets.drawing_pad(reconstruct, input_shape=input_shape, score=score, threshold=1.0)
    calls.clear(), seen.clear()
    pad.set_drawing(_stroke_drawing())
    assert calls == [(1, *input_shape)]   # the model ran once for this drawing, not once more for the score
    (x, output), = seen
    assert output.shape == x.shape == (1, *input_shape)   # the output in the layout of the input
    np.testing.assert_array_equal(x.reshape(28, 28), pad.digit)
    np.testing.assert_allclose(output.reshape(28, 28), pad.output, atol=1e-6)
    assert pad.score == pytest.approx(float(np.mean((pad.output - pad.digit) ** 2)), rel=1e-5)
    pad.clear()
    assert len(calls) == 2 and len(seen) == 2   # clearing is one more update: one more call each


def test_a_corrupting_pad_shows_the_models_input_and_compares_with_the_clean_digit(model):
    seen = {}

    def corrupt(x):
        seen["corrupt"] = x.copy()
        return np.clip(x + 0.3 * np.random.default_rng(0).standard_normal(x.shape), 0, 1)

    def reconstruct(x):
        seen["reconstruct"] = x.copy()
        return model["reconstruct"](x)

    pad = widgets.drawing_pad(reconstruct, corrupt=corrupt, encode=model["encode"],
                              score=lambda x, out: model["score"](x, out), input_shape=(1, 28, 28))
    pad.set_drawing(_stroke_drawing())
    digit = widgets.mnist_style(pad.drawing)
    np.testing.assert_array_equal(seen["corrupt"].reshape(28, 28), digit)   # the clean digit goes in
    noisy = corrupt(digit[None, None]).reshape(28, 28)
    np.testing.assert_allclose(pad.corrupted, noisy, atol=1e-6)   # shown between digit and output
    np.testing.assert_array_equal(pad.corrupted_widget.grey, widgets._grey_levels(noisy))
    np.testing.assert_allclose(seen["reconstruct"].reshape(28, 28), noisy, atol=1e-6)   # the model gets it
    np.testing.assert_allclose(pad.output, model["reconstruct"](noisy[None])[0], atol=1e-5)
    np.testing.assert_allclose(pad.code, model["encode"](noisy[None])[0], atol=1e-5)
    out_error, in_error = np.mean((pad.output - digit) ** 2), np.mean((noisy - digit) ** 2)
    assert pad.score == pytest.approx(out_error, rel=1e-5)   # the score compares with the clean digit
    assert f"the model's output {out_error:.4f}, its corrupted input {in_error:.4f}" in pad.readout.value
    assert widgets.drawing_pad(model["reconstruct"]).corrupted_widget is None


def test_a_corrupt_that_changes_the_shape_is_reported(model):
    with pytest.raises(ValueError, match=r"corrupt: expected finite images of the shape it was given, "
                                         r"\(1, 28, 28\), got \(1, 28, 27\)"):
        widgets.drawing_pad(model["reconstruct"], corrupt=lambda x: x[..., :27])


def test_the_drawing_is_not_echoed_back_to_the_browser(model):
    """ipywidgets 8 sends every trait a front end sets straight back ("echo_update"): for the
    drawing that is the whole canvas on every pointer move, for nothing."""
    pad = widgets.drawing_pad(model["reconstruct"])
    sent = []
    pad.canvas._send = lambda msg, buffers=None: sent.append(msg)
    pad.canvas.set_state({"drawing": widgets._grey_levels(_stroke_drawing()).tobytes()})
    assert pad.digit.any()   # received and drawn
    assert not [m for m in sent if m.get("method") == "echo_update"]
    pad.canvas.set_state({"pen": 12.0})   # the other traits are echoed as usual
    assert [m["state"] for m in sent if m.get("method") == "echo_update"] == [{"pen": 12.0}]


def test_clear_and_send_to_sliders(model):
    decode = lambda z: np.zeros((len(z), 28, 28), np.float32)
    sliders = widgets.latent_sliders(decode, 2, ranges=(-20, 20))
    pad = widgets.drawing_pad(model["reconstruct"], encode=model["encode"], sliders=sliders)
    pad.set_drawing(_stroke_drawing())
    code = pad.send_to_sliders()
    np.testing.assert_allclose(sliders.code, code, atol=1e-6)
    count = pad.canvas.clear_count
    pad.clear()
    assert pad.canvas.clear_count == count + 1 and not pad.digit.any()
    assert "Draw a digit" in pad.readout.value


def test_a_failing_model_shows_its_error_and_keeps_the_last_image(model):
    calls = []

    def reconstruct(x):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("boom")
        return model["reconstruct"](x)

    pad = widgets.drawing_pad(reconstruct)
    before = pad.output_widget.grey
    pad.set_drawing(_stroke_drawing())
    assert "RuntimeError: boom" in pad._status.value
    np.testing.assert_array_equal(pad.output_widget.grey, before)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(reconstruct="model"), TypeError, "reconstruct: expected a callable"),
    (dict(input_shape=(28, 29)), ValueError, "input_shape"),
    (dict(threshold=0.1), ValueError, "threshold was given without score"),
    (dict(codes=np.zeros((3, 2))), ValueError, "codes and labels go together"),
    (dict(sliders=object(), encode=lambda x: x), TypeError, "LatentSliders"),
    (dict(corrupt=0.5), TypeError, "corrupt: expected a callable"),
])
def test_pad_rejects_bad_arguments(kwargs, error, words):
    args = dict(reconstruct=lambda x: x)
    args.update(kwargs)
    with pytest.raises(error, match=words):
        widgets.drawing_pad(args.pop("reconstruct"), **args)
