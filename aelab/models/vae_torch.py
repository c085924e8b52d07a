"""Reference pieces of a variational autoencoder in PyTorch (lesson 05).

These are the answers the lesson 05 checkers compare with; the lesson writes its own versions in
visible cells. Conventions (the lesson's): the encoder outputs ``mu`` and ``log_var`` of shape
(N, latent_dim); the decoder outputs pixel *logits* (before the sigmoid); losses are in nats,
summed over pixels and latent dimensions, averaged over the images of the batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["reparameterize", "kl_divergence", "vae_loss", "kl_per_dimension", "vae_train_step"]


def reparameterize(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """A sample z ~ N(mu, exp(log_var)) written as mu + sigma * eps, eps ~ N(0, I).

    mu, log_var : (N, latent_dim). Returns z of the same shape; gradients flow to mu and log_var.
    """
    std = torch.exp(0.5 * log_var)
    eps = torch.randn_like(std)
    return mu + std * eps


def kl_per_dimension(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL( N(mu, exp(log_var)) || N(0, 1) ) for each latent dimension separately: (N, latent_dim), nats."""
    return 0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var)


def kl_divergence(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL( q(z|x) || N(0, I) ) per image, summed over the latent dimensions: shape (N,), nats."""
    return kl_per_dimension(mu, log_var).sum(dim=1)


def vae_loss(x: torch.Tensor, x_logits: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor,
             beta: float = 1.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The negative ELBO (with a weight beta on the KL term), averaged over the batch.

    x : images in [0, 1], any shape (N, ...). x_logits : decoder logits, same shape as x.
    mu, log_var : (N, latent_dim). Returns (loss, reconstruction, kl), three scalars in nats per
    image, with loss = reconstruction + beta * kl and reconstruction the binary cross-entropy
    summed over the pixels of each image.
    """
    reconstruction = F.binary_cross_entropy_with_logits(x_logits, x, reduction="none")
    reconstruction = reconstruction.reshape(len(x), -1).sum(dim=1).mean()
    kl = kl_divergence(mu, log_var).mean()
    return reconstruction + beta * kl, reconstruction, kl


def vae_train_step(model, optimizer: torch.optim.Optimizer, images: torch.Tensor,
                   beta: float = 1.0) -> tuple[float, float, float]:
    """One gradient step on the negative ELBO (beta-weighted) for one batch of ``images``.

    ``model`` has ``encode(images) -> (mu, log_var)`` and ``decoder(z) -> logits`` (the lesson's
    VAE). z is sampled with the reparameterization trick, so the gradient reaches the encoder
    through z as well as through the KL term. Returns (loss, reconstruction, kl) of this batch
    *before* the step, as Python floats in nats per image (averaged over the batch).
    """
    mu, log_var = model.encode(images)
    z = reparameterize(mu, log_var)
    loss, reconstruction, kl = vae_loss(images, model.decoder(z), mu, log_var, beta)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item(), reconstruction.item(), kl.item()
