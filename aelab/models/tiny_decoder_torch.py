"""Small PyTorch decoders for the widget tests, fixture notebooks and benchmarks.

``pca_codec(images, latent_dim)`` -> (encoder, decoder): linear models holding whitened PCA
weights (see ``tiny_decoder_pca``), so they draw recognisable digits without training.
``mlp_decoder`` / ``conv_decoder``: randomly initialised decoders of the sizes the lessons use,
for timing one slider event. All map z (n, latent_dim) to images (n, 28, 28) in [0, 1].
"""

from __future__ import annotations

import torch
from torch import nn

from .tiny_decoder_pca import fit_pca_codec

__all__ = ["pca_codec", "mlp_decoder", "conv_decoder"]


class _Clip01(nn.Module):
    def forward(self, x):
        return x.clamp(0.0, 1.0)


def pca_codec(images, latent_dim: int = 2) -> tuple[nn.Module, nn.Module]:
    """(encoder: (n, 28, 28) -> (n, latent_dim), decoder: (n, latent_dim) -> (n, 28, 28))."""
    w = fit_pca_codec(images, latent_dim)
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, latent_dim))
    decoder = nn.Sequential(nn.Linear(latent_dim, 784), _Clip01(), nn.Unflatten(1, (28, 28)))
    with torch.no_grad():
        encoder[1].weight.copy_(torch.from_numpy(w["encoder_weight"].T.copy()))
        encoder[1].bias.copy_(torch.from_numpy(-(w["mean"] @ w["encoder_weight"])))
        decoder[0].weight.copy_(torch.from_numpy(w["decoder_weight"].T.copy()))
        decoder[0].bias.copy_(torch.from_numpy(w["mean"]))
    return encoder.eval(), decoder.eval()


def mlp_decoder(latent_dim: int = 2, hidden: int = 512, seed: int = 0) -> nn.Module:
    """latent -> hidden (ReLU) -> 784 (sigmoid) -> (28, 28); random weights, seeded."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, 784),
                         nn.Sigmoid(), nn.Unflatten(1, (28, 28))).eval()


def conv_decoder(latent_dim: int = 2, seed: int = 0) -> nn.Module:
    """latent -> 7x7x32 -> transposed convs to 28x28x1 (sigmoid) -> (28, 28); random, seeded."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(latent_dim, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
        nn.ConvTranspose2d(32, 32, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.Conv2d(16, 1, 3, padding=1), nn.Sigmoid(), nn.Flatten(1, 2)).eval()
