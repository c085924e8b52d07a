"""Lesson 05 checkers reject plausible wrong answers and accept correct ones, in both tracks.

Each framework runs in its own subprocess (a process never imports both PyTorch and TensorFlow):
the subprocess defines every variant below, runs ``check.run`` on it and reports the verdicts.
"""

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import verdicts_in_subprocess

from aelab import check

TORCH_PRELUDE = """
import numpy as np, torch, torch.nn.functional as F
from torch.distributions import Normal
"""
KERAS_PRELUDE = """
import os
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import numpy as np, keras, tensorflow as tf
from keras import ops
"""

# A fresh eps, standardised per column, then shifted by 4 standard errors: a correct answer with
# an unlucky draw still passes, and a wrong sigma is still named as such, whatever the draw.
UNLUCKY_TORCH = ("def fn(mu, log_var):\n"
                 "    eps = torch.randn_like(mu)\n"
                 "    eps = (eps - eps.mean(0)) / eps.std(0) + 4.0 / mu.shape[0] ** 0.5\n")
UNLUCKY_KERAS = ("def fn(mu, log_var):\n"
                 "    eps = keras.random.normal(ops.shape(mu))\n"
                 "    eps = (eps - ops.mean(eps, 0)) / ops.std(eps, 0) + 4.0 / mu.shape[0] ** 0.5\n")

# ------------------------------------------------------------------ variants: (correct?, source)
# Each source defines `fn`.
VARIANTS = {
    "torch": {
        "05.reparameterize": {
            "reference": (True, "from aelab.models.vae_torch import reparameterize as fn"),
            "sqrt of exp": (True, "def fn(mu, log_var):\n    return mu + torch.sqrt(torch.exp(log_var)) * torch.randn(mu.shape)"),
            "rsample": (True, "def fn(mu, log_var):\n    return Normal(mu, torch.exp(log_var / 2)).rsample()"),
            "in-place style": (True, "def fn(mu, log_var):\n    std = log_var.mul(0.5).exp()\n    eps = torch.randn_like(std)\n    return eps.mul(std).add_(mu)"),
            "stub": (False, "def fn(mu, log_var):\n    return None"),
            "eps not used": (False, "def fn(mu, log_var):\n    eps = torch.randn_like(mu)\n    return mu"),
            "log_var as variance": (False, "def fn(mu, log_var):\n    return mu + torch.exp(log_var) * torch.randn_like(mu)"),
            "log_var as std": (False, "def fn(mu, log_var):\n    return mu + log_var * torch.randn_like(mu)"),
            # Unlucky draws: eps standardised, then its mean moved by 4 standard errors. A correct
            # answer still passes; a wrong sigma is still named as such, whatever the draw.
            "unlucky draw": (True, UNLUCKY_TORCH + "    return mu + torch.exp(0.5 * log_var) * eps"),
            "log_var as variance, unlucky draw": (False, UNLUCKY_TORCH + "    return mu + torch.exp(log_var) * eps"),
            "sqrt of log_var": (False, "def fn(mu, log_var):\n    return mu + torch.sqrt(log_var) * torch.randn_like(mu)"),
            "minus sign in exp": (False, "def fn(mu, log_var):\n    return mu + torch.exp(-0.5 * log_var) * torch.randn_like(mu)"),
            "uniform noise": (False, "def fn(mu, log_var):\n    return mu + torch.exp(0.5 * log_var) * torch.rand_like(mu)"),
            "one eps for the batch": (False, "def fn(mu, log_var):\n    return mu + torch.exp(0.5 * log_var) * torch.randn(mu.shape[1])"),
            "mu forgotten": (False, "def fn(mu, log_var):\n    return torch.exp(0.5 * log_var) * torch.randn_like(mu)"),
            "sample without the trick": (False, "def fn(mu, log_var):\n    return Normal(mu, torch.exp(0.5 * log_var)).sample()"),
            "numpy": (False, "def fn(mu, log_var):\n    m, s = mu.detach().numpy(), np.exp(0.5 * log_var.detach().numpy())\n    return m + s * np.random.randn(*m.shape)"),
            "raises": (False, "def fn(mu, log_var):\n    raise NotImplementedError"),
        },
        "05.kl_divergence": {
            "reference": (True, "from aelab.models.vae_torch import kl_divergence as fn"),
            "textbook form": (True, "def fn(mu, log_var):\n    return -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), dim=1)"),
            "torch.distributions": (True, "def fn(mu, log_var):\n    q = Normal(mu, torch.exp(0.5 * log_var))\n    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))\n    return torch.distributions.kl_divergence(q, p).sum(-1)"),
            "stub": (False, "def fn(mu, log_var):\n    return None"),
            "wrong sign": (False, "def fn(mu, log_var):\n    return 0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), dim=1)"),
            "log_var as variance (log of it)": (False, "def fn(mu, log_var):\n    return -0.5 * torch.sum(1 + torch.log(log_var) - mu.pow(2) - log_var, dim=1)"),
            "log_var as variance (exp missing)": (False, "def fn(mu, log_var):\n    return -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var, dim=1)"),
            "std instead of variance": (False, "def fn(mu, log_var):\n    return -0.5 * torch.sum(1 + log_var - mu.pow(2) - torch.exp(0.5 * log_var), dim=1)"),
            "mean over latent dims": (False, "def fn(mu, log_var):\n    return -0.5 * torch.mean(1 + log_var - mu.pow(2) - log_var.exp(), dim=1)"),
            "sum over the batch": (False, "def fn(mu, log_var):\n    return -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())"),
            "mean over the batch": (False, "def fn(mu, log_var):\n    return (-0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), dim=1)).mean()"),
            "wrong axis": (False, "def fn(mu, log_var):\n    return -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), dim=0)"),
            "no factor 0.5": (False, "def fn(mu, log_var):\n    return -torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), dim=1)"),
            "mu^2 forgotten": (False, "def fn(mu, log_var):\n    return -0.5 * torch.sum(1 + log_var - log_var.exp(), dim=1)"),
            "numpy": (False, "def fn(mu, log_var):\n    m, v = mu.detach().numpy(), log_var.detach().numpy()\n    return -0.5 * np.sum(1 + v - m**2 - np.exp(v), axis=1)"),
        },
        "05.vae_loss": {
            "reference": (True, "from aelab.models.vae_torch import vae_loss as fn"),
            "sigmoid then BCE sum / N": (True, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy(torch.sigmoid(x_logits), x, reduction='sum') / x.shape[0]\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "BCEWithLogitsLoss per image": (True, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    per_image = torch.nn.BCEWithLogitsLoss(reduction='none')(x_logits, x).sum(dim=(1, 2, 3))\n    kl = 0.5 * (mu**2 + log_var.exp() - 1 - log_var).sum(1)\n    return (per_image + beta * kl).mean(), per_image.mean(), kl.mean()"),
            "stub": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    return None"),
            "mean over pixels": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "sum over the batch": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum')\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).sum()\n    return rec + beta * kl, rec, kl"),
            "KL wrong sign": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = (0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "KL subtracted": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec - beta * kl, rec, kl"),
            "log_var as variance in KL": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "beta ignored": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + kl, rec, kl"),
            "beta on reconstruction": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return beta * rec + kl, rec, kl"),
            "KL forgotten": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec, rec, kl"),
            "logits as probabilities": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    p = x_logits.clamp(1e-6, 1 - 1e-6)\n    rec = F.binary_cross_entropy(p, x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "squared error": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = ((torch.sigmoid(x_logits) - x) ** 2).sum() / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "beta inside kl": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = beta * (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + kl, rec, kl"),
            "only the loss": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl"),
            "item() breaks gradients": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum').item() / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean().item()\n    return rec + beta * kl, rec, kl"),
        },
    },
    "keras": {
        "05.reparameterize": {
            "reference": (True, "from aelab.models.vae_keras import reparameterize as fn"),
            "tf functions": (True, "def fn(mu, log_var):\n    return mu + tf.exp(log_var / 2) * tf.random.normal(tf.shape(mu))"),
            "sqrt of exp": (True, "def fn(mu, log_var):\n    eps = keras.random.normal(ops.shape(mu))\n    return mu + ops.sqrt(ops.exp(log_var)) * eps"),
            "stub": (False, "def fn(mu, log_var):\n    return None"),
            "eps not used": (False, "def fn(mu, log_var):\n    eps = keras.random.normal(ops.shape(mu))\n    return mu + 0 * eps"),
            "log_var as variance": (False, "def fn(mu, log_var):\n    return mu + ops.exp(log_var) * keras.random.normal(ops.shape(mu))"),
            "log_var as std": (False, "def fn(mu, log_var):\n    return mu + log_var * keras.random.normal(ops.shape(mu))"),
            "unlucky draw": (True, UNLUCKY_KERAS + "    return mu + ops.exp(0.5 * log_var) * eps"),
            "log_var as variance, unlucky draw": (False, UNLUCKY_KERAS + "    return mu + ops.exp(log_var) * eps"),
            "uniform noise": (False, "def fn(mu, log_var):\n    return mu + ops.exp(0.5 * log_var) * keras.random.uniform(ops.shape(mu))"),
            "one eps for the batch": (False, "def fn(mu, log_var):\n    return mu + ops.exp(0.5 * log_var) * tf.random.normal((mu.shape[1],))"),
            "mu forgotten": (False, "def fn(mu, log_var):\n    return ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mu))"),
            "numpy": (False, "def fn(mu, log_var):\n    return np.random.normal(mu.numpy(), np.exp(0.5 * log_var.numpy()))"),
        },
        "05.kl_divergence": {
            "reference": (True, "from aelab.models.vae_keras import kl_divergence as fn"),
            "textbook form (tf)": (True, "def fn(mu, log_var):\n    return -0.5 * tf.reduce_sum(1 + log_var - tf.square(mu) - tf.exp(log_var), axis=1)"),
            "last axis": (True, "def fn(mu, log_var):\n    return -0.5 * ops.sum(1 + log_var - mu**2 - ops.exp(log_var), axis=-1)"),
            "stub": (False, "def fn(mu, log_var):\n    return None"),
            "wrong sign": (False, "def fn(mu, log_var):\n    return 0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1)"),
            "log_var as variance (exp missing)": (False, "def fn(mu, log_var):\n    return -0.5 * ops.sum(1 + log_var - ops.square(mu) - log_var, axis=1)"),
            "log_var as variance (log of it)": (False, "def fn(mu, log_var):\n    return -0.5 * ops.sum(1 + ops.log(log_var) - ops.square(mu) - log_var, axis=1)"),
            "mean over latent dims": (False, "def fn(mu, log_var):\n    return -0.5 * ops.mean(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1)"),
            "batch mean": (False, "def fn(mu, log_var):\n    return ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))"),
            "wrong axis": (False, "def fn(mu, log_var):\n    return -0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=0)"),
            "numpy": (False, "def fn(mu, log_var):\n    m, v = mu.numpy(), log_var.numpy()\n    return -0.5 * np.sum(1 + v - m**2 - np.exp(v), axis=1)"),
        },
        "05.vae_loss": {
            "reference": (True, "from aelab.models.vae_keras import vae_loss as fn"),
            "tf.nn with logits": (True, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=x_logits)\n    rec = tf.reduce_mean(tf.reduce_sum(bce, axis=[1, 2, 3]))\n    kl = tf.reduce_mean(-0.5 * tf.reduce_sum(1 + log_var - tf.square(mu) - tf.exp(log_var), axis=1))\n    return rec + beta * kl, rec, kl"),
            "keras.losses per pixel": (True, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    bce = keras.losses.binary_crossentropy(x, x_logits, from_logits=True)  # (N, 28, 28)\n    rec = ops.mean(ops.sum(bce, axis=(1, 2)))\n    kl = ops.mean(0.5 * ops.sum(mu**2 + ops.exp(log_var) - 1 - log_var, axis=1))\n    return rec + beta * kl, rec, kl"),
            "stub": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    return None"),
            "mean over pixels": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = keras.losses.BinaryCrossentropy(from_logits=True)(x, x_logits)\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + beta * kl, rec, kl"),
            "sum over the batch": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = ops.sum(ops.binary_crossentropy(x, x_logits, from_logits=True))\n    kl = ops.sum(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + beta * kl, rec, kl"),
            "KL wrong sign": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = ops.mean(ops.sum(ops.binary_crossentropy(x, x_logits, from_logits=True), axis=(1, 2, 3)))\n    kl = ops.mean(0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + beta * kl, rec, kl"),
            "beta ignored": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = ops.mean(ops.sum(ops.binary_crossentropy(x, x_logits, from_logits=True), axis=(1, 2, 3)))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + kl, rec, kl"),
            "logits as probabilities": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = ops.mean(ops.sum(ops.binary_crossentropy(x, ops.clip(x_logits, 1e-6, 1 - 1e-6)), axis=(1, 2, 3)))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + beta * kl, rec, kl"),
            "log_var as variance in KL": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = ops.mean(ops.sum(ops.binary_crossentropy(x, x_logits, from_logits=True), axis=(1, 2, 3)))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - log_var, axis=1))\n    return rec + beta * kl, rec, kl"),
            "numpy result": (False, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = float(ops.mean(ops.sum(ops.binary_crossentropy(x, x_logits, from_logits=True), axis=(1, 2, 3))))\n    kl = float(ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1)))\n    return rec + beta * kl, rec, kl"),
        },
    },
}

# More variants, each with the words its message must contain (True: a correct answer).
# Classes from issue #12: draws shared across images / dimensions / calls, the caller's data
# changed in place, defaults and calls as the notebook makes them, what the function returns.
MORE = {
    "torch": {
        "05.reparameterize": {
            "randn with the shape": (True, "def fn(mu, log_var):\n    return mu + torch.exp(0.5 * log_var) * torch.randn(mu.size(), dtype=mu.dtype)"),
            "normal_ on a new tensor": (True, "def fn(mu, log_var):\n    eps = torch.empty_like(mu).normal_()\n    return torch.addcmul(mu, torch.exp(0.5 * log_var), eps)"),
            "eps shared across dimensions": ("move together", "def fn(mu, log_var):\n    return mu + torch.exp(0.5 * log_var) * torch.randn(mu.shape[0], 1)"),
            "eps shared by two dimensions": ("dimensions 1 and 3", "def fn(mu, log_var):\n    eps = torch.randn_like(mu)\n    eps[:, 3] = eps[:, 1]\n    return mu + torch.exp(0.5 * log_var) * eps"),
            "one number for everything": ("every row of z is the same", "def fn(mu, log_var):\n    return mu + torch.exp(0.5 * log_var) * torch.randn(1)"),
            "half the batch repeated": ("different rows", "def fn(mu, log_var):\n    eps = torch.randn(mu.shape[0] // 2 + 1, mu.shape[1]).repeat(2, 1)[:mu.shape[0]]\n    return mu + torch.exp(0.5 * log_var) * eps"),
            "seed inside": ("two calls with the same mu and log_var return the same z", "def fn(mu, log_var):\n    torch.manual_seed(0)\n    return mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)"),
            "fixed generator": ("the same z", "def fn(mu, log_var):\n    g = torch.Generator().manual_seed(1)\n    return mu + torch.exp(0.5 * log_var) * torch.randn(mu.shape, generator=g)"),
            "eps drawn once, outside": ("do not reuse an eps drawn once", "EPS = torch.randn(50_000, 16)\ndef fn(mu, log_var):\n    return mu + torch.exp(0.5 * log_var) * EPS[:mu.shape[0], :mu.shape[1]]"),
            "changes mu in place": ("changed `mu` in place", "def fn(mu, log_var):\n    return mu.add_(torch.exp(0.5 * log_var) * torch.randn_like(mu))"),
            "changes log_var in place": ("changed `log_var` in place", "def fn(mu, log_var):\n    std = log_var.mul_(0.5).exp_()\n    return mu + std * torch.randn_like(mu)"),
            "returns (z, eps)": ("a tuple of 2 values", "def fn(mu, log_var):\n    eps = torch.randn_like(mu)\n    return mu + torch.exp(0.5 * log_var) * eps, eps"),
            "a generator": ("a generator", "def fn(mu, log_var):\n    yield mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)"),
            "noise detached from log_var": ("back to log_var.", "def fn(mu, log_var):\n    return mu + (torch.exp(0.5 * log_var) * torch.randn_like(mu)).detach()"),
            "z of the first image only": ("one sample for the whole batch", "def fn(mu, log_var):\n    return (mu + torch.exp(0.5 * log_var) * torch.randn_like(mu))[0]"),
            "z transposed": ("z must have the shape of mu", "def fn(mu, log_var):\n    return (mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)).T"),
            "z squeezed": ("for mu of shape (1, 2) z has shape (2,)", "def fn(mu, log_var):\n    return (mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)).squeeze()"),
            "eps of a fixed shape": ("fails for mu and log_var of shape (2000, 2)", "def fn(mu, log_var):\n    return mu + torch.exp(0.5 * log_var) * torch.randn(20_000, 4)"),
            "twice sigma": ("should have standard deviation exp(0.5 * log_var)", "def fn(mu, log_var):\n    return mu + 2 * torch.exp(0.5 * log_var) * torch.randn_like(mu)"),
            "mu counted twice in the gradient": ("gradient of z with respect to mu should be 1", "def fn(mu, log_var):\n    return 2 * mu - mu.detach() + torch.exp(0.5 * log_var) * torch.randn_like(mu)"),
            "sigma detached": ("gradient of z with respect to log_var is not 0.5 * sigma * eps", "def fn(mu, log_var):\n    return mu + torch.exp(0.5 * log_var).detach() * torch.randn_like(mu) + 0 * log_var"),
            "eps reused, plus a little noise": ("nearly the same z (correlation 1.00)", "EPS = torch.randn(50_000, 16)\ndef fn(mu, log_var):\n    eps = EPS[:mu.shape[0], :mu.shape[1]] + 0.05 * torch.randn_like(mu)\n    return mu + torch.exp(0.5 * log_var) * eps"),
            "numpy noise": ("numpy array", "def fn(mu, log_var):\n    return (mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)).detach().numpy()"),
        },
        "05.kl_divergence": {
            "changes mu in place": ("changed `mu` in place", "def fn(mu, log_var):\n    return -0.5 * torch.sum(1 + log_var - mu.pow_(2) - log_var.exp(), dim=1)"),
            "changes log_var in place": ("changed `log_var` in place", "def fn(mu, log_var):\n    var = log_var.exp_()\n    return 0.5 * torch.sum(mu**2 + var - 1 - torch.log(var), dim=1)"),
            "returns (kl, mean)": ("a tuple of 2 values", "def fn(mu, log_var):\n    kl = -0.5 * torch.sum(1 + log_var - mu**2 - log_var.exp(), dim=1)\n    return kl, kl.mean()"),
            "float32 only (notebook's float64 grid)": ("float64 tensors", "def fn(mu, log_var):\n    return 0.5 * (mu**2 + log_var.exp() - 1 - log_var) @ torch.ones(mu.shape[1])"),
            "Python number for one image": ("plain Python number", "def fn(mu, log_var):\n    return -0.5 * torch.sum(1 + log_var - mu**2 - log_var.exp()).item()"),
            "one latent dimension kept as a column": ("your KL has shape (35, 1), expected (35,)", "def fn(mu, log_var):\n    kl = -0.5 * torch.sum(1 + log_var - mu**2 - log_var.exp(), dim=1)\n    return kl if mu.shape[1] > 1 else kl[:, None]"),
            "matmul with matching dtype": (True, "def fn(mu, log_var):\n    return 0.5 * (mu**2 + log_var.exp() - 1 - log_var) @ torch.ones(mu.shape[1], dtype=mu.dtype)"),
        },
        "05.vae_loss": {
            "per-image sums, then mean": (True, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits.flatten(1), x.flatten(1), reduction='none').sum(1).mean()\n    kl = 0.5 * (mu**2 + log_var.exp() - 1 - log_var).sum(1).mean()\n    return rec + beta * kl, rec, kl"),
            "binarised targets": ("binarises the targets", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, (x > 0.5).float(), reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "rounded targets": ("binarises the targets", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x.round(), reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "targets rounded in place": ("changed `x` in place", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x.round_(), reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "sigmoid twice": ("one sigmoid too many", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(torch.sigmoid(x_logits), x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "probability BCE on logits (clamped 0..1)": ("treats the logits as probabilities", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy(x_logits.clamp(0, 1), x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "KL summed over the batch": ("summed over the batch", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).sum()\n    return rec + beta * kl, rec, kl"),
            "no default beta": ("give beta the default 1.0", "def fn(x, x_logits, mu, log_var, beta):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "default beta 0": ("called without beta", "def fn(x, x_logits, mu, log_var, beta=0.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "changes mu in place": ("changed `mu` in place", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu.pow_(2) - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "wrong order": ("in the order (reconstruction, kl, loss)", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec, kl, rec + beta * kl"),
            "per-image reconstruction": ("reconstruction has shape (4,); expected a single number", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='none').sum((1, 2, 3))\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec.mean() + beta * kl, rec, kl"),
            "logits detached, gradient faked": ("gradient with respect to the logits is not", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits.detach(), x, reduction='sum') / len(x) + 0 * x_logits.sum()\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return rec + beta * kl, rec, kl"),
            "KL detached": ("does not pass gradients back to mu and log_var", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean().detach()\n    return rec + beta * kl, rec, kl"),
            "a dict": ("a dict", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum') / len(x)\n    kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)).mean()\n    return {'loss': rec + beta * kl, 'reconstruction': rec, 'kl': kl}"),
        },
    },
    "keras": {
        "05.reparameterize": {
            "SeedGenerator": (True, "SEED = keras.random.SeedGenerator(3)\ndef fn(mu, log_var):\n    return mu + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mu), seed=SEED)"),
            "eps shared across dimensions": ("move together", "def fn(mu, log_var):\n    return mu + ops.exp(0.5 * log_var) * keras.random.normal((ops.shape(mu)[0], 1))"),
            "one number for everything": ("every row of z is the same", "def fn(mu, log_var):\n    return mu + ops.exp(0.5 * log_var) * keras.random.normal(())"),
            "set_random_seed inside": ("two calls with the same mu and log_var return the same z", "def fn(mu, log_var):\n    keras.utils.set_random_seed(0)\n    return mu + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mu))"),
            "tf.random.set_seed inside": ("the same z", "def fn(mu, log_var):\n    tf.random.set_seed(0)\n    return mu + tf.exp(0.5 * log_var) * tf.random.normal(tf.shape(mu))"),
            "fixed seed argument": ("the same z", "def fn(mu, log_var):\n    return mu + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mu), seed=42)"),
            "eps drawn once, outside": ("do not reuse an eps drawn once", "EPS = np.random.default_rng(0).standard_normal((50_000, 16)).astype('float32')\ndef fn(mu, log_var):\n    return mu + ops.exp(0.5 * log_var) * EPS[:mu.shape[0], :mu.shape[1]]"),
            "numpy noise (fixed once traced)": ("when TensorFlow traces the function", "def fn(mu, log_var):\n    eps = np.random.standard_normal(tuple(mu.shape)).astype('float32')\n    return mu + ops.exp(0.5 * log_var) * eps"),
            "changes mu (assign)": ("changed `mu` in place", "def fn(mu, log_var):\n    mu.assign_add(ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mu)))\n    return mu"),
            "returns (z, eps)": ("a tuple of 2 values", "def fn(mu, log_var):\n    eps = keras.random.normal(ops.shape(mu))\n    return mu + ops.exp(0.5 * log_var) * eps, eps"),
            "z transposed": ("z must have the shape of mu", "def fn(mu, log_var):\n    return ops.transpose(mu + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mu)))"),
            "eps of a fixed shape": ("fails for mu and log_var of shape (2000, 2)", "def fn(mu, log_var):\n    return mu + ops.exp(0.5 * log_var) * keras.random.normal((20_000, 4))"),
            "z squeezed": ("for mu of shape (1, 2) z has shape (2,)", "def fn(mu, log_var):\n    return ops.squeeze(mu + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mu)))"),
            "TensorShape only (fails on numpy)": ("fails when given float32 numpy arrays", "def fn(mu, log_var):\n    return mu + tf.exp(0.5 * log_var) * tf.random.normal(mu.shape.as_list())"),
            "float() of a tensor (fails in fit)": ("inside a tf.function, which is how Keras' fit runs the model: TypeError", "def fn(mu, log_var):\n    if float(ops.min(log_var)) < -30:\n        raise ValueError('log_var too small')\n    return mu + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mu))"),
        },
        "05.kl_divergence": {
            "changes log_var (assign)": ("changed `log_var` in place", "def fn(mu, log_var):\n    log_var.assign(ops.exp(log_var))\n    return 0.5 * ops.sum(mu**2 + log_var - 1 - ops.log(log_var), axis=1)"),
            "returns (kl, mean)": ("a tuple of 2 values", "def fn(mu, log_var):\n    kl = -0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1)\n    return kl, ops.mean(kl)"),
            "TensorShape only (fails on numpy)": ("fails when given float32 numpy arrays", "def fn(mu, log_var):\n    return -0.5 * ops.mean(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1) * mu.shape.as_list()[1]"),
        },
        "05.vae_loss": {
            "flattened first": (True, "def fn(x, x_logits, mu, log_var, beta=1.0):\n    n = ops.shape(x)[0]\n    bce = ops.binary_crossentropy(ops.reshape(x, (n, -1)), ops.reshape(x_logits, (n, -1)), from_logits=True)\n    rec = ops.mean(ops.sum(bce, axis=1))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + beta * kl, rec, kl"),
            "binarised targets": ("binarises the targets", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    xb = ops.cast(x > 0.5, 'float32')\n    rec = ops.mean(ops.sum(ops.binary_crossentropy(xb, x_logits, from_logits=True), axis=(1, 2, 3)))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + beta * kl, rec, kl"),
            "rounded targets": ("binarises the targets", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = ops.mean(ops.sum(ops.binary_crossentropy(ops.round(x), x_logits, from_logits=True), axis=(1, 2, 3)))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + beta * kl, rec, kl"),
            "from_logits forgotten": ("treats the logits as probabilities", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = ops.mean(ops.sum(ops.binary_crossentropy(x, x_logits), axis=(1, 2, 3)))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + beta * kl, rec, kl"),
            # (ops.binary_crossentropy(x, ops.sigmoid(logits), from_logits=True) is right: Keras
            # finds the logits behind its own sigmoid's output, and warns)
            "sigmoid twice": ("one sigmoid too many", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = tf.reduce_mean(tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=tf.sigmoid(x_logits)), axis=(1, 2, 3)))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + beta * kl, rec, kl"),
            "beta on reconstruction": ("puts beta on the wrong term", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = ops.mean(ops.sum(ops.binary_crossentropy(x, x_logits, from_logits=True), axis=(1, 2, 3)))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return beta * rec + kl, rec, kl"),
            "no default beta": ("give beta the default 1.0", "def fn(x, x_logits, mu, log_var, beta):\n    rec = ops.mean(ops.sum(ops.binary_crossentropy(x, x_logits, from_logits=True), axis=(1, 2, 3)))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + beta * kl, rec, kl"),
            "default beta 4": ("called without beta", "def fn(x, x_logits, mu, log_var, beta=4.0):\n    rec = ops.mean(ops.sum(ops.binary_crossentropy(x, x_logits, from_logits=True), axis=(1, 2, 3)))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + beta * kl, rec, kl"),
            "float(beta) (fails in train_step)": ("as in the notebook's VAE): AttributeError: ", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = ops.mean(ops.sum(ops.binary_crossentropy(x, x_logits, from_logits=True), axis=(1, 2, 3)))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + float(beta) * kl, rec, kl"),
            "beta only if a number": ("with beta a keras.Variable equal to 4", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = ops.mean(ops.sum(ops.binary_crossentropy(x, x_logits, from_logits=True), axis=(1, 2, 3)))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    b = beta if isinstance(beta, (int, float)) else 1.0\n    return rec + b * kl, rec, kl"),
            "wrong order": ("in the order (loss, kl, reconstruction)", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = ops.mean(ops.sum(ops.binary_crossentropy(x, x_logits, from_logits=True), axis=(1, 2, 3)))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + beta * kl, kl, rec"),
            "only the loss": ("three values", "def fn(x, x_logits, mu, log_var, beta=1.0):\n    rec = ops.mean(ops.sum(ops.binary_crossentropy(x, x_logits, from_logits=True), axis=(1, 2, 3)))\n    kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n    return rec + beta * kl"),
        },
    },
}

# The "build it" training step. Each source uses the lesson's earlier functions, as a student's
# notebook does (the reference ones here). (True: correct; a string: a wrong answer whose
# verdict must contain it.)
_T = ("from aelab.models.vae_torch import reparameterize, vae_loss, kl_divergence\n"
      "def fn(model, optimizer, images, beta=1.0):\n")
_T_FORWARD = ("    mu, log_var = model.encode(images)\n"
              "    z = reparameterize(mu, log_var)\n"
              "    x_logits = model.decoder(z)\n")
_T_LOSS = "    loss, rec, kl = vae_loss(images, x_logits, mu, log_var, beta)\n"
_T_UPDATE = "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"
_T_RETURN = "    return loss.item(), rec.item(), kl.item()"
_T_OWN_KL = ("    rec = F.binary_cross_entropy_with_logits(x_logits, images, reduction='none').sum(dim=(1, 2, 3)).mean()\n"
             "    kl = 0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1).mean()\n"
             "    loss = rec + beta * kl\n")
_K = ("from aelab.models.vae_keras import reparameterize, vae_loss, kl_divergence\n"
      "def fn(model, optimizer, images, beta=1.0):\n")
_K_FORWARD = ("        mu, log_var = model.encoder(images, training=True)\n"
              "        z = reparameterize(mu, log_var)\n"
              "        x_logits = model.decoder(z, training=True)\n")
_K_LOSS = "        loss, rec, kl = vae_loss(images, x_logits, mu, log_var, beta)\n"
_K_UPDATE = ("    grads = tape.gradient(loss, model.trainable_weights)\n"
             "    optimizer.apply(grads, model.trainable_weights)\n")
_K_RETURN = "    return loss, rec, kl"
STEP = {
    "torch": {
        "reference": (True, "from aelab.models.vae_torch import vae_train_step as fn"),
        "model forward, zero_grad first": (True, _T + "    model.zero_grad()\n    x_logits, mu, log_var = model(images)\n" + _T_LOSS + "    loss.backward()\n    optimizer.step()\n    return float(loss), float(rec), float(kl)"),
        "stub": ("NOT ATTEMPTED", "def fn(model, optimizer, images, beta=1.0):\n    return None"),
        "no zero_grad": ("optimizer.zero_grad() before loss.backward()", _T + _T_FORWARD + _T_LOSS + "    loss.backward()\n    optimizer.step()\n" + _T_RETURN),
        "zero_grad between backward and step": ("no weight changed", _T + _T_FORWARD + _T_LOSS + "    loss.backward()\n    optimizer.zero_grad()\n    optimizer.step()\n" + _T_RETURN),
        "no step": ("no optimizer step happened", _T + _T_FORWARD + _T_LOSS + "    optimizer.zero_grad()\n    loss.backward()\n" + _T_RETURN),
        "two steps": ("called the optimizer 2 times", _T + _T_FORWARD + _T_LOSS + _T_UPDATE + "    optimizer.step()\n" + _T_RETURN),
        "KL sign wrong": ("the KL with the wrong sign", _T + _T_FORWARD + _T_OWN_KL + _T_UPDATE + _T_RETURN),
        "beta ignored": ("ignore beta", _T + _T_FORWARD + "    loss, rec, kl = vae_loss(images, x_logits, mu, log_var)\n" + _T_UPDATE + _T_RETURN),
        "sigmoid twice": ("one sigmoid too many", _T + _T_FORWARD + "    loss, rec, kl = vae_loss(images, torch.sigmoid(x_logits), mu, log_var, beta)\n" + _T_UPDATE + _T_RETURN),
        "images and logits swapped": ("the images are taken as the logits", _T + _T_FORWARD + "    loss, rec, kl = vae_loss(x_logits, images, mu, log_var, beta)\n" + _T_UPDATE + _T_RETURN),
        "binarised target": ("binarised images", _T + _T_FORWARD + "    loss, rec, kl = vae_loss((images > 0.5).float(), x_logits, mu, log_var, beta)\n" + _T_UPDATE + _T_RETURN),
        "z from detached mu, log_var": ("the encoder learns only from the KL term", _T + "    mu, log_var = model.encode(images)\n    z = reparameterize(mu.detach(), log_var.detach())\n    x_logits = model.decoder(z)\n" + _T_LOSS + _T_UPDATE + _T_RETURN),
        "z sampled under no_grad": ("the encoder learns only from the KL term", _T + "    mu, log_var = model.encode(images)\n    with torch.no_grad():\n        z = reparameterize(mu, log_var)\n    x_logits = model.decoder(z)\n" + _T_LOSS + _T_UPDATE + _T_RETURN),
        "z = plain noise": ("the encoder learns only from the KL term", _T + "    mu, log_var = model.encode(images)\n    x_logits = model.decoder(torch.randn_like(mu))\n" + _T_LOSS + _T_UPDATE + _T_RETURN),
        "z = mu": ("no noise is drawn", _T + "    mu, log_var = model.encode(images)\n    x_logits = model.decoder(mu)\n" + _T_LOSS + _T_UPDATE + _T_RETURN),
        "returns tensors": ("is a tensor; return plain Python numbers", _T + _T_FORWARD + _T_LOSS + _T_UPDATE + "    return loss, rec, kl"),
        "summed over the batch": ("summed over the images of the batch", _T + _T_FORWARD + "    rec = F.binary_cross_entropy_with_logits(x_logits, images, reduction='sum')\n    kl = kl_divergence(mu, log_var).sum()\n    loss = rec + beta * kl\n" + _T_UPDATE + _T_RETURN),
        "wrong order": ("in the order (reconstruction, kl, loss)", _T + _T_FORWARD + _T_LOSS + _T_UPDATE + "    return rec.item(), kl.item(), loss.item()"),
        "decoder twice": ("the decoder ran 2 times", _T + _T_FORWARD + _T_LOSS + _T_UPDATE + "    model.decoder(z)\n" + _T_RETURN),
        "only the loss": ("three values", _T + _T_FORWARD + _T_LOSS + _T_UPDATE + "    return loss.item()"),
    },
    "keras": {
        "reference": (True, "from aelab.models.vae_keras import vae_train_step as fn"),
        "model call, apply_gradients": (True, _K + "    with tf.GradientTape() as tape:\n        x_logits, mu, log_var = model(images, training=True)\n" + _K_LOSS + "    grads = tape.gradient(loss, model.trainable_variables)\n    optimizer.apply_gradients(zip(grads, model.trainable_variables))\n" + _K_RETURN),
        "stub": ("NOT ATTEMPTED", "def fn(model, optimizer, images, beta=1.0):\n    return None"),
        "no step": ("no optimizer step happened", _K + "    with tf.GradientTape() as tape:\n" + _K_FORWARD + _K_LOSS + "    grads = tape.gradient(loss, model.trainable_weights)\n" + _K_RETURN),
        "two steps": ("called the optimizer 2 times", _K + "    with tf.GradientTape() as tape:\n" + _K_FORWARD + _K_LOSS + _K_UPDATE + "    optimizer.apply(grads, model.trainable_weights)\n" + _K_RETURN),
        "KL sign wrong": ("the KL with the wrong sign", _K + "    with tf.GradientTape() as tape:\n" + _K_FORWARD + "        rec = ops.mean(ops.sum(ops.binary_crossentropy(images, x_logits, from_logits=True), axis=(1, 2, 3)))\n        kl = ops.mean(0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))\n        loss = rec + beta * kl\n" + _K_UPDATE + _K_RETURN),
        "beta ignored": ("ignore beta", _K + "    with tf.GradientTape() as tape:\n" + _K_FORWARD + "        loss, rec, kl = vae_loss(images, x_logits, mu, log_var)\n" + _K_UPDATE + _K_RETURN),
        "sigmoid twice": ("one sigmoid too many", _K + "    with tf.GradientTape() as tape:\n" + _K_FORWARD + "        loss, rec, kl = vae_loss(images, tf.sigmoid(x_logits), mu, log_var, beta)\n" + _K_UPDATE + _K_RETURN),
        "z with stop_gradient": ("the encoder learns only from the KL term", _K + "    with tf.GradientTape() as tape:\n        mu, log_var = model.encoder(images, training=True)\n        z = tf.stop_gradient(reparameterize(mu, log_var))\n        x_logits = model.decoder(z, training=True)\n" + _K_LOSS + _K_UPDATE + _K_RETURN),
        "forward outside the tape": ("the encoder learns only from the KL term", _K + "    mu, log_var = model.encoder(images, training=True)\n    z = reparameterize(mu, log_var)\n    with tf.GradientTape() as tape:\n        mu, log_var = model.encoder(images, training=True)\n        x_logits = model.decoder(z, training=True)\n" + _K_LOSS + _K_UPDATE + _K_RETURN),
        "summed over the batch": ("summed over the images of the batch", _K + "    with tf.GradientTape() as tape:\n" + _K_FORWARD + "        rec = ops.sum(ops.binary_crossentropy(images, x_logits, from_logits=True))\n        kl = ops.sum(kl_divergence(mu, log_var))\n        loss = rec + beta * kl\n" + _K_UPDATE + _K_RETURN),
        "python numbers (fails in fit)": ("fails inside Keras' train_step", _K + "    with tf.GradientTape() as tape:\n" + _K_FORWARD + _K_LOSS + _K_UPDATE + "    return float(loss), float(rec), float(kl)"),
    },
}
for _fw, _cases in STEP.items():
    MORE[_fw]["05.vae_train_step"] = _cases

MORE_HINTS = []
for _fw, _exercises in MORE.items():
    for _ex, _cases in _exercises.items():
        for _name, (_words, _source) in _cases.items():
            assert _name not in VARIANTS[_fw].setdefault(_ex, {}), _name
            VARIANTS[_fw][_ex][_name] = (_words is True, _source)
            if _words is not True:
                MORE_HINTS.append((_fw, _ex, _name, _words))


RUNNER = """
import json, sys
{prelude}
from aelab import check
variants = json.loads(sys.stdin.read())
verdicts = {{}}
for exercise_id, cases in variants.items():
    for name, (_, source) in cases.items():
        namespace = {{}}
        exec(compile("{prelude_escaped}" + source, name, "exec"), namespace)
        result = check.run(exercise_id, namespace["fn"], framework="{framework}", show=False)
        verdicts[exercise_id + "::" + name] = [result.passed, str(result)]
print("VERDICTS" + json.dumps(verdicts))
"""


def _python(code: str, *, stdin: str | None = None, timeout: int = 300) -> str:
    """Run ``code`` in a fresh Python process (one framework per process); return its stdout."""
    proc = subprocess.run([sys.executable, "-c", code], input=stdin, capture_output=True, text=True,
                          timeout=timeout, env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _run_variants(framework: str) -> dict:
    prelude = TORCH_PRELUDE if framework == "torch" else KERAS_PRELUDE
    script = RUNNER.format(prelude=prelude, framework=framework,
                           prelude_escaped=prelude.replace("\n", "\\n").replace('"', '\\"'))
    return verdicts_in_subprocess(script, VARIANTS[framework])


@pytest.fixture(scope="module")
def verdicts():
    return {}


def _verdict(verdicts, framework, key):
    if framework not in verdicts:
        verdicts[framework] = _run_variants(framework)
    return verdicts[framework][key]


CASES = [(fw, ex, name, ok) for fw, exercises in VARIANTS.items()
         for ex, cases in exercises.items() for name, (ok, _) in cases.items()]


@pytest.mark.parametrize("framework, exercise_id, name, correct", CASES,
                         ids=[f"{fw}-{ex}-{name}" for fw, ex, name, _ in CASES])
def test_checker_verdict(verdicts, framework, exercise_id, name, correct):
    passed, message = _verdict(verdicts, framework, f"{exercise_id}::{name}")
    assert passed is correct, f"{name}: {message}"
    if not correct:
        assert "check.hint(" in message  # a failed attempt always offers the hint


# Specific hints for the mistakes the issue names: the student learns *what* is wrong.
HINTS = [
    ("torch", "05.kl_divergence", "wrong sign", "wrong sign"),
    ("torch", "05.kl_divergence", "log_var as variance (exp missing)", "variance is exp(log_var)"),
    ("torch", "05.kl_divergence", "log_var as variance (log of it)", "NaN"),
    ("torch", "05.kl_divergence", "mean over latent dims", "*mean* over the latent"),
    ("torch", "05.kl_divergence", "sum over the batch", "one KL per image"),
    ("torch", "05.reparameterize", "eps not used", "never added"),
    ("torch", "05.reparameterize", "log_var as variance", "exp(log_var), the variance"),
    ("torch", "05.reparameterize", "log_var as variance, unlucky draw", "exp(log_var), the variance"),
    ("torch", "05.reparameterize", "sample without the trick", "no gradient"),
    ("torch", "05.reparameterize", "one eps for the batch", "every row of z is the same"),
    ("keras", "05.reparameterize", "one eps for the batch", "every row of z is the same"),
    ("torch", "05.vae_loss", "mean over pixels", "*mean* over pixels"),
    ("torch", "05.vae_loss", "sum over the batch", "summed over the batch"),
    ("torch", "05.vae_loss", "KL wrong sign", "wrong sign"),
    ("torch", "05.vae_loss", "beta ignored", "ignores beta"),
    ("torch", "05.vae_loss", "logits as probabilities", "logits"),
    ("torch", "05.vae_loss", "item() breaks gradients", "gradients"),
    ("keras", "05.kl_divergence", "wrong sign", "wrong sign"),
    ("keras", "05.reparameterize", "eps not used", "never added"),
    ("keras", "05.reparameterize", "log_var as variance", "exp(log_var), the variance"),
    ("keras", "05.reparameterize", "log_var as variance, unlucky draw", "exp(log_var), the variance"),
    ("keras", "05.vae_loss", "mean over pixels", "*mean* over pixels"),
    ("keras", "05.vae_loss", "numpy result", "plain Python number"),
    ("torch", "05.reparameterize", "mu forgotten", "averages to 0 in every dimension"),
    ("keras", "05.reparameterize", "mu forgotten", "averages to 0 in every dimension"),
    ("torch", "05.reparameterize", "uniform noise", "standard normal"),
    ("torch", "05.vae_loss", "item() breaks gradients", "plain Python number"),
    ("torch", "05.vae_loss", "only the loss", "three values"),
    ("torch", "05.vae_loss", "logits as probabilities", "treats the logits as probabilities"),
    ("keras", "05.vae_loss", "logits as probabilities", "treats the logits as probabilities"),
    ("torch", "05.reparameterize", "numpy", "numpy array"),
    ("keras", "05.reparameterize", "numpy", "numpy array"),
] + MORE_HINTS


@pytest.mark.parametrize("framework, exercise_id, name, words", HINTS,
                         ids=[f"{fw}-{ex}-{name}" for fw, ex, name, _ in HINTS])
def test_checker_names_the_mistake(verdicts, framework, exercise_id, name, words):
    passed, message = _verdict(verdicts, framework, f"{exercise_id}::{name}")
    assert not passed
    assert words in message, message


def test_exercises_registered_for_both_tracks():
    for exercise_id in ("05.reparameterize", "05.kl_divergence", "05.vae_loss", "05.vae_train_step"):
        assert exercise_id in check.exercises()
        assert check._get(exercise_id).notebook == "05_variational_autoencoder"
    with pytest.raises(ValueError, match="not 'numpy'"):
        check.reference("05.kl_divergence", framework="numpy")


def test_stub_falls_back_to_reference_with_a_note():
    code = textwrap.dedent("""
        import torch
        from aelab import check
        from aelab.models import vae_torch
        result = check.run("05.kl_divergence", lambda mu, log_var: None, framework="torch", show=False)
        assert not result.passed
        assert result.use() is vae_torch.kl_divergence
        print("FALLBACK-OK")
    """)
    stdout = _python(code)
    assert "FALLBACK-OK" in stdout and "reference implementation" in stdout


# A check draws its own seeded random numbers and leaves the notebook's generators as they were:
# the student's notebook then trains the same models, on the same random numbers, as the solution.
RANDOM_STATE_SCRIPTS = {
    "torch": """
import random
import numpy as np, torch
from aelab import check
draws = []
def fn(mu, log_var):
    eps = torch.randn_like(mu)
    draws.append(eps[:2].clone())
    return mu + torch.exp(0.5 * log_var) * eps
def state_after(run_checks):
    torch.manual_seed(7); np.random.seed(7); random.seed(7)
    if run_checks:
        assert check.run("05.reparameterize", fn, framework="torch", show=False).passed
        assert not check.run("05.reparameterize", lambda m, v: m + torch.exp(v) * torch.randn_like(m),
                             framework="torch", show=False).passed
    return torch.rand(3).tolist(), np.random.rand(3).tolist(), random.random()
assert state_after(True) == state_after(False)
torch.manual_seed(99)
check.run("05.reparameterize", fn, framework="torch", show=False)
assert torch.equal(draws[0], draws[len(draws) // 2])   # two runs: the same eps, whatever the notebook's seed
print("OK")
""",
    "keras": """
import os, random
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import numpy as np, keras, tensorflow as tf
from keras import ops
from aelab import check
draws = []
def fn(mu, log_var):
    eps = keras.random.normal(ops.shape(mu))
    if tf.executing_eagerly():   # (the check also traces it in a tf.function)
        draws.append(np.asarray(eps[:2]))
    return mu + ops.exp(0.5 * log_var) * eps
def state_after(run_checks, draw_first):
    keras.utils.set_random_seed(7)
    if draw_first:   # the global seed generator exists before the check
        keras.random.normal((2,))
    if run_checks:
        assert check.run("05.reparameterize", fn, framework="keras", show=False).passed
    return (np.asarray(keras.random.normal((3,))).tolist(), np.random.rand(3).tolist(),
            random.random())
for draw_first in (False, True):
    assert state_after(True, draw_first) == state_after(False, draw_first), draw_first
assert np.array_equal(draws[0], draws[len(draws) // 2])   # two runs: the same eps, whatever came before
print("OK")
""",
}


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_check_leaves_the_notebooks_random_numbers_alone(framework):
    assert _python(RANDOM_STATE_SCRIPTS[framework]).strip().endswith("OK")
