"""TensorFlow/Keras adapters: tf.data pipelines from numpy arrays, numpy-in/numpy-out wrappers.

Imports TensorFlow when this module is imported; ``import aelab`` alone never does.
"""

from __future__ import annotations

import os
import weakref

import numpy as np

from . import _bridge
from .runtime import _native_stderr_silenced

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
with _native_stderr_silenced():
    import keras
    import tensorflow as tf

__all__ = ["make_dataset", "numpy_function", "count_parameters", "load_pretrained"]


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


def numpy_function(model, *, output=None, batch_size: int = 1024, compiled: bool = True):
    """Wrap a Keras model as numpy in, numpy out: ``f(*arrays)``, run with ``training=False``.

    model : a Keras model or layer (e.g. ``vae.encoder``, or a conditional decoder with the
        inputs ``[z, labels]``), or any function of arrays.
    f(*arrays) : one array per input of the model, all with the same batch length N; float
        arrays become float32 tensors, integer arrays (labels) int64. They run in chunks of
        ``batch_size``; a model with several inputs gets them as a list, as Keras expects.
    The result is numpy: an array, or a tuple of arrays when the model returns several tensors.
    output : optional function applied to that numpy result before it is returned, e.g.
        ``lambda out: out[0]`` to keep the means of an encoder returning [mu, log_var], or
        ``lambda logits: scipy.special.expit(logits).reshape(-1, 28, 28)`` for images.
    A Keras model or layer is called through a ``tf.function`` (``compiled=True``): one small
    call, such as decoding a single latent vector for a slider event, then costs well under a
    millisecond instead of several milliseconds eagerly. The compiled function reads the model's
    current weights on every call, so it stays valid while the model keeps training, and it is
    made once per model: wrapping the same model again costs nothing. ``compiled=False`` runs
    eagerly (no tracing: cheaper for a model called only a few times).
    Bad input (strings, None, ragged or boolean arrays, mismatched N, the wrong number of
    inputs for the model) raises a TypeError / ValueError saying what was expected.
    Same signature as :func:`aelab.torch_support.numpy_function`, plus ``compiled``.
    """
    _bridge.check_arguments(model, output, batch_size, "a Keras model or a function of arrays")
    is_layer = isinstance(model, keras.layers.Layer)
    what = f"numpy_function({model.name if is_layer else _bridge.describe(model)})"
    if is_layer:
        try:
            expected = len(model.inputs)   # functional and Sequential models know their inputs
        except (AttributeError, TypeError, ValueError):
            expected = None                # a subclassed model or a layer: Keras will say
        call = _compiled_call(model) if compiled else (lambda x: model(x, training=False))
    else:
        expected = _bridge.signature_of(model)

    def to_numpy(value):
        if isinstance(value, (tuple, list)):
            return tuple(_tensor_to_numpy(v, what) for v in value)
        return _tensor_to_numpy(value, what)

    def run(chunks):
        if not is_layer:
            return model(*chunks)
        tensors = [tf.constant(c) for c in chunks]
        return call(tensors if len(tensors) > 1 else tensors[0])

    accepted_counts = set()

    def apply(*arrays):
        inputs = _bridge.numpy_inputs(arrays, what)
        _bridge.check_count(expected, len(inputs), what, accepted_counts)
        n = len(inputs[0])
        if n <= batch_size:   # one chunk, e.g. the single code of a slider event
            parts = [to_numpy(run(inputs))]
        else:
            parts = [to_numpy(run([x[i:i + batch_size] for x in inputs]))
                     for i in range(0, n, batch_size)]
        result = _bridge.join_outputs(parts, what)
        return result if output is None else output(result)

    apply.model = model  # the wrapper keeps its model alive (the compiled-call cache does not)
    return apply


def _tensor_to_numpy(value, what: str) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if tf.is_tensor(value) or hasattr(value, "__array__"):
        return np.asarray(value)
    raise _bridge.output_error(value, what)


_COMPILED_CALLS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _compiled_call(layer):
    """``call(x)``: ``layer(x, training=False)`` through a ``tf.function``, one per layer.

    x is a tensor, or a list of tensors for a model with several inputs. The function is traced
    once per input signature with any batch size, and ``call`` runs that concrete function
    directly: a polymorphic ``tf.function`` call would first match its arguments against its
    traces, a fixed cost that weighs on a small call such as one slider event's decode.
    Cached so that wrapping the same model again (``numpy_function(model)(x)`` in several cells)
    reuses the traced graph instead of tracing anew. The function holds the layer only through
    a weak reference, so the cache never keeps a model alive.
    """
    call = _COMPILED_CALLS.get(layer)
    if call is None:
        layer_ref = weakref.ref(layer)
        traced = tf.function(lambda x: layer_ref()(x, training=False), reduce_retracing=True)
        concrete = {}   # (shape without the batch axis, dtype) of each input -> ConcreteFunction

        def call(x):
            tensors = x if isinstance(x, list) else [x]
            key = tuple((tuple(t.shape[1:]), t.dtype) for t in tensors)
            function = concrete.get(key)
            if function is None:
                specs = [tf.TensorSpec((None, *t.shape[1:]), t.dtype) for t in tensors]
                function = concrete[key] = traced.get_concrete_function(
                    specs if isinstance(x, list) else specs[0])
            return function(x)

        call.experimental_get_tracing_count = traced.experimental_get_tracing_count
        _COMPILED_CALLS[layer] = call
    return call


def count_parameters(model: keras.Model) -> int:
    """Number of trainable parameters."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def load_pretrained(model: keras.Model, name: str) -> keras.Model:
    """Load the course's pretrained weights ``name`` (one of ``aelab.pretrained.MODELS``) into
    the lesson's model ``model`` (a model with ``encoder`` and ``decoder`` built by the lesson's
    ``build_*`` functions with the same latent size and channels: lesson 05's VAEs, lesson 07's
    ``AAE``, whose discriminator keeps its weights); returns the model. The weights are stored in PyTorch's layout and converted by
    :func:`aelab.pretrained.keras_weights`. The file is checked against its SHA-256 first
    (:class:`aelab.data.DataFileError` naming it when missing or corrupt); a model of another
    shape, or with other activations than the file's model (relu, silu: they hold no weights, so
    shapes cannot tell), raises a ValueError naming the file and what differs.
    Same signature as :func:`aelab.torch_support.load_pretrained`.
    """
    from .pretrained import _path, keras_weights, model_info

    if not isinstance(getattr(model, "encoder", None), keras.Model) or \
            not isinstance(getattr(model, "decoder", None), keras.Model):
        raise TypeError(f"model: expected a Keras model with .encoder and .decoder models, "
                        f"got {type(model).__name__}")
    used = {getattr(layer.activation, "__name__", "") for part in ("encoder", "decoder")
            for layer in getattr(model, part).layers if hasattr(layer, "activation")} - {"linear"}
    expected = model_info(name)["activation"]
    if used != {expected}:
        raise ValueError(f"{_path(name)} does not fit this model: the file's model uses {expected} "
                         f"between its layers, this one {', '.join(sorted(used)) or 'none'}")
    converted = keras_weights(name)
    for part in ("encoder", "decoder"):
        targets = [layer for layer in getattr(model, part).layers if layer.weights]
        arrays = converted[part]
        shapes = [[tuple(w.shape) for w in layer.weights] for layer in targets]
        wanted = [[a.shape for a in pair] for pair in arrays]
        if shapes != wanted:
            raise ValueError(f"{_path(name)} does not fit this model's {part}: its layers have "
                             f"weight shapes {shapes}, the file holds {wanted}")
        for layer, pair in zip(targets, arrays):
            layer.set_weights(pair)
    return model
