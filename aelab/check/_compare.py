"""Comparison helpers that turn a wrong answer into a specific, friendly hint."""

from __future__ import annotations

import numpy as np

from .._arrays import to_numpy  # noqa: F401  (the package's one tensor-to-numpy; re-exported)


class NotYet(Exception):
    """Raised by a checker: the answer is not right yet. The message is shown to the student."""


class NotAttempted(NotYet):
    """Raised by a checker: the answer is an untouched stub (it returns None). The verdict says
    "not attempted yet", with no diagnosis of values and no answer."""


def answer_array(got, *, name: str = "the result", returns: str = "the answer") -> np.ndarray:
    """A student's answer as a numpy array; NotYet when it is None (an unfinished stub) or not
    array-like. ``returns`` names what the function should `return`, for the hint."""
    if got is None:
        raise NotAttempted(f"{name} is None: the function does not return anything yet "
                           f"(fill in the TODO and `return` {returns}).")
    if isinstance(got, (tuple, list)) or callable(got) or not (
            isinstance(got, (np.ndarray, np.generic, int, float)) or hasattr(got, "shape")):
        raise NotYet(f"{name} should be one array, but your function returned {kind_of(got)}; "
                     f"`return` {returns}.")
    try:
        return to_numpy(got)
    except Exception:
        raise NotYet(f"{name} should be an array, got {kind_of(got)}.") from None


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


def answer_number(got, *, name: str = "the result", returns: str = "one number") -> float:
    """A student's answer as one finite float (a Python or numpy number, a 0-d or one-element
    array or tensor); NotYet saying what it is otherwise. ``returns`` names what the function
    should `return`, for the hint."""
    if got is None:
        raise NotAttempted(f"{name} is None: the function does not return anything yet.")
    number_like = hasattr(got, "shape") or hasattr(got, "__float__")
    if isinstance(got, (tuple, list, dict, str)) or callable(got) or not number_like:
        raise NotYet(f"{name} should be a single number, but your function returned "
                     f"{kind_of(got)}; `return` {returns}.")
    arr = to_numpy(got)
    if arr.size != 1:
        raise NotYet(f"{name} should be a single number, got an array of shape {arr.shape}.")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise NotYet(f"{name} should be a number, got dtype {arr.dtype}.")
    value = float(arr.reshape(()))
    if not np.isfinite(value):
        raise NotYet(f"{name} is {value}, expected a finite number.")
    return value


def expect_close(got, expected: float, *, name: str = "the result", rtol: float = 1e-5,
                 atol: float = 1e-8) -> float:
    """Check a scalar ``got`` (see :func:`answer_number`) against ``expected``; raise NotYet if
    it differs."""
    value = answer_number(got, name=name)
    if not np.isclose(value, expected, rtol=rtol, atol=atol):
        raise NotYet(f"{name} is {value:.6g}, expected {expected:.6g}.")
    return value


# ---------------------------------------------------------------- calling the student's function

def kind_of(value) -> str:
    """A short, student-facing description of what a value is ("a tuple of 2 values", "a class")."""
    import inspect
    import types

    if value is None:
        return "None"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)} values"
    if isinstance(value, list):
        return f"a list of {len(value)} values"
    if isinstance(value, (types.GeneratorType, map, filter, zip)) or inspect.isgenerator(value):
        return "a generator (a function with `yield`, or a generator expression)"
    if inspect.isclass(value):
        return f"the class {value.__name__} itself (not an instance of it)"
    if _is_model(value):
        return f"a model instance ({type(value).__name__})"
    if callable(value):
        return f"a function ({getattr(value, '__name__', type(value).__name__)})"
    if hasattr(value, "shape"):
        return f"{type(value).__name__} of shape {tuple(value.shape)}"
    return f"a {type(value).__name__}"


def _is_model(value) -> bool:
    mro = [c.__module__ + "." + c.__name__ for c in type(value).__mro__]
    return any(name in ("torch.nn.modules.module.Module", "keras.src.layers.layer.Layer",
                        "keras.src.models.model.Model") for name in mro)


def _snapshot(value):
    """A copy of a mutable array argument to compare against after the call, or None."""
    mutable = (isinstance(value, np.ndarray) or hasattr(value, "detach")  # numpy, torch.Tensor
               or (hasattr(value, "assign") and hasattr(value, "numpy")))  # tf.Variable
    return np.array(to_numpy(value), copy=True) if mutable else None


def call_unchanged(fn, *args, what: str = "your function", **kwargs):
    """Call ``fn(*args, **kwargs)`` and raise :class:`NotYet` if it changed an argument in place.

    Arguments that can be changed in place (numpy arrays, PyTorch tensors, TensorFlow variables)
    are copied before the call and compared after it; the message names the changed parameter
    by the name the student's function gives it. Returns what ``fn`` returned.
    """
    import inspect

    names = [f"argument {i + 1}" for i in range(len(args))] + list(kwargs)
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        by_id = {id(v): k for k, v in bound.arguments.items()}
        names = [by_id.get(id(v), n) for v, n in zip([*args, *kwargs.values()], names)]
    except (TypeError, ValueError):
        pass  # no signature, or arguments that do not bind: the call below reports it
    values = [*args, *kwargs.values()]
    before = [_snapshot(v) for v in values]
    out = fn(*args, **kwargs)
    for name, value, saved in zip(names, values, before):
        if saved is None:
            continue
        now = _snapshot(value)
        if now.shape != saved.shape or not np.array_equal(now, saved, equal_nan=True):
            raise NotYet(f"{what} changed `{name}` in place (the caller's data). Compute a new "
                         f"array or tensor instead, so that the data you were given stays as it was.")
    return out
