"""Reference mirror decoder in Keras, as built in lesson 03 (the ``03.build_decoder`` answer).

Shapes: codes (N, latent_dim) -> images (N, 28, 28, 1) float32 in [0, 1] (channels last).
The mirror of the lesson's encoder (two stride-2 3x3 convolutions, 28 -> 14 -> 7, then a dense
layer to the code): a dense layer back to 7 x 7 x 32, then two stride-2 4x4 transposed
convolutions (7 -> 14 -> 28); a 4x4 kernel with stride 2 overlaps evenly (no checkerboard).
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402
from keras import layers  # noqa: E402

__all__ = ["build_decoder"]


def _check_latent(latent_dim) -> int:
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive int, got {latent_dim!r}")
    return latent_dim


def build_decoder(latent_dim: int = 32, channels=(16, 32)) -> keras.Sequential:
    """(N, latent_dim) -> (N, 28, 28, 1) in [0, 1]: the mirror of the lesson's encoder."""
    c1, c2 = channels
    return keras.Sequential([
        keras.Input((_check_latent(latent_dim),)),
        layers.Dense(7 * 7 * c2, activation="relu"),
        layers.Reshape((7, 7, c2)),
        layers.Conv2DTranspose(c1, 4, strides=2, padding="same", activation="relu"),  # 7 -> 14
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid"),  # -> 28
    ], name="decoder")
