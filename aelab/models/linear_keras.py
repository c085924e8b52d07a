"""Reference linear autoencoder for lesson 01 (TensorFlow/Keras).

``LinearAutoencoder(input_dim, latent_dim)``: ``encoder`` is one ``Dense(latent_dim)``,
``decoder`` one ``Dense(input_dim)``, no activation. Dense layers start Glorot-uniform with zero
biases (the Keras default). Imports TensorFlow; ``import aelab`` alone never imports this module.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402

__all__ = ["LinearAutoencoder"]


class LinearAutoencoder(keras.Model):
    """(N, input_dim) -> code (N, latent_dim) -> reconstruction (N, input_dim), all linear."""

    def __init__(self, input_dim: int, latent_dim: int, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("input_dim", input_dim), ("latent_dim", latent_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.encoder = keras.layers.Dense(latent_dim, name="encoder")
        self.decoder = keras.layers.Dense(input_dim, name="decoder")

    def call(self, x):
        return self.decoder(self.encoder(x))
