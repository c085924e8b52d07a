"""Small Keras decoders for the widget tests, fixture notebooks and benchmarks.

``pca_codec(images, latent_dim)`` -> (encoder, decoder): linear models holding whitened PCA
weights (see ``tiny_decoder_pca``), so they draw recognisable digits without training.
``mlp_decoder`` / ``conv_decoder``: randomly initialised decoders of the sizes the lessons use,
for timing one slider event. All map z (n, latent_dim) to images (n, 28, 28) in [0, 1].
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402
from keras import layers  # noqa: E402

from .tiny_decoder_pca import fit_pca_codec  # noqa: E402

__all__ = ["pca_codec", "mlp_decoder", "conv_decoder"]


def pca_codec(images, latent_dim: int = 2) -> tuple[keras.Model, keras.Model]:
    """(encoder: (n, 28, 28) -> (n, latent_dim), decoder: (n, latent_dim) -> (n, 28, 28))."""
    w = fit_pca_codec(images, latent_dim)
    encoder = keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(latent_dim)],
                               name="pca_encoder")
    encoder.layers[-1].set_weights([w["encoder_weight"], -(w["mean"] @ w["encoder_weight"])])
    decoder = keras.Sequential([keras.Input((latent_dim,)), layers.Dense(784),
                                layers.ReLU(max_value=1.0), layers.Reshape((28, 28))],
                               name="pca_decoder")
    decoder.layers[0].set_weights([w["decoder_weight"], w["mean"]])
    return encoder, decoder


def mlp_decoder(latent_dim: int = 2, hidden: int = 512, seed: int = 0) -> keras.Model:
    """latent -> hidden (ReLU) -> 784 (sigmoid) -> (28, 28); random weights, seeded."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((latent_dim,)), layers.Dense(hidden, activation="relu"),
                             layers.Dense(784, activation="sigmoid"), layers.Reshape((28, 28))],
                            name="mlp_decoder")


def conv_decoder(latent_dim: int = 2, seed: int = 0) -> keras.Model:
    """latent -> 7x7x32 -> transposed convs to 28x28x1 (sigmoid) -> (28, 28); random, seeded."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((latent_dim,)), layers.Dense(7 * 7 * 32, activation="relu"),
        layers.Reshape((7, 7, 32)),
        layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(1, 3, padding="same", activation="sigmoid"), layers.Reshape((28, 28))],
        name="conv_decoder")
