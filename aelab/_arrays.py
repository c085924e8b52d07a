"""Input validation shared by the helpers: clear errors naming what was expected."""

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


def _to_numpy(values, name: str) -> np.ndarray:
    if hasattr(values, "detach"):  # torch.Tensor
        values = values.detach().cpu().numpy()
    elif hasattr(values, "numpy") and not isinstance(values, np.ndarray):  # tf.Tensor
        values = values.numpy()
    if isinstance(values, (str, bytes)) or values is None:
        raise TypeError(f"{name}: expected a numpy array, got {type(values).__name__}")
    try:
        return np.asarray(values)
    except Exception as err:
        raise TypeError(f"{name}: expected a numpy array, got {type(values).__name__}") from err


def _finite_float(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating)
                                 or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name}: expected numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float32, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name}: contains {bad} NaN or infinite value(s); expected finite numbers")
    return arr
