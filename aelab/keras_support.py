"""TensorFlow/Keras adapters: tf.data pipelines from numpy arrays, numpy-in/numpy-out wrappers.

Imports TensorFlow when this module is imported; ``import aelab`` alone never does.
"""

from __future__ import annotations

import os
import weakref

import numpy as np

from .runtime import _native_stderr_silenced

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
with _native_stderr_silenced():
    import keras
    import tensorflow as tf

__all__ = ["make_dataset", "numpy_function", "count_parameters"]


def _array(values, name: str) -> np.ndarray:
    if not isinstance(values, np.ndarray):
        raise TypeError(f"{name}: expected a numpy array, got {type(values).__name__}")
    if np.issubdtype(values.dtype, np.floating):
        return values.astype(np.float32, copy=False)
    if np.issubdtype(values.dtype, np.integer):
        return values.astype(np.int64, copy=False)
    raise TypeError(f"{name}: expected a float or integer array, got dtype {values.dtype}")


def make_dataset(inputs: np.ndarray, targets: np.ndarray | None = None, *,
                 batch_size: int = 128, shuffle: bool = True, seed: int = 0) -> tf.data.Dataset:
    """A batched ``tf.data.Dataset`` of ``inputs`` or ``(inputs, targets)`` from numpy arrays.

    For an autoencoder pass the images twice: ``make_dataset(x, x)``, then ``model.fit(ds)``.
    Shuffling is seeded and reshuffles each epoch, the same way on every run.
    """
    tensors = _array(inputs, "inputs")
    if targets is not None:
        if len(targets) != len(inputs):
            raise ValueError(f"inputs and targets must have the same length, "
                             f"got {len(inputs)} and {len(targets)}")
        tensors = (tensors, _array(targets, "targets"))
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    ds = tf.data.Dataset.from_tensor_slices(tensors)
    if shuffle:
        ds = ds.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def numpy_function(model, *, batch_size: int = 1024, compiled: bool = True):
    """Wrap a Keras model (or layer / tensor function) as ``f(np.ndarray) -> np.ndarray``.

    Inputs are cast to float32 and run in chunks of ``batch_size`` with ``training=False``.
    A Keras model or layer is called through a ``tf.function`` (``compiled=True``): one small
    call, such as decoding a single latent vector for a slider event, then costs well under a
    millisecond instead of the ~10 ms of an eager call. The compiled function reads the model's
    current weights on every call, so it stays valid while the model keeps training, and it is
    made once per model: wrapping the same model again costs nothing.
    """
    is_layer = isinstance(model, keras.layers.Layer)
    if is_layer and compiled:
        call = _compiled_call(model)
    elif is_layer:
        def call(x):
            return model(x, training=False)
    else:
        call = model

    def apply(values: np.ndarray) -> np.ndarray:
        x = np.asarray(values, dtype=np.float32)
        parts = [np.asarray(call(tf.constant(x[i:i + batch_size]) if is_layer else x[i:i + batch_size]))
                 for i in range(0, len(x), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0,), np.float32)

    apply.model = model  # the wrapper keeps its model alive (the compiled-call cache does not)
    return apply


_COMPILED_CALLS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _compiled_call(layer):
    """The ``tf.function`` running ``layer(x, training=False)``, one per layer.

    Cached so that wrapping the same model again (``numpy_function(model)(x)`` in several cells)
    reuses the traced graph instead of tracing anew (~40 ms each time). The function holds the
    layer only through a weak reference, so the cache never keeps a model alive.
    """
    call = _COMPILED_CALLS.get(layer)
    if call is None:
        layer_ref = weakref.ref(layer)

        def run(x):
            return layer_ref()(x, training=False)

        call = _COMPILED_CALLS[layer] = tf.function(run, reduce_retracing=True)
    return call


def count_parameters(model: keras.Model) -> int:
    """Number of trainable parameters."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))
