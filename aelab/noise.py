"""Corruptions for denoising autoencoders (lesson 04): Gaussian noise, salt and pepper, block masks.

Every function has the signature ``noise(images, level, rng) -> corrupted images``:

images : numpy array of grey images with pixels in [0, 1], any shape for the pixel-wise noises;
         (N, H, W), (N, H, W, 1) or (N, 1, H, W) for :func:`block_mask`.
level  : how strong the corruption is (a standard deviation or a fraction, see each function).
rng    : a ``numpy.random.Generator``; the same generator state gives the same corruption.

The result is a new float32 array of the same shape, pixels in [0, 1]; the input is never
modified. These are the reference solutions of the lesson 04 exercises (the checkers compare
the student's functions with them), and ``NOISES`` is what ``widgets.noise_widget`` offers
when it is given no noise functions of its own.

"Masking" here always means :func:`block_mask`: whole squares set to 0.
"""

from __future__ import annotations

import numpy as np

from ._arrays import _finite_float, _to_numpy, as_images

__all__ = ["gaussian_noise", "salt_and_pepper", "block_mask", "NOISES"]


def _check(images, level, rng, *, name: str, upper: float | None) -> np.ndarray:
    arr = _finite_float(_to_numpy(images, "images"), "images")
    if arr.ndim < 1 or arr.size == 0:
        raise ValueError(f"images: expected a non-empty array of images, got shape {arr.shape}")
    if isinstance(level, bool) or not isinstance(level, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {type(level).__name__}")
    if not (level >= 0 and (upper is None or level <= upper)):
        allowed = "0 or more" if upper is None else f"between 0 and {upper}"
        raise ValueError(f"{name}: expected a number {allowed}, got {level!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    return arr


def gaussian_noise(images, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Add independent Gaussian noise of standard deviation ``sigma`` to every pixel; clip to [0, 1].

    ``sigma`` is in grey levels of the [0, 1] scale (0.5 = half the black-to-white range).
    Clipping keeps a valid image but biases the noise: a black pixel can only get brighter.
    """
    arr = _check(images, sigma, rng, name="sigma", upper=None)
    noise = rng.standard_normal(arr.shape).astype(np.float32)
    return np.clip(arr + np.float32(sigma) * noise, 0.0, 1.0)


def salt_and_pepper(images, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Replace each pixel, with probability ``amount``, by black (0) or white (1), half each.

    ``amount`` in [0, 1] is the expected fraction of pixels replaced; the others are unchanged.
    """
    arr = _check(images, amount, rng, name="amount", upper=1.0)
    hit = rng.random(arr.shape) < amount
    white = rng.random(arr.shape) < 0.5
    return np.where(hit, white.astype(np.float32), arr).astype(np.float32)


def block_mask(images, fraction: float, rng: np.random.Generator, *, block: int = 7) -> np.ndarray:
    """Erase (set to 0) whole ``block`` x ``block`` squares, each with probability ``fraction``.

    Each image is cut into a grid of squares of ``block`` pixels (the last row/column of squares
    is cropped when the side is not a multiple of ``block``); every square of every image is
    erased independently. With 28 x 28 digits and ``block=7`` that is a 4 x 4 grid of squares.
    """
    arr = _check(images, fraction, rng, name="fraction", upper=1.0)
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1:
        raise ValueError(f"block: expected a positive int (side of the square in pixels), got {block!r}")
    grey = as_images(arr, allow_flat=False)  # (N, H, W), a view of arr
    n, h, w = grey.shape
    rows, cols = -(-h // block), -(-w // block)
    erased = rng.random((n, rows, cols)) < fraction
    pixel_mask = np.repeat(np.repeat(erased, block, axis=1), block, axis=2)[:, :h, :w]
    out = np.where(pixel_mask, np.float32(0.0), grey).astype(np.float32)
    return out.reshape(arr.shape)


NOISES = {
    "gaussian": gaussian_noise,
    "salt & pepper": salt_and_pepper,
    "block mask": block_mask,
}
"""The lesson's corruptions by name, each ``noise(images, level, rng)``: the noise widget's default."""
