"""Figures every lesson needs, one call each, numpy in, a matplotlib figure out.

Every function labels its axes and title and returns the figure, so a notebook can show it or
save it. Bad input (wrong shape, wrong dtype, NaNs) raises a clear ValueError / TypeError.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._arrays import as_images

__all__ = ["image_grid"]


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
