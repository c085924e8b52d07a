"""Figures every lesson needs, one call each, numpy in, a matplotlib figure out.

Every function labels its axes and title and returns the figure, so a notebook can show it,
save it, or add to it (a reference line, a circle): figures are laid out when drawn. Bad input (wrong shape, wrong dtype, NaNs) raises a clear ValueError / TypeError.

image_grid                  images in a grid, optional captions
reconstructions             originals above one row of reconstructions per model
latent_scatter              2-D codes coloured by digit (matplotlib)
latent_scatter_interactive  the same in plotly, hover shows digit and index; 3-D for 3-dim codes
latent_manifold             decoded grid over two latent dims (ranges from data or the prior)
training_curves             per-epoch losses from a history dict or a Keras History, in chosen panels
interpolation_strip         decoded codes on the way from one code to another

Functions that decode take any ``decode(z: (n, latent_dim)) -> images`` callable, e.g.
``aelab.torch_support.numpy_function(decoder)`` or ``aelab.keras_support.numpy_function(decoder)``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._arrays import as_images, as_labels, as_matrix, images_from, interpolate

__all__ = ["image_grid", "reconstructions", "latent_scatter", "latent_scatter_interactive",
           "latent_manifold", "training_curves", "interpolation_strip"]


def image_grid(images, captions=None, *, ncols: int = 10, title: str | None = None,
               cmap: str = "gray", vmin: float = 0.0, vmax: float = 1.0, size: float = 1.1):
    """Show images in a grid, optionally with a caption under each one.

    images : (N, H, W), (N, H, W, 1) or flat (N, 784) array, values in [vmin, vmax]
             (float in [0, 1] by default; pass vmax=255 for raw uint8 grey levels).
    captions : optional list of N strings (or numbers), e.g. the labels.
    ncols : images per row. size : inches per image.
    Returns the matplotlib Figure.
    """
    images = as_images(images)
    n = len(images)
    if captions is not None:
        captions = list(captions)
        if len(captions) != n:
            raise ValueError(f"captions: expected {n} captions (one per image), got {len(captions)}")
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive int, got {ncols!r}")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    caption_space = 0.25 if captions is not None else 0.0
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(size * ncols, (size + caption_space) * nrows + 0.4 * bool(title)))
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        ax.imshow(images[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        if captions is not None:
            ax.set_xlabel(str(captions[i]), fontsize=9, labelpad=2)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- reconstructions

def reconstructions(originals, reconstructed, *, n: int = 10, labels=None, errors: bool = False,
                    title: str | None = "Originals and reconstructions", cmap: str = "gray",
                    vmin: float = 0.0, vmax: float = 1.0, size: float = 1.1):
    """Originals in the top row, and below them one row per model (or per step of a pipeline).

    originals : N images (any layout :func:`image_grid` accepts), values in [vmin, vmax].
    reconstructed : the N reconstructions (one row, named "reconstruction"), or a dict
    {row name: N images}, one row each in order, e.g. {"PCA": ..., "conv AE": ...} or
    {"noisy input": ..., "denoised": ...}. The first ``n`` images of every row are shown.
    labels : optional N labels, shown under the originals.
    errors : caption each image below the originals with its mean squared error per pixel.
    Every row is named on its left. Returns the Figure; row r, column c is ``fig.axes[r * n + c]``.
    """
    originals = as_images(originals, name="originals")
    if isinstance(reconstructed, dict):
        if not reconstructed:
            raise ValueError("reconstructed: expected at least one row {name: images}, got an empty dict")
        given = reconstructed.items()
    else:
        given = [("reconstruction", reconstructed)]
    rows = [("original", originals)]
    for name, imgs in given:
        imgs = as_images(imgs, name=f"{name} images")
        if imgs.shape != originals.shape:
            raise ValueError(f"{name} images: expected the shape of the originals "
                             f"{originals.shape}, got {imgs.shape}")
        rows.append((str(name), imgs))
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    n = min(int(n), len(originals))
    if labels is not None:
        labels = as_labels(labels, len(originals))
    fig, axes = plt.subplots(len(rows), n, squeeze=False,
                             figsize=(size * n + 1.0, (size + 0.25) * len(rows) + 0.4 * bool(title)))
    for r, (name, imgs) in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(imgs[c], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(name, fontsize=9)
            if r == 0 and labels is not None:
                ax.set_xlabel(f"label {labels[c]}", fontsize=8, labelpad=2)
            if errors and r > 0:
                mse = float(np.mean((imgs[c] - originals[c]) ** 2))
                ax.set_xlabel(f"MSE {mse:.4f}", fontsize=8, labelpad=2)
    if title:
        fig.suptitle(title)
    fig.set_layout_engine("tight")   # laid out when drawn: a lesson can still add to it
    return fig


# --------------------------------------------------------------------------- latent scatter

def _pick_dims(codes: np.ndarray, dims, k: int) -> tuple[int, ...]:
    if dims is None:
        if codes.shape[1] < k:
            raise ValueError(f"codes: expected at least {k} latent dims, got shape {codes.shape}")
        return tuple(range(k))
    dims = tuple(int(d) for d in dims)
    if len(dims) != k or not all(0 <= d < codes.shape[1] for d in dims) or len(set(dims)) != k:
        raise ValueError(f"dims: expected {k} different dims in 0..{codes.shape[1] - 1}, got {dims}")
    return dims


def _subsample(n: int, max_points: int | None, labels: np.ndarray, seed: int) -> np.ndarray:
    """Indices of at most ``max_points`` rows, stratified by label, in increasing order."""
    if max_points is None or n <= max_points:
        return np.arange(n)
    if not isinstance(max_points, (int, np.integer)) or max_points < 1:
        raise ValueError(f"max_points must be a positive int or None, got {max_points!r}")
    from sklearn.model_selection import train_test_split

    try:
        keep, _ = train_test_split(np.arange(n), train_size=int(max_points), random_state=seed,
                                   stratify=labels)
    except ValueError:  # a class too small to stratify
        keep = np.random.default_rng(seed).choice(n, int(max_points), replace=False)
    return np.sort(keep)


def latent_scatter(codes, labels, *, dims=None, max_points: int | None = 5000, seed: int = 0,
                   title: str | None = "Latent codes coloured by digit", point_size: float = 4.0,
                   alpha: float = 0.7, legend: bool = True, ax=None):
    """2-D scatter of latent codes coloured by label (one colour per digit, with a legend).

    codes : (N, D) with D >= 2; ``dims`` picks which two dims to plot (default the first two).
    labels : N integer labels. max_points : plot a stratified random subset of at most this
    many points (None: all). Axes are labelled "z[i]". legend : the digit legend, right of the
    axes (pass False for all but one panel of a row). ax : draw into these axes (e.g. one panel
    of a figure the lesson made; its layout is then left to the lesson), else a new figure.
    Returns the Figure; the scatter of digit k is ``ax.collections[k]`` for the digits present,
    in increasing order, so a lesson can add to the axes (a circle, an aspect ratio).
    """
    codes = as_matrix(codes, name="codes")
    labels = as_labels(labels, len(codes))
    dx, dy = _pick_dims(codes, dims, 2)
    keep = _subsample(len(codes), max_points, labels, seed)
    codes, labels = codes[keep], labels[keep]
    new_figure = ax is None
    if new_figure:
        fig, ax = plt.subplots(figsize=(6, 5))
    else:
        fig = ax.figure
    colours = plt.get_cmap("tab10")
    for k in np.unique(labels):
        sel = labels == k
        ax.scatter(codes[sel, dx], codes[sel, dy], s=point_size, alpha=alpha,
                   color=colours(int(k) % 10), label=str(k))
    ax.set_xlabel(f"z[{dx}]")
    ax.set_ylabel(f"z[{dy}]")
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(title="digit", markerscale=3, fontsize=8, loc="center left",
                  bbox_to_anchor=(1.0, 0.5))
    if new_figure:
        fig.set_layout_engine("tight")
    return fig


def latent_scatter_interactive(codes, labels, *, dims=None, max_points: int = 2000, seed: int = 0,
                               title: str | None = "Latent codes (hover for label and index)",
                               point_size: float = 4.0):
    """Interactive plotly scatter of latent codes: 2-D, or 3-D when the codes have 3 dims.

    codes : (N, D); dims picks 2 dims (D = 2 or D > 3) or 3 dims (default: 3-D when D == 3).
    labels : N integer labels; one trace per digit, so clicking the legend hides a digit.
    Hover shows the digit and the row index into ``codes``. At most ``max_points`` points
    (stratified random subset, seeded) so the saved notebook stays small.
    Returns a ``plotly.graph_objects.Figure``.
    """
    import plotly.graph_objects as go

    codes = as_matrix(codes, name="codes")
    labels = as_labels(labels, len(codes))
    k = len(dims) if dims is not None else (3 if codes.shape[1] == 3 else 2)
    if k not in (2, 3):
        raise ValueError(f"dims: expected 2 or 3 dims, got {dims}")
    dims = _pick_dims(codes, dims, k)
    keep = _subsample(len(codes), max_points, labels, seed)
    palette = [f"rgb({r * 255:.0f},{g * 255:.0f},{b * 255:.0f})"
               for r, g, b, _ in plt.get_cmap("tab10")(np.arange(10))]
    fig = go.Figure()
    for digit in np.unique(labels[keep]):
        rows = keep[labels[keep] == digit]
        xyz = np.round(codes[rows][:, list(dims)].astype(np.float64), 4)
        common = dict(mode="markers", name=str(digit), customdata=np.stack([labels[rows], rows], 1),
                      hovertemplate="digit %{customdata[0]}<br>index %{customdata[1]}<extra></extra>",
                      marker=dict(size=point_size, color=palette[int(digit) % 10], opacity=0.8))
        if k == 3:
            fig.add_trace(go.Scatter3d(x=xyz[:, 0], y=xyz[:, 1], z=xyz[:, 2], **common))
        else:
            fig.add_trace(go.Scatter(x=xyz[:, 0], y=xyz[:, 1], **common))
    names = [f"z[{d}]" for d in dims]
    if k == 3:
        fig.update_layout(scene=dict(xaxis_title=names[0], yaxis_title=names[1], zaxis_title=names[2]))
    else:
        fig.update_layout(xaxis_title=names[0], yaxis_title=names[1])
    fig.update_layout(title=title, legend_title_text="digit", width=700, height=550,
                      template="plotly_white")
    return fig


# --------------------------------------------------------------------------- latent manifold

def latent_manifold(decode, *, latent_dim: int = 2, n: int = 15, codes=None, ranges=None,
                    dims=(0, 1), base=None, title: str | None = None, cmap: str = "gray",
                    vmin: float = 0.0, vmax: float = 1.0, size: float = 7.0):
    """Decode an n x n grid of codes over two latent dims and show the images as one picture.

    decode : ``decode(z)`` with z (n*n, latent_dim) -> n*n images (any :func:`image_grid` layout).
    Ranges of the grid, per plotted dim, in this order of preference:
      ``ranges=((lo0, hi0), (lo1, hi1))`` or ``(lo, hi)`` for both;
      ``codes`` (N, latent_dim): the 1st to 99th percentile of the data's codes;
      otherwise the prior N(0, 1): normal quantiles at probabilities 0.05..0.95 (evenly spaced
      in probability, as in the Keras VAE example).
    dims : the two dims that vary; other dims are held at ``base`` (default zeros).
    Large z[dims[1]] is at the top. Returns the Figure; ``fig.axes[0].images[0]`` holds the picture.
    """
    from scipy.stats import norm

    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    if not isinstance(latent_dim, (int, np.integer)) or latent_dim < 2:
        raise ValueError(f"latent_dim must be an int >= 2, got {latent_dim!r}")
    dims = tuple(int(d) for d in dims)
    if len(dims) != 2 or dims[0] == dims[1] or not all(0 <= d < latent_dim for d in dims):
        raise ValueError(f"dims: expected two different dims in 0..{latent_dim - 1}, got {dims}")
    base = np.zeros(latent_dim, np.float32) if base is None else \
        as_matrix(base, name="base", columns=latent_dim)[0]
    if ranges is not None:
        r = np.asarray(ranges, dtype=np.float64)
        r = np.tile(r, (2, 1)) if r.shape == (2,) else r
        if r.shape != (2, 2) or not np.all(np.isfinite(r)) or not np.all(r[:, 1] > r[:, 0]):
            raise ValueError(f"ranges: expected (lo, hi) or ((lo0, hi0), (lo1, hi1)) with lo < hi, "
                             f"got {ranges!r}")
        axes_values = [np.linspace(lo, hi, n) for lo, hi in r]
        source = "given ranges"
    elif codes is not None:
        codes = as_matrix(codes, name="codes", columns=latent_dim)
        axes_values = [np.linspace(*np.percentile(codes[:, d], [1, 99]), n) for d in dims]
        source = "1st-99th percentile of the codes"
    else:
        axes_values = [norm.ppf(np.linspace(0.05, 0.95, n))] * 2
        source = "prior N(0, 1) quantiles"
    gx, gy = axes_values
    z = np.tile(base, (n * n, 1))
    rows = np.repeat(np.arange(n), n)   # picture row 0 is the top: largest y
    cols = np.tile(np.arange(n), n)
    z[:, dims[0]] = gx[cols]
    z[:, dims[1]] = gy[::-1][rows]
    images = images_from(decode, z.astype(np.float32))
    h, w = images.shape[1:]
    picture = images.reshape(n, n, h, w).transpose(0, 2, 1, 3).reshape(n * h, n * w)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(picture, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ticks = np.arange(n)[:: max(1, n // 5)]
    ax.set_xticks(ticks * w + w / 2, [f"{gx[i]:.2g}" for i in ticks])
    ax.set_yticks(ticks * h + h / 2, [f"{gy[::-1][i]:.2g}" for i in ticks])
    ax.set_xlabel(f"z[{dims[0]}]")
    ax.set_ylabel(f"z[{dims[1]}]")
    ax.set_title(title or f"Decoded latent grid ({source})")
    fig.set_layout_engine("tight")
    return fig


# --------------------------------------------------------------------------- training curves

def training_curves(history, *, panels=None, labels=None, ylabel: str | None = None,
                    title: str | None = "Training curves", logy: bool = False,
                    size: tuple[float, float] = (5.0, 3.2)):
    """Plot losses/metrics per epoch from a history dict or a Keras ``History``.

    history : {"train_loss": [...], "test_loss": [...], ...} (any names, one number per epoch;
    series may have different lengths), or the ``History`` returned by ``model.fit`` (its
    ``.history``: "loss", "val_loss", ...).
    panels : which series to draw, and where: {panel title: [series names]}, one panel each, in
    order. Default: every series; series sharing a quantity after stripping "train_"/"val_"/
    "test_"/"valid_" share one panel (e.g. loss and val_loss), titled "<quantity> per epoch".
    labels : {series name: legend text}; default "train loss" for "loss", "validation loss"
    for "val_loss", otherwise the name with spaces.
    ylabel : the y-axis label of every panel; default the panel's quantity.
    Epochs are numbered from 1. Returns the Figure, one axes per panel (``fig.axes``), so a
    lesson can add reference lines.
    """
    if hasattr(history, "history") and isinstance(history.history, dict):
        history = history.history
    if not isinstance(history, dict) or not history:
        raise TypeError("history: expected a non-empty dict {name: per-epoch values} or a Keras "
                        f"History, got {type(history).__name__}")
    if labels is not None and not isinstance(labels, dict):
        raise TypeError(f"labels: expected a dict {{series name: legend text}}, got {type(labels).__name__}")
    labels = {"loss": "train loss", "val_loss": "validation loss", **(labels or {})}
    if panels is None:
        panels = {}
        for name in history:
            panels.setdefault(_quantity(name), []).append(name)
        panel_titles = {q: q.replace("_", " ") + " per epoch" for q in panels}
        panel_ylabels = {q: q.replace("_", " ") for q in panels}
    else:
        if not isinstance(panels, dict) or not panels or not all(
                isinstance(names, (list, tuple)) and names for names in panels.values()):
            raise TypeError("panels: expected a dict {panel title: [series names]} with at least "
                            f"one series per panel, got {panels!r:.80}")
        missing = [n for names in panels.values() for n in names if n not in history]
        if missing:
            raise ValueError(f"panels: no series {missing} in the history; it has {list(history)}")
        panel_titles = {t: t for t in panels}
        panel_ylabels = {t: _quantity(names[0]).replace("_", " ") for t, names in panels.items()}
    series = {}
    for name in (n for names in panels.values() for n in names):
        values = history[name]
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"history[{name!r}]: expected a list of numbers, got {values!r:.80}") from None
        if arr.ndim != 1 or len(arr) == 0:
            raise ValueError(f"history[{name!r}]: expected a 1-D list of per-epoch values, got shape {arr.shape}")
        series[name] = arr
    fig, axes = plt.subplots(1, len(panels), squeeze=False,
                             figsize=(size[0] * len(panels), size[1] + 0.3 * bool(title)))
    for ax, (panel, names) in zip(axes.flat, panels.items()):
        for name in names:
            values = series[name]
            epochs = np.arange(1, len(values) + 1)
            ax.plot(epochs, values, marker="o" if len(values) <= 30 else None, ms=3,
                    label=labels.get(name, str(name).replace("_", " ")))
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel or panel_ylabels[panel])
        if logy:
            ax.set_yscale("log")
        longest = max(len(series[nm]) for nm in names)
        if longest <= 12:
            ax.set_xticks(np.arange(1, longest + 1))
        ax.set_title(panel_titles[panel])
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.set_layout_engine("tight")
    return fig


def _quantity(name) -> str:
    """The quantity a history series measures: its name without "train_", "val_", ..."""
    name = str(name)
    for prefix in ("train_", "val_", "valid_", "test_", "training_", "validation_"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


# --------------------------------------------------------------------------- interpolation

def interpolation_strip(decode, z_start, z_end, *, steps: int = 10, method: str = "linear",
                        start_image=None, end_image=None,
                        title: str | None = "Walking through the latent space",
                        cmap: str = "gray", vmin: float = 0.0, vmax: float = 1.0, size: float = 1.1):
    """Decode ``steps`` codes evenly spaced from z_start to z_end and show them in a row.

    z_start, z_end : codes (latent_dim,). method : "linear" or "slerp" (spherical, for
    N(0, I) codes). start_image / end_image : optional originals (H, W) shown at the ends.
    Captions give t (0 at z_start, 1 at z_end). Returns the Figure.
    """
    d = int(np.shape(z_start)[-1]) if np.ndim(z_start) >= 1 else None
    z0 = as_matrix(z_start, name="z_start", columns=d)
    z1 = as_matrix(z_end, name="z_end", columns=z0.shape[1])
    if len(z0) != 1 or len(z1) != 1:
        raise ValueError(f"z_start and z_end: expected one code each, got shapes {z0.shape}, {z1.shape}")
    if not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"steps must be an int >= 2, got {steps!r}")
    if method not in ("linear", "slerp"):
        raise ValueError(f"method: expected 'linear' or 'slerp', got {method!r}")
    ts = np.linspace(0.0, 1.0, int(steps))
    z = np.stack([interpolate(z0[0], z1[0], t, method) for t in ts])
    images = list(images_from(decode, z))
    captions = [f"t={t:.2f}" for t in ts]
    if start_image is not None:
        images.insert(0, as_images(np.asarray(start_image)[None], name="start_image")[0])
        captions.insert(0, "start image")
    if end_image is not None:
        images.append(as_images(np.asarray(end_image)[None], name="end_image")[0])
        captions.append("end image")
    if len({im.shape for im in images}) != 1:
        raise ValueError("start_image / end_image: expected the shape of the decoded images "
                         f"{images[1].shape}")
    return image_grid(np.stack(images), captions, ncols=len(images), title=title, cmap=cmap,
                      vmin=vmin, vmax=vmax, size=size)
