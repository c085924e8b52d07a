"""Reference dense (fully connected) autoencoders in PyTorch, as built in lesson 02.

Shapes: images go in flat, (N, 784) float32 in [0, 1]; codes are (N, latent_dim).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["DenseAutoencoder", "contractive_penalty", "l1_code_penalty", "train_autoencoder"]

_OUTPUTS = {"sigmoid": nn.Sigmoid, "linear": nn.Identity, "tanh": nn.Tanh}


class DenseAutoencoder(nn.Module):
    """784 -> hidden... -> latent_dim -> ...hidden reversed -> 784, ReLU between layers.

    ``hidden`` lists the encoder's hidden widths (the decoder mirrors them); ``output`` is the
    last activation ("sigmoid" for pixels in [0, 1], "linear", or "tanh" for [-1, 1]).
    The code layer itself is linear (no activation), so no code unit can die.
    """

    def __init__(self, latent_dim: int, hidden=(256, 64), output: str = "sigmoid",
                 input_dim: int = 784):
        super().__init__()
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive int, got {latent_dim!r}")
        if output not in _OUTPUTS:
            raise ValueError(f"output must be one of {sorted(_OUTPUTS)}, got {output!r}")
        hidden = tuple(hidden)
        if not all(isinstance(h, int) and h > 0 for h in hidden):
            raise ValueError(f"hidden must be positive ints, got {hidden!r}")
        self.latent_dim = latent_dim
        sizes = (input_dim, *hidden)
        layers = []
        for n_in, n_out in zip(sizes, sizes[1:]):
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        self.encoder = nn.Sequential(*layers, nn.Linear(sizes[-1], latent_dim))
        back = (latent_dim, *reversed(hidden))
        layers = []
        for n_in, n_out in zip(back, back[1:]):
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        self.decoder = nn.Sequential(*layers, nn.Linear(back[-1], input_dim), _OUTPUTS[output]())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 784) images -> (N, 784) reconstructions."""
        return self.decoder(self.encoder(x))


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
