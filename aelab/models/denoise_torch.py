"""Reference denoising training loop in PyTorch (lesson 04's ``04.train_denoiser`` answer).

``train_denoiser(model, clean_images, add_noise, epochs, batch_size, learning_rate)``: clean
images (N, 1, 28, 28) float32 in [0, 1]; ``add_noise(batch)`` returns a noisy copy (numpy in,
numpy out); the model maps noisy images to clean ones. Returns the per-epoch mean losses.
"""

from __future__ import annotations

__all__ = ["train_denoiser"]


def train_denoiser(model, clean_images, add_noise, epochs, batch_size, learning_rate):
    """Train ``model`` to map ``add_noise(batch)`` to ``batch``: binary cross-entropy, Adam,
    fresh noise for every batch; the per-epoch mean losses (per image)."""
    import torch
    from torch import nn
    from tqdm.auto import tqdm

    from ..torch_support import make_dataloader

    loader = make_dataloader(clean_images, batch_size=batch_size)   # a new order every epoch
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    losses = []
    model.train()
    with tqdm(total=epochs * len(loader)) as bar:
        for epoch in range(epochs):
            bar.set_description(f"epoch {epoch + 1}/{epochs}")
            total = 0.0
            for (clean,) in loader:
                noisy = torch.from_numpy(add_noise(clean.numpy()))
                loss = nn.functional.binary_cross_entropy(model(noisy), clean)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(clean)
                bar.update()
            losses.append(total / len(clean_images))
            bar.set_postfix(loss=f"{losses[-1]:.4f}")
    model.eval()
    return losses
