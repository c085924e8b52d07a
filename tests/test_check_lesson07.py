"""Lesson 07 checkers reject plausible wrong answers and accept correct ones, in both tracks.

The numpy exercise (the mixture prior) runs in this process. The framework exercises run in a
subprocess per framework (a process never imports both PyTorch and TensorFlow): it defines every
variant below, runs ``check.run`` on it and reports the verdicts.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import verdicts_in_subprocess

from aelab import check
from aelab.check import lesson07

# ------------------------------------------------------------------ 07.sample_mixture_prior

VALIDATE = ("    if not isinstance(rng, np.random.Generator):\n"
            "        raise TypeError('rng: a np.random.Generator')\n"
            "    labels = np.asarray(labels)\n"
            "    if labels.ndim != 1 or labels.dtype.kind not in 'iu' or np.any((labels < 0) | (labels > 9)):\n"
            "        raise ValueError('labels: ints 0..9')\n")
HEAD = "def fn(labels, rng, radius=4.0, std=0.5):\n" + VALIDATE
CENTRES = ("    angles = 2 * np.pi * labels / 10\n"
           "    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)\n")

SAMPLER = {
    "reference": (True, lesson07.sample_mixture_prior_reference),
    "loop over components, rng.normal": (True, HEAD + (
        "    out = np.empty((len(labels), 2), np.float32)\n"
        "    for k in range(10):\n"
        "        idx = np.flatnonzero(labels == k)\n"
        "        theta = 2 * np.pi * k / 10\n"
        "        out[idx] = rng.normal([radius * np.cos(theta), radius * np.sin(theta)], std, (len(idx), 2))\n"
        "    return out")),
    "complex numbers": (True, HEAD + (
        "    c = radius * np.exp(2j * np.pi * labels / 10)\n"
        "    noise = rng.normal(0.0, std, (2, len(labels)))\n"
        "    return np.stack([c.real + noise[0], c.imag + noise[1]], axis=1).astype(np.float32)")),
    "stub": ("NOT ATTEMPTED", "def fn(labels, rng, radius=4.0, std=0.5):\n    return None"),
    "degrees": ("in degrees", HEAD + (
        "    angles = 360 * labels / 10\n"
        "    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)\n"
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)")),
    "std as variance (covariance std * I)": ("std was used as a variance", HEAD + CENTRES + (
        "    noise = rng.multivariate_normal([0.0, 0.0], std * np.eye(2), len(labels))\n"
        "    return (centres + noise).astype(np.float32)")),
    "std squared": ("the spread is std**2", HEAD + CENTRES + (
        "    return (centres + std ** 2 * rng.standard_normal((len(labels), 2))).astype(np.float32)")),
    "labels ignored": ("the labels are ignored", HEAD + (
        "    k = rng.integers(0, 10, len(labels))\n"
        "    angles = 2 * np.pi * k / 10\n"
        "    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)\n"
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)")),
    "global np.random": ("numpy's global random generator", HEAD + CENTRES + (
        "    return (centres + std * np.random.standard_normal((len(labels), 2))).astype(np.float32)")),
    "float64": ("dtype float64; expected float32", HEAD + CENTRES + (
        "    return centres + std * rng.standard_normal((len(labels), 2))")),
    "transposed": ("transposed", HEAD + CENTRES + (
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32).T")),
    "sorts labels in place": ("changed `labels` in place",
        "def fn(labels, rng, radius=4.0, std=0.5):\n"
        "    labels.sort()\n" + VALIDATE + CENTRES +
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)"),
    "unseeded generator inside": ("gave different samples", HEAD + CENTRES + (
        "    noise = np.random.default_rng().standard_normal((len(labels), 2))\n"
        "    return (centres + std * noise).astype(np.float32)")),
    "fixed seed inside": ("exactly the same samples", HEAD + CENTRES + (
        "    noise = np.random.default_rng(0).standard_normal((len(labels), 2))\n"
        "    return (centres + std * noise).astype(np.float32)")),
    "radius ignored": ("`radius` argument is ignored", HEAD + (
        "    angles = 2 * np.pi * labels / 10\n"
        "    centres = 4.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)\n"
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)")),
    "std ignored": ("the `std` argument is ignored", HEAD + CENTRES + (
        "    return (centres + 0.5 * rng.standard_normal((len(labels), 2))).astype(np.float32)")),
    "one noise for x and y": ("correlated", HEAD + CENTRES + (
        "    return (centres + std * rng.standard_normal((len(labels), 1))).astype(np.float32)")),
    "cos and sin swapped": ("cos and sin are swapped", HEAD + (
        "    angles = 2 * np.pi * labels / 10\n"
        "    centres = radius * np.stack([np.sin(angles), np.cos(angles)], axis=1)\n"
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)")),
    "unit circle": ("unit circle", HEAD + (
        "    angles = 2 * np.pi * labels / 10\n"
        "    centres = np.stack([np.cos(angles), np.sin(angles)], axis=1)\n"
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)")),
    "uniform noise of the same spread": ("not a normal shape", HEAD + CENTRES + (
        "    noise = std * np.sqrt(3) * rng.uniform(-1, 1, (len(labels), 2))\n"
        "    return (centres + noise).astype(np.float32)")),
    "laplace noise of the same spread": ("not a normal shape", HEAD + CENTRES + (
        "    noise = rng.laplace(0.0, std / np.sqrt(2), (len(labels), 2))\n"
        "    return (centres + noise).astype(np.float32)")),
    "no noise": ("exactly its component's centre", HEAD + CENTRES + (
        "    return centres.astype(np.float32)")),
    "no input check": ("instead of raising a ValueError",
        "def fn(labels, rng, radius=4.0, std=0.5):\n" + CENTRES +
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)"),
    "labels checked, rng not": ("raise a TypeError",
        "def fn(labels, rng, radius=4.0, std=0.5):\n"
        "    labels = np.asarray(labels)\n"
        "    if labels.ndim != 1 or labels.dtype.kind not in 'iu' or np.any((labels < 0) | (labels > 9)):\n"
        "        raise ValueError('labels: ints 0..9')\n" + CENTRES +
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)"),
    "float labels accepted": ("labels that are not integers",
        "def fn(labels, rng, radius=4.0, std=0.5):\n"
        "    if not isinstance(rng, np.random.Generator):\n"
        "        raise TypeError('rng')\n"
        "    labels = np.asarray(labels)\n"
        "    if np.any((labels < 0) | (labels > 9)):\n"
        "        raise ValueError('labels: 0..9')\n" + CENTRES +
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)"),
    "one number per label": ("one row (x, y) per label", HEAD + CENTRES + (
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32).ravel()")),
    "NaN": ("NaN or infinity", HEAD + CENTRES + (
        "    noise = std * rng.standard_normal((len(labels), 2))\n"
        "    return (centres + np.where(labels[:, None] == 3, np.nan, noise)).astype(np.float32)")),
    "every label component 0": ("average to the same point", HEAD + (
        "    centres = radius * np.stack([np.ones(len(labels)), np.zeros(len(labels))], axis=1)\n"
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)")),
    "radians converted again": ("converted again", HEAD + (
        "    angles = np.deg2rad(2 * np.pi * labels / 10)\n"
        "    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)\n"
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)")),
    "components from 1": ("where component k + 1 belongs", HEAD + (
        "    angles = 2 * np.pi * (labels + 1) / 10\n"
        "    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)\n"
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)")),
    "divided by 9": ("2*pi*k/9", HEAD + (
        "    angles = 2 * np.pi * labels / 9\n"
        "    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)\n"
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)")),
    "rotated": ("its centre is radius * (cos, sin)(2*pi*", HEAD + (
        "    angles = 2 * np.pi * labels / 10 + 0.3\n"
        "    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)\n"
        "    return (centres + std * rng.standard_normal((len(labels), 2))).astype(np.float32)")),
    "noise not scaled": ("the spread is 1 whatever std is", HEAD + CENTRES + (
        "    return (centres + rng.standard_normal((len(labels), 2))).astype(np.float32)")),
    "twice the spread": ("expected std = 0.5", HEAD + CENTRES + (
        "    return (centres + 2 * std * rng.standard_normal((len(labels), 2))).astype(np.float32)")),
}


def _sampler(source):
    if callable(source):
        return source
    namespace = {"np": np}
    exec(compile(source, "answer", "exec"), namespace)
    return namespace["fn"]


@pytest.fixture(scope="module")
def sampler_verdicts():
    return {name: check.run("07.sample_mixture_prior", _sampler(source), show=False)
            for name, (_, source) in SAMPLER.items()}


@pytest.mark.parametrize("name", list(SAMPLER))
def test_sample_mixture_prior(sampler_verdicts, name):
    words = SAMPLER[name][0]
    result = sampler_verdicts[name]
    if words is True:
        assert result.passed, result.message
        return
    assert not result.passed, f"{name} was accepted"
    if words == "NOT ATTEMPTED":
        assert result.status == "not attempted yet", result.message
    else:
        assert words in result.message, result.message
        assert result.status == "not yet"


def test_sample_mixture_prior_reference_rejects_bad_input():
    ref = lesson07.sample_mixture_prior_reference
    with pytest.raises(ValueError, match="0..9"):
        ref(np.array([0, 10]), np.random.default_rng(0))
    with pytest.raises(ValueError, match="integers"):
        ref(np.array([0.0, 1.0]), np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        ref(np.array([0, 1]), 0)
    z = ref(np.arange(10).repeat(3), np.random.default_rng(1), radius=2.0, std=0.0)
    assert z.dtype == np.float32 and z.shape == (30, 2)
    assert np.allclose(z[::3], 2.0 * np.stack([np.cos(np.arange(10) * np.pi / 5),
                                               np.sin(np.arange(10) * np.pi / 5)], 1), atol=1e-6)


# ------------------------------------------------------------------ framework exercises

TORCH_PRELUDE = """
import numpy as np, torch, torch.nn.functional as F
"""
KERAS_PRELUDE = """
import os
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import numpy as np, keras, tensorflow as tf
from keras import ops
"""

LOSSES = {
    "torch": {
        "07.discriminator_loss": {
            "reference": (True, "from aelab.models.aae_torch import discriminator_loss as fn"),
            "softplus": (True, "def fn(r, f):\n    return F.softplus(-r).mean() + F.softplus(f).mean()"),
            "logsigmoid": (True, "def fn(r, f):\n    return -F.logsigmoid(r).mean() - F.logsigmoid(-f).mean()"),
            "BCEWithLogitsLoss": (True, "def fn(r, f):\n    bce = torch.nn.BCEWithLogitsLoss()\n    return bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))"),
            "stub": ("NOT ATTEMPTED", "def fn(r, f):\n    return None"),
            "targets swapped": ("targets swapped", "def fn(r, f):\n    return F.binary_cross_entropy_with_logits(r, torch.zeros_like(r)) + F.binary_cross_entropy_with_logits(f, torch.ones_like(f))"),
            "only the real term": ("only the real term", "def fn(r, f):\n    return F.binary_cross_entropy_with_logits(r, torch.ones_like(r))"),
            "only the fake term": ("only the fake term", "def fn(r, f):\n    return F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))"),
            "summed": ("summed over the samples", "def fn(r, f):\n    return F.binary_cross_entropy_with_logits(r, torch.ones_like(r), reduction='sum') + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f), reduction='sum')"),
            "average of the two terms": ("not their average", "def fn(r, f):\n    return 0.5 * (F.binary_cross_entropy_with_logits(r, torch.ones_like(r)) + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)))"),
            "mean over both together": ("together", "def fn(r, f):\n    logits = torch.cat([r, f])\n    target = torch.cat([torch.ones_like(r), torch.zeros_like(f)])\n    return F.binary_cross_entropy_with_logits(logits, target)"),
            "wrong sign": ("wrong sign", "def fn(r, f):\n    return -(F.softplus(-r).mean() + F.softplus(f).mean())"),
            "sigmoid then BCE": ("confident ones", "def fn(r, f):\n    return F.binary_cross_entropy(torch.sigmoid(r), torch.ones_like(r)) + F.binary_cross_entropy(torch.sigmoid(f), torch.zeros_like(f))"),
            "log(1 + exp)": ("confident ones", "def fn(r, f):\n    return torch.log(1 + torch.exp(-r)).mean() + torch.log(1 + torch.exp(f)).mean()"),
            "per sample": ("one value per sample", "def fn(r, f):\n    return F.softplus(-r) + F.softplus(f).mean()"),
            "item()": ("plain Python number", "def fn(r, f):\n    return (F.softplus(-r).mean() + F.softplus(f).mean()).item()"),
            "NaN": ("returned nan", "def fn(r, f):\n    return torch.log(r - 100).mean() + F.softplus(f).mean()"),
            "squared error": ("your discriminator_loss is", "def fn(r, f):\n    return (r - 1).pow(2).mean() + f.pow(2).mean()"),
            "all detached": ("no gradient flows from discriminator_loss back to `real_logits`", "def fn(r, f):\n    return F.softplus(-r.detach()).mean() + F.softplus(f.detach()).mean()"),
            "wrong sign and swapped": ("wrong sign and swapped targets", "def fn(r, f):\n    return -F.softplus(r).mean() - F.softplus(-f).mean()"),
            "detached fake": ("gradient with respect to `fake_logits`", "def fn(real_logits, fake_logits):\n    return F.softplus(-real_logits).mean() + F.softplus(fake_logits.detach()).mean() + 0 * fake_logits.sum()"),
        },
        "07.encoder_adversarial_loss": {
            "reference": (True, "from aelab.models.aae_torch import encoder_adversarial_loss as fn"),
            "softplus": (True, "def fn(f):\n    return F.softplus(-f).mean()"),
            "logsigmoid": (True, "def fn(f):\n    return -F.logsigmoid(f).mean()"),
            "stub": ("NOT ATTEMPTED", "def fn(f):\n    return None"),
            "saturating": ("saturating loss", "def fn(f):\n    return -F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))"),
            "target 0": ("against target 0", "def fn(f):\n    return F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))"),
            "wrong sign": ("wrong sign", "def fn(f):\n    return -F.binary_cross_entropy_with_logits(f, torch.ones_like(f))"),
            "summed": ("summed over the codes", "def fn(f):\n    return F.binary_cross_entropy_with_logits(f, torch.ones_like(f), reduction='sum')"),
            "sigmoid then BCE": ("confident ones", "def fn(f):\n    return F.binary_cross_entropy(torch.sigmoid(f), torch.ones_like(f))"),
            "numpy": ("numpy array", "def fn(f):\n    return np.log1p(np.exp(-f.detach().numpy())).mean(keepdims=True)"),
        },
    },
    "keras": {
        "07.discriminator_loss": {
            "reference": (True, "from aelab.models.aae_keras import discriminator_loss as fn"),
            "softplus": (True, "def fn(r, f):\n    return ops.mean(ops.softplus(-r)) + ops.mean(ops.softplus(f))"),
            "keras.losses object": (True, "def fn(r, f):\n    bce = keras.losses.BinaryCrossentropy(from_logits=True)\n    return bce(ops.ones_like(r), r) + bce(ops.zeros_like(f), f)"),
            "tf.nn": (True, "def fn(r, f):\n    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(r), logits=r)) + tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros_like(f), logits=f))"),
            "stub": ("NOT ATTEMPTED", "def fn(r, f):\n    return None"),
            "targets swapped": ("targets swapped", "def fn(r, f):\n    return ops.mean(ops.softplus(r)) + ops.mean(ops.softplus(-f))"),
            "only the fake term": ("only the fake term", "def fn(r, f):\n    return ops.mean(ops.softplus(f))"),
            "summed": ("summed over the samples", "def fn(r, f):\n    return ops.sum(ops.softplus(-r)) + ops.sum(ops.softplus(f))"),
            "wrong sign": ("wrong sign", "def fn(r, f):\n    return -ops.mean(ops.softplus(-r)) - ops.mean(ops.softplus(f))"),
            # (ops.sigmoid then the cross-entropy is stable: Keras recovers the logits; tf.sigmoid is not)
            "sigmoid then BCE": ("confident ones", "def fn(r, f):\n    return ops.mean(keras.losses.binary_crossentropy(ops.ones_like(r), tf.sigmoid(r))) + ops.mean(keras.losses.binary_crossentropy(ops.zeros_like(f), tf.sigmoid(f)))"),
            "numpy": ("numpy array", "def fn(r, f):\n    r, f = np.asarray(r, np.float64), np.asarray(f, np.float64)\n    return np.logaddexp(0, -r).mean() + np.logaddexp(0, f).mean()"),
        },
        "07.encoder_adversarial_loss": {
            "reference": (True, "from aelab.models.aae_keras import encoder_adversarial_loss as fn"),
            "softplus": (True, "def fn(f):\n    return ops.mean(ops.softplus(-f))"),
            "stub": ("NOT ATTEMPTED", "def fn(f):\n    return None"),
            "saturating": ("saturating loss", "def fn(f):\n    return -ops.mean(ops.binary_crossentropy(ops.zeros_like(f), f, from_logits=True))"),
            "target 0": ("against target 0", "def fn(f):\n    return ops.mean(ops.binary_crossentropy(ops.zeros_like(f), f, from_logits=True))"),
            "summed": ("summed over the codes", "def fn(f):\n    return ops.sum(ops.softplus(-f))"),
            "sigmoid then BCE": ("confident ones", "def fn(f):\n    return ops.mean(keras.losses.binary_crossentropy(ops.ones_like(f), tf.sigmoid(f)))"),
            "ops.sigmoid then BCE (Keras recovers the logits)": (True, "def fn(f):\n    return ops.mean(keras.losses.binary_crossentropy(ops.ones_like(f), ops.sigmoid(f)))"),
            "differs when traced": ("inside a tf.function your encoder_adversarial_loss", "def fn(f):\n    scale = 1.0 if tf.executing_eagerly() else 2.0\n    return scale * ops.mean(ops.softplus(-f))"),
            "python number in a tf.function": ("fails inside a tf.function", "def fn(f):\n    return ops.mean(ops.softplus(-f)) + 0.0 * float(tf.reduce_sum(f) > 1e9)"),
        },
    },
}

# ---- the train step: sources assembled from parts, so each wrong variant differs in one place
_T = ("from aelab.models.aae_torch import discriminator_loss, encoder_adversarial_loss\n"
      "def fn(model, optimizers, images, prior_samples, condition=None):\n"
      "    opt_r, opt_d, opt_g = optimizers\n"
      "    D = lambda z: model.discriminator(z if condition is None else torch.cat([z, condition], dim=1))\n")
_T_R = ("    logits = model.decoder(model.encoder(images))\n"
        "    rec = F.binary_cross_entropy_with_logits(logits, images, reduction='none').sum(dim=(1, 2, 3)).mean()\n"
        "    opt_r.zero_grad()\n    rec.backward()\n    opt_r.step()\n")
_T_D = ("    z = model.encoder(images).detach()\n"
        "    d_loss = discriminator_loss(D(prior_samples), D(z))\n"
        "    opt_d.zero_grad()\n    d_loss.backward()\n    opt_d.step()\n")
_T_G = ("    g_loss = encoder_adversarial_loss(D(model.encoder(images)))\n"
        "    opt_g.zero_grad()\n    g_loss.backward()\n    opt_g.step()\n")
_T_RET = "    return rec.item(), d_loss.item(), g_loss.item()"

_K = ("from aelab.models.aae_keras import discriminator_loss, encoder_adversarial_loss\n"
      "def fn(model, optimizers, images, prior_samples, condition=None):\n"
      "    opt_r, opt_d, opt_g = optimizers\n"
      "    D = lambda z: model.discriminator(z if condition is None else ops.concatenate([z, condition], axis=1), training=True)\n"
      "    enc, dec, dis = model.encoder.trainable_weights, model.decoder.trainable_weights, model.discriminator.trainable_weights\n")
_K_R = ("    with tf.GradientTape() as tape:\n"
        "        logits = model.decoder(model.encoder(images, training=True), training=True)\n"
        "        rec = ops.mean(ops.sum(ops.binary_crossentropy(images, logits, from_logits=True), axis=(1, 2, 3)))\n"
        "    opt_r.apply(tape.gradient(rec, enc + dec), enc + dec)\n")
_K_D = ("    z = model.encoder(images, training=True)\n"
        "    with tf.GradientTape() as tape:\n"
        "        d_loss = discriminator_loss(D(prior_samples), D(z))\n"
        "    opt_d.apply(tape.gradient(d_loss, dis), dis)\n")
_K_G = ("    with tf.GradientTape() as tape:\n"
        "        g_loss = encoder_adversarial_loss(D(model.encoder(images, training=True)))\n"
        "    opt_g.apply(tape.gradient(g_loss, enc), enc)\n")
_K_RET = "    return rec, d_loss, g_loss"

STEP = {
    "torch": {
        "reference": (True, "from aelab.models.aae_torch import aae_train_step as fn"),
        "parts": (True, _T + _T_R + _T_D + _T_G + _T_RET),
        "codes of phase 1, detached": (True, _T + "    z0 = model.encoder(images)\n    logits = model.decoder(z0)\n"
                                       "    rec = F.binary_cross_entropy_with_logits(logits, images, reduction='none').sum(dim=(1, 2, 3)).mean()\n"
                                       "    opt_r.zero_grad()\n    rec.backward()\n    opt_r.step()\n"
                                       "    d_loss = discriminator_loss(D(prior_samples), D(z0.detach()))\n"
                                       "    opt_d.zero_grad()\n    d_loss.backward()\n    opt_d.step()\n" + _T_G + _T_RET),
        "discriminator first, model.zero_grad, softplus": (True, _T + (
            "    z = model.encoder(images).detach()\n"
            "    d_loss = F.softplus(-D(prior_samples)).mean() + F.softplus(D(z)).mean()\n"
            "    model.zero_grad()\n    d_loss.backward()\n    opt_d.step()\n") + _T_R + (
            "    g_loss = F.softplus(-D(model.encoder(images))).mean()\n"
            "    model.zero_grad()\n    g_loss.backward()\n    opt_g.step()\n") + "    return float(rec), float(d_loss), float(g_loss)"),
        "stub": ("NOT ATTEMPTED", "def fn(model, optimizers, images, prior_samples, condition=None):\n    return None"),
        "no detach": ("flowed into the encoder", _T + _T_R + _T_D.replace(".detach()", "") + _T_G + _T_RET),
        "no detach, no zero_grad in phase 3": ("the discriminator loss's gradients, which reached the encoder",
                                              _T + _T_R + _T_D.replace(".detach()", "") + _T_G.replace("    opt_g.zero_grad()\n", "") + _T_RET),
        "no zero_grad": ("call that optimizer's zero_grad() before", _T + (_T_R + _T_D + _T_G).replace("    opt_r.zero_grad()\n", "").replace("    opt_d.zero_grad()\n", "").replace("    opt_g.zero_grad()\n", "") + _T_RET),
        "optimizers unpacked in the wrong order": ("updated the discriminator with the gradient of the encoder's adversarial loss: the optimizers are mixed up", _T.replace("opt_r, opt_d, opt_g = optimizers", "opt_r, opt_g, opt_d = optimizers") + _T_R + _T_D + _T_G + _T_RET),
        "generator phase first": ("the generator phase ran before", _T + _T_G.replace("opt_g.step()\n", "opt_g.step()\n    gl = g_loss.item()\n") + _T_R + _T_D + "    return rec.item(), d_loss.item(), gl"),
        "losses after the step": ("*after* the step", _T + _T_R + _T_D + _T_G + (
            "    with torch.no_grad():\n"
            "        rec = F.binary_cross_entropy_with_logits(model.decoder(model.encoder(images)), images, reduction='none').sum(dim=(1, 2, 3)).mean()\n"
            "        g_loss = encoder_adversarial_loss(D(model.encoder(images)))\n") + _T_RET),
        "condition ignored": ("the condition is ignored", _T.replace("z if condition is None else torch.cat([z, condition], dim=1)", "z") + _T_R + _T_D + _T_G + _T_RET),
        "mean over pixels": ("*mean* over the pixels", _T + _T_R.replace("reduction='none').sum(dim=(1, 2, 3)).mean()", "reduction='mean')") + _T_D + _T_G + _T_RET),
        "saturating generator loss": ("saturating loss", _T + _T_R + _T_D + _T_G.replace("encoder_adversarial_loss(D(model.encoder(images)))", "-F.softplus(D(model.encoder(images))).mean()") + _T_RET),
        "returns tensors": ("return plain Python numbers", _T + _T_R + _T_D + _T_G + "    return rec, d_loss, g_loss"),
        "reconstruction with detached codes": ("did not move the encoder", _T + _T_R.replace("model.decoder(model.encoder(images))", "model.decoder(model.encoder(images).detach())") + _T_D + _T_G + _T_RET),
        "only the reconstruction returned": ("should return three values", _T + _T_R + _T_D + _T_G + "    return rec.item()"),
        "None returned for a loss": ("the discriminator loss that aae_train_step returns is None", _T + _T_R + _T_D + _T_G + "    return rec.item(), None, g_loss.item()"),
        "a list returned for a loss": ("expected a number", _T + _T_R + _T_D + _T_G + "    return rec.item(), d_loss.item(), [g_loss.item()]"),
        "NaN returned": ("returns is nan", _T + _T_R + _T_D + _T_G + "    return rec.item(), d_loss.item(), float('nan')"),
        "label index as condition": ("inputs of shape (8, 3); expected (8, 12)", _T.replace("torch.cat([z, condition], dim=1)", "torch.cat([z, condition.argmax(1, keepdim=True).float()], dim=1)") + _T_R + _T_D + _T_G + _T_RET),
        "no optimizer steps": ("no optimizer stepped", _T + (_T_R + _T_D + _T_G).replace("    opt_r.step()\n", "").replace("    opt_d.step()\n", "").replace("    opt_g.step()\n", "") + _T_RET),
        "reconstruction steps twice": ("stepped 2 times", _T + _T_R + "    opt_r.step()\n" + _T_D + _T_G + _T_RET),
        "zero_grad between backward and step": ("nothing moved", _T + _T_R + _T_D.replace("    opt_d.zero_grad()\n    d_loss.backward()\n", "    d_loss.backward()\n    opt_d.zero_grad()\n") + _T_G + _T_RET),
        "reconstruction summed over the batch": ("summed over the images of the batch", _T + _T_R.replace("reduction='none').sum(dim=(1, 2, 3)).mean()", "reduction='sum')") + _T_D + _T_G + _T_RET),
        "discriminator loss summed": ("the discriminator loss is summed", _T + _T_R + _T_D.replace("discriminator_loss(D(prior_samples), D(z))", "F.softplus(-D(prior_samples)).sum() + F.softplus(D(z)).sum()") + _T_G + _T_RET),
        "discriminator climbs": ("wrong sign", _T + _T_R + _T_D.replace("d_loss.backward()", "(-d_loss).backward()") + _T_G + _T_RET),
        "generator target 0": ("against target 0", _T + _T_R + _T_D + _T_G.replace("encoder_adversarial_loss(D(model.encoder(images)))", "F.softplus(D(model.encoder(images))).mean()") + _T_RET),
        "generator loss summed": ("the generator loss is summed", _T + _T_R + _T_D + _T_G.replace("encoder_adversarial_loss(D(model.encoder(images)))", "F.softplus(-D(model.encoder(images))).sum()") + _T_RET),
        "discriminator_loss arguments swapped": ("its arguments the wrong way round", _T + _T_R + _T_D.replace("discriminator_loss(D(prior_samples), D(z))", "discriminator_loss(D(z), D(prior_samples))") + _T_G + _T_RET),
        "weights changed by hand": ("outside the optimizers' steps", _T + _T_R + _T_D + _T_G + "    with torch.no_grad():\n        for p in model.decoder.parameters():\n            p.mul_(0.99)\n" + _T_RET),
        "discriminator loss with an extra term": ("are not those of the discriminator loss", _T + _T_R + _T_D.replace("d_loss = discriminator_loss(D(prior_samples), D(z))", "d_loss = discriminator_loss(D(prior_samples), D(z)) + 0.1 * D(z).pow(2).mean()") + _T_G + _T_RET),
        "values in another order": ("in the order (discriminator loss, reconstruction, generator loss)", _T + _T_R + _T_D + _T_G + "    return d_loss.item(), rec.item(), g_loss.item()"),
        "reconstruction per pixel returned": ("but the loss its phase stepped on was", _T + _T_R + _T_D + _T_G + "    return rec.item() / 784, d_loss.item(), g_loss.item()"),
        "generator never steps": ("optimizers[2], the generator optimizer (for the encoder), never stepped", _T + _T_R + _T_D + _T_G.replace("    opt_g.step()\n", "") + _T_RET),
    },
    "keras": {
        "reference": (True, "from aelab.models.aae_keras import aae_train_step as fn"),
        "parts": (True, _K + _K_R + _K_D + _K_G + _K_RET),
        "apply_gradients, codes inside the tape": (True, _K + _K_R + (
            "    with tf.GradientTape() as tape:\n"
            "        z = model.encoder(images, training=True)\n"
            "        d_loss = discriminator_loss(D(prior_samples), D(z))\n"
            "    opt_d.apply_gradients(zip(tape.gradient(d_loss, dis), dis))\n") + _K_G + _K_RET),
        "stub": ("NOT ATTEMPTED", "def fn(model, optimizers, images, prior_samples, condition=None):\n    return None"),
        "discriminator phase updates the encoder too": ("the discriminator phase moved the encoder", _K + _K_R + (
            "    with tf.GradientTape() as tape:\n"
            "        z = model.encoder(images, training=True)\n"
            "        d_loss = discriminator_loss(D(prior_samples), D(z))\n"
            "    opt_d.apply(tape.gradient(d_loss, dis + enc), dis + enc)\n") + _K_G + _K_RET),
        "generator phase updates the discriminator too": ("the generator phase moved the discriminator", _K + _K_R + _K_D + (
            "    with tf.GradientTape() as tape:\n"
            "        g_loss = encoder_adversarial_loss(D(model.encoder(images, training=True)))\n"
            "    opt_g.apply(tape.gradient(g_loss, enc + dis), enc + dis)\n") + _K_RET),
        "optimizers unpacked in the wrong order": ("updated the encoder with the gradient of the encoder's adversarial loss: the optimizers are mixed up", _K.replace("opt_r, opt_d, opt_g = optimizers", "opt_r, opt_g, opt_d = optimizers") + _K_R + _K_D + _K_G + _K_RET),
        "saturating generator loss": ("saturating loss", _K + _K_R + _K_D + _K_G.replace("encoder_adversarial_loss(D(model.encoder(images, training=True)))", "-ops.mean(ops.softplus(D(model.encoder(images, training=True))))") + _K_RET),
        "mean over pixels": ("*mean* over the pixels", _K + _K_R.replace("ops.mean(ops.sum(ops.binary_crossentropy(images, logits, from_logits=True), axis=(1, 2, 3)))", "ops.mean(ops.binary_crossentropy(images, logits, from_logits=True))") + _K_D + _K_G + _K_RET),
        "condition ignored": ("the condition is ignored", _K.replace("z if condition is None else ops.concatenate([z, condition], axis=1)", "z") + _K_R + _K_D + _K_G + _K_RET),
        "losses after the step": ("*after* the step", _K + _K_R + _K_D + _K_G + (
            "    rec = ops.mean(ops.sum(ops.binary_crossentropy(images, model.decoder(model.encoder(images)), from_logits=True), axis=(1, 2, 3)))\n") + _K_RET),
        "python numbers (fails in fit)": ("fails inside Keras' train_step", _K + _K_R + _K_D + _K_G + "    return float(rec), float(d_loss), float(g_loss)"),
        "generator phase first": ("the generator phase ran before", _K + _K_G + _K_R + _K_D + _K_RET),
        "decoder left out of the reconstruction phase": ("did not move the decoder", _K + _K_R.replace("opt_r.apply(tape.gradient(rec, enc + dec), enc + dec)", "opt_r.apply(tape.gradient(rec, enc), enc)") + _K_D + _K_G + _K_RET),
        "per-image reconstruction returned": ("has shape (8,)", _K + _K_R + _K_D + _K_G + "    return ops.sum(ops.binary_crossentropy(images, logits, from_logits=True), axis=(1, 2, 3)), d_loss, g_loss"),
        "differs when traced": ("inside a tf.function (as Keras' fit runs", _K + _K_R + _K_D + _K_G.replace("    with tf.GradientTape() as tape:\n", "    scale = 1.0 if tf.executing_eagerly() else 2.0\n    with tf.GradientTape() as tape:\n").replace("g_loss = encoder_adversarial_loss", "g_loss = scale * encoder_adversarial_loss") + _K_RET),
    },
}
for _fw in STEP:
    LOSSES[_fw]["07.aae_train_step"] = STEP[_fw]

RUNNER = """
import json, sys
{prelude}
from aelab import check
variants = json.loads(sys.stdin.read())
verdicts = {{}}
for exercise_id, cases in variants.items():
    for name, (_, source) in cases.items():
        namespace = {{}}
        exec(compile({prelude!r} + source, name, "exec"), namespace)
        result = check.run(exercise_id, namespace["fn"], framework="{framework}", show=False)
        verdicts[exercise_id + "::" + name] = [result.passed, result.status, str(result)]
print("VERDICTS" + json.dumps(verdicts))
"""


@pytest.fixture(scope="module")
def verdicts():
    return {}


def _verdict(verdicts, framework, key):
    if framework not in verdicts:
        prelude = TORCH_PRELUDE if framework == "torch" else KERAS_PRELUDE
        script = RUNNER.format(prelude=prelude, framework=framework)
        verdicts[framework] = verdicts_in_subprocess(script, LOSSES[framework])
    return verdicts[framework][key]


CASES = [(fw, ex, name, words) for fw, exercises in LOSSES.items()
         for ex, cases in exercises.items() for name, (words, _) in cases.items()]


@pytest.mark.parametrize("framework, exercise_id, name, words", CASES,
                         ids=[f"{fw}-{ex}-{name}" for fw, ex, name, _ in CASES])
def test_framework_checker(verdicts, framework, exercise_id, name, words):
    passed, status, message = _verdict(verdicts, framework, f"{exercise_id}::{name}")
    if words is True:
        assert passed, f"{name}: {message}"
        return
    assert not passed, f"{name} was accepted"
    if words == "NOT ATTEMPTED":
        assert status == "not attempted yet", message
    else:
        assert status == "not yet", message
        assert words in message, message
        assert "check.hint(" in message  # a failed attempt always offers the hint


def test_exercises_registered_in_lesson_order():
    ids = [e for e in check.exercises() if e.startswith("07.")]
    assert ids == ["07.sample_mixture_prior", "07.discriminator_loss",
                   "07.encoder_adversarial_loss", "07.aae_train_step"]
    for exercise_id in ids:
        assert check._get(exercise_id).notebook == "07_adversarial_autoencoder"
    for exercise_id in ids[1:]:
        assert check._get(exercise_id).frameworks == ("torch", "keras")


# A check draws its own seeded random numbers and leaves the notebook's generators as they were
# (the train-step check builds and initialises models; the sampler check draws samples).
RANDOM_STATE = {
    "torch": """
import random
import numpy as np, torch
from aelab import check
def state_after(run_checks):
    torch.manual_seed(7); np.random.seed(7); random.seed(7)
    if run_checks:
        for exercise_id in ("07.sample_mixture_prior", "07.aae_train_step"):
            fw = "numpy" if exercise_id == "07.sample_mixture_prior" else "torch"
            assert check.run(exercise_id, check.reference(exercise_id, fw), framework=fw, show=False).passed
    return torch.rand(3).tolist(), np.random.rand(3).tolist(), random.random()
assert state_after(True) == state_after(False)
print("OK")
""",
    "keras": """
import os, random
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import numpy as np, keras, tensorflow as tf
from aelab import check
def state_after(run_checks):
    keras.utils.set_random_seed(7)
    keras.random.normal((2,))
    if run_checks:
        assert check.run("07.aae_train_step", check.reference("07.aae_train_step", "keras"),
                         framework="keras", show=False).passed
    return (np.asarray(keras.random.normal((3,))).tolist(), np.random.rand(3).tolist(),
            random.random(), tf.random.uniform((3,)).numpy().tolist())
assert state_after(True) == state_after(False)
print("OK")
""",
}


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_check_leaves_the_notebooks_random_numbers_alone(framework):
    proc = subprocess.run([sys.executable, "-c", RANDOM_STATE[framework]], capture_output=True,
                          text=True, timeout=300, env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("OK")
