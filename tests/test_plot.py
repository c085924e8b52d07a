"""aelab.plot on real MNIST subsets: check what was drawn (axes, image data, labels, points)."""

from __future__ import annotations

import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from aelab import plot  # noqa: E402
from aelab.data import load_mnist  # noqa: E402
from tiny_decoder_pca import fit_pca_codec  # noqa: E402  (tests/fixtures)


@pytest.fixture(scope="module")
def mnist():
    images, labels = load_mnist("test", size=400)
    return images, labels


@pytest.fixture(scope="module")
def codec(mnist):
    """Whitened 3-dim PCA codes of the images, and the matching numpy decoder."""
    images, _ = mnist
    w = fit_pca_codec(images, 3)
    codes = (images.reshape(len(images), -1) - w["mean"]) @ w["encoder_weight"]

    def decode(z):
        return np.clip(np.asarray(z) @ w["decoder_weight"] + w["mean"], 0, 1).reshape(-1, 28, 28)

    return codes.astype(np.float32), decode


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _shown(ax) -> np.ndarray:
    return np.asarray(ax.images[0].get_array())


# ---------------------------------------------------------------- image_grid

def test_image_grid_draws_each_image_with_its_caption(mnist):
    images, labels = mnist
    fig = plot.image_grid(images[:12], captions=[f"label {y}" for y in labels[:12]], ncols=5,
                          title="twelve digits", size=1.0)
    assert len(fig.axes) == 15  # 3 rows of 5, last three switched off
    for i, ax in enumerate(fig.axes[:12]):
        np.testing.assert_array_equal(_shown(ax), images[i])
        assert ax.get_xlabel() == f"label {labels[i]}"
    assert all(not ax.axison for ax in fig.axes[12:])
    assert fig._suptitle.get_text() == "twelve digits"


def test_image_grid_accepts_flat_images(mnist):
    images, _ = mnist
    fig = plot.image_grid(images[:3].reshape(3, 784))
    np.testing.assert_array_equal(_shown(fig.axes[2]), images[2])


@pytest.mark.parametrize("bad, err, words", [
    (np.zeros((3, 28)), ValueError, "not square"),
    (np.zeros((28, 28, 3, 3)), ValueError, "expected a stack of images"),
    (np.full((2, 28, 28), np.nan), ValueError, "NaN"),
    (np.array([["a"] * 784]), TypeError, "expected numbers"),
    ("digits.png", TypeError, "expected a numpy array"),
])
def test_image_grid_rejects_bad_images(bad, err, words):
    with pytest.raises(err, match=words):
        plot.image_grid(bad)


def test_image_grid_rejects_wrong_number_of_captions(mnist):
    with pytest.raises(ValueError, match="expected 4 captions"):
        plot.image_grid(mnist[0][:4], captions=["a", "b"])


# ---------------------------------------------------------------- reconstructions

def test_reconstructions_one_named_row_per_model(mnist, codec):
    images, labels = mnist
    codes, decode = codec
    rec = decode(codes[:20])
    noisy = np.clip(images[:20] + 0.25, 0, 1)
    # rows in their own layouts: channels first, flat, (N, H, W)
    fig = plot.reconstructions(images[:20, None], {"noisy input": noisy.reshape(20, 784), "PCA-3": rec},
                               n=6, labels=labels[:20], errors=True, title="PCA with 3 components")
    assert len(fig.axes) == 18
    for c in range(6):
        np.testing.assert_array_equal(_shown(fig.axes[c]), images[c])
        np.testing.assert_allclose(_shown(fig.axes[6 + c]), noisy[c], atol=1e-6)
        np.testing.assert_allclose(_shown(fig.axes[12 + c]), rec[c], atol=1e-6)
        assert fig.axes[c].get_xlabel() == f"label {labels[c]}"
        for row, shown in ((1, noisy), (2, rec)):
            mse = np.mean((shown[c] - images[c]) ** 2)
            assert fig.axes[6 * row + c].get_xlabel() == f"MSE {mse:.4f}"
    assert [fig.axes[r * 6].get_ylabel() for r in range(3)] == ["original", "noisy input", "PCA-3"]
    assert fig._suptitle.get_text() == "PCA with 3 components"


def test_reconstructions_without_noisy_has_two_rows(mnist):
    images, _ = mnist
    fig = plot.reconstructions(images[:4], images[:4].reshape(4, 784))
    assert len(fig.axes) == 8
    assert fig.axes[4].get_ylabel() == "reconstruction"


def test_reconstructions_rejects_mismatched_shapes(mnist):
    images, _ = mnist
    with pytest.raises(ValueError, match="expected the shape of the originals"):
        plot.reconstructions(images[:5], images[:4])
    with pytest.raises(ValueError, match="1-D array of 5 labels"):
        plot.reconstructions(images[:5], images[:5], labels=[1, 2])
    with pytest.raises(ValueError, match="n must be a positive int"):
        plot.reconstructions(images[:5], images[:5], n=0)
    with pytest.raises(ValueError, match="conv AE images: expected the shape of the originals"):
        plot.reconstructions(images[:5], {"PCA": images[:5], "conv AE": images[:3]})
    with pytest.raises(ValueError, match="at least one row"):
        plot.reconstructions(images[:5], {})


# ---------------------------------------------------------------- latent scatter (matplotlib)

def test_latent_scatter_one_colour_per_digit(mnist, codec):
    _, labels = mnist
    codes, _ = codec
    fig = plot.latent_scatter(codes, labels, dims=(0, 2), title="PCA codes")
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("z[0]", "z[2]", "PCA codes")
    assert len(ax.collections) == 10
    tab10 = plt.get_cmap("tab10")
    for digit, coll in enumerate(ax.collections):
        np.testing.assert_allclose(coll.get_offsets(), codes[labels == digit][:, [0, 2]], rtol=1e-6)
        np.testing.assert_allclose(coll.get_facecolor()[0][:3], to_rgba(tab10(digit))[:3])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [str(d) for d in range(10)]


def test_latent_scatter_into_panels_of_a_lesson_figure(mnist, codec):
    _, labels = mnist
    codes, _ = codec
    fig, axes = plt.subplots(1, 2)
    for ax, dims, legend in ((axes[0], (0, 1), False), (axes[1], (1, 2), True)):
        assert plot.latent_scatter(codes, labels, dims=dims, ax=ax, legend=legend, title=f"{dims}") is fig
    assert len(fig.axes) == 2
    assert axes[0].get_legend() is None and axes[1].get_legend() is not None
    assert [(ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) for ax in axes] == [
        ("z[0]", "z[1]", "(0, 1)"), ("z[1]", "z[2]", "(1, 2)")]
    np.testing.assert_allclose(axes[1].collections[3].get_offsets(), codes[labels == 3][:, 1:], rtol=1e-6)


def test_latent_scatter_is_laid_out_when_drawn_so_a_lesson_can_add_to_it(mnist, codec):
    _, labels = mnist
    codes, _ = codec
    fig = plot.latent_scatter(codes / 100 - 5, labels)   # codes far from the origin
    ax = fig.axes[0]
    ax.add_patch(plt.Circle((0, 0), 2, fill=False))       # the prior's 2-sigma circle
    fig.canvas.draw()
    assert ax.get_xlim()[1] > 2 and ax.get_ylim()[1] > 2   # the view grew to show it


def test_latent_scatter_subsamples_stratified(mnist, codec):
    _, labels = mnist
    codes, _ = codec
    fig = plot.latent_scatter(codes, labels, max_points=100)
    counts = [len(c.get_offsets()) for c in fig.axes[0].collections]
    assert sum(counts) == 100 and len(counts) == 10 and min(counts) >= 5
    drawn = np.concatenate([c.get_offsets() for c in fig.axes[0].collections])
    rows = {tuple(r) for r in np.round(codes[:, :2].astype(np.float64), 5)}
    assert all(tuple(p) in rows for p in np.round(np.asarray(drawn, dtype=np.float64), 5))


@pytest.mark.parametrize("codes, labels, err, words", [
    (np.zeros((10, 1)), np.zeros(10, int), ValueError, "at least 2 latent dims"),
    (np.zeros((10, 2)), np.zeros(9, int), ValueError, "1-D array of 10 labels"),
    (np.zeros((10, 2)), np.full(10, 0.5), TypeError, "integer labels"),
    (np.full((10, 2), np.inf), np.zeros(10, int), ValueError, "NaN or infinite"),
    (np.zeros(10), np.zeros(10, int), ValueError, r"expected shape \(N, D\)"),
])
def test_latent_scatter_rejects_bad_input(codes, labels, err, words):
    with pytest.raises(err, match=words):
        plot.latent_scatter(codes, labels)


def test_latent_scatter_rejects_bad_dims(codec, mnist):
    with pytest.raises(ValueError, match="2 different dims"):
        plot.latent_scatter(codec[0], mnist[1], dims=(0, 5))


# ---------------------------------------------------------------- latent scatter (plotly)

def test_interactive_scatter_2d_hover_shows_label_and_index(mnist, codec):
    _, labels = mnist
    codes, _ = codec
    fig = plot.latent_scatter_interactive(codes[:, :2], labels, max_points=150)
    assert [t.type for t in fig.data] == ["scatter"] * 10
    assert sum(len(t.x) for t in fig.data) == 150
    for trace in fig.data:
        digit, index = np.asarray(trace.customdata).T
        assert np.all(digit == int(trace.name)) and np.all(labels[index] == digit)
        np.testing.assert_allclose(trace.x, codes[index, 0], atol=1e-4)
        np.testing.assert_allclose(trace.y, codes[index, 1], atol=1e-4)
        assert "customdata[0]" in trace.hovertemplate and "customdata[1]" in trace.hovertemplate
    assert fig.layout.xaxis.title.text == "z[0]" and fig.layout.yaxis.title.text == "z[1]"
    assert "hover" in fig.layout.title.text


def test_interactive_scatter_is_3d_for_three_dims_and_stays_small(mnist, codec):
    _, labels = mnist
    codes, _ = codec
    fig = plot.latent_scatter_interactive(codes, labels, max_points=200)
    assert {t.type for t in fig.data} == {"scatter3d"}
    assert fig.layout.scene.zaxis.title.text == "z[2]"
    assert len(fig.to_json()) < 60_000  # 200 points, rounded coordinates
    many = np.tile(codes, (30, 1))  # 12,000 codes: still max_points drawn
    big = plot.latent_scatter_interactive(many, np.tile(labels, 30), max_points=500)
    assert sum(len(t.x) for t in big.data) == 500


def test_interactive_scatter_rejects_bad_input(codec):
    with pytest.raises(ValueError, match="labels"):
        plot.latent_scatter_interactive(codec[0], np.zeros(3, int))
    with pytest.raises(ValueError, match="2 or 3 dims"):
        plot.latent_scatter_interactive(codec[0], np.zeros(len(codec[0]), int), dims=(0,))


# ---------------------------------------------------------------- latent manifold

def test_latent_manifold_from_prior_tiles_the_decodings(codec):
    _, decode = codec
    from scipy.stats import norm

    fig = plot.latent_manifold(decode, latent_dim=3, n=6, dims=(0, 1))
    ax = fig.axes[0]
    picture = _shown(ax)
    assert picture.shape == (6 * 28, 6 * 28)
    grid = norm.ppf(np.linspace(0.05, 0.95, 6))
    # bottom-left tile: smallest z0 and smallest z1; top-right: largest of both
    np.testing.assert_allclose(picture[-28:, :28], decode(np.array([[grid[0], grid[0], 0]]))[0], atol=1e-6)
    np.testing.assert_allclose(picture[:28, -28:], decode(np.array([[grid[-1], grid[-1], 0]]))[0], atol=1e-6)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("z[0]", "z[1]")
    assert "prior" in ax.get_title()


def test_latent_manifold_ranges_from_codes_and_explicit(codec):
    codes, decode = codec
    fig = plot.latent_manifold(decode, latent_dim=3, n=4, codes=codes, dims=(2, 0))
    lo, hi = np.percentile(codes[:, 2], [1, 99])
    y_hi = np.percentile(codes[:, 0], 99)
    np.testing.assert_allclose(_shown(fig.axes[0])[:28, -28:], decode(np.array([[y_hi, 0, hi]]))[0], atol=1e-5)
    assert fig.axes[0].get_xlabel() == "z[2]" and "percentile" in fig.axes[0].get_title()
    fig = plot.latent_manifold(decode, latent_dim=3, n=3, ranges=(-1, 1), title="my grid")
    np.testing.assert_allclose(_shown(fig.axes[0])[28:56, 28:56], decode(np.zeros((1, 3)))[0], atol=1e-6)
    assert fig.axes[0].get_title() == "my grid"


@pytest.mark.parametrize("kwargs, err, words", [
    (dict(decode=None), TypeError, "callable"),
    (dict(n=1), ValueError, "n must be an int >= 2"),
    (dict(dims=(0, 0)), ValueError, "two different dims"),
    (dict(ranges=(1, -1)), ValueError, "lo < hi"),
    (dict(decode=lambda z: np.zeros((1, 28, 28))), ValueError, "expected 9 images"),
    (dict(decode=lambda z: np.full((len(z), 28, 28), np.nan)), ValueError, "NaN"),
])
def test_latent_manifold_rejects_bad_input(codec, kwargs, err, words):
    args = dict(decode=codec[1], latent_dim=3, n=3) | kwargs
    decode = args.pop("decode")
    with pytest.raises(err, match=words):
        plot.latent_manifold(decode, **args)


# ---------------------------------------------------------------- training curves

def test_training_curves_from_torch_history_dict():
    history = {"train_loss": [0.30, 0.20, 0.15], "test_loss": [0.32, 0.25, 0.22],
               "train_psnr": [12.0, 14.0, 15.0], "test_psnr": [11.5, 13.0, 14.0]}
    fig = plot.training_curves(history, title="lesson 02")
    assert len(fig.axes) == 2
    loss_ax, psnr_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["train loss", "test loss"]
    np.testing.assert_array_equal(loss_ax.lines[1].get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(loss_ax.lines[1].get_ydata(), [0.32, 0.25, 0.22])
    np.testing.assert_allclose(psnr_ax.lines[0].get_ydata(), [12.0, 14.0, 15.0])
    assert (loss_ax.get_xlabel(), loss_ax.get_ylabel()) == ("epoch", "loss")
    assert psnr_ax.get_ylabel() == "psnr" and "per epoch" in psnr_ax.get_title()
    assert fig._suptitle.get_text() == "lesson 02"


def test_training_curves_from_keras_history_object():
    class History:  # what keras.callbacks.History exposes
        def __init__(self):
            self.history = {"loss": [0.4, 0.3], "val_loss": [0.45, 0.35]}
            self.epoch = [0, 1]

    fig = plot.training_curves(History(), logy=True)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["train loss", "validation loss"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.4, 0.3])
    assert ax.get_yscale() == "log"


def test_training_curves_panels_labels_and_ylabel_chosen_by_the_lesson():
    history = {"loss": [190.0, 170.0, 160.0], "val_loss": [180.0, 168.0, 161.0],
               "val_reconstruction": [160.0, 150.0, 140.0], "val_kl": [5.0, 6.0, 7.0],
               "seconds": [3.1, 3.0, 3.0]}
    fig = plot.training_curves(history, panels={"VAE, 2-D latent": ["loss", "val_loss", "val_reconstruction"],
                                                "test KL term": ["val_kl"]},
                               labels={"val_loss": "test loss", "val_reconstruction": "test reconstruction"},
                               ylabel="nats per image", title=None)
    assert len(fig.axes) == 2 and fig._suptitle is None          # "seconds" is not drawn
    loss_ax, kl_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["train loss", "test loss", "test reconstruction"]
    np.testing.assert_allclose(loss_ax.lines[2].get_ydata(), [160.0, 150.0, 140.0])
    np.testing.assert_allclose(kl_ax.lines[0].get_ydata(), [5.0, 6.0, 7.0])
    assert [(ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes] == [
        ("VAE, 2-D latent", "epoch", "nats per image"), ("test KL term", "epoch", "nats per image")]


def test_training_curves_runs_of_different_lengths_share_a_panel():
    fig = plot.training_curves({"convolutional": [0.03, 0.02, 0.015], "dense": [0.04, 0.03]},
                               panels={"Training curves": ["convolutional", "dense"]}, logy=True)
    (ax,) = fig.axes
    assert [len(line.get_xdata()) for line in ax.lines] == [3, 2]
    assert ax.get_ylabel() == "convolutional"  # the first series' name when no ylabel is given
    assert list(ax.get_xticks()) == [1, 2, 3] and ax.get_yscale() == "log"


@pytest.mark.parametrize("kwargs, err, words", [
    (dict(panels={"a": ["nope"]}), ValueError, r"no series \['nope'\]"),
    (dict(panels={"a": []}), TypeError, "at least one series per panel"),
    (dict(panels=["loss"]), TypeError, "panel title"),
    (dict(labels=["train"]), TypeError, "labels: expected a dict"),
])
def test_training_curves_rejects_bad_panels(kwargs, err, words):
    with pytest.raises(err, match=words):
        plot.training_curves({"loss": [1.0, 0.5]}, **kwargs)


@pytest.mark.parametrize("history, err, words", [
    ({}, TypeError, "non-empty dict"),
    ([0.1, 0.2], TypeError, "Keras History"),
    ({"loss": []}, ValueError, "1-D list of per-epoch values"),
    ({"loss": [[0.1, 0.2]]}, ValueError, "1-D list"),
    ({"loss": ["high", "low"]}, TypeError, "list of numbers"),
])
def test_training_curves_rejects_bad_history(history, err, words):
    with pytest.raises(err, match=words):
        plot.training_curves(history)


# ---------------------------------------------------------------- interpolation strip

def test_interpolation_strip_decodes_evenly_spaced_codes(mnist, codec):
    images, _ = mnist
    codes, decode = codec
    fig = plot.interpolation_strip(decode, codes[0], codes[1], steps=5, start_image=images[0],
                                   end_image=images[1])
    assert len(fig.axes) == 7
    np.testing.assert_array_equal(_shown(fig.axes[0]), images[0])
    np.testing.assert_array_equal(_shown(fig.axes[6]), images[1])
    for i, t in enumerate(np.linspace(0, 1, 5)):
        z = (1 - t) * codes[0] + t * codes[1]
        np.testing.assert_allclose(_shown(fig.axes[1 + i]), decode(z[None])[0], atol=1e-5)
        assert fig.axes[1 + i].get_xlabel() == f"t={t:.2f}"
    assert fig._suptitle.get_text()


def test_interpolation_strip_slerp_keeps_the_norm_of_equal_norm_codes(codec):
    _, decode = codec
    z0, z1 = np.array([2.0, 0.0, 0.0]), np.array([0.0, 2.0, 0.0])
    fig = plot.interpolation_strip(decode, z0, z1, steps=3, method="slerp")
    half = np.array([np.sqrt(2), np.sqrt(2), 0.0])
    np.testing.assert_allclose(_shown(fig.axes[1]), decode(half[None])[0], atol=1e-5)


@pytest.mark.parametrize("z0, z1, kwargs, words", [
    (np.zeros(3), np.zeros(2), {}, r"expected shape \(N, 3\)"),
    (np.zeros((2, 3)), np.zeros(3), {}, "one code each"),
    (np.zeros(3), np.zeros(3), {"steps": 1}, "steps must be an int >= 2"),
    (np.zeros(3), np.zeros(3), {"method": "cubic"}, "'linear' or 'slerp'"),
    (np.zeros(3), np.full(3, np.nan), {}, "NaN"),
])
def test_interpolation_strip_rejects_bad_input(codec, z0, z1, kwargs, words):
    with pytest.raises(ValueError, match=words):
        plot.interpolation_strip(codec[1], z0, z1, **kwargs)
