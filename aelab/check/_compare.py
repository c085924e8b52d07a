"""Comparison helpers that turn a wrong answer into a specific, friendly hint."""

from __future__ import annotations

import numpy as np


class NotYet(Exception):
    """Raised by a checker: the answer is not right yet. The message is shown to the student."""


def to_numpy(value) -> np.ndarray:
    """A numpy copy of a numpy array, a PyTorch tensor or a TensorFlow tensor."""
    if hasattr(value, "detach"):  # torch.Tensor
        return value.detach().cpu().numpy()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # tf.Tensor / Variable
        return np.asarray(value.numpy())
    return np.asarray(value)


def answer_array(got, *, name: str = "the result", returns: str = "the answer") -> np.ndarray:
    """A student's answer as a numpy array; NotYet when it is None (an unfinished stub) or not
    array-like. ``returns`` names what the function should `return`, for the hint."""
    if got is None:
        raise NotYet(f"{name} is None: the function does not return anything yet "
                     f"(fill in the TODO and `return` {returns}).")
    try:
        return to_numpy(got)
    except Exception:
        raise NotYet(f"{name} should be an array, got {type(got).__name__}.") from None


def expect_array(got, expected, *, name: str = "the result", rtol: float = 1e-5,
                 atol: float = 1e-6, shape_hint: str = "") -> np.ndarray:
    """Check ``got`` against ``expected`` (shape, finiteness, values); raise NotYet if they differ."""
    got_arr = answer_array(got, name=name)
    expected = np.asarray(expected)
    if got_arr.shape != expected.shape:
        raise NotYet(f"{name} has shape {got_arr.shape}, expected {expected.shape}."
                     + (f" {shape_hint}" if shape_hint else ""))
    if not np.issubdtype(got_arr.dtype, np.number) and got_arr.dtype != bool:
        raise NotYet(f"{name} has dtype {got_arr.dtype}, expected numbers.")
    if not np.all(np.isfinite(got_arr)):
        raise NotYet(f"{name} contains NaN or infinity.")
    if not np.allclose(got_arr, expected, rtol=rtol, atol=atol):
        worst = np.unravel_index(np.argmax(np.abs(got_arr - expected)), expected.shape)
        raise NotYet(f"{name} has the right shape but wrong values: at index {tuple(map(int, worst))} "
                     f"you have {got_arr[worst]:.6g}, expected {expected[worst]:.6g}.")
    return got_arr


def expect_close(got, expected: float, *, name: str = "the result", rtol: float = 1e-5,
                 atol: float = 1e-8) -> float:
    """Check a scalar ``got`` against ``expected``; raise NotYet if it differs."""
    if got is None:
        raise NotYet(f"{name} is None: the function does not return anything yet.")
    try:
        value = float(to_numpy(got))
    except Exception:
        raise NotYet(f"{name} should be a single number, got {type(got).__name__}"
                     f"{' of shape ' + str(np.shape(to_numpy(got))) if hasattr(got, 'shape') else ''}."
                     ) from None
    if not np.isfinite(value):
        raise NotYet(f"{name} is {value}, expected a finite number.")
    if not np.isclose(value, expected, rtol=rtol, atol=atol):
        raise NotYet(f"{name} is {value:.6g}, expected {expected:.6g}.")
    return value
