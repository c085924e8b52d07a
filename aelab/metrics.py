"""Metrics on numpy arrays: reconstruction errors and image quality.

All functions take images as numpy arrays (or framework tensors) with pixels in [0, 1] unless
stated, shape (N, 28, 28), (N, 784) or (N, 28, 28, 1); the two arguments must have the same shape.
"""

from __future__ import annotations

import numpy as np

from ._arrays import _finite_float, _to_numpy

__all__ = ["reconstruction_mse", "psnr", "ssim"]


def _pair(originals, reconstructions) -> tuple[np.ndarray, np.ndarray]:
    a = _finite_float(_to_numpy(originals, "originals"), "originals")
    b = _finite_float(_to_numpy(reconstructions, "reconstructions"), "reconstructions")
    if a.shape != b.shape:
        raise ValueError(f"originals and reconstructions must have the same shape, "
                         f"got {a.shape} and {b.shape}")
    if a.ndim < 2 or len(a) == 0:
        raise ValueError(f"expected a non-empty batch of images (N, ...), got shape {a.shape}")
    return a.reshape(len(a), -1), b.reshape(len(b), -1)


def reconstruction_mse(originals, reconstructions, *, per_image: bool = False):
    """Mean squared error per pixel: a float, or an (N,) array with ``per_image=True``."""
    a, b = _pair(originals, reconstructions)
    errors = np.mean((a.astype(np.float64) - b) ** 2, axis=1)
    return errors if per_image else float(errors.mean())


def psnr(originals, reconstructions, *, data_range: float = 1.0, per_image: bool = False):
    """Peak signal-to-noise ratio in dB, 10·log10(data_range² / MSE), averaged over images.

    Computed per image, then averaged (the convention of image-restoration papers). An image
    reconstructed exactly has infinite PSNR; it is capped at 100 dB.
    """
    if not data_range > 0:
        raise ValueError(f"data_range must be positive, got {data_range!r}")
    errors = reconstruction_mse(originals, reconstructions, per_image=True)
    values = 10 * np.log10(data_range ** 2 / np.maximum(errors, 1e-10))
    return values if per_image else float(values.mean())


def ssim(originals, reconstructions, *, data_range: float = 1.0, per_image: bool = False):
    """Structural similarity (scikit-image's ``structural_similarity``), averaged over images."""
    from skimage.metrics import structural_similarity

    a, b = _pair(originals, reconstructions)
    side = int(round(np.sqrt(a.shape[1])))
    if side * side != a.shape[1]:
        raise ValueError(f"ssim needs square grey images, got {a.shape[1]} pixels per image")
    a, b = a.reshape(-1, side, side), b.reshape(-1, side, side)
    values = np.array([structural_similarity(x, y, data_range=data_range) for x, y in zip(a, b)])
    return values if per_image else float(values.mean())
