"""Checkers for lesson 05 (the variational autoencoder): reparameterize, the KL term, the loss,
and the "build it" exercise, one training step (``vae_train_step``; see the section at the end).

Each exercise exists in both tracks; the checker receives the framework ("torch" or "keras"),
feeds the student's function framework tensors, and compares with the reference in
``aelab.models.vae_torch`` / ``aelab.models.vae_keras``. Conventions (the lesson's): ``mu`` and
``log_var`` have shape (N, latent_dim); the decoder outputs logits; losses are in nats, summed
over pixels / latent dimensions and averaged over the images of the batch. Images are
(N, 1, 28, 28) in PyTorch and (N, 28, 28, 1) in Keras.

Every call of the student's function goes through ``call_unchanged``, so an answer that changes
``mu``, ``log_var`` or ``x`` in place is told so. The functions are also called the way the
notebook calls them: plain tensors (PyTorch), numpy arrays and a traced ``tf.function`` with a
``keras.Variable`` beta (Keras), ``beta`` left out.

``reparameterize`` draws random numbers, so its checker tests what must hold for *any* correct
draw; see :func:`_check_reparameterize` for the tests and their false-alarm rates
(``benchmarks/lesson05_reparameterize_false_alarms.py`` runs correct answers over 10,000 seeds).
"""

from __future__ import annotations

import inspect

import numpy as np

from . import NotYet, call_unchanged, exercise, kind_of, to_numpy

FRAMEWORKS = ("torch", "keras")


def _leaves(inputs: list[np.ndarray], framework: str) -> tuple[list, list]:
    """(what gradients are taken with respect to, what the student's function receives).

    PyTorch: float32 leaf tensors that require gradients, and differentiable copies of them
    (like an encoder's outputs, which are not leaves either: an in-place change is allowed by
    autograd and then reported by ``call_unchanged``). Keras: ``tf.Variable`` s, watched by the
    tape, for both.
    """
    if framework == "torch":
        import torch

        leaves = [torch.tensor(np.asarray(v, np.float32), requires_grad=True) for v in inputs]
        return leaves, [leaf.clone() for leaf in leaves]
    import tensorflow as tf

    variables = [tf.Variable(np.asarray(v, np.float32)) for v in inputs]
    return variables, variables


def _plain(values: np.ndarray, framework: str):
    """A tensor that does not require gradients (PyTorch) / a tf.constant (Keras)."""
    if framework == "torch":
        import torch

        return torch.tensor(np.asarray(values, np.float32))
    import tensorflow as tf

    return tf.constant(np.asarray(values, np.float32))


def _with_gradients(call, inputs: list[np.ndarray], framework: str):
    """``call(*tensors)`` -> list of framework tensors; returns (those outputs as numpy, the
    gradients of sum(outputs[0]) with respect to each input, None where none flows)."""
    leaves, args = _leaves(inputs, framework)
    if framework == "torch":
        import torch

        outputs = call(*args)
        first = outputs[0]
        grads = [None] * len(leaves)
        if getattr(first, "requires_grad", False):
            grads = torch.autograd.grad(first.sum(), leaves, allow_unused=True)
            grads = [None if g is None else g.numpy() for g in grads]
        return [to_numpy(o) for o in outputs], grads
    import tensorflow as tf

    with tf.GradientTape() as tape:
        outputs = call(*args)
        total = tf.reduce_sum(tf.convert_to_tensor(outputs[0]))
    grads = tape.gradient(total, leaves)
    grads = [None if g is None else to_numpy(tf.convert_to_tensor(g)) for g in grads]
    return [to_numpy(o) for o in outputs], grads


def _is_tensor(value, framework: str) -> bool:
    if framework == "torch":
        import torch

        return isinstance(value, torch.Tensor)
    import tensorflow as tf

    return isinstance(value, (tf.Tensor, tf.Variable))


def _expect_tensor(value, framework: str, name: str, *, returns: str, part: str | None = None):
    """``value`` if it is one framework tensor, else NotYet saying what it is instead.
    ``part`` names which of several returned values this is (e.g. "kl")."""
    who = f"{name} returned" if part is None else f"the {part} that {name} returns is"
    if value is None:
        raise NotYet(f"{who} None: the function does not return anything yet "
                     f"(fill in the TODO and `return` {returns}).")
    if _is_tensor(value, framework):
        return value
    what = "a PyTorch tensor" if framework == "torch" else "a TensorFlow tensor"
    ops = "torch" if framework == "torch" else "keras.ops / tf"
    if isinstance(value, (np.ndarray, np.generic)):
        raise NotYet(f"{who} a numpy array; it must stay {what} so that gradients can "
                     f"flow back through it during training (use {ops} functions, not numpy).")
    if isinstance(value, (float, int)):
        raise NotYet(f"{who} a plain Python number ({value:.5g}); it must stay {what} "
                     f"so that gradients can flow back through it during training (use {ops} "
                     f"functions; no .item(), float() or numpy).")
    raise NotYet(f"{who} {kind_of(value)}; expected {returns}, one tensor.")


def _error_text(err: Exception) -> str:
    """The last line of an exception's message (TensorFlow's tracing errors start with a
    traceback of the user's code)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = lines[-1] if lines else ""
    return text if text.startswith(type(err).__name__) else f"{type(err).__name__}: {text}"


def _finite(arr: np.ndarray, name: str) -> np.ndarray:
    if not np.all(np.isfinite(arr)):
        raise NotYet(f"{name} contains NaN or infinity. Is something taking the log or the "
                     f"square root of a negative number? log_var can be negative: it is the "
                     f"*log* of the variance.")
    return arr


def _notebook_call(fn, arrays: list[np.ndarray], framework: str, name: str, *, returns: str,
                   dtype=np.float32) -> np.ndarray:
    """Call ``fn`` the way the notebook's figure cells do: PyTorch tensors without gradients
    (then ``.numpy()``), Keras numpy arrays (then ``np.asarray``)."""
    if framework == "torch":
        import torch

        args = [torch.tensor(np.asarray(a, dtype)) for a in arrays]
        given = f"{np.dtype(dtype).name} tensors without gradients"
    else:
        args = [np.asarray(a, dtype) for a in arrays]
        given = f"{np.dtype(dtype).name} numpy arrays"
    try:
        out = call_unchanged(fn, *args, what=name)
    except NotYet:
        raise
    except Exception as err:
        shape = np.shape(arrays[0])
        try:  # the same values as float32 tensors: is it the kind of input, or the shape?
            call_unchanged(fn, *[_plain(a, framework) for a in arrays], what=name)
        except Exception:
            raise NotYet(f"{name} fails for mu and log_var of shape {shape}: "
                         f"{_error_text(err)}. Use the shapes of the arguments, not fixed "
                         f"ones.") from None
        raise NotYet(f"{name} fails when given {given} of shape {shape}, as the notebook's "
                     f"figure cell calls it: {_error_text(err)}."
                     + (" Use keras.ops (or tf) functions, which accept numpy arrays and tensors "
                        "alike." if framework == "keras" else "")) from None
    return to_numpy(_expect_tensor(out, framework, name, returns=returns))


# ---------------------------------------------------------------- reparameterize

_REP_N = 20_000                                   # rows (images) of the main probe
_REP_MU = np.array([-1.0, 0.5, 2.0, 0.0])         # one row of mu, repeated for every image
_REP_LOG_VAR = np.array([-2.0, 0.0, 1.5, -0.7])
_SHARED = 0.2  # |correlation| between two sets of eps above which they count as the same draw


def _standardised(z: np.ndarray) -> np.ndarray:
    """Each column of z minus its mean, over its standard deviation; constant columns dropped."""
    sd = z.std(axis=0)
    keep = sd > 1e-9 * (1.0 + np.abs(z).max())
    return (z[:, keep] - z[:, keep].mean(axis=0)) / sd[keep]


def _draw(fn, mu: np.ndarray, log_var: np.ndarray, framework: str, *, with_gradients: bool):
    """z (float64) from one call of the student's function, and the gradients if asked for."""
    name = "reparameterize"

    def call(mu_t, log_var_t):
        out = call_unchanged(fn, mu_t, log_var_t, what=name)
        return [_expect_tensor(out, framework, name, returns="z = mu + sigma * eps")]

    if with_gradients:
        (z,), grads = _with_gradients(call, [mu, log_var], framework)
    else:
        (z,) = [to_numpy(o) for o in call(_plain(mu, framework), _plain(log_var, framework))]
        grads = None
    if z.shape != mu.shape:
        if z.shape == mu.shape[1:] or (z.ndim == 2 and z.shape[0] == 1):
            raise NotYet(f"for mu of shape {mu.shape} z has shape {z.shape}: one sample for the "
                         f"whole batch. z must have the shape of mu: one sample per image and "
                         f"latent dimension.")
        raise NotYet(f"for mu of shape {mu.shape} z has shape {z.shape}; z must have the shape "
                     f"of mu (one sample per image and latent dimension).")
    return _finite(z, "z").astype(np.float64), grads


def _shared_across_images(z: np.ndarray) -> None:
    distinct = len(np.unique(z, axis=0))
    if distinct == 1:
        raise NotYet(f"every row of z is the same, for all {len(z)} images: each image needs its "
                     f"own eps. Draw eps with the shape of mu, (N, latent_dim), not of one row.")
    if distinct < len(z):
        raise NotYet(f"z has only {distinct} different rows for {len(z)} images with the same mu "
                     f"and log_var: some images share their eps. Draw a fresh eps for every "
                     f"image, with the shape of mu.")


def _shared_across_dimensions(z: np.ndarray) -> None:
    e = _standardised(z)
    if e.shape[1] < 2:
        return
    corr = np.abs(e.T @ e / len(e))
    np.fill_diagonal(corr, 0.0)
    if corr.max() > _SHARED:
        if corr[np.triu_indices(len(corr), 1)].min() > _SHARED:
            raise NotYet("all latent dimensions of z move together from image to image: they "
                         "share one eps per image. Draw eps with the shape of mu, "
                         "(N, latent_dim), not (N, 1).")
        j, k = np.unravel_index(np.argmax(corr), corr.shape)
        raise NotYet(f"latent dimensions {min(j, k)} and {max(j, k)} of z move together from "
                     f"image to image (correlation {corr[j, k]:.2f}): each dimension needs its "
                     f"own eps. Draw eps with the shape of mu, (N, latent_dim).")


def _same_draw(z1: np.ndarray, z2: np.ndarray) -> float:
    """Correlation of the standardised noise of two draws (about N(0, 1/size) when independent)."""
    if np.array_equal(z1, z2):
        return 1.0
    e1, e2 = _standardised(z1), _standardised(z2)
    if e1.shape != e2.shape or e1.size == 0:
        return 0.0
    return float(np.mean(e1 * e2))


@exercise("05.reparameterize", title="the reparameterization trick: z = mu + sigma * eps",
          reference="vae.reparameterize", frameworks=FRAMEWORKS,
          hint="Sampling z directly from N(mu, sigma^2) lets no gradient through. Instead, draw "
               "noise that does not depend on the parameters (a standard normal, one value per "
               "entry of mu), then scale it and shift it. `log_var` is the log of the variance, "
               "not the standard deviation.",
          answer={"torch": "`std = torch.exp(0.5 * log_var)`; `eps = torch.randn_like(std)`; "
                           "`return mu + std * eps`.",
                  "keras": "`std = ops.exp(0.5 * log_var)`; `eps = "
                           "keras.random.normal(ops.shape(mu))`; `return mu + std * eps`."})
def _check_reparameterize(fn, framework):
    """The answer's z for N = 20,000 images with the same mu, log_var (4 latent dimensions).

    Tests, in order, each with its false-alarm rate for a correct answer (a fresh standard normal
    eps for every image, dimension and call; the rates follow from the sampling distributions):

    - eps is shared between dimensions: two columns of z correlate, |r| > 0.2 over 20,000 images.
      Independent columns: r ~ N(0, 1/20,000), so 0.2 is 28 standard deviations (P < 1e-150).
      (First: one eps per image also makes equal rows, by float32 rounding.)
    - eps is shared between images: two rows of z are exactly equal. Two independent float32
      draws of one coordinate are rarely equal, and a row has four independent coordinates, so
      this is far rarer than the other tests' false alarms (the benchmark measures the rate).
    - z averages to mu within 6 standard errors (+ 1e-3) in each of 4 dimensions:
      P < 4 * 2e-9 = 8e-9.
    - the spread of z is sigma = exp(0.5 log_var) within 5 %: the sample standard deviation has
      a relative standard error of 1/sqrt(2 * 20,000) = 0.5 %, so 5 % is 10 of them (P < 1e-22).
    - dz/dmu = 1 and dz/dlog_var = 0.5 (z - mu), exactly (gradients, no randomness).
    - a second call with the same inputs draws new noise: the correlation of the two standardised
      draws (80,000 numbers) is below 0.2 (57 standard deviations; P < 1e-300).
    - Keras: the same inside a ``tf.function`` (how ``fit`` runs a model), on 2,000 x 4 numbers
      (0.2 is 18 standard deviations; P < 1e-70).

    A correct answer is therefore rejected with probability below 1e-8 per check; the benchmark
    runs the reference and other correct answers over 10,000 seeds.
    """
    n = _REP_N
    mu = np.tile(_REP_MU, (n, 1)).astype(np.float32)
    log_var = np.tile(_REP_LOG_VAR, (n, 1)).astype(np.float32)
    sigma = np.exp(0.5 * _REP_LOG_VAR)
    z, (grad_mu, grad_log_var) = _draw(fn, mu, log_var, framework, with_gradients=True)
    if np.allclose(z, mu, atol=1e-6):
        raise NotYet("z equals mu: the noise eps is never added, so the model is not sampling. "
                     "Return mu + sigma * eps.")
    _shared_across_dimensions(z)   # first: one eps per image also makes some rows equal
    _shared_across_images(z)
    std = z.std(axis=0)
    # The tolerance uses the spread the samples really have, not the expected sigma: an answer
    # with the wrong sigma must be told about sigma (below), not about its mean.
    mean_error = np.abs(z.mean(axis=0) - _REP_MU)
    tolerance = 6 * std / np.sqrt(n) + 1e-3
    if np.any(mean_error > tolerance):
        if np.all(np.abs(z.mean(axis=0)) <= tolerance):
            raise NotYet(f"over {n} samples z averages to 0 in every dimension, not to mu = "
                         f"{_REP_MU.tolist()}: add mu, z = mu + sigma * eps.")
        raise NotYet(f"over {n} samples z should average to mu = {_REP_MU.tolist()}, but averages "
                     f"to {np.round(z.mean(axis=0), 3).tolist()}. Is eps drawn from a standard "
                     f"normal (mean 0), e.g. not from a uniform distribution?")
    if not np.allclose(std, sigma, rtol=0.05):
        for wrong, what in ((np.exp(_REP_LOG_VAR), "exp(log_var), the variance"),
                            (np.abs(_REP_LOG_VAR), "log_var itself"),
                            (np.exp(-0.5 * _REP_LOG_VAR), "exp(-0.5 * log_var)"),
                            (np.exp(0.25 * _REP_LOG_VAR), "exp(0.25 * log_var)")):
            if np.allclose(std, wrong, rtol=0.05):
                raise NotYet(f"your samples spread by {what} instead of the standard deviation "
                             f"sigma = exp(0.5 * log_var). log_var is the log of the *variance*.")
        raise NotYet(f"for log_var = {_REP_LOG_VAR.tolist()} the samples should have standard "
                     f"deviation exp(0.5 * log_var) = {np.round(sigma, 3).tolist()}, yours have "
                     f"{np.round(std, 3).tolist()}.")
    if grad_mu is None or grad_log_var is None:
        which = " and ".join(name for name, grad in (("mu", grad_mu), ("log_var", grad_log_var))
                             if grad is None)
        raise NotYet(f"no gradient flows from z back to {which}. Sampling directly "
                     "(e.g. Normal(mu, sigma).sample() or a numpy random call) or .detach() cuts "
                     "the graph; that is the whole point of the trick: compute mu + sigma * eps "
                     "with eps "
                     "drawn separately.")
    if not np.allclose(grad_mu, 1.0, atol=1e-4):
        raise NotYet("the gradient of z with respect to mu should be 1 (z = mu + sigma * eps); "
                     "yours is not. Add mu itself, do not transform it.")
    # dz/dlog_var = 0.5 * sigma * eps = 0.5 * (z - mu): gradients prove the sample is differentiable
    if not np.allclose(grad_log_var, 0.5 * (z - mu), rtol=1e-3, atol=1e-4):
        raise NotYet("the gradient of z with respect to log_var is not 0.5 * sigma * eps: the "
                     "noise must be drawn *outside* the graph and scaled by sigma = "
                     "exp(0.5 * log_var).")
    again, _ = _draw(fn, mu, log_var, framework, with_gradients=False)
    same = _same_draw(z, again)
    if same > _SHARED:
        seeds = ("torch.manual_seed(...)" if framework == "torch" else
                 "keras.utils.set_random_seed(...), tf.random.set_seed(...), a fixed seed=... "
                 "argument")
        what = "the same z" if same == 1.0 else f"nearly the same z (correlation {same:.2f})"
        raise NotYet(f"two calls with the same mu and log_var return {what}"
                     f": every call must draw new noise, or the model sees the same eps at every "
                     f"training step. Do not seed inside the function ({seeds}) and do not reuse "
                     f"an eps drawn once outside it.")
    for rows in (2000, 1):  # the notebook's figure: 2,000 copies of one image's mu, log_var
        small = _notebook_call(fn, [[[1.0, -1.0]] * rows, [[0.0, -2.0]] * rows], framework,
                               "reparameterize", returns="z = mu + sigma * eps")
        if small.shape != (rows, 2):
            raise NotYet(f"for mu of shape ({rows}, 2) z has shape {small.shape}: z must have "
                         f"the shape of mu (do not squeeze or flatten it).")
    if framework == "keras":
        _check_reparameterize_traced(fn, mu[:2000], log_var[:2000])


def _check_reparameterize_traced(fn, mu: np.ndarray, log_var: np.ndarray) -> None:
    """Keras' ``fit`` runs the model (and reparameterize in it) as a traced tf.function."""
    import tensorflow as tf

    traced = tf.function(lambda m, v: fn(m, v))
    args = (tf.constant(mu), tf.constant(log_var))
    try:
        draws = [to_numpy(traced(*args)).astype(np.float64) for _ in range(2)]
    except Exception as err:
        raise NotYet(f"reparameterize fails inside a tf.function, which is how Keras' fit runs "
                     f"the model: {_error_text(err)}. Use keras.ops / keras.random "
                     f"functions; no numpy, float() or .numpy().") from None
    same = _same_draw(*draws)
    if same > _SHARED:
        raise NotYet("inside a tf.function (how Keras' fit runs the model) two calls return the "
                     "same z: random numbers drawn with numpy or Python's random are drawn once, "
                     "when TensorFlow traces the function, and then reused at every step. Draw "
                     "eps with keras.random.normal(ops.shape(mu)).")


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
          reference="vae.kl_divergence", frameworks=FRAMEWORKS,
          hint="For a diagonal Gaussian q = N(mu, exp(log_var)) against N(0, I) the KL has a "
               "closed form, one term per latent dimension (written in the lesson); it is 0 when "
               "mu = 0 and log_var = 0. Add the terms over the latent dimensions: one number per "
               "image.",
          answer={"torch": "`return -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), "
                           "dim=1)`.",
                  "keras": "`return -0.5 * ops.sum(1 + log_var - ops.square(mu) - "
                           "ops.exp(log_var), axis=1)`."})
def _check_kl(fn, framework):
    def call(mu_t, log_var_t):
        out = call_unchanged(fn, mu_t, log_var_t, what="kl_divergence")
        return [_expect_tensor(out, framework, "kl_divergence", returns="one KL per image")]

    rng = np.random.default_rng(5)
    zeros = np.zeros((3, 4), np.float32)
    (kl0,), _ = _with_gradients(call, [zeros, zeros], framework)
    for n, d in ((6, 4), (3, 2), (1, 16)):
        mu = rng.normal(0, 1.2, (n, d)).astype(np.float32)
        log_var = rng.normal(-0.5, 1.0, (n, d)).astype(np.float32)
        (kl,), (grad_mu, grad_log_var) = _with_gradients(call, [mu, log_var], framework)
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
    # the notebook's KL figure: one latent dimension, a grid of float64 values (PyTorch)
    mu_grid, log_var_grid = np.meshgrid(np.linspace(-3, 3, 7), np.linspace(-4, 2, 5))
    mu_grid, log_var_grid = mu_grid.reshape(-1, 1), log_var_grid.reshape(-1, 1)
    grid = _notebook_call(fn, [mu_grid, log_var_grid], framework, "kl_divergence",
                          returns="one KL per image",
                          dtype=np.float64 if framework == "torch" else np.float32)
    expected = _kl_numpy(mu_grid, log_var_grid)
    if grid.shape != expected.shape or not np.allclose(grid, expected, rtol=1e-4, atol=1e-4):
        what = ("the wrong values" if grid.shape == expected.shape else
                f"shape {grid.shape}, expected {expected.shape}")
        raise NotYet(f"for one latent dimension (mu and log_var of shape {mu_grid.shape}, as in "
                     f"the notebook's KL figure) your KL has {what}: one number per row, the sum "
                     f"over axis 1, whatever the number of latent dimensions.")


# ---------------------------------------------------------------- the full loss

def _bce_sum(x, logits):
    """Binary cross-entropy with logits, summed over pixels: (N,) in float64."""
    x = x.reshape(len(x), -1).astype(np.float64)
    logits = logits.reshape(len(x), -1).astype(np.float64)
    per_pixel = np.maximum(logits, 0) - logits * x + np.log1p(np.exp(-np.abs(logits)))
    return per_pixel.sum(axis=1)


def _bce_probabilities_sum(x, p):
    """Binary cross-entropy of probabilities p in (0, 1), summed over pixels: (N,) in float64."""
    x, p = x.reshape(len(x), -1).astype(np.float64), p.reshape(len(x), -1).astype(np.float64)
    return -(x * np.log(p) + (1 - x) * np.log1p(-p)).sum(axis=1)


def _images(rng, n: int, framework: str) -> np.ndarray:
    """n grey-level images in the framework's layout; their 5 leftmost columns pure black/white
    (like MNIST's background and strokes), the rest grey levels in (0, 1)."""
    x = rng.random((n, 28, 28)).astype(np.float32)
    x[:, :, :5] = x[:, :, :5] > 0.5
    return x[:, None] if framework == "torch" else x[..., None]


def _loss_outputs(out, framework: str) -> list:
    name = "vae_loss"
    if out is None:
        raise NotYet(f"{name} returned None: the function does not return anything yet (fill in "
                     f"the TODO and `return` (loss, reconstruction, kl)).")
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        raise NotYet(f"vae_loss should return three values, (loss, reconstruction, kl); yours "
                     f"returned {kind_of(out)}.")
    return [_expect_tensor(value, framework, name, returns=f"the {what}", part=what)
            for value, what in zip(out, ("loss", "reconstruction", "kl"))]


def _scalars(outputs) -> list[float]:
    values = []
    for value, what in zip(outputs, ("loss", "reconstruction", "kl")):
        value = np.asarray(value, np.float64)
        if value.size != 1:
            raise NotYet(f"{what} has shape {value.shape}; expected a single number (the "
                         f"average over the images of the batch).")
        values.append(float(_finite(value, what).ravel()[0]))
    return values


@exercise("05.vae_loss", title="the VAE loss: reconstruction (BCE summed over pixels) + beta * KL",
          reference="vae.vae_loss", frameworks=FRAMEWORKS,
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
        x = _images(rng, n, framework)
        logits = rng.normal(0, 2.0, x.shape).astype(np.float32)
        mu = rng.normal(0, 1.0, (n, d)).astype(np.float32)
        log_var = rng.normal(-0.5, 0.8, (n, d)).astype(np.float32)

        def call(logits_t, mu_t, log_var_t):
            # x is a constant input, as in training: gradients are taken w.r.t. the others
            out = call_unchanged(fn, _plain(x, framework), logits_t, mu_t, log_var_t, beta,
                                 what="vae_loss")
            return _loss_outputs(out, framework)

        outputs, grads = _with_gradients(call, [logits, mu, log_var], framework)
        loss, reconstruction, kl = _scalars(outputs)
        bce = _bce_sum(x, logits)
        expected_rec, expected_kl = bce.mean(), _kl_numpy(mu.astype(np.float64),
                                                          log_var.astype(np.float64)).mean()
        expected = (expected_rec + beta * expected_kl, expected_rec, expected_kl)
        got = (loss, reconstruction, kl)
        if not np.allclose(got, expected, rtol=1e-4, atol=1e-5):
            for order in ((1, 2, 0), (2, 0, 1), (0, 2, 1), (1, 0, 2), (2, 1, 0)):
                if np.allclose(got, [expected[i] for i in order], rtol=1e-4, atol=1e-5):
                    names = ("loss", "reconstruction", "kl")
                    raise NotYet(f"your three values are right but in the order "
                                 f"({', '.join(names[i] for i in order)}); return "
                                 f"(loss, reconstruction, kl).")
        if not np.isclose(reconstruction, expected_rec, rtol=1e-4):
            _diagnose_reconstruction(fn, reconstruction, x, logits, mu, log_var, beta, framework)
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
        missing = [name for name, grad in (("x_logits", grad_logits), ("mu", grad_mu),
                                           ("log_var", grad_log_var)) if grad is None]
        if missing:
            raise NotYet(f"the loss does not pass gradients back to {' and '.join(missing)}: "
                         f"compute it with framework operations (no numpy, .item() or "
                         f".detach()).")
        probs = 1 / (1 + np.exp(-logits.astype(np.float64)))
        if not np.allclose(grad_logits, (probs - x) / n, rtol=1e-3, atol=1e-6):
            raise NotYet("the loss has the right value, but its gradient with respect to the "
                         "logits is not (sigmoid(logits) - x) / N: is part of it computed from "
                         "detached logits (.detach(), stop_gradient, numpy)?")
    _check_vae_loss_as_called(fn, x, logits, mu, log_var, framework)


def _diagnose_reconstruction(fn, reconstruction, x, logits, mu, log_var, beta, framework):
    """NotYet naming the mistake in a wrong reconstruction term."""
    n = len(x)
    bce = _bce_sum(x, logits)
    probs = 1 / (1 + np.exp(-logits.astype(np.float64)))
    binary = (x > 0.5).astype(np.float32)
    mistakes = [
        (bce.mean() / x[0].size, "is the *mean* over pixels; the lesson's convention is the "
                                 "*sum* over the pixels of an image (nats per image)."),
        (bce.sum(), "is summed over the batch too; average over the images instead, so the "
                    "number does not depend on the batch size."),
        (_bce_sum(binary, logits).mean(), "binarises the targets (x > 0.5 or a rounding): the "
                                          "targets are the grey levels of x as they are."),
        (_bce_sum(x, probs).mean(), "applies a sigmoid to the logits and then the *with logits* "
                                    "cross-entropy, which applies its own sigmoid: one sigmoid "
                                    "too many."),
        (-(x * np.log(np.clip(probs, 1e-7, 1))).reshape(n, -1).sum(1).mean(),
         "forgets the (1 - x) * log(1 - p) half of the binary cross-entropy."),
        ((x - probs).reshape(n, -1).__pow__(2).sum(1).mean(),
         "is a squared error; the Bernoulli decoder's loss is the binary cross-entropy."),
    ]
    for wrong, why in mistakes:
        if np.isclose(reconstruction, wrong, rtol=1e-4):
            raise NotYet(f"your reconstruction term {why}")
    # Probe: "logits" that are valid probabilities. An answer that feeds them to a plain
    # (probability) cross-entropy gives that cross-entropy exactly, whatever it clips.
    p = np.random.default_rng(11).uniform(0.05, 0.95, x.shape).astype(np.float32)
    out = call_unchanged(fn, _plain(x, framework), _plain(p, framework),
                         _plain(mu, framework), _plain(log_var, framework), beta, what="vae_loss")
    probe = _scalars(_loss_outputs(out, framework))[1]
    if np.isclose(probe, _bce_probabilities_sum(x, p).mean(), rtol=1e-4):
        raise NotYet("your reconstruction term treats the logits as probabilities: the decoder "
                     "outputs logits, so use the *with logits* cross-entropy ("
                     + ("F.binary_cross_entropy_with_logits" if framework == "torch" else
                        "ops.binary_crossentropy(..., from_logits=True)") + ").")
    raise NotYet(f"your reconstruction term is {reconstruction:.5g}, expected {bce.mean():.5g}: "
                 f"the binary cross-entropy with logits, summed over the pixels of each image "
                 f"and averaged over the images.")


def _check_vae_loss_as_called(fn, x, logits, mu, log_var, framework):
    """beta left out (it defaults to 1.0); Keras: beta a keras.Variable inside a tf.function, as
    the notebook's train_step calls it."""
    args = [_plain(v, framework) for v in (x, logits, mu, log_var)]
    expected_rec = _bce_sum(x, logits).mean()
    expected_kl = _kl_numpy(mu.astype(np.float64), log_var.astype(np.float64)).mean()
    try:
        inspect.signature(fn).bind(*args)
    except TypeError:
        raise NotYet("vae_loss(x, x_logits, mu, log_var) without beta fails: give beta the "
                     "default 1.0, as in the exercise's signature "
                     "vae_loss(x, x_logits, mu, log_var, beta=1.0).") from None
    except ValueError:
        pass  # no signature to read: the call says
    out = call_unchanged(fn, *args, what="vae_loss")
    loss = _scalars(_loss_outputs(out, framework))[0]
    if not np.isclose(loss, expected_rec + expected_kl, rtol=1e-4):
        raise NotYet(f"called without beta, your loss is {loss:.5g}, but beta defaults to 1.0: "
                     f"expected reconstruction + kl = {expected_rec + expected_kl:.5g}. Keep "
                     f"the signature vae_loss(x, x_logits, mu, log_var, beta=1.0).")
    if framework != "keras":
        return
    import keras
    import tensorflow as tf

    beta = keras.Variable(4.0, trainable=False, name="beta")
    traced = tf.function(lambda *a: fn(*a, beta))
    try:
        out = traced(*args)
    except Exception as err:
        raise NotYet(f"vae_loss fails inside Keras' train_step (a tf.function, with beta a "
                     f"keras.Variable, as in the notebook's VAE): {_error_text(err)}. Use "
                     f"keras.ops (or tf) functions throughout; no numpy, float() or "
                     f".numpy().") from None
    loss = _scalars(_loss_outputs(out, framework))[0]
    if not np.isclose(loss, expected_rec + 4.0 * expected_kl, rtol=1e-4):
        raise NotYet(f"with beta a keras.Variable equal to 4 inside a tf.function (as in the "
                     f"notebook's train_step) your loss is {loss:.5g}, expected "
                     f"{expected_rec + 4.0 * expected_kl:.5g}. Multiply the KL by beta itself, "
                     f"whatever its type (a number or a keras.Variable).")


# ---------------------------------------------------------------- build it: the training step
#
# The checker builds its own small dense VAE (16 grey-level images, 3 latent dimensions) whose
# decoder records the code z it is given, and an SGD optimizer (no momentum), so that one step
# moves every weight by exactly -lr * gradient. From the recorded z and the encoder's mu, log_var
# (deterministic, before the step) it recovers the noise eps = (z - mu) / sigma the answer drew,
# and recomputes independently, with that same eps: the loss terms of the batch before the step,
# and the gradient of reconstruction + beta * KL with z = mu + sigma * eps. The answer's returned
# numbers must equal those, and its weight change must equal -lr * that gradient. The sampling
# is random, but once eps is read back the comparison is exact (up to float32 rounding): no
# statistics, no false alarms. Known mistakes are named by recomputing what they would give.

_STEP_N, _STEP_LATENT, _STEP_HIDDEN, _STEP_LR = 16, 3, 12, 0.05
_STEP_TRIALS = ((1.0, 21), (0.0, 22), (4.0, 23))   # (beta, seed): beta 0 and 4 tell whether beta weighs the KL


def _step_model(framework: str):
    """A small VAE with the lesson's interface and a decoder that records its input z."""
    if framework == "torch":
        import torch
        from torch import nn

        from aelab.models.vae_torch import reparameterize

        class RecordingDecoder(nn.Module):
            def __init__(self, net):
                super().__init__()
                self.net, self.calls, self.last_z = net, 0, None

            def forward(self, z, *args, **kwargs):
                self.calls += 1
                self.last_z = z.detach().clone()
                return self.net(z)

        class SmallVAE(nn.Module):
            def __init__(self):
                super().__init__()
                self.latent_dim = _STEP_LATENT
                self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, _STEP_HIDDEN), nn.Tanh())
                self.to_mu = nn.Linear(_STEP_HIDDEN, _STEP_LATENT)
                self.to_log_var = nn.Linear(_STEP_HIDDEN, _STEP_LATENT)
                self.decoder = RecordingDecoder(nn.Sequential(
                    nn.Linear(_STEP_LATENT, _STEP_HIDDEN), nn.Tanh(), nn.Linear(_STEP_HIDDEN, 784),
                    nn.Unflatten(1, (1, 28, 28))))

            def encode(self, x):
                h = self.encoder(x)
                return self.to_mu(h), self.to_log_var(h)

            def forward(self, x):
                mu, log_var = self.encode(x)
                return self.decoder(reparameterize(mu, log_var)), mu, log_var

        model = SmallVAE()
        return model, list(model.parameters())
    import keras
    import tensorflow as tf
    from keras import layers

    from aelab.models.vae_keras import reparameterize

    class RecordingDecoder:
        """Calls the decoder network; records its input in variables (works inside tf.function)."""

        def __init__(self, net):
            self.net = net
            self.calls = tf.Variable(0, trainable=False)
            self.seen = tf.Variable(tf.zeros((_STEP_N, _STEP_LATENT)), trainable=False)

        def __call__(self, z, *args, **kwargs):
            self.calls.assign_add(1)
            self.seen.assign(tf.reshape(tf.cast(z, tf.float32), (_STEP_N, _STEP_LATENT)))
            return self.net(z, training=kwargs.get("training", False))

    class SmallVAE(keras.Model):
        def __init__(self):
            super().__init__()
            images = keras.Input((28, 28, 1))
            h = layers.Dense(_STEP_HIDDEN, activation="tanh")(layers.Flatten()(images))
            self.encoder = keras.Model(images, [layers.Dense(_STEP_LATENT)(h),
                                                layers.Dense(_STEP_LATENT)(h)])
            z = keras.Input((_STEP_LATENT,))
            h = layers.Dense(_STEP_HIDDEN, activation="tanh")(z)
            self.decoder_net = keras.Model(z, layers.Reshape((28, 28, 1))(layers.Dense(784)(h)))
            self.latent_dim = _STEP_LATENT

        def call(self, x, training=False):
            mu, log_var = self.encoder(x, training=training)
            return self.decoder(reparameterize(mu, log_var), training=training), mu, log_var

    model = SmallVAE()
    model.decoder = RecordingDecoder(model.decoder_net)
    return model, list(model.trainable_weights)


def _weights(params, framework: str) -> list[np.ndarray]:
    return [to_numpy(p).astype(np.float64) for p in params] if framework == "keras" else \
        [p.detach().numpy().astype(np.float64) for p in params]


def _set_weights(params, values, framework: str) -> None:
    if framework == "torch":
        import torch

        with torch.no_grad():
            for p, v in zip(params, values):
                p.copy_(torch.tensor(v, dtype=p.dtype))
    else:
        for p, v in zip(params, values):
            p.assign(np.asarray(v, np.float32))


def _decoder_record(model, framework: str) -> tuple[int, np.ndarray | None]:
    if framework == "torch":
        z = model.decoder.last_z
        return model.decoder.calls, None if z is None else z.numpy().astype(np.float64)
    return int(model.decoder.calls.numpy()), model.decoder.seen.numpy().astype(np.float64)


def _reset_record(model, framework: str) -> None:
    if framework == "torch":
        model.decoder.calls, model.decoder.last_z = 0, None
    else:
        model.decoder.calls.assign(0)


def _step_terms(model, params, x, eps, beta, framework: str, *, detach_z=False):
    """With the noise eps fixed: (mu, log_var, logits) as float64 numpy, and the gradient of
    mean BCE + beta * mean KL with respect to every weight (z detached from mu, log_var if asked)."""
    if framework == "torch":
        import torch
        import torch.nn.functional as F

        xt = torch.tensor(x)
        mu, log_var = model.encode(xt)
        z = mu + torch.exp(0.5 * log_var) * torch.tensor(eps, dtype=torch.float32)
        logits = model.decoder.net(z.detach() if detach_z else z)
        rec = F.binary_cross_entropy_with_logits(logits, xt, reduction="none").sum(dim=(1, 2, 3)).mean()
        kl = (0.5 * (mu ** 2 + log_var.exp() - 1 - log_var)).sum(dim=1).mean()
        grads = torch.autograd.grad(rec + beta * kl, params, allow_unused=True)
        grads = [np.zeros(p.shape) if g is None else g.numpy().astype(np.float64)
                 for p, g in zip(params, grads)]
        values = [t.detach().numpy().astype(np.float64) for t in (mu, log_var, logits)]
        return values, grads
    import tensorflow as tf

    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        mu, log_var = model.encoder(xt, training=True)
        z = mu + tf.exp(0.5 * log_var) * tf.constant(eps, tf.float32)
        logits = model.decoder_net(tf.stop_gradient(z) if detach_z else z, training=True)
        rec = tf.reduce_mean(tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
            labels=xt, logits=logits), axis=(1, 2, 3)))
        kl = tf.reduce_mean(tf.reduce_sum(0.5 * (mu ** 2 + tf.exp(log_var) - 1 - log_var), axis=1))
        loss = rec + beta * kl
    grads = tape.gradient(loss, params)
    grads = [np.zeros(p.shape) if g is None else to_numpy(tf.convert_to_tensor(g)).astype(np.float64)
             for p, g in zip(params, grads)]
    return [to_numpy(t).astype(np.float64) for t in (mu, log_var, logits)], grads


def _step_output(out, framework: str) -> list[float]:
    """The three returned values as floats; NotYet for a wrong kind of result."""
    name = "vae_train_step"
    if out is None:
        raise NotYet(f"{name} returned None: the function does not return anything yet (write "
                     f"the step and `return` (loss, reconstruction, kl)).")
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        raise NotYet(f"{name} should return three values, (loss, reconstruction, kl); yours "
                     f"returned {kind_of(out)}.")
    values = []
    for value, what in zip(out, ("loss", "reconstruction", "kl")):
        if value is None:
            raise NotYet(f"the {what} that {name} returns is None; return the three numbers.")
        if framework == "torch" and not isinstance(value, (int, float, np.floating, np.integer)):
            if _is_tensor(value, framework):
                raise NotYet(f"the {what} that {name} returns is a tensor; return plain Python "
                             f"numbers (`.item()`): the training loop adds them up over an epoch, "
                             f"and a tensor would keep the whole batch's computation graph alive.")
            raise NotYet(f"the {what} that {name} returns is {kind_of(value)}; expected a number.")
        array = np.asarray(to_numpy(value), np.float64)
        if array.size != 1:
            raise NotYet(f"the {what} that {name} returns has shape {array.shape}; expected a "
                         f"single number, the average over the images of the batch.")
        values.append(float(_finite(array, f"the {what}").ravel()[0]))
    return values


def _expected_values(x, mu, log_var, logits, beta) -> dict[str, np.ndarray]:
    """(loss, reconstruction, kl) of one forward pass, right and as known mistakes make them."""
    bce = _bce_sum(x, logits)
    kl = _kl_numpy(mu, log_var)
    rec, klm = bce.mean(), kl.mean()
    probs = 1 / (1 + np.exp(-logits))
    binary = (x > 0.5).astype(np.float64)
    return {
        "right": np.array([rec + beta * klm, rec, klm]),
        "summed over the batch": np.array([bce.sum() + beta * kl.sum(), bce.sum(), kl.sum()]),
        "beta ignored": np.array([rec + klm, rec, klm]),
        "KL subtracted": np.array([rec - beta * klm, rec, klm]),
        "KL sign": np.array([rec - beta * klm, rec, -klm]),
        "sigmoid twice": np.array([_bce_sum(x, probs).mean() + beta * klm, _bce_sum(x, probs).mean(), klm]),
        "binarised target": np.array([_bce_sum(binary, logits).mean() + beta * klm,
                                      _bce_sum(binary, logits).mean(), klm]),
        "swapped": np.array([_bce_swapped(x, logits).mean() + beta * klm,
                             _bce_swapped(x, logits).mean(), klm]),
    }


def _bce_swapped(x, logits):
    """BCE with logits with the two arguments swapped: the images as logits, the logits as targets."""
    a = x.reshape(len(x), -1).astype(np.float64)
    t = logits.reshape(len(x), -1).astype(np.float64)
    return (np.maximum(a, 0) - a * t + np.log1p(np.exp(-np.abs(a)))).sum(axis=1)


_VALUE_MISTAKES = {
    "summed over the batch": "are summed over the images of the batch; the lesson's convention is "
                             "the average over the images (nats per image), as your vae_loss "
                             "returns it, so the numbers do not depend on the batch size.",
    "beta ignored": "ignore beta: the loss is reconstruction + kl whatever beta is. Pass beta on "
                    "to the loss: reconstruction + beta * kl.",
    "KL subtracted": "subtract the KL: the negative ELBO *adds* beta * kl to the reconstruction.",
    "KL sign": "have the KL with the wrong sign: the KL is never negative, and the loss adds "
               "beta * kl.",
    "sigmoid twice": "apply a sigmoid to the decoder's output before the *with logits* "
                     "cross-entropy, which applies its own: one sigmoid too many. Give vae_loss "
                     "the decoder's logits as they are.",
    "binarised target": "compare the reconstruction with binarised images: the target is the "
                        "grey-level images as they are.",
    "swapped": "compare the wrong things: the images are taken as the logits and the logits as "
               "the target. The order is vae_loss(images, logits, mu, log_var, beta).",
}


def _name_value_mistake(got, candidates, values_after) -> None:
    names = ("loss", "reconstruction", "kl")
    right = candidates["right"]
    close = lambda a, b: np.allclose(a, b, rtol=2e-4, atol=1e-4)  # noqa: E731
    if close(got, right):
        return
    for order in ((1, 2, 0), (2, 0, 1), (0, 2, 1), (1, 0, 2), (2, 1, 0)):
        if close(got, right[list(order)]):
            raise NotYet(f"your three values are right but in the order "
                         f"({', '.join(names[i] for i in order)}); return "
                         f"(loss, reconstruction, kl).")
    for key, why in _VALUE_MISTAKES.items():
        if close(got, candidates[key]):
            raise NotYet(f"the values your step returns {why}")
    if values_after is not None and close(got, values_after):
        raise NotYet("your step returns the loss terms of the batch *after* the optimizer step; "
                     "return those of the forward pass the step was computed from (before it).")
    wrong = [i for i in range(3) if not np.isclose(got[i], right[i], rtol=2e-4, atol=1e-4)]
    i = wrong[0]
    raise NotYet(f"your step returns {names[i]} = {got[i]:.5g}, but for this batch and the z "
                 f"your step sampled (before the step) it is {right[i]:.5g}: return the "
                 f"(loss, reconstruction, kl) that vae_loss gives for the forward pass you "
                 f"trained on.")


def _update_matches(delta, expected_delta, before) -> bool:
    for d, e, w in zip(delta, expected_delta, before):
        tol = 2e-3 * np.linalg.norm(e) + 2e-6 * np.sqrt(w.size) * (np.abs(w).max() + 1e-3)
        if np.linalg.norm(d - e) > tol:
            return False
    return True


def _one_step(fn, framework: str, beta: float, seed: int, *, traced: bool = False) -> np.ndarray:
    """Run the answer once on a fresh small VAE; judge its numbers and its update. Returns the
    noise eps it drew (recovered from the decoder's input)."""
    rng = np.random.default_rng(seed)
    x = _images(rng, _STEP_N, framework)
    model, params = _step_model(framework)
    before = _weights(params, framework)
    stale = None
    if framework == "torch":
        import torch

        optimizer = torch.optim.SGD(params, lr=_STEP_LR)
        steps = []
        optimizer.register_step_post_hook(lambda *args: steps.append(1))
        # gradients a previous batch left behind: a step that does not clear them adds them in
        _, probe = _step_terms(model, params, x, rng.standard_normal((_STEP_N, _STEP_LATENT)), 1.0,
                               framework)
        stale = [rng.standard_normal(g.shape) * (np.sqrt(np.mean(g ** 2)) + 1e-3) for g in probe]
        for p, g in zip(params, stale):
            p.grad = torch.tensor(g, dtype=p.dtype)
        images = torch.tensor(x)
        out = call_unchanged(fn, model, optimizer, images, beta, what="vae_train_step")
        n_steps = len(steps)
    else:
        import keras
        import tensorflow as tf

        optimizer = keras.optimizers.SGD(learning_rate=_STEP_LR)
        optimizer.build(params)
        images = tf.constant(x)
        if traced:
            beta_variable = keras.Variable(beta, trainable=False, name="beta")
            step = tf.function(lambda batch: fn(model, optimizer, batch, beta_variable))
            try:
                out = step(images)
            except NotYet:
                raise
            except Exception as err:
                raise NotYet(f"vae_train_step fails inside Keras' train_step (a tf.function, with "
                             f"beta a keras.Variable, as fit runs it): {_error_text(err)}. Use "
                             f"TensorFlow / keras.ops operations throughout and return the "
                             f"tensors; no numpy, float() or .numpy().") from None
        else:
            out = call_unchanged(fn, model, optimizer, images, beta, what="vae_train_step")
        n_steps = int(optimizer.iterations.numpy())
    got = np.array(_step_output(out, framework))
    calls, z = _decoder_record(model, framework)
    after = _weights(params, framework)
    stepper = "optimizer.step()" if framework == "torch" else "optimizer.apply(gradients, weights)"
    if n_steps == 0:
        raise NotYet(f"no optimizer step happened: the weights must change once per call. After "
                     f"computing the gradients, call {stepper}.")
    if n_steps > 1:
        raise NotYet(f"your step called the optimizer {n_steps} times for one batch; one "
                     f"training step is one optimizer step.")
    if calls == 0:
        raise NotYet("the decoder was never called: decode the sampled z with model.decoder "
                     "(the model's own decoder, so its weights are the ones trained).")
    if calls > 1:
        raise NotYet(f"the decoder ran {calls} times in one step; decode one sample z per image, "
                     f"once, and compute the loss and its gradients from that one forward pass.")
    # the noise the answer drew, read back from the decoder's input
    _set_weights(params, before, framework)
    (mu, log_var, _), _ = _step_terms(model, params, x, np.zeros((_STEP_N, _STEP_LATENT)), beta,
                                      framework)
    sigma = np.exp(0.5 * log_var)
    if np.allclose(z, mu, rtol=1e-6, atol=1e-7):
        raise NotYet("the decoder was given z = mu: no noise is drawn, so this is a plain "
                     "autoencoder. Sample z with your reparameterize(mu, log_var).")
    eps = (z - mu) / sigma
    (_, _, logits), grads = _step_terms(model, params, x, eps, beta, framework)
    candidates = _expected_values(x, mu, log_var, logits, beta)
    _set_weights(params, after, framework)
    (mu1, log_var1, logits1), _ = _step_terms(model, params, x, eps, beta, framework)
    values_after = _expected_values(x, mu1, log_var1, logits1, beta)["right"]
    _name_value_mistake(got, candidates, values_after)
    delta = [a - b for a, b in zip(after, before)]
    expected = [-_STEP_LR * g for g in grads]
    if _update_matches(delta, expected, before):
        return eps
    if all(np.allclose(d, 0) for d in delta):
        raise NotYet("the optimizer stepped but no weight changed: its gradients were zero or "
                     "missing at the step. Compute the gradients of the loss before the step "
                     + ("(zero_grad() before backward(), not between backward() and step())."
                        if framework == "torch" else "(tape.gradient(loss, weights))."))
    if stale is not None and _update_matches(delta, [e - _STEP_LR * s for e, s in zip(expected, stale)],
                                             before):
        raise NotYet("the step added this batch's gradients to the ones already in .grad when it "
                     "started (left by an earlier backward(), e.g. the previous batch's): PyTorch "
                     "accumulates gradients until you clear them. Call optimizer.zero_grad() "
                     "before loss.backward().")
    if _update_matches(delta, [_STEP_N * e for e in expected], before):
        raise NotYet("the update is N times too large: the loss you differentiate is summed "
                     "over the images of the batch; average it over the images, as vae_loss does.")
    _set_weights(params, before, framework)
    _, detached = _step_terms(model, params, x, eps, beta, framework, detach_z=True)
    _set_weights(params, after, framework)
    if _update_matches(delta, [-_STEP_LR * g for g in detached], before):
        how = ("torch.no_grad(), .detach(), numpy" if framework == "torch" else
               "outside the GradientTape, tf.stop_gradient, numpy")
        raise NotYet(f"no gradient flows from the reconstruction back to the encoder through z: "
                     f"z is sampled outside the graph ({how}, or noise that does not use mu and "
                     f"log_var), so the encoder learns only from the KL term and never learns to "
                     f"describe the image. Sample z = mu + sigma * eps with your reparameterize, "
                     f"from the encoder's own outputs, where the gradient is recorded.")
    raise NotYet("the weights did not move by one gradient step on the loss your step returns: "
                 "compute the loss from this forward pass (reconstruction + beta * kl, averaged "
                 "over the images), its gradients with respect to all the model's weights, then "
                 "one optimizer step.")


@exercise("05.vae_train_step", title="build it: one training step of the VAE",
          reference="vae.vae_train_step", frameworks=FRAMEWORKS,
          hint="Three parts: the forward pass (the encoder's mu and log_var, a sample z drawn "
               "through them with your reparameterize, the decoder's logits), the loss (your "
               "vae_loss with beta), and one optimizer step on its gradients. Return the three "
               "loss terms of that forward pass.",
          answer={"torch": "`mu, log_var = model.encode(images)`; `z = reparameterize(mu, "
                           "log_var)`; `loss, reconstruction, kl = vae_loss(images, "
                           "model.decoder(z), mu, log_var, beta)`; `optimizer.zero_grad()`; "
                           "`loss.backward()`; `optimizer.step()`; `return loss.item(), "
                           "reconstruction.item(), kl.item()`.",
                  "keras": "`with tf.GradientTape() as tape:` `mu, log_var = "
                           "model.encoder(images, training=True)`; `z = reparameterize(mu, "
                           "log_var)`; `loss, reconstruction, kl = vae_loss(images, "
                           "model.decoder(z, training=True), mu, log_var, beta)`. Then "
                           "`gradients = tape.gradient(loss, model.trainable_weights)`; "
                           "`optimizer.apply(gradients, model.trainable_weights)`; `return loss, "
                           "reconstruction, kl`."})
def _check_vae_train_step(fn, framework):
    """Three calls on fresh small VAEs, beta = 1, 0 and 4 (Keras: then the same inside a
    tf.function with beta a keras.Variable, as fit runs it); each judged exactly by
    :func:`_one_step`. Then the noise the answer drew over all calls must look like eps ~ N(0, 1):
    mean within 0.5 and standard deviation within 0.6-1.4 over 144 numbers (6 and 7 standard
    errors: a correct answer fails with probability below 1e-8)."""
    draws = [_one_step(fn, framework, beta, seed) for beta, seed in _STEP_TRIALS]
    if framework == "keras":
        draws.append(_one_step(fn, framework, 4.0, 24, traced=True))
    eps = np.concatenate([d.ravel() for d in draws[:3]])
    if abs(eps.mean()) > 0.5 or not 0.6 < eps.std() < 1.4:
        raise NotYet(f"the decoder's inputs z are not mu + sigma * eps with eps ~ N(0, 1): the "
                     f"recovered eps has mean {eps.mean():.2f} and standard deviation "
                     f"{eps.std():.2f}. Sample z with your reparameterize(mu, log_var).")
