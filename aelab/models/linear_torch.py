"""Reference linear autoencoder for lesson 01 (PyTorch).

``LinearAutoencoder(input_dim, latent_dim)``: ``encoder`` is one ``nn.Linear(input_dim,
latent_dim)``, ``decoder`` one ``nn.Linear(latent_dim, input_dim)``, no nonlinearity in between.
Trained with mean squared error on centred data it finds PCA's subspace (lesson 01).
Imports torch; ``import aelab`` alone never imports this module.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["LinearAutoencoder", "glorot_init_"]


class LinearAutoencoder(nn.Module):
    """(N, input_dim) -> code (N, latent_dim) -> reconstruction (N, input_dim), all linear."""

    def __init__(self, input_dim: int, latent_dim: int):
        super().__init__()
        for name, value in (("input_dim", input_dim), ("latent_dim", latent_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.encoder = nn.Linear(input_dim, latent_dim)
        self.decoder = nn.Linear(latent_dim, input_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def glorot_init_(model: nn.Module) -> nn.Module:
    """Glorot-uniform weights and zero biases for every ``nn.Linear`` of ``model`` (in place).

    The Keras default. PyTorch's default gives a 784 -> k -> 784 autoencoder a decoder far
    larger than its encoder, which slows gradient descent down a lot for small k.
    """
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model
