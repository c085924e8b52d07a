"""A PCA "codec" fitted on MNIST: the numpy weights behind the tiny test decoders.

``fit_pca_codec(images, latent_dim)`` returns the weights of a linear encoder/decoder whose codes
are whitened PCA scores (about N(0, 1) per dimension on the training images), so slider ranges
and prior samples behave like a VAE's. ``tiny_decoder_torch`` / ``tiny_decoder_keras`` build
framework models from these weights; the widget tests and benchmarks drive those.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

from .._arrays import as_images

__all__ = ["fit_pca_codec"]


def fit_pca_codec(images, latent_dim: int = 2) -> dict:
    """Fit PCA on images (N, 28, 28) in [0, 1]; return float32 weights of a whitened codec.

    Returns {"mean": (784,), "decoder_weight": (latent_dim, 784), "encoder_weight": (784, latent_dim)}:
    decode(z) = clip(z @ decoder_weight + mean, 0, 1);  encode(x) = (x_flat - mean) @ encoder_weight.
    """
    flat = as_images(images).reshape(len(images), -1)
    if not isinstance(latent_dim, int) or not 1 <= latent_dim <= min(flat.shape):
        raise ValueError(f"latent_dim must be an int in 1..{min(flat.shape)}, got {latent_dim!r}")
    pca = PCA(n_components=latent_dim, random_state=0).fit(flat)
    scale = np.sqrt(pca.explained_variance_)[:, None]                 # (latent_dim, 1)
    return {"mean": pca.mean_.astype(np.float32),
            "decoder_weight": (pca.components_ * scale).astype(np.float32),
            "encoder_weight": (pca.components_ / scale).T.astype(np.float32)}
