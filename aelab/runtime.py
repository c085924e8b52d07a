"""Run-time settings shared by every notebook: quick mode, seeds, threads, the active framework.

Environment variables
---------------------
AELAB_QUICK=1     quick mode: small subsets and few epochs, same code path (used by CI)
AELAB_THREADS=N   intra-op threads for PyTorch / TensorFlow (default: all cores)
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys
import warnings

import numpy as np

FRAMEWORKS = {"torch": "PyTorch", "keras": "TensorFlow/Keras", "numpy": "NumPy only"}
_state = {"framework": None, "seed": None}


def quick_mode() -> bool:
    """True when ``AELAB_QUICK`` is set to a true value (1, true, yes, on)."""
    return os.environ.get("AELAB_QUICK", "").strip().lower() in {"1", "true", "yes", "on"}


def _num_threads() -> int:
    """Threads each framework may use: ``AELAB_THREADS`` if set, else the number of cores."""
    value = os.environ.get("AELAB_THREADS")
    if value:
        try:
            n = int(value)
        except ValueError:
            raise ValueError(f"AELAB_THREADS must be a positive integer, got {value!r}") from None
        if n < 1:
            raise ValueError(f"AELAB_THREADS must be a positive integer, got {value!r}")
        return n
    return os.cpu_count() or 1


class _RetracingNoteFilter(logging.Filter):
    """Drops TensorFlow's "... triggered tf.function retracing" log record, nothing else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def _native_stderr_silenced():
    """Hide what C++ libraries write straight to file descriptor 2 (TensorFlow's start-up INFO
    lines ignore TF_CPP_MIN_LOG_LEVEL). Python exceptions are raised as usual."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def active_framework() -> str | None:
    """The framework chosen by :func:`setup` ("torch", "keras" or "numpy"), or None."""
    return _state["framework"]


def setup(framework: str, seed: int = 0, *, verbose: bool = True) -> dict:
    """Prepare a notebook: seed every random generator, set thread counts, record the framework.

    ``framework`` is "torch", "keras" or "numpy". Importing the framework happens here, so a
    notebook only ever loads the one it uses. Returns the settings as a dict.
    """
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {sorted(FRAMEWORKS)}, got {framework!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    other = {"torch": "tensorflow", "keras": "torch"}.get(framework)
    if other and other in sys.modules:
        raise RuntimeError(f"{other} is already imported in this kernel; a notebook uses one "
                           f"framework only. Restart the kernel and run the notebook from the top.")
    threads = _num_threads()
    random.seed(seed)
    np.random.seed(seed)
    version = np.__version__
    if framework == "torch":
        import torch

        torch.manual_seed(seed)
        torch.set_num_threads(threads)
        version = torch.__version__
    elif framework == "keras":
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        with _native_stderr_silenced():
            import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))
        except RuntimeError:
            pass  # TensorFlow already initialised in this kernel: thread counts are fixed now
        import keras

        keras.utils.set_random_seed(seed)
        # make_dataset shuffles its tf.data pipeline itself; Keras 3 would warn on every
        # fit(dataset) that its own shuffle=True default does not apply, which only confuses.
        warnings.filterwarnings("ignore", message="`shuffle=True` was passed, but will be ignored",
                                category=UserWarning)
        # Each new model gets its own traced predict step, so a lesson comparing several models
        # makes TensorFlow log "N out of the last M calls ... triggered tf.function retracing",
        # advice for production code that only alarms a student. Other TF log lines still show.
        tf_logger = tf.get_logger()
        if not any(isinstance(f, _RetracingNoteFilter) for f in tf_logger.filters):
            tf_logger.addFilter(_RetracingNoteFilter())
        version = f"{tf.__version__} (Keras {keras.__version__})"
    _state.update(framework=framework, seed=seed)
    settings = {"framework": framework, "version": version, "seed": seed, "threads": threads,
                "quick": quick_mode()}
    if verbose:
        mode = "QUICK mode (small data, few epochs)" if settings["quick"] else "full mode"
        print(f"aelab: {FRAMEWORKS[framework]} {version} | seed {seed} | "
              f"{threads} thread{'s' * (threads != 1)} | {mode}")
    return settings
