"""Reference pieces of an adversarial autoencoder in PyTorch (lesson 07).

These are the answers the lesson 07 checkers compare with; the lesson shows the same lines in
its solution cells. Conventions (the lesson's): ``model.encoder(images) -> z`` of shape
(N, latent_dim) (deterministic); ``model.decoder(z) -> logits`` (before the sigmoid), shaped
like the images; ``model.discriminator(d_input) -> logits`` of shape (N, 1), where ``d_input``
is z, or [z, condition] (concatenated along dimension 1) when a one-hot ``condition`` is given.
The reconstruction loss is in nats per image (binary cross-entropy summed over the pixels,
averaged over the batch); the adversarial losses are in nats per code (averaged over the batch).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["discriminator_loss", "encoder_adversarial_loss", "aae_train_step"]


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's binary cross-entropy: prior samples are "real" (target 1), codes of
    images are "fake" (target 0).

    real_logits, fake_logits : (N, 1) discriminator logits (the batch sizes may differ).
    Returns a scalar tensor: mean BCE of the real ones against 1 plus mean BCE of the fake ones
    against 0, computed from the logits (numerically stable).
    """
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def encoder_adversarial_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The encoder's loss as a generator: the non-saturating one, mean BCE of the codes'
    logits against target 1 ("make the discriminator call my codes real").

    fake_logits : (N, 1) discriminator logits of codes of images. Returns a scalar tensor,
    equal to mean(softplus(-fake_logits)).
    """
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def _discriminate(model, z: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
    """The discriminator's logits (N, 1) for codes z, with the condition appended if given."""
    if condition is not None:
        z = torch.cat([z, condition], dim=1)
    return model.discriminator(z)


def aae_train_step(model, optimizers, images: torch.Tensor, prior_samples: torch.Tensor,
                   condition: torch.Tensor | None = None) -> tuple[float, float, float]:
    """One training step of an adversarial autoencoder on one batch, in three phases.

    ``optimizers`` : (reconstruction, discriminator, generator) optimizers, built over the
    encoder + decoder parameters, the discriminator parameters and the encoder parameters.
    ``images`` : (N, 1, 28, 28) in [0, 1]. ``prior_samples`` : (N, latent_dim) samples of the
    prior. ``condition`` : optional (N, 10) one-hot labels, appended to what the discriminator
    sees (the label-informed prior).

    1. reconstruction: encoder and decoder step on the reconstruction loss;
    2. discriminator: it learns to tell prior samples (real) from codes (fake); the codes are
       detached, so this phase does not move the encoder;
    3. generator: the encoder steps to make its (recomputed) codes look real.

    Returns (reconstruction, discriminator loss, generator loss) as Python floats, each the loss
    of its phase before that phase's step.
    """
    reconstruction_optimizer, discriminator_optimizer, generator_optimizer = optimizers

    # 1. reconstruction
    logits = model.decoder(model.encoder(images))
    reconstruction = F.binary_cross_entropy_with_logits(logits, images, reduction="none")
    reconstruction = reconstruction.reshape(len(images), -1).sum(dim=1).mean()
    reconstruction_optimizer.zero_grad()
    reconstruction.backward()
    reconstruction_optimizer.step()

    # 2. discriminator: prior samples are real, codes are fake (no gradient into the encoder)
    z = model.encoder(images).detach()
    d_loss = discriminator_loss(_discriminate(model, prior_samples, condition),
                                _discriminate(model, z, condition))
    discriminator_optimizer.zero_grad()
    d_loss.backward()
    discriminator_optimizer.step()

    # 3. encoder as generator: make the codes look like prior samples
    z = model.encoder(images)
    g_loss = encoder_adversarial_loss(_discriminate(model, z, condition))
    generator_optimizer.zero_grad()
    g_loss.backward()
    generator_optimizer.step()

    return reconstruction.item(), d_loss.item(), g_loss.item()
