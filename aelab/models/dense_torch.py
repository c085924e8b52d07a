"""Reference code penalties of lesson 02 in PyTorch (the ``02.l1_code_penalty`` and
``02.contractive_penalty`` answers), on the tensors of a dense autoencoder's training step.

Shapes: images go in flat, (N, 784); codes and pre-activations are (N, k).
"""

from __future__ import annotations

import torch

__all__ = ["contractive_penalty", "l1_code_penalty"]


def l1_code_penalty(codes: torch.Tensor, weight: float) -> torch.Tensor:
    """Sparsity penalty: ``weight`` x (sum over code units of |code|), averaged over the batch.

    codes: (N, k) tensor. Returns a scalar tensor.
    """
    return weight * codes.abs().sum(dim=1).mean()


def contractive_penalty(encoder_weight: torch.Tensor, pre_activation: torch.Tensor,
                        weight: float) -> torch.Tensor:
    """Contractive penalty of a one-layer ReLU encoder h = relu(x W^T + b).

    The encoder's Jacobian dh/dx has rows ``relu'(a_j) W_j``, so its squared Frobenius norm is
    sum_j [a_j > 0] * ||W_j||^2. encoder_weight: (k, 784) (PyTorch's Linear layout);
    pre_activation a: (N, k). Returns ``weight`` x that norm, averaged over the batch.
    """
    active = (pre_activation > 0).to(encoder_weight.dtype)
    row_norms = (encoder_weight ** 2).sum(dim=1)
    return weight * (active * row_norms).sum(dim=1).mean()
