"""Reference code penalties of lesson 02 in Keras (the ``02.l1_code_penalty`` and
``02.contractive_penalty`` answers), on the tensors of a dense autoencoder's training step.

Shapes: images go in flat, (N, 784); codes and pre-activations are (N, k).
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["contractive_penalty", "l1_code_penalty"]


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
