"""Reference pieces of an adversarial autoencoder in TensorFlow/Keras (lesson 07).

These are the answers the lesson 07 checkers compare with; the lesson shows the same lines in
its solution cells. Conventions (the lesson's): ``model.encoder(images) -> z`` of shape
(N, latent_dim) (deterministic); ``model.decoder(z) -> logits`` (before the sigmoid), shaped
like the images; ``model.discriminator(d_input) -> logits`` of shape (N, 1), where ``d_input``
is z, or [z, condition] (concatenated along axis 1) when a one-hot ``condition`` is given.
The reconstruction loss is in nats per image (binary cross-entropy summed over the pixels,
averaged over the batch); the adversarial losses are in nats per code (averaged over the batch).
Written with ``keras.ops`` (works on TensorFlow tensors and numpy arrays).
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402

__all__ = ["discriminator_loss", "encoder_adversarial_loss", "aae_train_step"]


def discriminator_loss(real_logits, fake_logits):
    """The discriminator's binary cross-entropy: prior samples are "real" (target 1), codes of
    images are "fake" (target 0).

    real_logits, fake_logits : (N, 1) discriminator logits (the batch sizes may differ).
    Returns a scalar tensor: mean BCE of the real ones against 1 plus mean BCE of the fake ones
    against 0, computed from the logits (numerically stable).
    """
    real = ops.mean(ops.binary_crossentropy(ops.ones_like(real_logits), real_logits,
                                            from_logits=True))
    fake = ops.mean(ops.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits,
                                            from_logits=True))
    return real + fake


def encoder_adversarial_loss(fake_logits):
    """The encoder's loss as a generator: the non-saturating one, mean BCE of the codes'
    logits against target 1 ("make the discriminator call my codes real").

    fake_logits : (N, 1) discriminator logits of codes of images. Returns a scalar tensor,
    equal to mean(softplus(-fake_logits)).
    """
    return ops.mean(ops.binary_crossentropy(ops.ones_like(fake_logits), fake_logits,
                                            from_logits=True))


def _discriminate(model, z, condition):
    """The discriminator's logits (N, 1) for codes z, with the condition appended if given."""
    if condition is not None:
        z = ops.concatenate([z, ops.cast(condition, z.dtype)], axis=1)
    return model.discriminator(z, training=True)


def aae_train_step(model, optimizers, images, prior_samples, condition=None):
    """One training step of an adversarial autoencoder on one batch, in three phases.

    ``optimizers`` : (reconstruction, discriminator, generator) Keras optimizers, applied to
    the encoder + decoder weights, the discriminator weights and the encoder weights.
    ``images`` : (N, 28, 28, 1) in [0, 1]. ``prior_samples`` : (N, latent_dim) samples of the
    prior. ``condition`` : optional (N, 10) one-hot labels, appended to what the discriminator
    sees (the label-informed prior).

    1. reconstruction: encoder and decoder step on the reconstruction loss;
    2. discriminator: it learns to tell prior samples (real) from codes (fake); only the
       discriminator's weights are updated, so this phase does not move the encoder;
    3. generator: the encoder steps to make its (recomputed) codes look real.

    Returns (reconstruction, discriminator loss, generator loss), scalar tensors, each the loss
    of its phase before that phase's step: tensors, not Python numbers, because Keras' ``fit``
    runs it inside a traced ``tf.function`` (the model's ``train_step``).
    """
    reconstruction_optimizer, discriminator_optimizer, generator_optimizer = optimizers
    autoencoder_weights = model.encoder.trainable_weights + model.decoder.trainable_weights
    discriminator_weights = model.discriminator.trainable_weights
    encoder_weights = model.encoder.trainable_weights
    images = ops.cast(images, "float32")
    n = ops.shape(images)[0]

    # 1. reconstruction
    with tf.GradientTape() as tape:
        logits = model.decoder(model.encoder(images, training=True), training=True)
        per_pixel = ops.binary_crossentropy(ops.reshape(images, (n, -1)),
                                            ops.reshape(logits, (n, -1)), from_logits=True)
        reconstruction = ops.mean(ops.sum(per_pixel, axis=1))
    gradients = tape.gradient(reconstruction, autoencoder_weights)
    reconstruction_optimizer.apply(gradients, autoencoder_weights)

    # 2. discriminator: prior samples are real, codes are fake (only its weights are updated)
    z = model.encoder(images, training=True)
    with tf.GradientTape() as tape:
        d_loss = discriminator_loss(_discriminate(model, prior_samples, condition),
                                    _discriminate(model, z, condition))
    gradients = tape.gradient(d_loss, discriminator_weights)
    discriminator_optimizer.apply(gradients, discriminator_weights)

    # 3. encoder as generator: make the codes look like prior samples
    with tf.GradientTape() as tape:
        z = model.encoder(images, training=True)
        g_loss = encoder_adversarial_loss(_discriminate(model, z, condition))
    gradients = tape.gradient(g_loss, encoder_weights)
    generator_optimizer.apply(gradients, encoder_weights)

    return reconstruction, d_loss, g_loss
