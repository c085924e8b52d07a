"""Reference pieces of a variational autoencoder in TensorFlow/Keras (lesson 05).

These are the answers the lesson 05 checkers compare with; the lesson writes its own versions in
visible cells. Conventions (the lesson's): the encoder outputs ``mu`` and ``log_var`` of shape
(N, latent_dim); the decoder outputs pixel *logits* (before the sigmoid); losses are in nats,
summed over pixels and latent dimensions, averaged over the images of the batch.
Written with ``keras.ops`` (works on TensorFlow tensors and numpy arrays).
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402

__all__ = ["reparameterize", "kl_divergence", "vae_loss", "kl_per_dimension", "vae_train_step"]


def reparameterize(mu, log_var, seed=None):
    """A sample z ~ N(mu, exp(log_var)) written as mu + sigma * eps, eps ~ N(0, I).

    mu, log_var : (N, latent_dim). ``seed``: an optional ``keras.random.SeedGenerator`` (pass
    one inside a model, so each call draws new noise). Returns z of the same shape; gradients
    flow to mu and log_var.
    """
    std = ops.exp(0.5 * log_var)
    eps = keras.random.normal(ops.shape(mu), seed=seed)
    return mu + std * eps


def kl_per_dimension(mu, log_var):
    """KL( N(mu, exp(log_var)) || N(0, 1) ) for each latent dimension separately: (N, latent_dim), nats."""
    return 0.5 * (ops.square(mu) + ops.exp(log_var) - 1.0 - log_var)


def kl_divergence(mu, log_var):
    """KL( q(z|x) || N(0, I) ) per image, summed over the latent dimensions: shape (N,), nats."""
    return ops.sum(kl_per_dimension(mu, log_var), axis=1)


def vae_loss(x, x_logits, mu, log_var, beta=1.0):
    """The negative ELBO (with a weight beta on the KL term), averaged over the batch.

    x : images in [0, 1], any shape (N, ...). x_logits : decoder logits, same shape as x.
    mu, log_var : (N, latent_dim). Returns (loss, reconstruction, kl), three scalars in nats per
    image, with loss = reconstruction + beta * kl and reconstruction the binary cross-entropy
    summed over the pixels of each image.
    """
    n = ops.shape(x)[0]
    x = ops.reshape(ops.cast(x, "float32"), (n, -1))
    x_logits = ops.reshape(x_logits, (n, -1))
    per_pixel = ops.binary_crossentropy(x, x_logits, from_logits=True)
    reconstruction = ops.mean(ops.sum(per_pixel, axis=1))
    kl = ops.mean(kl_divergence(mu, log_var))
    return reconstruction + beta * kl, reconstruction, kl


def vae_train_step(model, optimizer, images, beta=1.0):
    """One gradient step on the negative ELBO (beta-weighted) for one batch of ``images``.

    ``model`` has ``encoder(images) -> [mu, log_var]``, ``decoder(z) -> logits`` and
    ``trainable_weights`` (the lesson's VAE); ``optimizer`` is a Keras optimizer. z is sampled
    with the reparameterization trick, so the gradient reaches the encoder through z as well as
    through the KL term. Returns (loss, reconstruction, kl) of this batch *before* the step, three
    scalar tensors in nats per image (averaged over the batch): tensors, not Python numbers,
    because Keras' ``fit`` runs it inside a traced ``tf.function`` (the model's ``train_step``).
    """
    with tf.GradientTape() as tape:
        mu, log_var = model.encoder(images, training=True)
        z = reparameterize(mu, log_var)
        x_logits = model.decoder(z, training=True)
        loss, reconstruction, kl = vae_loss(images, x_logits, mu, log_var, beta)
    gradients = tape.gradient(loss, model.trainable_weights)
    optimizer.apply(gradients, model.trainable_weights)
    return loss, reconstruction, kl
