"""Checkers for lesson 07 (the adversarial autoencoder): sampling the mixture-of-Gaussians prior
(numpy), the discriminator's loss, the encoder's adversarial loss, and the "build it" exercise,
one three-phase training step (``aae_train_step``; see the section at the end).

The contract between the lesson and these checkers: labels are ints in 0..9, one mixture
component each; discriminator inputs and outputs are logits of shape (N, 1); the train step
takes ``(model, optimizers, images, prior_samples, condition=None)`` with ``model.encoder``,
``model.decoder`` and ``model.discriminator``; the framework references are in
``aelab.models.aae_torch`` / ``aelab.models.aae_keras``. Images are (N, 1, 28, 28) in PyTorch
and (N, 28, 28, 1) in Keras.

The sampler draws at random, so its checker tests what must hold for any correct draw
(component means and spreads over 2,000 samples per component, with tolerances of 6 standard
errors or more; see :func:`_check_sample_mixture_prior`). The losses and the train step are
deterministic and are compared with the values and gradients computed here, with tolerances
for float32 rounding only.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import NotYet, answer_array, call_unchanged, exercise, kind_of, to_numpy
from .lesson05 import _error_text, _expect_tensor, _images, _plain, _with_gradients

FRAMEWORKS = ("torch", "keras")
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


# --------------------------------------------------------------------------------------------
# 07.sample_mixture_prior

_PER_COMPONENT = 2000   # samples per component in the statistical probe


def _centres(radius: float, angles: np.ndarray) -> np.ndarray:
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _samples(fn, labels, rng, what="sample_mixture_prior", **kwargs) -> np.ndarray:
    """The answer's samples for ``labels``, checked for kind, shape, dtype and finiteness."""
    state = np.random.get_state()
    out = call_unchanged(fn, labels, rng, what=what, **kwargs)
    after = np.random.get_state()
    z = answer_array(out, name="the result", returns="the (N, 2) array of samples")
    if not (state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]):
        raise NotYet("your function uses numpy's global random generator (np.random.normal, "
                     "np.random.randn, np.random.seed, ...): draw every random number from the "
                     "`rng` you are given (rng.normal, rng.standard_normal), so that the same "
                     "seed always gives the same samples.")
    n = len(labels)
    if z.shape != (n, 2):
        if z.shape == (2, n):
            raise NotYet(f"for {n} labels the samples have shape {z.shape}: transposed. Return "
                         f"one row (x, y) per label, shape (N, 2).")
        raise NotYet(f"for {n} labels the samples have shape {z.shape}; expected ({n}, 2), one "
                     f"row (x, y) per label.")
    if z.dtype != np.float32:
        raise NotYet(f"the samples have dtype {z.dtype}; expected float32 (like the images and "
                     f"the codes they are compared with): `.astype(np.float32)`.")
    if not np.all(np.isfinite(z)):
        raise NotYet("the samples contain NaN or infinity.")
    return z.astype(np.float64)


def _component_stats(z: np.ndarray, labels: np.ndarray):
    """Per component: means (10, 2), standard deviations (10, 2), x-y correlations (10,)."""
    means, stds, corrs = [], [], []
    for k in range(N_COMPONENTS):
        zk = z[labels == k]
        means.append(zk.mean(axis=0))
        stds.append(zk.std(axis=0))
        corrs.append(np.corrcoef(zk.T)[0, 1] if np.all(zk.std(axis=0) > 0) else 0.0)
    return np.array(means), np.array(stds), np.array(corrs)


def _judge_normal(z: np.ndarray, labels: np.ndarray) -> None:
    """The noise around the centres is normal, not merely of the right mean and spread: the
    share of coordinates within one std (0.5) of their centre (radius 4) must be that of a normal
    distribution, 68.3 %, within 3 points (13 standard errors over 2 x 20,000 coordinates).
    Uniform noise of the same spread puts 57.7 % there, Laplace noise 75.7 %."""
    centres = _centres(4.0, 2 * np.pi * labels / N_COMPONENTS)
    within = float(np.mean(np.abs(z - centres) < 0.5))
    if abs(within - 0.6827) > 0.03:
        raise NotYet(f"the noise around the centres has the right spread but not a normal shape: "
                     f"{within:.1%} of the coordinates lie within one std of their centre, where "
                     f"a normal distribution puts 68.3 %. Draw it with rng.normal or "
                     f"rng.standard_normal (not rng.uniform or another distribution).")


def _judge_spread(spreads: list[tuple[float, np.ndarray, str]]) -> None:
    """The spread of every component and axis within 10 % of ``std`` (6 standard errors for
    2,000 samples: the standard deviation's relative standard error is 1/sqrt(4,000) = 1.6 %),
    in both calls: ``spreads`` holds (std asked for, standard deviations (10, 2), the call).
    A wrong spread is named when it is the same function of std in both calls."""
    def within(stds, target):
        return np.all(np.abs(stds / target - 1) <= 0.1)

    if all(within(stds, std) for std, stds, _ in spreads):
        return
    for wrong, why in (
            (lambda std: 0.5, "whatever std is asked for, the spread is 0.5: the `std` argument is "
                              "ignored."),
            (lambda std: std ** 2, "the spread is std**2, the variance: scale the standard normal "
                                   "noise by std itself."),
            (lambda std: np.sqrt(std), "the spread is sqrt(std): std was used as a variance (e.g. "
                                       "in a covariance matrix std * I; the covariance is std**2 "
                                       "* I). Scale standard normal noise by std."),
            (lambda std: 1.0, "the spread is 1 whatever std is: the noise is not scaled by std.")):
        if all(within(stds, wrong(std)) for std, stds, _ in spreads):
            shown = " and ".join(f"{np.median(stds):.3g} for std = {std:g}"
                                 for std, stds, _ in spreads)
            raise NotYet(f"the samples spread around their centres with standard deviations of "
                         f"about {shown}: {why}")
    std, stds, call = next((std, stds, call) for std, stds, call in spreads
                           if not within(stds, std))
    raise NotYet(f"{call} the samples spread around their centres with standard deviations from "
                 f"{stds.min():.3g} to {stds.max():.3g}, expected std = {std:g} in each "
                 f"coordinate and component.")


def _judge_means(means: np.ndarray, stds: np.ndarray, radius: float, counts: np.ndarray,
                 call: str) -> None:
    """Every component's mean within 6 standard errors (+ 1e-3) of its centre."""
    k = np.arange(N_COMPONENTS)
    right = _centres(radius, 2 * np.pi * k / N_COMPONENTS)
    tolerance = 6 * stds / np.sqrt(counts)[:, None] + 1e-3

    def near(centres):
        return np.all(np.abs(means - centres) <= tolerance)

    if near(right):
        return
    if np.all(np.linalg.norm(means, axis=1) < 0.25 * radius):
        raise NotYet(f"{call} the samples of every label average to about (0, 0), the centre of "
                     f"the whole circle: the labels are ignored. Sample each point from the "
                     f"component its label names (label k: the centre at angle 2*pi*k/10).")
    if np.all(np.linalg.norm(means - means[0], axis=1) < 6 * stds.max() / np.sqrt(counts.min())):
        raise NotYet(f"{call} the samples of every label average to the same point "
                     f"({means[0, 0]:.2f}, {means[0, 1]:.2f}): the labels are ignored. Centre "
                     f"each sample on the component its label names.")
    for centres, why in (
            (_centres(radius, 2 * np.pi * k / N_COMPONENTS * 180 / np.pi),
             "the centre angles are in degrees (36 * k) where np.cos and np.sin take radians: "
             "the angle of component k is 2*pi*k/10 radians"),
            (_centres(radius, np.deg2rad(2 * np.pi * k / N_COMPONENTS)),
             "the angles 2*pi*k/10, already in radians, were converted again as if they were "
             "degrees"),
            (radius * np.stack([np.sin(2 * np.pi * k / 10), np.cos(2 * np.pi * k / 10)], 1),
             "cos and sin are swapped: the centre of component k is radius * (cos, sin) of "
             "its angle"),
            (_centres(1.0, 2 * np.pi * k / N_COMPONENTS),
             "the centres lie on the unit circle: multiply them by radius"),
            (_centres(radius, 2 * np.pi * (k + 1) / N_COMPONENTS),
             "component k sits where component k + 1 belongs: the angle of component k is "
             "2*pi*k/10, from k = 0"),
            (_centres(radius, 2 * np.pi * k / (N_COMPONENTS - 1)),
             "the angles are 2*pi*k/9: divide by the number of components, 10")):
        if near(centres):
            raise NotYet(f"{call} {why}.")
    worst = int(np.argmax(np.abs(means - right).max(axis=1)))
    raise NotYet(f"{call} the samples of label {worst} average to ({means[worst, 0]:.2f}, "
                 f"{means[worst, 1]:.2f}); its centre is radius * (cos, sin)(2*pi*{worst}/10) = "
                 f"({right[worst, 0]:.2f}, {right[worst, 1]:.2f}).")


def _expect_error(fn, labels, rng, error: type, what: str) -> None:
    try:
        out = fn(labels, rng)
    except error:
        return
    except NotYet:
        raise
    except Exception as err:
        raise NotYet(f"with {what} your function raised {_error_text(err)}; "
                     f"raise a {error.__name__} with a message saying what was expected.") from None
    raise NotYet(f"with {what} your function returned {kind_of(out)} instead of raising a "
                 f"{error.__name__}: check the input and raise a {error.__name__} that says what "
                 f"was expected.")


@exercise("07.sample_mixture_prior", title="sample the mixture-of-Gaussians prior",
          reference=sample_mixture_prior_reference,
          hint="Component k is a Gaussian around the point at angle 2*pi*k/10 (radians) on a "
               "circle of the given radius. Compute every label's centre at once from the "
               "array of labels, then add noise: std times standard normal numbers drawn from "
               "`rng`, one for each coordinate of each sample. Check the inputs first.",
          answer="`if not isinstance(rng, np.random.Generator): raise TypeError(...)`; `labels = "
                 "np.asarray(labels)`; raise a ValueError unless the labels are 1-D with an "
                 "integer dtype and values in 0..9; `angles = 2 * np.pi * labels / 10`; "
                 "`centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)`; "
                 "`return (centres + std * rng.standard_normal((len(labels), "
                 "2))).astype(np.float32)`.")
def _check_sample_mixture_prior(fn, framework):
    """A small call (kind, shape, dtype, the global generator untouched, labels unchanged), the
    same seed twice (same samples) and two seeds (different samples), then 2,000 samples of each
    component in a shuffled order, with the default radius and std and with radius=2, std=0.2:
    each component's mean within 6 standard errors (+ 1e-3) of its centre, each spread within
    10 % of std (6.3 standard errors), |x-y correlation| below 0.15 (6.7 standard errors). By
    the normal approximations, a correct answer fails one of these 2 x 50 tests with probability
    about 9e-8 (8e-8 of it from the means); ``benchmarks/check_lesson07_sampler.py`` runs
    correct answers that draw other numbers. Last, the errors for bad input."""
    labels = np.array([3, 0, 7, 9, 1, 3, 5], dtype=np.int64)
    first = _samples(fn, labels, np.random.default_rng(5))
    again = _samples(fn, labels, np.random.default_rng(5))
    if not np.array_equal(first, again):
        raise NotYet("the same labels with two generators seeded alike (np.random.default_rng(5)) "
                     "gave different samples: some random numbers come from somewhere else than "
                     "`rng` (an unseeded np.random.default_rng(), the random module...). Draw "
                     "them all from rng.")
    other = _samples(fn, labels, np.random.default_rng(6))
    if np.array_equal(first, other):
        if np.allclose(first, _centres(4.0, 2 * np.pi * labels / N_COMPONENTS), atol=1e-5):
            raise NotYet("every sample is exactly its component's centre: add the noise, std * "
                         "a standard normal draw from rng for each coordinate.")
        raise NotYet("two different generators (seeds 5 and 6) gave exactly the same samples: "
                     "the noise does not come from `rng`. Draw it from the rng you are given, "
                     "not from a generator made inside the function.")
    order = np.random.default_rng(7).permutation(N_COMPONENTS * _PER_COMPONENT)
    many = np.repeat(np.arange(N_COMPONENTS), _PER_COMPONENT)[order]
    counts = np.bincount(many, minlength=N_COMPONENTS)
    spreads, default_samples = [], None
    for kwargs in ({}, {"radius": 2.0, "std": 0.2}):
        radius, std = kwargs.get("radius", 4.0), kwargs.get("std", 0.5)
        call = ("with radius=2.0 and std=0.2," if kwargs else
                f"over {_PER_COMPONENT:,} samples of each component,")
        z = _samples(fn, many, np.random.default_rng(8), **kwargs)
        default_samples = z if not kwargs else default_samples
        means, stds, corrs = _component_stats(z, many)
        default = _centres(4.0, 2 * np.pi * np.arange(N_COMPONENTS) / N_COMPONENTS)
        if kwargs and np.all(np.abs(means - default) < 0.1):
            raise NotYet(f"{call} the samples are centred as for the default radius 4.0: the "
                         f"`radius` argument is ignored.")
        _judge_means(means, stds, radius, counts, call)
        spreads.append((std, stds, call))
        if np.max(np.abs(corrs)) > 0.15:
            worst = int(np.argmax(np.abs(corrs)))
            raise NotYet(f"{call} the two coordinates of component {worst}'s samples are "
                         f"correlated ({corrs[worst]:.2f}): the noise must be drawn independently "
                         f"for x and y (shape (N, 2), not one number per sample).")
    _judge_spread(spreads)
    _judge_normal(default_samples, many)
    for bad, what in ((np.array([0, 10, 3]), "a label 10"), (np.array([2, -1]), "a label -1"),
                      (np.array([0.5, 2.0]), "labels that are not integers ([0.5, 2.0])")):
        _expect_error(fn, bad, np.random.default_rng(0), ValueError, what)
    for bad, what in ((42, "rng=42 (a seed, not a Generator)"),
                      (np.random.RandomState(0), "rng=np.random.RandomState(0) (the legacy "
                                                 "generator, not a np.random.Generator)")):
        _expect_error(fn, np.array([1, 2]), bad, TypeError, what)


# --------------------------------------------------------------------------------------------
# 07.discriminator_loss and 07.encoder_adversarial_loss
#
# Both are called with float32 logits of shape (N, 1) that require gradients, of two batch sizes
# (so that "the mean over real and fake together" differs from "the sum of the two means"),
# moderate values first (value and gradient), then confident ones, up to 120 in magnitude, where
# a sigmoid rounds to exactly 0 or 1 in float32 and log(1 + exp(x)) overflows: only a loss
# computed from the logits stays right there. Keras: also inside a tf.function, as the train step
# runs under fit.

_LOSS_RNG = np.random.default_rng(70)
_REAL = _LOSS_RNG.normal(1.0, 2.0, (6, 1)).astype(np.float32)
_FAKE = _LOSS_RNG.normal(-1.0, 2.0, (10, 1)).astype(np.float32)
_CONFIDENT = np.array([[-120.0], [-40.0], [-3.0], [0.5], [40.0], [120.0]], np.float32)


def _softplus(x) -> np.ndarray:
    return np.logaddexp(0.0, np.asarray(x, np.float64))


def _sigmoid(x) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, np.float64)))


def _loss_value(out, framework: str, name: str) -> float:
    tensor = _expect_tensor(out, framework, name, returns="the loss, one scalar tensor")
    value = np.asarray(to_numpy(tensor), np.float64)
    if value.size != 1:
        raise NotYet(f"{name} returned an array of shape {value.shape}, one value per sample: "
                     f"average over the batch, so that it returns one number.")
    return float(value.ravel()[0])


def _loss_with_gradients(fn, arrays, framework: str, name: str):
    """(value, gradients) of the answer on ``arrays`` (float32, requiring gradients)."""
    def call(*tensors):
        return [_expect_tensor(call_unchanged(fn, *tensors, what=name), framework, name,
                               returns="the loss, one scalar tensor")]

    (value,), grads = _with_gradients(call, arrays, framework)
    if value.size != 1:
        raise NotYet(f"{name} returned an array of shape {value.shape}, one value per sample: "
                     f"average over the batch, so that it returns one number.")
    if not np.isfinite(value).all():
        raise NotYet(f"{name} returned {float(value.ravel()[0])} for logits between "
                     f"{min(a.min() for a in arrays):.1f} and {max(a.max() for a in arrays):.1f}.")
    return float(value.ravel()[0]), grads


def _diagnose_value(value: float, expected: float, mistakes, name: str, given: str) -> None:
    if np.isclose(value, expected, rtol=1e-4, atol=1e-6):
        return
    for wrong, why in mistakes:
        if np.isclose(value, wrong, rtol=1e-4, atol=1e-6):
            raise NotYet(f"your {name} {why}")
    raise NotYet(f"{given} your {name} is {value:.6g}, expected {expected:.6g}.")


def _judge_gradients(grads, expected, names, name: str) -> None:
    for grad, want, arg in zip(grads, expected, names):
        if grad is None:
            raise NotYet(f"no gradient flows from {name} back to `{arg}`: compute it with "
                         f"framework operations on the tensor itself (no numpy, .item(), float() "
                         f"or .detach()), or the discriminator and the encoder cannot learn "
                         f"from it.")
        if not np.allclose(grad, want, rtol=1e-3, atol=1e-6):
            raise NotYet(f"{name} has the right value, but its gradient with respect to `{arg}` "
                         f"is not: is part of it computed from a detached copy (.detach(), "
                         f"stop_gradient, numpy)?")


def _judge_confident(fn, arrays, expected: float, framework: str, name: str) -> None:
    """The answer on confident logits (no gradients needed), against the exact value."""
    out = call_unchanged(fn, *[_plain(a, framework) for a in arrays], what=name)
    value = _loss_value(out, framework, name)
    if np.isfinite(value) and np.isclose(value, expected, rtol=1e-4):
        return
    stable = ("F.binary_cross_entropy_with_logits" if framework == "torch" else
              "ops.binary_crossentropy(..., from_logits=True)")
    shown = ", ".join(f"{v:g}" for v in np.unique(np.concatenate(arrays)))
    raise NotYet(f"your {name} is right for moderate logits, but for confident ones ({shown}) it "
                 f"is {value:.6g} instead of {expected:.6g}. In float32 a sigmoid of such logits "
                 f"rounds to exactly 0 or 1 (then the log is clipped or infinite), and "
                 f"exp(120) overflows: compute the loss from the logits with {stable}, not "
                 f"through probabilities or log(1 + exp(x)).")


def _judge_traced(fn, arrays, expected: float, name: str) -> None:
    """Keras: the answer inside a tf.function, as the train step runs under fit."""
    import tensorflow as tf

    try:
        out = tf.function(fn)(*[tf.constant(a) for a in arrays])
    except NotYet:
        raise
    except Exception as err:
        raise NotYet(f"{name} fails inside a tf.function (Keras' fit traces the train step that "
                     f"calls it): {_error_text(err)}. Use keras.ops (or tf) functions "
                     f"throughout; no numpy, float() or .numpy().") from None
    value = _loss_value(out, "keras", name)
    if not np.isclose(value, expected, rtol=1e-4, atol=1e-6):
        raise NotYet(f"inside a tf.function your {name} is {value:.6g}, expected {expected:.6g} "
                     f"(it was right when called directly).")


def _discriminator_loss_numpy(real, fake) -> float:
    return float(_softplus(-real).mean() + _softplus(fake).mean())


@exercise("07.discriminator_loss", title="the discriminator's loss: prior samples real, codes fake",
          reference="aae.discriminator_loss", frameworks=FRAMEWORKS,
          hint="The discriminator is a binary classifier that outputs logits. Its targets: 1 for "
               "the prior samples (real), 0 for the codes of images (fake). Its loss is the "
               "binary cross-entropy of each group against its target, averaged over that "
               "group, the two added. Compute the cross-entropy from the logits, with the "
               "framework's numerically stable function.",
          answer={"torch": "`real = F.binary_cross_entropy_with_logits(real_logits, "
                           "torch.ones_like(real_logits))`; `fake = "
                           "F.binary_cross_entropy_with_logits(fake_logits, "
                           "torch.zeros_like(fake_logits))`; `return real + fake`.",
                  "keras": "`real = ops.mean(ops.binary_crossentropy(ops.ones_like(real_logits), "
                           "real_logits, from_logits=True))`; `fake = "
                           "ops.mean(ops.binary_crossentropy(ops.zeros_like(fake_logits), "
                           "fake_logits, from_logits=True))`; `return real + fake`."})
def _check_discriminator_loss(fn, framework):
    """Value and gradients on 6 real and 10 fake moderate logits (each known mistake named by
    the value it gives), then confident logits; Keras: also inside a tf.function."""
    name = "discriminator_loss"
    real, fake = _REAL, _FAKE
    value, grads = _loss_with_gradients(fn, [real, fake], framework, name)
    sp_real, sp_fake = _softplus(-real), _softplus(fake)
    right = sp_real.mean() + sp_fake.mean()
    _diagnose_value(value, right, [
        (_softplus(real).mean() + _softplus(-fake).mean(),
         "has the targets swapped: the prior samples (real_logits) have target 1, the codes "
         "(fake_logits) target 0."),
        (sp_real.mean(), "is only the real term: add the mean cross-entropy of fake_logits "
                         "against target 0."),
        (sp_fake.mean(), "is only the fake term: add the mean cross-entropy of real_logits "
                         "against target 1."),
        (sp_real.sum() + sp_fake.sum(), "is summed over the samples: average each term over its "
                                        "batch (the mean), then add the two."),
        (0.5 * right, "is half of the expected value: the loss is the *sum* of the two mean "
                      "cross-entropies, not their average."),
        ((sp_real.sum() + sp_fake.sum()) / (len(real) + len(fake)),
         "averages over the real and the fake logits together: take the mean of each term "
         "separately, then add the two means."),
        (-right, "has the wrong sign: a cross-entropy is never negative."),
        (-_softplus(real).mean() - _softplus(-fake).mean(),
         "has the wrong sign and swapped targets: minimise the cross-entropy of real_logits "
         "against 1 plus that of fake_logits against 0."),
    ], name, f"for real_logits of shape {real.shape} and fake_logits of shape {fake.shape}")
    _judge_gradients(grads, [(_sigmoid(real) - 1) / len(real), _sigmoid(fake) / len(fake)],
                     ("real_logits", "fake_logits"), name)
    confident = [_CONFIDENT, _CONFIDENT[::-1].copy()]
    _judge_confident(fn, confident, _discriminator_loss_numpy(*confident), framework, name)
    if framework == "keras":
        _judge_traced(fn, [real, fake], right, name)


@exercise("07.encoder_adversarial_loss",
          title="the encoder's adversarial loss (non-saturating): make the codes look real",
          reference="aae.encoder_adversarial_loss", frameworks=FRAMEWORKS,
          hint="As a generator, the encoder wants the discriminator to call its codes real. "
               "Use the binary cross-entropy of the discriminator's logits on the codes against "
               "target 1 (the non-saturating loss, -log D(z)), averaged over the batch, "
               "computed from the logits. Not minus the discriminator's fake term: that "
               "saturating loss gives almost no gradient while the discriminator rejects the "
               "codes.",
          answer={"torch": "`return F.binary_cross_entropy_with_logits(fake_logits, "
                           "torch.ones_like(fake_logits))`.",
                  "keras": "`return ops.mean(ops.binary_crossentropy(ops.ones_like(fake_logits), "
                           "fake_logits, from_logits=True))`."})
def _check_encoder_adversarial_loss(fn, framework):
    """Value and gradient on 10 moderate logits (each known mistake named by the value it gives),
    then confident logits; Keras: also inside a tf.function."""
    name = "encoder_adversarial_loss"
    fake = _FAKE
    value, (grad,) = _loss_with_gradients(fn, [fake], framework, name)
    right = _softplus(-fake).mean()
    _diagnose_value(value, right, [
        (-_softplus(fake).mean(),
         "is the saturating loss, minus the discriminator's fake term, log(1 - D(z)): while "
         "the discriminator rejects the codes (D(z) near 0) it is flat and the encoder gets "
         "almost no gradient. Use the cross-entropy against target 1, -log D(z), instead."),
        (_softplus(fake).mean(),
         "is the cross-entropy against target 0, the discriminator's goal: minimising it makes "
         "the codes look *fake*. The encoder's target is 1."),
        (-right, "has the wrong sign: minimise the cross-entropy against target 1 (a "
                 "cross-entropy is never negative)."),
        (_softplus(-fake).sum(), "is summed over the codes: average it over the batch."),
    ], name, f"for fake_logits of shape {fake.shape}")
    _judge_gradients([grad], [(_sigmoid(fake) - 1) / len(fake)], ("fake_logits",), name)
    _judge_confident(fn, [_CONFIDENT], float(_softplus(-_CONFIDENT).mean()), framework, name)
    if framework == "keras":
        _judge_traced(fn, [fake], right, name)


# --------------------------------------------------------------------------------------------
# build it: the training step
#
# The checker builds its own tiny adversarial autoencoder (encoder 784-8-2, decoder 2-8-784,
# discriminator (2 [+ 10])-8-1, tanh) and three plain SGD optimizers with different learning
# rates, so that one step of optimizer k moves each weight it updates by exactly -lr_k times the
# gradient it was given. It records every optimizer step the answer makes: which optimizer,
# which weights it updated with which gradients (PyTorch: their .grad at the step, and the
# whole model's .grad; Keras: the gradients passed to apply), and the weights before and after.
# Each step is then compared with the gradient of each phase's loss at the weights of that
# moment, computed independently: the right phase for that optimizer, another phase (the
# optimizers mixed up), or a known mistake (gradients left over from before, the saturating
# loss, the mean over pixels...). The discriminator phase may take the codes from before or
# after the reconstruction step (both are right; so is running it before that step), the
# generator phase must follow both. Everything is deterministic: the comparisons are exact up to
# float32 rounding. PyTorch: before the call every parameter holds a stale .grad, as an earlier
# batch leaves it, so a step that does not clear the gradients first is seen. Keras: the answer
# is also run inside a tf.function, as fit runs the lesson's train_step.

_STEP_N, _LATENT, _HIDDEN = 8, 2, 8
_LRS = (0.01, 0.1, 0.05)          # reconstruction, discriminator, generator (SGD, no momentum)
_PHASES = ("reconstruction", "discriminator", "generator")
_OWNER = ("encoder and decoder", "discriminator", "encoder")
_MODULES = ("encoder", "decoder", "discriminator")
_MOVES = ({"encoder", "decoder"}, {"discriminator"}, {"encoder"})


class _TorchStep:
    """The tiny AAE in PyTorch, its weights by key (module, index), and its losses' gradients."""

    framework = "torch"

    def __init__(self, condition: bool, seed: int):
        import torch
        from torch import nn

        from aelab.models import aae_torch

        class Recorded(nn.Module):
            """The discriminator, recording the shape of every input it is given."""

            def __init__(self, net):
                super().__init__()
                self.net, self.shapes = net, []

            def forward(self, d_input, *args, **kwargs):
                self.shapes.append(tuple(d_input.shape))
                return self.net(d_input)

        class TinyAAE(nn.Module):
            def __init__(self, width):
                super().__init__()
                self.latent_dim = _LATENT
                self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, _HIDDEN), nn.Tanh(),
                                             nn.Linear(_HIDDEN, _LATENT))
                self.decoder = nn.Sequential(nn.Linear(_LATENT, _HIDDEN), nn.Tanh(),
                                             nn.Linear(_HIDDEN, 784), nn.Unflatten(1, (1, 28, 28)))
                self.discriminator = Recorded(nn.Sequential(
                    nn.Linear(width, _HIDDEN), nn.Tanh(), nn.Linear(_HIDDEN, 1)))

        torch.manual_seed(seed)
        self.torch, self.ref = torch, aae_torch
        self.width = _LATENT + (N_COMPONENTS if condition else 0)
        self.model = TinyAAE(self.width)
        self.params = {m: list(getattr(self.model, m).parameters()) for m in _MODULES}
        self.keys = [(m, i) for m in _MODULES for i in range(len(self.params[m]))]
        self.by_id = {id(p): (m, i) for m in _MODULES for i, p in enumerate(self.params[m])}

    def _param(self, key):
        return self.params[key[0]][key[1]]

    def shapes(self):
        return self.model.discriminator.shapes

    def weights(self) -> dict:
        return {k: self._param(k).detach().numpy().astype(np.float64) for k in self.keys}

    def set_weights(self, weights: dict) -> None:
        with self.torch.no_grad():
            for k in self.keys:
                self._param(k).copy_(self.torch.tensor(weights[k], dtype=self.torch.float32))

    def grads(self) -> dict:
        return {k: None if self._param(k).grad is None else
                self._param(k).grad.numpy().astype(np.float64) for k in self.keys}

    def set_grads(self, grads: dict) -> None:
        for k in self.keys:
            self._param(k).grad = self.torch.tensor(grads[k], dtype=self.torch.float32)

    def tensors(self, *arrays):
        return [None if a is None else self.torch.tensor(a) for a in arrays]

    def optimizers(self, record: list):
        """Three SGD optimizers over (encoder + decoder), discriminator, encoder; each step is
        appended to ``record``."""
        torch = self.torch
        groups = (self.params["encoder"] + self.params["decoder"], self.params["discriminator"],
                  self.params["encoder"])
        optimizers = []
        for k, (params, lr) in enumerate(zip(groups, _LRS)):
            optimizer = torch.optim.SGD(params, lr=lr)

            def before(opt, args, kwargs, k=k, params=params):
                record.append({"optimizer": k, "weights": self.weights(), "all_grads": self.grads(),
                               "scope": [self.by_id[id(p)] for p in params]})

            def after(opt, args, kwargs):
                record[-1]["after"] = self.weights()

            optimizer.register_step_pre_hook(before)
            optimizer.register_step_post_hook(after)
            optimizers.append(optimizer)
        return tuple(optimizers)

    def step_grads(self, entry: dict) -> dict:
        """The gradients a recorded step applied, by key (0 where none)."""
        return {k: (np.zeros_like(entry["weights"][k]) if entry["all_grads"][k] is None
                    else entry["all_grads"][k]) for k in entry["scope"]}

    def run(self, fn, optimizers, images, prior, condition):
        args = (self.model, optimizers, images, prior)
        kwargs = {} if condition is None else {"condition": condition}
        return call_unchanged(fn, *args, what="aae_train_step", **kwargs)

    def _d_input(self, z, condition):
        return z if condition is None else self.torch.cat([z, condition], dim=1)

    def loss(self, kind: str, images, prior, condition, codes=None) -> tuple[float, dict]:
        """(value, gradient by key) of one phase's loss at the current weights. ``kind``: "R"
        (reconstruction), "D" (discriminator; codes detached, or the given ``codes``), "Dnd"
        (discriminator, codes not detached), "Dswap" (its arguments swapped), "G" (generator,
        non-saturating), "Gsat" (the saturating one), "G0" (target 0)."""
        torch, F, m = self.torch, self.torch.nn.functional, self.model
        net = m.discriminator.net
        if kind == "R":
            logits = m.decoder(m.encoder(images))
            per_pixel = F.binary_cross_entropy_with_logits(logits, images, reduction="none")
            loss = per_pixel.reshape(len(images), -1).sum(dim=1).mean()
        elif kind in ("D", "Dnd", "Dswap"):
            z = m.encoder(images) if codes is None else torch.tensor(codes, dtype=torch.float32)
            z = z if kind == "Dnd" else z.detach()
            real, fake = net(self._d_input(prior, condition)), net(self._d_input(z, condition))
            loss = self.ref.discriminator_loss(*((fake, real) if kind == "Dswap" else (real, fake)))
        else:
            logits = net(self._d_input(m.encoder(images), condition))
            loss = {"G": self.ref.encoder_adversarial_loss(logits),
                    "Gsat": -F.softplus(logits).mean(), "G0": F.softplus(logits).mean()}[kind]
        params = [self._param(k) for k in self.keys]
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        return float(loss.detach()), {
            k: np.zeros(tuple(p.shape)) if g is None else g.numpy().astype(np.float64)
            for k, p, g in zip(self.keys, params, grads)}

    def codes(self, images) -> np.ndarray:
        with self.torch.no_grad():
            return self.model.encoder(images).numpy()


class _KerasStep:
    """The tiny AAE in Keras, its weights by key (module, index), and its losses' gradients."""

    framework = "keras"

    def __init__(self, condition: bool, seed: int):
        import keras
        import tensorflow as tf

        from aelab.models import aae_keras

        class Recorded(keras.layers.Layer):
            """The discriminator, recording the shape of every input it is given (eagerly)."""

            def __init__(self, net):
                super().__init__()
                self.net, self.seen = net, []

            def call(self, d_input, training=None):
                self.seen.append(tuple(d_input.shape))
                return self.net(d_input, training=training)

        class TinyAAE:
            def __init__(self, width):
                layers = keras.layers
                self.latent_dim = _LATENT
                self.encoder = keras.Sequential([
                    keras.Input((28, 28, 1)), layers.Flatten(), layers.Dense(_HIDDEN, "tanh"),
                    layers.Dense(_LATENT)])
                self.decoder = keras.Sequential([
                    keras.Input((_LATENT,)), layers.Dense(_HIDDEN, "tanh"), layers.Dense(784),
                    layers.Reshape((28, 28, 1))])
                self.discriminator = Recorded(keras.Sequential([
                    keras.Input((width,)), layers.Dense(_HIDDEN, "tanh"), layers.Dense(1)]))

            @property
            def trainable_weights(self):
                return (self.encoder.trainable_weights + self.decoder.trainable_weights
                        + self.discriminator.trainable_weights)

            trainable_variables = trainable_weights

        self.tf, self.keras, self.ref = tf, keras, aae_keras
        self.width = _LATENT + (N_COMPONENTS if condition else 0)
        self.model = TinyAAE(self.width)
        self.params = {m: list(getattr(self.model, m).trainable_weights) for m in _MODULES}
        self.keys = [(m, i) for m in _MODULES for i in range(len(self.params[m]))]
        self.by_id = {id(p): (m, i) for m in _MODULES for i, p in enumerate(self.params[m])}
        # seeded weights from numpy, so that the check leaves TensorFlow's global seed alone
        rng = np.random.default_rng(seed)
        for key in self.keys:
            shape = tuple(self._param(key).shape)
            bound = np.sqrt(6.0 / sum(shape)) if len(shape) == 2 else 0.1
            self._param(key).assign(rng.uniform(-bound, bound, shape).astype(np.float32))

    def _param(self, key):
        return self.params[key[0]][key[1]]

    def shapes(self):
        return self.model.discriminator.seen

    def weights(self) -> dict:
        return {k: np.asarray(self._param(k).numpy(), np.float64) for k in self.keys}

    def set_weights(self, weights: dict) -> None:
        for k in self.keys:
            self._param(k).assign(np.asarray(weights[k], np.float32))

    def grads(self):
        return None

    def tensors(self, *arrays):
        return [None if a is None else self.tf.constant(a) for a in arrays]

    def optimizers(self, record: list):
        """Three SGD optimizers; each eager ``apply`` (also through ``apply_gradients``) is
        appended to ``record`` with the variables and gradients it was given."""
        tf, outer = self.tf, self

        class RecordingSGD(self.keras.optimizers.SGD):
            def __init__(self, index, **kwargs):
                super().__init__(**kwargs)
                self.index = index

            def apply(self, grads, trainable_variables=None):
                if tf.executing_eagerly():
                    grads = list(grads)
                    variables = (list(trainable_variables) if trainable_variables is not None
                                 else list(self._trainable_variables))
                    given = {}
                    for g, v in zip(grads, variables):
                        key = outer.by_id.get(id(v), ("other", id(v)))
                        given[key] = None if g is None else np.asarray(
                            tf.convert_to_tensor(g).numpy(), np.float64)
                    record.append({"optimizer": self.index, "weights": outer.weights(),
                                   "given": given, "scope": list(given)})
                    out = super().apply(grads, trainable_variables)
                    record[-1]["after"] = outer.weights()
                    return out
                return super().apply(grads, trainable_variables)

        return tuple(RecordingSGD(k, learning_rate=lr) for k, lr in enumerate(_LRS))

    def step_grads(self, entry: dict) -> dict:
        """The gradients passed to a recorded apply, by key (0 where None)."""
        return {k: np.zeros_like(entry["weights"][k]) if g is None else g
                for k, g in entry["given"].items() if k in entry["weights"]}

    def run(self, fn, optimizers, images, prior, condition, traced: bool = False):
        kwargs = {} if condition is None else {"condition": condition}
        if not traced:
            return call_unchanged(fn, self.model, optimizers, images, prior,
                                  what="aae_train_step", **kwargs)
        step = self.tf.function(lambda x, p, **kw: fn(self.model, optimizers, x, p, **kw))
        return step(images, prior, **kwargs)

    def _d_input(self, z, condition):
        from keras import ops

        return z if condition is None else ops.concatenate([z, condition], axis=1)

    def loss(self, kind: str, images, prior, condition, codes=None) -> tuple[float, dict]:
        """See :meth:`_TorchStep.loss`."""
        tf, m = self.tf, self.model
        from keras import ops

        net = m.discriminator.net
        variables = [self._param(k) for k in self.keys]
        with tf.GradientTape() as tape:
            if kind == "R":
                logits = m.decoder(m.encoder(images))
                per_pixel = ops.binary_crossentropy(ops.reshape(images, (len(images), -1)),
                                                    ops.reshape(logits, (len(images), -1)),
                                                    from_logits=True)
                loss = ops.mean(ops.sum(per_pixel, axis=1))
            elif kind in ("D", "Dnd", "Dswap"):
                z = m.encoder(images) if codes is None else tf.constant(codes, tf.float32)
                z = z if kind == "Dnd" else tf.stop_gradient(z)
                real, fake = net(self._d_input(prior, condition)), net(self._d_input(z, condition))
                loss = self.ref.discriminator_loss(*((fake, real) if kind == "Dswap" else
                                                     (real, fake)))
            else:
                logits = net(self._d_input(m.encoder(images), condition))
                loss = {"G": lambda: self.ref.encoder_adversarial_loss(logits),
                        "Gsat": lambda: -ops.mean(ops.softplus(logits)),
                        "G0": lambda: ops.mean(ops.softplus(logits))}[kind]()
        grads = tape.gradient(loss, variables)
        return float(loss), {k: np.zeros(tuple(v.shape)) if g is None else
                             np.asarray(g.numpy(), np.float64)
                             for k, v, g in zip(self.keys, variables, grads)}

    def codes(self, images) -> np.ndarray:
        return np.asarray(self.model.encoder(images).numpy())


def _close(got: dict, want: dict, keys) -> bool:
    """Two sets of arrays (gradients, weights) equal on ``keys`` up to float32 rounding."""
    keys = list(keys)
    if not keys:
        return True
    diff = np.sqrt(sum(np.sum((got[k] - want[k]) ** 2) for k in keys))
    norm = np.sqrt(sum(np.sum(want[k] ** 2) for k in keys))
    size = sum(np.size(want[k]) for k in keys)
    return bool(diff <= 2e-3 * norm + 1e-6 * np.sqrt(size))


def _is_zero(grads: dict, keys) -> bool:
    return all(not np.any(grads[k]) for k in keys)


def _step_values(out, framework: str) -> np.ndarray:
    name = "aae_train_step"
    what = ("reconstruction", "discriminator loss", "generator loss")
    if out is None:
        raise NotYet(f"{name} returned None: the function does not return anything yet (fill in "
                     f"the TODO and `return` the three losses).")
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        raise NotYet(f"{name} should return three values, (reconstruction, discriminator loss, "
                     f"generator loss); yours returned {kind_of(out)}.")
    values = []
    for value, part in zip(out, what):
        if value is None:
            raise NotYet(f"the {part} that {name} returns is None; return the three losses.")
        if framework == "torch" and not isinstance(value, (int, float, np.floating, np.integer)):
            if hasattr(value, "detach"):
                raise NotYet(f"the {part} that {name} returns is a tensor; return plain Python "
                             f"numbers (`.item()`): the training loop adds them up over an "
                             f"epoch, and a tensor would keep the whole batch's computation "
                             f"graph alive.")
            raise NotYet(f"the {part} that {name} returns is {kind_of(value)}; expected a number.")
        try:
            array = np.asarray(to_numpy(value), np.float64)
        except Exception:
            raise NotYet(f"the {part} that {name} returns is {kind_of(value)}; expected a "
                         f"number.") from None
        if array.size != 1:
            raise NotYet(f"the {part} that {name} returns has shape {array.shape}; expected a "
                         f"single number, the average over the batch.")
        if not np.isfinite(array).all():
            raise NotYet(f"the {part} that {name} returns is {float(array.ravel()[0])}.")
        values.append(float(array.ravel()[0]))
    return np.array(values)


def _judge_condition(shapes, width: int, condition: bool) -> None:
    """After the answer raised: was the discriminator given inputs of the wrong width?"""
    for shape in shapes:
        if len(shape) == 2 and shape[1] == width:
            continue
        if condition and len(shape) == 2 and shape[1] == _LATENT:
            raise NotYet(f"with a condition (one-hot labels of shape ({_STEP_N}, {N_COMPONENTS})) "
                         f"the discriminator was given inputs of shape {shape}, the codes or "
                         f"prior samples alone: the condition is ignored. With a condition the "
                         f"discriminator sees [codes, condition] concatenated along axis 1, shape "
                         f"({_STEP_N}, {width}), for the prior samples and for the codes alike.")
        raise NotYet(f"the discriminator was given inputs of shape {shape}; expected "
                     f"({_STEP_N}, {width}): the codes or prior samples"
                     + (", with the condition concatenated after them along axis 1." if condition
                        else " alone (no condition was given)."))


class _Candidates:
    """The gradients and values of each phase's loss at the weights of one recorded step."""

    def __init__(self, backend, weights, images, prior, condition, start_codes):
        backend.set_weights(weights)
        loss = lambda kind, **kw: backend.loss(kind, images, prior, condition, **kw)  # noqa: E731
        self.values, self.grads = {}, {}
        for kind in ("R", "D", "Dnd", "Dswap", "G", "Gsat", "G0"):
            self.values[kind], self.grads[kind] = loss(kind)
        self.values["Ds"], self.grads["Ds"] = loss("D", codes=start_codes)


_MIXED = ("the reconstruction loss", "the discriminator loss", "the encoder's adversarial loss")


def _own(cands: _Candidates, k: int) -> list[tuple[str, dict]]:
    """The right gradients for optimizer k at these weights (two for the discriminator: codes
    from before or after the reconstruction step)."""
    return [("R", cands.grads["R"])] if k == 0 else (
        [("D", cands.grads["D"]), ("Ds", cands.grads["Ds"])] if k == 1 else
        [("G", cands.grads["G"])])


def _scaled(grads: dict, factor: float) -> dict:
    return {key: factor * g for key, g in grads.items()}


def _judge_modules(k: int, moved: set, framework: str) -> None:
    extra, missing = moved - _MOVES[k], _MOVES[k] - moved
    if k == 1 and "encoder" in extra:
        raise NotYet("the discriminator phase moved the encoder: there the codes are only data "
                     "for the discriminator. Update only model.discriminator's weights with the "
                     "discriminator's optimizer (and compute the codes outside the tape).")
    if k == 2 and "discriminator" in extra:
        raise NotYet("the generator phase moved the discriminator: it would learn to call the "
                     "codes real. The gradient flows through the discriminator, but only the "
                     "encoder's weights are updated (model.encoder.trainable_weights).")
    if k == 0 and missing:
        how = ("no .detach() or torch.no_grad() on the codes" if framework == "torch" else
               "no tf.stop_gradient, and the weights of both in tape.gradient and apply")
        parts = " and the ".join(sorted(missing))
        raise NotYet(f"the reconstruction phase did not move the {parts}: the encoder and the "
                     f"decoder both learn from the reconstruction loss, so its gradient must reach "
                     f"and update both ({how}).")


def _judge_accumulated(k: int, got: dict, own: dict, extras, scope) -> None:
    """PyTorch: the step's gradients are the right ones plus gradients that were not cleared."""
    for size in range(1, len(extras) + 1):
        for subset in itertools.combinations(extras, size):
            total = {key: own[key] + sum(e[1][key] for e in subset) for key in scope}
            if _close(got, total, scope):
                held = "; ".join(e[2] for e in subset)
                detach = any(e[0] == "Dnd" for e in subset)
                raise NotYet(f"when optimizers[{k}] (the {_PHASES[k]} phase) stepped, the "
                             f"gradients in .grad were this phase's plus others that had not "
                             f"been cleared: {held}. PyTorch adds every backward()'s gradients to "
                             f"those already in .grad: call that optimizer's zero_grad() before "
                             f"each backward()"
                             + (", and detach the codes in the discriminator phase." if detach
                                else "."))


def _judge_variants(k: int, got: dict, cands: _Candidates, scope, framework: str) -> None:
    """The step's gradients are those of a known wrong loss for its phase."""
    grads = cands.grads
    variants = {
        0: [(_scaled(grads["R"], 1 / 784), "the reconstruction loss is the *mean* over the "
                                           "pixels; the lesson's convention is the *sum* over the "
                                           "pixels of an image (nats per image), averaged over "
                                           "the images."),
            (_scaled(grads["R"], _STEP_N), "the reconstruction loss is summed over the images of "
                                           "the batch; average it over the images.")],
        1: [(_scaled(grads["D"], _STEP_N), "the discriminator loss is summed over the samples; "
                                           "use the mean, as discriminator_loss does."),
            (_scaled(grads["D"], -1), "the discriminator phase climbs its loss instead of "
                                      "descending it: it has the wrong sign."),
            (grads["Dswap"], "the discriminator phase gave discriminator_loss its arguments the "
                             "wrong way round: discriminator_loss(real_logits, fake_logits) takes "
                             "the discriminator's logits on the prior samples first, then on the "
                             "codes.")],
        2: [(grads["Gsat"], "the generator phase used the saturating loss, minus the "
                            "discriminator's fake term (log(1 - D(z))): use "
                            "encoder_adversarial_loss, the cross-entropy against target 1."),
            (grads["G0"], "the generator phase used the cross-entropy against target 0, the "
                          "discriminator's goal: the encoder would learn to make its codes look "
                          "fake. Use encoder_adversarial_loss (target 1)."),
            (_scaled(grads["G"], _STEP_N), "the generator loss is summed over the codes; use "
                                           "the mean, as encoder_adversarial_loss does.")],
    }[k]
    for want, why in variants:
        if _close(got, want, scope):
            raise NotYet(f"the gradient optimizers[{k}] stepped with shows that {why}")


def _judge_record(backend, record, start, final, stale, images, prior, condition,
                  values) -> None:
    framework = backend.framework
    steps = {k: [i for i, e in enumerate(record) if e["optimizer"] == k] for k in range(3)}
    stepper = "optimizer.step()" if framework == "torch" else "optimizer.apply(gradients, weights)"
    if not record:
        raise NotYet(f"no optimizer stepped: each of the three phases ends with one step of its "
                     f"own optimizer ({stepper}).")
    counts = []
    for k in range(3):
        if len(steps[k]) != 1:
            times = "never stepped" if not steps[k] else f"stepped {len(steps[k])} times"
            counts.append(f"optimizers[{k}], the {_PHASES[k]} optimizer (for the {_OWNER[k]}), "
                          f"{times}")
    if counts:
        raise NotYet("; ".join(counts) + ". Each phase steps its own optimizer once; the "
                     "optimizers come in the order (reconstruction, discriminator, generator).")
    entries = [record[steps[k][0]] for k in range(3)]
    backend.set_weights(start)
    start_codes = backend.codes(images)
    cands = [_Candidates(backend, e["weights"], images, prior, condition, start_codes)
             for e in entries]
    got = [backend.step_grads(e) for e in entries]
    scopes = [[key for key in e["scope"] if key in start] for e in entries]
    # the optimizers mixed up: a step with another phase's gradient
    for k in range(3):
        if any(_close(got[k], g, scopes[k]) for _, g in _own(cands[k], k)):
            continue
        for j in range(3):
            if j != k and not _is_zero(got[k], scopes[k]) and any(
                    _close(got[k], g, scopes[k]) and not _is_zero(g, scopes[k])
                    for _, g in _own(cands[k], j)):
                moved = sorted({key[0] for key in scopes[k] if np.any(got[k][key])})
                raise NotYet(f"optimizers[{k}], the {_PHASES[k]} optimizer, updated the "
                             f"{' and the '.join(moved)} with the gradient of {_MIXED[j]}: the "
                             f"optimizers are mixed up. They come in the order (reconstruction, "
                             f"discriminator, generator); the {_PHASES[j]} phase steps "
                             f"optimizers[{j}].")
    for k in range(3):
        scope = scopes[k]
        if _is_zero(got[k], scope):
            raise NotYet(f"optimizers[{k}], the {_PHASES[k]} optimizer, stepped while none of the "
                         f"weights it updates had a gradient, so nothing moved: compute the "
                         f"phase's loss and its gradients before the step"
                         + (" (zero_grad() before backward(), not between backward() and step())."
                            if framework == "torch" else " (tape.gradient(loss, weights))."))
        moved = {key[0] for key in scope if key[0] in _MODULES and np.any(got[k][key])}
        _judge_modules(k, moved, framework)
        own = _own(cands[k], k)
        if any(_close(got[k], g, scope) for _, g in own):
            continue
        if framework == "torch":
            before = lambda j: steps[j][0] < steps[k][0]  # noqa: E731
            extras = [("stale", stale, "gradients that were there before your step was called "
                                       "(left by an earlier batch)")]
            if before(0):
                extras.append(("R", cands[0].grads["R"], "the reconstruction loss's gradients"))
            if before(1):
                extras.append(("Dnd", {key: g if key[0] == "encoder" else 0 * g for key, g in
                                       cands[1].grads["Dnd"].items()},
                               "the discriminator loss's gradients, which reached the encoder "
                               "because the codes were not detached"))
            if before(2):
                extras.append(("G", cands[2].grads["G"], "the generator loss's gradients"))
            for _, g in own:
                _judge_accumulated(k, got[k], g, extras, scope)
        _judge_variants(k, got[k], cands[k], scope, framework)
        raise NotYet(f"optimizers[{k}], the {_PHASES[k]} optimizer, stepped with gradients that "
                     f"are not those of {_MIXED[k]} at that moment: compute the loss of this "
                     f"phase from the current model"
                     + (" (the encoder recomputed after the reconstruction step)" if k == 2 else "")
                     + ", its gradients with respect to the "
                     f"{_OWNER[k]}'s weights, and step.")
    position = {k: steps[k][0] for k in range(3)}
    if position[2] < max(position[0], position[1]):
        first = [_PHASES[j] for j in (0, 1) if position[2] < position[j]]
        raise NotYet(f"the generator phase ran before the {' and the '.join(first)} phase: the "
                     f"order is reconstruction, discriminator, generator (the encoder then plays "
                     f"against the discriminator that has just learned).")
    for e, previous in zip(record + [{"weights": final}], [{"after": start}] + record):
        if not _close(e["weights"], previous["after"], start):
            raise NotYet("some weights changed outside the optimizers' steps: let the three "
                         "optimizers make every change to the model's weights.")
    d_kind = "D" if _close(got[1], cands[1].grads["D"], scopes[1]) else "Ds"
    expected = np.array([cands[0].values["R"], cands[1].values[d_kind], cands[2].values["G"]])
    _judge_values(values, expected, backend, entries, final, images, prior, condition, d_kind,
                  start_codes)
    if framework == "torch":
        _judge_detached(backend, record, steps, stale, cands[1])


def _judge_values(values, expected, backend, entries, final, images, prior, condition, d_kind,
                  start_codes) -> None:
    names = ("reconstruction", "discriminator loss", "generator loss")
    close = lambda a, b: np.allclose(a, b, rtol=2e-4, atol=1e-5)  # noqa: E731
    if close(values, expected):
        return
    for order in itertools.permutations(range(3)):
        if order != (0, 1, 2) and close(values, expected[list(order)]):
            raise NotYet(f"your three values are right but in the order "
                         f"({', '.join(names[i] for i in order)}); return (reconstruction, "
                         f"discriminator loss, generator loss).")
    after = []   # each loss after its own step, and after the whole train step
    for k, kind in enumerate(("R", d_kind, "G")):
        codes = start_codes if kind == "Ds" else None
        kind = "D" if kind == "Ds" else kind
        later = []
        for weights in (entries[k]["after"], final):
            backend.set_weights(weights)
            later.append(backend.loss(kind, images, prior, condition, codes=codes)[0])
        after.append(later)
    late = [names[k] for k in range(3) if not close(values[k], expected[k])
            and any(close(values[k], v) for v in after[k])]
    if late:
        raise NotYet(f"your step returns the {' and the '.join(late)} of the model *after* the "
                     f"step; return each phase's loss from the forward pass its step was "
                     f"computed from (before it).")
    k = next(k for k in range(3) if not close(values[k], expected[k]))
    raise NotYet(f"your step returns {names[k]} = {values[k]:.6g}, but the loss its phase "
                 f"stepped on was {expected[k]:.6g}: return each phase's loss as computed for its "
                 f"step.")


def _judge_detached(backend, record, steps, stale, cands) -> None:
    """PyTorch: did the discriminator loss's backward reach the encoder (codes not detached)?"""
    i = steps[1][0]
    now = record[i]["all_grads"]
    previous = record[i - 1]["all_grads"] if i > 0 else stale
    keys = [key for key in now if key[0] == "encoder"]
    if any(now[key] is None for key in keys):
        return
    zero = {key: 0.0 * cands.grads["Dnd"][key] for key in keys}
    prev = {key: zero[key] if previous[key] is None else previous[key] for key in keys}
    leaked = cands.grads["Dnd"]
    if _close(now, prev, keys) or _is_zero(leaked, keys):
        return
    plus = {key: prev[key] + leaked[key] for key in keys}
    if _close(now, plus, keys) or _close(now, leaked, keys):
        raise NotYet("in the discriminator phase the gradient of the discriminator loss flowed "
                     "into the encoder: when the discriminator's optimizer stepped, the "
                     "encoder's .grad held it. Detach the codes there "
                     "(model.encoder(images).detach()): they are only data for the "
                     "discriminator, and left in .grad that gradient would train the encoder to "
                     "make its codes look fake.")


def _step_trial(fn, backend_class, condition: bool, seed: int, *, traced: bool = False):
    rng = np.random.default_rng(seed)
    backend = backend_class(condition, seed)
    framework = backend.framework
    x = _images(rng, _STEP_N, framework)
    labels = rng.integers(0, N_COMPONENTS, _STEP_N)
    prior = sample_mixture_prior_reference(labels, rng)
    onehot = np.eye(N_COMPONENTS, dtype=np.float32)[labels] if condition else None
    images, prior_t, condition_t = backend.tensors(x, prior, onehot)
    start = backend.weights()
    stale = None
    if framework == "torch":
        scale = {key: np.sqrt(np.mean(g ** 2)) + 1e-3 for key, g in
                 backend.loss("R", images, prior_t, condition_t)[1].items()}
        stale = {key: rng.standard_normal(w.shape) * scale[key] for key, w in start.items()}
        backend.set_grads(stale)
    record: list = []
    optimizers = backend.optimizers(record)
    try:
        out = (backend.run(fn, optimizers, images, prior_t, condition_t, traced=True) if traced
               else backend.run(fn, optimizers, images, prior_t, condition_t))
    except NotYet:
        raise
    except Exception as err:
        _judge_condition(backend.shapes(), backend.width, condition)
        if traced:
            raise NotYet(f"aae_train_step fails inside Keras' train_step (a tf.function, as fit "
                         f"runs it): {_error_text(err)}. Use TensorFlow / keras.ops operations "
                         f"throughout and return the tensors; no numpy, float() or "
                         f".numpy().") from None
        raise
    final = backend.weights()
    values = _step_values(out, framework)
    if traced:
        _judge_traced_step(backend, start, images, prior_t, condition_t, values)
    else:
        _judge_record(backend, record, start, final, stale, images, prior_t, condition_t, values)


def _judge_traced_step(backend, start, images, prior, condition, values) -> None:
    """Keras inside a tf.function (no record): the final weights and the returned losses equal
    those of the three phases computed here, with either choice of codes for the discriminator."""
    final = backend.weights()
    backend.set_weights(start)
    start_codes = backend.codes(images)
    for codes in (None, start_codes):
        weights, expected = dict(start), []
        for k, kind in enumerate(("R", "D", "G")):
            backend.set_weights(weights)
            value, grads = backend.loss(kind, images, prior, condition,
                                        codes=codes if kind == "D" else None)
            expected.append(value)
            weights = {key: w - _LRS[k] * grads[key] if key[0] in _MOVES[k] else w
                       for key, w in weights.items()}
        if _close(final, weights, start) and np.allclose(values, expected, rtol=2e-4, atol=1e-5):
            return
    raise NotYet("your step is right when called directly, but inside a tf.function (as Keras' "
                 "fit runs the lesson's train_step) it moves the weights differently or returns "
                 "other losses: is some of it plain Python or numpy that runs only once, while "
                 "tracing? Use TensorFlow / keras.ops operations throughout.")


@exercise("07.aae_train_step", title="build it: one training step of the adversarial autoencoder",
          reference="aae.aae_train_step", frameworks=FRAMEWORKS,
          hint="Three small training steps in a row, each with its own loss and its own "
               "optimizer: (1) reconstruction: encode, decode, the cross-entropy summed over the "
               "pixels, step the encoder and decoder; (2) discriminator: the prior samples are "
               "real, the codes fake, and the codes are only data here (no gradient into the "
               "encoder), step the discriminator; (3) generator: encode again, make the "
               "discriminator call the codes real (encoder_adversarial_loss), step only the "
               "encoder. With a condition, the discriminator sees [codes, condition] for the "
               "prior samples and for the codes. Return the three losses, each from before its "
               "step.",
          answer={"torch": "`opt_r, opt_d, opt_g = optimizers`; `D = lambda z: "
                           "model.discriminator(z if condition is None else torch.cat([z, "
                           "condition], dim=1))`. (1) `logits = "
                           "model.decoder(model.encoder(images))`; `rec = "
                           "F.binary_cross_entropy_with_logits(logits, images, "
                           "reduction=\"none\").sum(dim=(1, 2, 3)).mean()`; `opt_r.zero_grad()`; "
                           "`rec.backward()`; `opt_r.step()`. (2) `z = "
                           "model.encoder(images).detach()`; `d_loss = "
                           "discriminator_loss(D(prior_samples), D(z))`; `opt_d.zero_grad()`; "
                           "`d_loss.backward()`; `opt_d.step()`. (3) `g_loss = "
                           "encoder_adversarial_loss(D(model.encoder(images)))`; "
                           "`opt_g.zero_grad()`; `g_loss.backward()`; `opt_g.step()`. `return "
                           "rec.item(), d_loss.item(), g_loss.item()`.",
                  "keras": "`opt_r, opt_d, opt_g = optimizers`; `D = lambda z: "
                           "model.discriminator(z if condition is None else "
                           "ops.concatenate([z, condition], axis=1))`. (1) in a "
                           "`tf.GradientTape()`: `logits = model.decoder(model.encoder(images))`; "
                           "`rec = ops.mean(ops.sum(ops.binary_crossentropy(images, logits, "
                           "from_logits=True), axis=(1, 2, 3)))`; then `weights = "
                           "model.encoder.trainable_weights + model.decoder.trainable_weights`; "
                           "`opt_r.apply(tape.gradient(rec, weights), weights)`. (2) `z = "
                           "model.encoder(images)` outside the tape; in a tape `d_loss = "
                           "discriminator_loss(D(prior_samples), D(z))`; apply its gradients to "
                           "`model.discriminator.trainable_weights` with `opt_d`. (3) in a tape "
                           "`g_loss = encoder_adversarial_loss(D(model.encoder(images)))`; apply "
                           "its gradients to `model.encoder.trainable_weights` with `opt_g`. "
                           "`return rec, d_loss, g_loss`."})
def _check_aae_train_step(fn, framework):
    """Two calls on fresh tiny models, without and with a condition, each judged step by step
    (:func:`_judge_record`); Keras: then a call inside a tf.function, judged by its result."""
    backend = _TorchStep if framework == "torch" else _KerasStep
    _step_trial(fn, backend, False, 31)
    _step_trial(fn, backend, True, 32)
    if framework == "keras":
        _step_trial(fn, backend, True, 33, traced=True)
