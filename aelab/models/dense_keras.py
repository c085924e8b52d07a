"""Reference pieces of lesson 02 in Keras: the training loop (``02.train_autoencoder``) and the code
penalties (``02.l1_code_penalty``, ``02.contractive_penalty``) on the tensors of a training step.

Shapes: images go in flat, (N, 784); codes and pre-activations are (N, k).
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

__all__ = ["contractive_penalty", "l1_code_penalty", "train_autoencoder"]


def l1_code_penalty(codes, weight: float):
    """Sparsity penalty: ``weight`` x (sum over code units of |code|), averaged over the batch.

    codes: (N, k) tensor. Returns a scalar tensor.
    """
    return weight * tf.reduce_mean(tf.reduce_sum(tf.abs(codes), axis=1))


def contractive_penalty(encoder_kernel, pre_activation, weight: float):
    """Contractive penalty of a one-layer ReLU encoder h = relu(x K + b).

    Squared Frobenius norm of dh/dx: sum_j [a_j > 0] * ||K[:, j]||^2. encoder_kernel: (784, k)
    (Keras' Dense layout); pre_activation a: (N, k). Returns ``weight`` x that, batch-averaged.
    """
    active = tf.cast(pre_activation > 0, encoder_kernel.dtype)
    column_norms = tf.reduce_sum(tf.square(encoder_kernel), axis=0)
    return weight * tf.reduce_mean(tf.reduce_sum(active * column_norms, axis=1))


def train_autoencoder(model, images, epochs: int, batch_size: int,
                      learning_rate: float) -> list[float]:
    """Train ``model`` to reproduce ``images`` ((N, 784) numpy, float32 in [0, 1]); lesson 02's loop.

    Adam at ``learning_rate`` on the mean squared error, ``epochs`` passes over the images in
    mini-batches of ``batch_size``, reshuffled each epoch (seeded,
    :func:`aelab.keras_support.make_dataset`), with ``fit``'s progress bar over the batches. Returns
    the mean training loss of each epoch (``history.history["loss"]``, Python floats) and leaves
    the model trained.
    """
    from ..keras_support import make_dataset

    # steps_per_execution=25: fit runs 25 mini-batches per call into TensorFlow instead of one
    # (the same training, less overhead per batch)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse", steps_per_execution=25)
    # Create Adam's state now: if fit has to create it while tracing the training step into a
    # TensorFlow graph, it traces the step twice.
    model.optimizer.build(model.trainable_variables)
    history = model.fit(make_dataset(images, images, batch_size=batch_size), epochs=epochs)
    return history.history["loss"]
