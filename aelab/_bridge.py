"""The framework-neutral half of ``numpy_function`` (torch_support and keras_support).

Checks and converts the numpy inputs, checks how many inputs the model takes, and joins the
per-chunk outputs back into numpy arrays. Neither torch nor tensorflow is imported here.
"""

from __future__ import annotations

import inspect

import numpy as np


def check_arguments(model, output, batch_size, expected: str) -> None:
    """The checks both frameworks' ``numpy_function`` make on their arguments; ``expected`` says
    what ``model`` should be (e.g. "a torch module or a function of tensors")."""
    if not callable(model):
        raise TypeError(f"numpy_function: expected {expected}, got {type(model).__name__}")
    if output is not None and not callable(output):
        raise TypeError(f"numpy_function: output must be a function of the numpy result or None, "
                        f"got {type(output).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"numpy_function: batch_size must be a positive int, got {batch_size!r}")


def describe(model) -> str:
    """A short name for error messages: the model's class, or the function's name."""
    return str(getattr(model, "__qualname__", None) or type(model).__name__)


def signature_of(fn):
    """``inspect.Signature`` of ``fn``, or None when Python cannot tell (builtins, C functions)."""
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def check_count(expected, given: int, what: str, accepted: set | None = None) -> None:
    """Raise TypeError when ``given`` inputs do not fit ``expected``.

    expected : an ``inspect.Signature`` (the inputs must bind to it), an int, or None (unknown).
    accepted : counts already checked for this model (skipped; ``given`` is added when it fits).
    """
    if expected is None or (accepted is not None and given in accepted):
        return
    if accepted is not None:
        check_count(expected, given, what)
        accepted.add(given)
        return
    if isinstance(expected, int):
        if expected != given:
            raise TypeError(f"{what}: the model takes {expected} input(s), got {given} array(s)")
        return
    try:
        expected.bind(*range(given))
    except TypeError:
        raise TypeError(f"{what}: the model takes the inputs {expected}, got {given} array(s)") from None


def numpy_inputs(arrays, what: str) -> list[np.ndarray]:
    """Each input as a numpy batch: floats as float32, integers (e.g. labels) as int64.

    All inputs must have a leading batch axis of the same length N. Raises TypeError for
    non-numeric input (strings, None, objects, booleans) and ValueError for shapes.
    """
    if not arrays:
        raise TypeError(f"{what}: expected at least one numpy array (a batch of model inputs)")
    out = []
    for i, values in enumerate(arrays, start=1):
        name = f"{what}: input {i}" if len(arrays) > 1 else f"{what}: the input"
        if values is None or isinstance(values, (str, bytes, dict)):
            raise TypeError(f"{name}: expected a numpy array, got {type(values).__name__}")
        try:
            arr = np.asarray(values)
        except Exception as err:   # e.g. a ragged list
            raise TypeError(f"{name}: expected a numpy array, got {type(values).__name__}") from err
        if np.issubdtype(arr.dtype, np.floating):
            arr = arr.astype(np.float32, copy=False)
        elif np.issubdtype(arr.dtype, np.integer):
            arr = arr.astype(np.int64, copy=False)
        else:
            raise TypeError(f"{name}: expected a float or integer array, got dtype {arr.dtype}")
        if arr.ndim == 0:
            raise ValueError(f"{name}: expected a batch with shape (N, ...), got a single number; "
                             "wrap one example as x[None]")
        out.append(arr)
    lengths = [len(a) for a in out]
    if len(set(lengths)) > 1:
        raise ValueError(f"{what}: expected the same number of rows N in every input, got "
                         f"shapes {', '.join(str(a.shape) for a in out)}")
    return out


def join_outputs(parts: list, what: str):
    """Join per-chunk outputs (each an array, or a tuple of arrays) along the batch axis."""
    first = parts[0]
    if isinstance(first, tuple):
        return tuple(np.concatenate([p[i] for p in parts]) if len(parts) > 1 else first[i]
                     for i in range(len(first)))
    return np.concatenate(parts) if len(parts) > 1 else first


def output_error(value, what: str) -> TypeError:
    return TypeError(f"{what}: expected the model to return a tensor or a tuple/list of tensors, "
                     f"got {type(value).__name__}")
