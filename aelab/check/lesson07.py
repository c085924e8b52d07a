"""Checkers for lesson 07 (the adversarial autoencoder): sampling the mixture-of-Gaussians prior
(numpy), the discriminator's loss, the encoder's adversarial loss, and the "build it" exercise,
one three-phase training step (``aae_train_step``).

The contract between the lesson and these checkers: labels are ints in 0..9, one mixture
component each; discriminator inputs and outputs are logits of shape (N, 1); the train step
takes ``(model, optimizers, images, prior_samples, condition=None)`` with ``model.encoder``,
``model.decoder`` and ``model.discriminator``; the framework references are in
``aelab.models.aae_torch`` / ``aelab.models.aae_keras``.
"""

from __future__ import annotations

import numpy as np

N_COMPONENTS = 10


# --------------------------------------------------------------------------------------------
# References


def sample_mixture_prior_reference(labels, rng, radius=4.0, std=0.5):
    """Samples of a mixture of 10 Gaussians in 2-D, one per label.

    ``labels`` : (N,) ints in 0..9, the component of each sample. Component k is an isotropic
    Gaussian with standard deviation ``std`` centred at radius * (cos(2 pi k / 10),
    sin(2 pi k / 10)), on a circle. ``rng`` : a ``np.random.Generator``, the only source of
    randomness. Returns (N, 2) float32. The unsupervised prior draws the labels too:
    ``sample_mixture_prior_reference(rng.integers(0, 10, n), rng)``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a np.random.Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be a 1-D array of integers, got shape {labels.shape} and "
                         f"dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= N_COMPONENTS):
        raise ValueError(f"labels must be in 0..{N_COMPONENTS - 1}, got values from "
                         f"{labels.min()} to {labels.max()}")
    angles = 2 * np.pi * labels / N_COMPONENTS
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)
