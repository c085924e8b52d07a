"""Metrics on numpy arrays: reconstruction errors and image quality.

All functions take images as numpy arrays (or framework tensors) with pixels in [0, 1] unless
stated, shape (N, 28, 28), (N, 784) or (N, 28, 28, 1); the two arguments must have the same shape.
"""

from __future__ import annotations

import numpy as np

from ._arrays import _finite_float, _to_numpy

__all__ = ["reconstruction_mse", "psnr", "ssim", "principal_angles", "bernoulli_entropy_floor"]


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


def principal_angles(a, b, *, degrees: bool = True) -> np.ndarray:
    """Principal angles between the column spaces of ``a`` (D, k) and ``b`` (D, m), largest first.

    How far apart two subspaces are, whatever basis each is given in: all angles 0 means the
    same subspace. Returns min(k, m) angles in degrees (``degrees=False``: radians), sorted from
    largest to smallest, as :func:`scipy.linalg.subspace_angles` computes them. The columns need
    not be orthonormal but must be linearly independent.
    """
    from scipy.linalg import subspace_angles

    from ._arrays import as_matrix

    a = as_matrix(a, name="a").astype(np.float64)
    b = as_matrix(b, name="b").astype(np.float64)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must have the same number of rows (the dimension D of the "
                         f"space their columns live in), got shapes {a.shape} and {b.shape}")
    for name, m in (("a", a), ("b", b)):
        if m.shape[1] > m.shape[0]:
            raise ValueError(f"{name}: expected (D, k) with k <= D columns spanning a subspace, "
                             f"got shape {m.shape}; pass the basis vectors as columns")
        if np.linalg.matrix_rank(m) < m.shape[1]:
            raise ValueError(f"{name}: its {m.shape[1]} columns are linearly dependent, so they "
                             f"do not span a {m.shape[1]}-dimensional subspace")
    angles = subspace_angles(a, b)
    return np.degrees(angles) if degrees else angles


def _unit_interval(arr: np.ndarray, name: str) -> None:
    if arr.size and (arr.min() < 0.0 or arr.max() > 1.0):
        raise ValueError(f"{name}: expected values in [0, 1] (grey levels or probabilities), "
                         f"got values from {arr.min():.4g} to {arr.max():.4g}")


def bernoulli_entropy_floor(images, *, per_image: bool = False):
    """The lowest Bernoulli reconstruction loss any model can reach: Σ_pixels H(x), in nats.

    For a grey level x in [0, 1] the cross-entropy -x·log p - (1-x)·log(1-p) is smallest at
    p = x, where it equals the entropy H(x) = -x·log x - (1-x)·log(1-x) (0 for pure black or
    white, log 2 ≈ 0.693 for x = 0.5). On non-binarized MNIST the grey edge pixels make this
    floor far above zero, so a VAE's reconstruction loss is best read as "floor + excess".

    images : (N, 28, 28), (N, 784) or (N, 28, 28, 1) with values in [0, 1].
    Returns the average over images in nats (a float), or an (N,) array with ``per_image=True``.
    """
    a = _finite_float(_to_numpy(images, "images"), "images")
    if a.ndim < 2 or len(a) == 0:
        raise ValueError(f"images: expected a non-empty batch of images (N, ...), got shape {a.shape}")
    _unit_interval(a, "images")
    x = a.reshape(len(a), -1).astype(np.float64)
    from scipy.special import entr  # entr(t) = -t·log t, with entr(0) = 0

    values = (entr(x) + entr(1 - x)).sum(axis=1)
    return values if per_image else float(values.mean())
