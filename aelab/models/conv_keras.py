"""Reference pieces of lesson 03 in Keras: the convolutional encoder (``03.build_conv_encoder``)
and the mirror decoder (``03.build_decoder``).

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

__all__ = ["build_conv_encoder", "build_decoder"]


def _check_latent(latent_dim, name: str = "latent_dim") -> int:
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"{name} must be a positive int, got {latent_dim!r}")
    return latent_dim


def build_conv_encoder(out_channels: int = 32) -> keras.Sequential:
    """The convolutional part of the encoder (lesson 03's "build it" exercise):
    (N, 28, 28, 1) -> (N, 7, 7, out_channels), two stride-2 3x3 convolutions (1 -> 16 ->
    out_channels channels), each followed by a ReLU."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(16, 3, strides=2, padding="same"), layers.ReLU(),               # 28 -> 14
        layers.Conv2D(_check_latent(out_channels, "out_channels"), 3, strides=2,
                      padding="same"), layers.ReLU(),                                 # 14 -> 7
    ], name="conv_encoder")



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
