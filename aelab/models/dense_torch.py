"""Reference pieces of lesson 02 in PyTorch: the training loop (``02.train_autoencoder``) and the
code penalties (``02.l1_code_penalty``, ``02.contractive_penalty``) on the tensors of a training step.

Shapes: images go in flat, (N, 784); codes and pre-activations are (N, k).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["contractive_penalty", "l1_code_penalty", "train_autoencoder"]


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


def train_autoencoder(model: nn.Module, images, epochs: int, batch_size: int,
                      learning_rate: float) -> list[float]:
    """Train ``model`` to reproduce ``images`` ((N, 784) numpy, float32 in [0, 1]); lesson 02's loop.

    Adam at ``learning_rate`` on the mean squared error between each mini-batch of
    ``batch_size`` images and its reconstruction, ``epochs`` passes over the images, reshuffled
    each epoch (seeded, :func:`aelab.torch_support.make_dataloader`). One tqdm bar counts the
    mini-batches of every epoch. Returns the mean training loss of each epoch (Python floats,
    each batch weighted by its size) and leaves the model trained, in eval mode.
    """
    from tqdm.auto import tqdm

    from ..torch_support import make_dataloader

    loader = make_dataloader(images, images, batch_size=batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    losses = []
    progress = tqdm(total=epochs * len(loader), unit="batch", leave=False)
    for epoch in range(epochs):
        model.train()
        total = 0.0
        progress.set_description(f"epoch {epoch + 1}/{epochs}")
        for inputs, targets in loader:
            loss = nn.functional.mse_loss(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(inputs)
            progress.update()
        losses.append(total / len(images))
    progress.close()
    model.eval()
    return losses
