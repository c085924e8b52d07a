"""Array plumbing shared by the helpers: framework tensors to numpy, validation with clear errors
naming what was expected, the images a user's callable returns, and interpolation between codes.

One place for each of these jobs: ``plot``, ``widgets``, ``metrics``, ``noise`` and the checkers
(``check.to_numpy``) all call the functions here.
"""

from __future__ import annotations

import numpy as np


def as_images(images, *, name: str = "images", allow_flat: bool = True) -> np.ndarray:
    """Validate a stack of grey images and return it as float32 (N, H, W).

    Accepts (N, H, W), (N, H, W, 1), (N, 1, H, W), or flat (N, 784) for 28x28 MNIST images.
    Values must be finite. Raises TypeError / ValueError saying what was expected.
    """
    arr = _to_numpy(images, name)
    if arr.ndim == 2 and allow_flat:
        side = int(round(np.sqrt(arr.shape[1])))
        if side * side != arr.shape[1]:
            raise ValueError(f"{name}: flat images of shape {arr.shape} are not square; expected "
                             f"(N, H*W) with H == W, e.g. (N, 784), or (N, H, W)")
        arr = arr.reshape(len(arr), side, side)
    elif arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    elif arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 3:
        raise ValueError(f"{name}: expected a stack of images with shape (N, H, W)"
                         f"{', (N, 784)' if allow_flat else ''} or (N, H, W, 1), got shape {arr.shape}")
    if len(arr) == 0:
        raise ValueError(f"{name}: expected at least one image, got an empty array")
    return _finite_float(arr, name)


def as_matrix(values, *, name: str, columns: int | None = None) -> np.ndarray:
    """Validate a 2-D float array (N, D), optionally with exactly ``columns`` columns."""
    arr = _to_numpy(values, name)
    if arr.ndim == 1 and columns is not None and arr.shape[0] == columns:
        arr = arr[None, :]
    if arr.ndim != 2 or (columns is not None and arr.shape[1] != columns):
        want = f"(N, {columns})" if columns is not None else "(N, D)"
        raise ValueError(f"{name}: expected shape {want}, got {arr.shape}")
    return _finite_float(arr, name)


def as_labels(labels, n: int, *, name: str = "labels") -> np.ndarray:
    """Validate integer labels of length ``n``."""
    arr = _to_numpy(labels, name)
    if arr.ndim != 1 or len(arr) != n:
        raise ValueError(f"{name}: expected a 1-D array of {n} labels, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name}: expected integer labels, got dtype {arr.dtype}")
    return arr


def to_numpy(value) -> np.ndarray:
    """A numpy array of a numpy array, a PyTorch tensor (detached, on the CPU), a TensorFlow
    tensor or variable, or anything ``np.asarray`` takes. Imports no framework."""
    if hasattr(value, "detach"):  # torch.Tensor
        return value.detach().cpu().numpy()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # tf.Tensor / Variable
        return np.asarray(value.numpy())
    return np.asarray(value)


def _to_numpy(values, name: str) -> np.ndarray:
    """:func:`to_numpy`, with a TypeError naming ``name`` for None, strings and non-arrays."""
    if isinstance(values, (str, bytes)) or values is None:
        raise TypeError(f"{name}: expected a numpy array, got {type(values).__name__}")
    try:
        return to_numpy(values)
    except Exception as err:
        raise TypeError(f"{name}: expected a numpy array, got {type(values).__name__}") from err


def check_callable(fn, name: str, signature: str) -> None:
    """TypeError unless ``fn`` is callable; ``signature`` says what was expected."""
    if not callable(fn):
        raise TypeError(f"{name}: expected a callable {signature}, got {type(fn).__name__}")


def images_from(fn, inputs: np.ndarray, *, name: str = "decode", per: str = "code") -> np.ndarray:
    """Call ``fn(inputs)`` (e.g. a decoder on codes (n, latent_dim)) and return the n images it
    gives back as float32 (n, H, W), in any layout :func:`as_images` accepts, tensors included.

    Errors name ``fn`` as ``name`` and one input as a ``per``: a wrong count, shape or NaN is a
    ValueError, a non-callable ``fn`` a TypeError.
    """
    check_callable(fn, name, f"{name}(inputs: (n, ...)) -> n images")
    out = fn(inputs)
    images = as_images(out, name=f"{name} output")
    n = len(inputs)
    if len(images) != n:
        images_for = f"one image back for one {per}" if n == 1 else f"{n} images back for {n} {per}s"
        raise ValueError(f"{name}: expected {images_for}, got {len(images)} "
                         f"(output shape {tuple(np.shape(out))})")
    return images


def interpolate(z0: np.ndarray, z1: np.ndarray, t: float, method: str = "linear") -> np.ndarray:
    """The code at fraction t in [0, 1] of the way from z0 to z1 (latent_dim,), float32.

    "linear": the straight line. "slerp": the great circle through z0 and z1 (spherical, suits
    N(0, I) codes, whose norms concentrate); linear when z0 and z1 are parallel.
    """
    if method not in ("linear", "slerp"):
        raise ValueError(f"method: expected 'linear' or 'slerp', got {method!r}")
    if method == "slerp":
        n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
        cos = np.dot(z0, z1) / max(n0 * n1, 1e-12)
        omega = np.arccos(np.clip(cos, -1.0, 1.0))
        if omega > 1e-6:
            return ((np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)).astype(np.float32)
    return ((1.0 - t) * z0 + t * z1).astype(np.float32)


def _finite_float(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating)
                                 or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name}: expected numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float32, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name}: contains {bad} NaN or infinite value(s); expected finite numbers")
    return arr
