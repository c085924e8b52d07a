"""Checkers for lesson 05 (the variational autoencoder): reparameterize, the KL term, the loss.

Each exercise exists in both tracks; the checker receives the framework ("torch" or "keras"),
feeds the student's function framework tensors, and compares with the reference in
``aelab.models.vae_torch`` / ``aelab.models.vae_keras``. Conventions (the lesson's): ``mu`` and
``log_var`` have shape (N, latent_dim); the decoder outputs logits; losses are in nats, summed
over pixels / latent dimensions and averaged over the images of the batch.
"""

from __future__ import annotations

import importlib

import numpy as np

from . import NotYet, exercise, to_numpy

FRAMEWORKS = ("torch", "keras")


def _reference_module(framework: str):
    return importlib.import_module(f"aelab.models.vae_{framework}")


def _reference(name: str):
    return lambda framework: getattr(_reference_module(framework), name)


def _tensor(values: np.ndarray, framework: str):
    values = np.asarray(values, dtype=np.float32)
    if framework == "torch":
        import torch

        return torch.tensor(values, requires_grad=True)
    import tensorflow as tf

    return tf.Variable(values)


def _with_gradients(fn, inputs: list[np.ndarray], framework: str, *, name: str):
    """Call ``fn(*tensors)``; return (outputs as numpy, gradients of sum(output[0]) w.r.t. inputs).

    Gradients are None where the output does not depend on an input through the framework's
    autodiff (e.g. the student converted to numpy or sampled without the trick).
    """
    tensors = [_tensor(v, framework) for v in inputs]
    if framework == "torch":
        out = fn(*tensors)
        outputs = out if isinstance(out, tuple) else (out,)
        _expect_tensors(outputs, framework, name)
        first = outputs[0]
        grads = [None] * len(tensors)
        if getattr(first, "requires_grad", False):
            import torch

            grads = torch.autograd.grad(first.sum(), tensors, allow_unused=True)
            grads = [None if g is None else g.numpy() for g in grads]
        return [to_numpy(o) for o in outputs], grads
    import tensorflow as tf

    with tf.GradientTape() as tape:
        out = fn(*tensors)
        outputs = out if isinstance(out, tuple) else (out,)
        _expect_tensors(outputs, framework, name)
        total = tf.reduce_sum(tf.convert_to_tensor(outputs[0]))
    grads = tape.gradient(total, tensors)
    grads = [None if g is None else to_numpy(tf.convert_to_tensor(g)) for g in grads]
    return [to_numpy(o) for o in outputs], grads


def _expect_tensors(outputs, framework, name):
    for out in outputs:
        if out is None:
            raise NotYet(f"{name} returned None: the function does not return anything yet "
                         f"(fill in the TODO and `return` the answer).")
        if isinstance(out, (np.ndarray, float, int, np.floating)):
            what = "a PyTorch tensor" if framework == "torch" else "a TensorFlow tensor"
            raise NotYet(f"{name} returned a numpy value; it must stay {what} so that gradients "
                         f"can flow back through it during training (use "
                         f"{'torch' if framework == 'torch' else 'keras.ops / tf'} functions, "
                         f"not numpy).")


def _finite(arr: np.ndarray, name: str) -> np.ndarray:
    if not np.all(np.isfinite(arr)):
        raise NotYet(f"{name} contains NaN or infinity. Is something taking the log or the "
                     f"square root of a negative number? log_var can be negative: it is the "
                     f"*log* of the variance.")
    return arr


# ---------------------------------------------------------------- reparameterize

@exercise("05.reparameterize", title="the reparameterization trick: z = mu + sigma * eps",
          reference=_reference("reparameterize"), frameworks=FRAMEWORKS,
          hint="Sampling z directly from N(mu, sigma^2) lets no gradient through. Instead, draw "
               "noise that does not depend on the parameters (a standard normal, one value per "
               "entry of mu), then scale it and shift it. `log_var` is the log of the variance, "
               "not the standard deviation.",
          answer={"torch": "`std = torch.exp(0.5 * log_var)`; `eps = torch.randn_like(std)`; "
                           "`return mu + std * eps`.",
                  "keras": "`std = ops.exp(0.5 * log_var)`; `eps = "
                           "keras.random.normal(ops.shape(mu))`; `return mu + std * eps`."})
def _check_reparameterize(fn, framework):
    n, mu_row, log_var_row = 20_000, np.array([-1.0, 0.5, 2.0, 0.0]), np.array([-2.0, 0.0, 1.5, -0.7])
    mu = np.tile(mu_row, (n, 1)).astype(np.float32)
    log_var = np.tile(log_var_row, (n, 1)).astype(np.float32)
    (z,), (grad_mu, grad_log_var) = _with_gradients(fn, [mu, log_var], framework,
                                                    name="reparameterize")
    if z.shape != mu.shape:
        raise NotYet(f"z has shape {z.shape}, expected {mu.shape} (the shape of mu): one sample "
                     f"per image and latent dimension.")
    _finite(z, "z")
    z = z.astype(np.float64)
    sigma = np.exp(0.5 * log_var_row)
    std = z.std(axis=0)
    if np.allclose(z, mu, atol=1e-6):
        raise NotYet("z equals mu: the noise eps is never added, so the model is not sampling. "
                     "Return mu + sigma * eps.")
    if np.all(z == z[0]):
        raise NotYet("every row of z is the same: draw a *different* eps for every image and "
                     "latent dimension (eps must have the shape of mu, not one number).")
    # The tolerance uses the spread the samples really have, not the expected sigma: an answer
    # with the wrong sigma must be told about sigma (below), not about its mean.
    mean_error = np.abs(z.mean(axis=0) - mu_row)
    if np.any(mean_error > 6 * std / np.sqrt(n) + 1e-3):
        raise NotYet(f"over {n} samples z should average to mu = {mu_row.tolist()}, but averages "
                     f"to {np.round(z.mean(axis=0), 3).tolist()}. Is eps drawn from a standard "
                     f"normal (mean 0), e.g. not from a uniform distribution?")
    if not np.allclose(std, sigma, rtol=0.05):
        for wrong, what in ((np.exp(log_var_row), "exp(log_var), the variance"),
                            (np.abs(log_var_row), "log_var itself"),
                            (np.exp(-0.5 * log_var_row), "exp(-0.5 * log_var)"),
                            (np.exp(0.25 * log_var_row), "exp(0.25 * log_var)")):
            if np.allclose(std, wrong, rtol=0.05):
                raise NotYet(f"your samples spread by {what} instead of the standard deviation "
                             f"sigma = exp(0.5 * log_var). log_var is the log of the *variance*.")
        raise NotYet(f"for log_var = {log_var_row.tolist()} the samples should have standard "
                     f"deviation exp(0.5 * log_var) = {np.round(sigma, 3).tolist()}, yours have "
                     f"{np.round(std, 3).tolist()}.")
    if grad_mu is None or grad_log_var is None:
        raise NotYet("no gradient flows from z back to mu and log_var. Sampling directly "
                     "(e.g. Normal(mu, sigma).sample() or a numpy random call) cuts the graph; "
                     "that is the whole point of the trick: compute mu + sigma * eps with eps "
                     "drawn separately.")
    if not np.allclose(grad_mu, 1.0, atol=1e-4):
        raise NotYet("the gradient of z with respect to mu should be 1 (z = mu + sigma * eps); "
                     "yours is not. Add mu itself, do not transform it.")
    # dz/dlog_var = 0.5 * sigma * eps = 0.5 * (z - mu): gradients prove the sample is differentiable
    if not np.allclose(grad_log_var, 0.5 * (z - mu), rtol=1e-3, atol=1e-4):
        raise NotYet("the gradient of z with respect to log_var is not 0.5 * sigma * eps: the "
                     "noise must be drawn *outside* the graph and scaled by sigma = "
                     "exp(0.5 * log_var).")
    (z_small,), _ = _with_gradients(fn, [mu[:3, :2], log_var[:3, :2]], framework,
                                    name="reparameterize")
    if z_small.shape != (3, 2):
        raise NotYet(f"for mu of shape (3, 2) z has shape {z_small.shape}: use the shape of mu, "
                     f"not a fixed one.")


# ---------------------------------------------------------------- the KL term

def _kl_numpy(mu, log_var):
    return 0.5 * (mu ** 2 + np.exp(log_var) - 1.0 - log_var).sum(axis=1)


def _kl_mistakes(mu, log_var):
    kl = _kl_numpy(mu, log_var)
    d = mu.shape[1]
    return [
        (-kl, "has the wrong sign: the KL divergence is never negative. Check the signs of "
              "-0.5 * sum(1 + log_var - mu^2 - exp(log_var))."),
        (kl / d, "is the *mean* over the latent dimensions; the lesson sums them (the KL of "
                 "independent dimensions adds up)."),
        (2 * kl, "is twice the right value: the formula has a factor 0.5."),
        (0.5 * (mu ** 2 + log_var - 1.0 - np.log(np.abs(log_var) + 1e-30)).sum(axis=1),
         "treats log_var as the variance. The variance is exp(log_var)."),
        (0.5 * (mu ** 2 - 1.0).sum(axis=1),
         "treats log_var as the variance: exp(log_var) and log_var must not cancel out. "
         "The variance is exp(log_var)."),
        (0.5 * (mu ** 2 + np.exp(0.5 * log_var) - 1.0 - log_var).sum(axis=1),
         "uses the standard deviation exp(0.5 * log_var) where the variance exp(log_var) belongs."),
        (0.5 * (np.exp(log_var) - 1.0 - log_var).sum(axis=1), "forgets the mu^2 term."),
        (0.5 * (mu ** 2 + np.exp(log_var) - log_var).sum(axis=1), "forgets the -1 term."),
    ]


def _diagnose(got, expected, mistakes, name):
    for wrong, why in mistakes:
        if np.shape(wrong) == got.shape and np.allclose(got, wrong, rtol=1e-4, atol=1e-4):
            raise NotYet(f"{name} {why}")
    worst = int(np.argmax(np.abs(got - expected).ravel()))
    raise NotYet(f"{name} has wrong values: for example {got.ravel()[worst]:.5g} where "
                 f"{np.ravel(expected)[worst]:.5g} was expected.")


@exercise("05.kl_divergence", title="the KL divergence from q(z|x) to the prior N(0, I)",
          reference=_reference("kl_divergence"), frameworks=FRAMEWORKS,
          hint="For a diagonal Gaussian q = N(mu, exp(log_var)) against N(0, I) the KL has a "
               "closed form, one term per latent dimension (written in the lesson); it is 0 when "
               "mu = 0 and log_var = 0. Add the terms over the latent dimensions: one number per "
               "image.",
          answer={"torch": "`return -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), "
                           "dim=1)`.",
                  "keras": "`return -0.5 * ops.sum(1 + log_var - ops.square(mu) - "
                           "ops.exp(log_var), axis=1)`."})
def _check_kl(fn, framework):
    rng = np.random.default_rng(5)
    zeros = np.zeros((3, 4), np.float32)
    (kl0,), _ = _with_gradients(fn, [zeros, zeros], framework, name="kl_divergence")
    for n, d in ((6, 4), (3, 2), (1, 16)):
        mu = rng.normal(0, 1.2, (n, d)).astype(np.float32)
        log_var = rng.normal(-0.5, 1.0, (n, d)).astype(np.float32)
        (kl,), (grad_mu, grad_log_var) = _with_gradients(fn, [mu, log_var], framework,
                                                         name="kl_divergence")
        expected = _kl_numpy(mu.astype(np.float64), log_var.astype(np.float64))
        if kl.shape != (n,):
            if kl.size == 1 and np.isclose(float(kl.ravel()[0]), expected.sum(), rtol=1e-4):
                raise NotYet(f"you return one number for the whole batch (the sum); return one "
                             f"KL per image, shape ({n},): sum over the latent dimensions only.")
            if kl.size == 1 and np.isclose(float(kl.ravel()[0]), expected.mean(), rtol=1e-4):
                raise NotYet(f"you return the batch average; return one KL per image, shape "
                             f"({n},). The loss averages over images later.")
            raise NotYet(f"the KL has shape {kl.shape}; expected ({n},), one number per image "
                         f"(sum over the latent dimensions, axis 1).")
        _finite(kl, "the KL")
        if not np.allclose(kl, expected, rtol=1e-4, atol=1e-4):
            _diagnose(kl, expected, _kl_mistakes(mu, log_var), "your KL")
        if grad_mu is None or grad_log_var is None:
            raise NotYet("no gradient flows back to mu and log_var: compute the KL with "
                         "framework operations (not numpy), so training can minimise it.")
    if kl0.shape != (3,) or not np.allclose(kl0, 0.0, atol=1e-6):
        raise NotYet("for mu = 0 and log_var = 0 (q equals the prior) the KL must be 0.")


# ---------------------------------------------------------------- the full loss

def _bce_sum(x, logits):
    """Binary cross-entropy with logits, summed over pixels: (N,) in float64."""
    x, logits = x.reshape(len(x), -1).astype(np.float64), logits.reshape(len(x), -1).astype(np.float64)
    per_pixel = np.maximum(logits, 0) - logits * x + np.log1p(np.exp(-np.abs(logits)))
    return per_pixel.sum(axis=1)


def _image_shape(framework):
    return (1, 28, 28) if framework == "torch" else (28, 28, 1)


@exercise("05.vae_loss", title="the VAE loss: reconstruction (BCE summed over pixels) + beta * KL",
          reference=_reference("vae_loss"), frameworks=FRAMEWORKS,
          hint="Two terms, each one number per image, then averaged over the images: how badly "
               "the decoder's logits explain the pixels (binary cross-entropy computed from "
               "logits, added up over all pixels of the image), and how far q(z|x) is from the "
               "prior (your `kl_divergence`). Return the loss reconstruction + beta * kl, and "
               "the two terms.",
          answer={"torch": "`reconstruction = F.binary_cross_entropy_with_logits(x_logits, x, "
                           "reduction=\"none\").sum(dim=(1, 2, 3)).mean()`; `kl = "
                           "kl_divergence(mu, log_var).mean()`; `return reconstruction + beta * "
                           "kl, reconstruction, kl`.",
                  "keras": "`reconstruction = ops.mean(ops.sum(ops.binary_crossentropy(x, "
                           "x_logits, from_logits=True), axis=(1, 2, 3)))`; `kl = "
                           "ops.mean(kl_divergence(mu, log_var))`; `return reconstruction + beta "
                           "* kl, reconstruction, kl`."})
def _check_vae_loss(fn, framework):
    rng = np.random.default_rng(7)
    for n, d, beta in ((4, 2, 1.0), (7, 5, 4.0), (3, 3, 0.25)):
        x = rng.random((n, *_image_shape(framework))).astype(np.float32)
        x[:, ..., :5] = (x[:, ..., :5] > 0.5)  # some pure black / white pixels, like MNIST
        logits = rng.normal(0, 2.0, x.shape).astype(np.float32)
        mu = rng.normal(0, 1.0, (n, d)).astype(np.float32)
        log_var = rng.normal(-0.5, 0.8, (n, d)).astype(np.float32)
        x_tensor = x  # constant input: gradients are taken w.r.t. logits, mu, log_var

        def call(logits_t, mu_t, log_var_t):
            out = fn(_constant(x_tensor, framework), logits_t, mu_t, log_var_t, beta)
            if out is None:
                return None
            if not isinstance(out, (tuple, list)) or len(out) != 3:
                raise NotYet("vae_loss should return three values: (loss, reconstruction, kl).")
            return tuple(out)

        outputs, grads = _with_gradients(call, [logits, mu, log_var], framework, name="vae_loss")
        loss, reconstruction, kl = (np.asarray(o, np.float64) for o in outputs)
        for value, what in ((loss, "loss"), (reconstruction, "reconstruction"), (kl, "kl")):
            if value.size != 1:
                raise NotYet(f"{what} has shape {value.shape}; expected a single number (the "
                             f"average over the images of the batch).")
            _finite(value, what)
        loss, reconstruction, kl = float(loss), float(reconstruction), float(kl)
        bce = _bce_sum(x, logits)
        expected_rec, expected_kl = bce.mean(), _kl_numpy(mu.astype(np.float64),
                                                          log_var.astype(np.float64)).mean()
        if not np.isclose(reconstruction, expected_rec, rtol=1e-4):
            probs = 1 / (1 + np.exp(-logits.astype(np.float64)))
            rec_mistakes = [
                (bce.mean() / x[0].size, "is the *mean* over pixels; the lesson's convention is "
                                         "the *sum* over the pixels of an image (nats per image)."),
                (bce.sum(), "is summed over the batch too; average over the images instead, "
                            "so the number does not depend on the batch size."),
                (_bce_sum(x, np.log(np.clip(logits, 1e-7, None)
                                    / np.clip(1 - logits, 1e-7, None))).mean(),
                 "treats the logits as probabilities: use the *with logits* cross-entropy "
                 "(or apply a sigmoid first)."),
                (-(x * np.log(np.clip(probs, 1e-7, 1)) ).reshape(n, -1).sum(1).mean(),
                 "forgets the (1 - x) * log(1 - p) half of the binary cross-entropy."),
                ((x - probs).reshape(n, -1).__pow__(2).sum(1).mean(),
                 "is a squared error; the Bernoulli decoder's loss is the binary cross-entropy."),
            ]
            _diagnose(np.array(reconstruction), expected_rec,
                      [(np.array(w), why) for w, why in rec_mistakes], "your reconstruction term")
        if not np.isclose(kl, expected_kl, rtol=1e-4, atol=1e-5):
            _diagnose(np.array(kl), expected_kl,
                      [(np.array(w.mean()), why) for w, why in _kl_mistakes(mu, log_var)]
                      + [(np.array(expected_kl * n), "is summed over the batch; average it over "
                                                     "the images, like the reconstruction."),
                         (np.array(expected_kl * beta), "already includes beta; return the plain "
                                                        "KL as the third value and use "
                                                        "beta * kl only in the loss.")],
                      "your kl")
        if not np.isclose(loss, expected_rec + beta * expected_kl, rtol=1e-4):
            for wrong, why in ((expected_rec + expected_kl, f"ignores beta (= {beta} here)."),
                               (expected_rec - beta * expected_kl, "subtracts the KL; the negative "
                                                                   "ELBO *adds* beta * KL."),
                               (expected_rec, "is only the reconstruction term: add beta * kl."),
                               (beta * expected_rec + expected_kl, "puts beta on the wrong term.")):
                if np.isclose(loss, wrong, rtol=1e-4):
                    raise NotYet(f"your loss {why}")
            raise NotYet(f"your loss is {loss:.5g}, expected reconstruction + beta * kl = "
                         f"{expected_rec + beta * expected_kl:.5g} (beta = {beta}).")
        grad_logits, grad_mu, grad_log_var = grads
        if grad_logits is None or grad_mu is None or grad_log_var is None:
            raise NotYet("the loss does not pass gradients back to the logits, mu and log_var: "
                         "compute it with framework operations (not numpy / .item()).")
        probs = 1 / (1 + np.exp(-logits.astype(np.float64)))
        if not np.allclose(grad_logits, (probs - x) / n, rtol=1e-3, atol=1e-6):
            raise NotYet("the gradient of the loss with respect to the logits is not "
                         "(sigmoid(logits) - x) / N; is the loss averaged over the images?")


def _constant(values, framework):
    if framework == "torch":
        import torch

        return torch.from_numpy(np.asarray(values, np.float32))
    import tensorflow as tf

    return tf.constant(values, dtype=tf.float32)
