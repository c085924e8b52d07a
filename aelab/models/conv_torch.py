"""Reference pieces of lesson 03 in PyTorch: the convolutional encoder (``03.build_conv_encoder``)
and the mirror decoder (``03.build_decoder``).

Shapes: codes (N, latent_dim) -> images (N, 1, 28, 28) float32 in [0, 1] (channels first).
The mirror of the lesson's encoder (two stride-2 3x3 convolutions, 28 -> 14 -> 7, then a linear
layer to the code): a linear layer back to 32 x 7 x 7, then two stride-2 4x4 transposed
convolutions (7 -> 14 -> 28); a 4x4 kernel with stride 2 overlaps evenly (no checkerboard).
"""

from __future__ import annotations

from torch import nn

__all__ = ["build_conv_encoder", "build_decoder"]


def _check_latent(latent_dim, name: str = "latent_dim") -> int:
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"{name} must be a positive int, got {latent_dim!r}")
    return latent_dim


def build_conv_encoder(out_channels: int = 32) -> nn.Sequential:
    """The convolutional part of the encoder (lesson 03's "build it" exercise):
    (N, 1, 28, 28) -> (N, out_channels, 7, 7), two stride-2 3x3 convolutions (1 -> 16 ->
    out_channels channels), each followed by a ReLU."""
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),             # 28 -> 14
        nn.Conv2d(16, _check_latent(out_channels, "out_channels"), kernel_size=3, stride=2,
                  padding=1), nn.ReLU(),                                             # 14 -> 7
    )



def build_decoder(latent_dim: int = 32, channels=(16, 32)) -> nn.Sequential:
    """(N, latent_dim) -> (N, 1, 28, 28) in [0, 1]: the mirror of the lesson's encoder."""
    c1, c2 = channels
    return nn.Sequential(
        nn.Linear(_check_latent(latent_dim), c2 * 7 * 7), nn.ReLU(),
        nn.Unflatten(1, (c2, 7, 7)),
        nn.ConvTranspose2d(c2, c1, kernel_size=4, stride=2, padding=1), nn.ReLU(),  # 7 -> 14
        nn.ConvTranspose2d(c1, 1, kernel_size=4, stride=2, padding=1), nn.Sigmoid(),  # 14 -> 28
    )
