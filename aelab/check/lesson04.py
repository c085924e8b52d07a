"""Checkers for lesson 04 (denoising autoencoders): corruptions, training pairs and PSNR.

The corruptions are random, so their checkers test what must hold for *any* correct answer
rather than comparing with one particular draw:

- exact properties: shape, range, pixels left alone, whole squares, ``rng`` reproducibility;
- independence where the lesson promises it (per pixel, per image, per square, per call): the
  noise of two halves of the batch, of the top and bottom halves of the images, of the left and
  right halves, of neighbouring pixels and of two calls with different generators must be
  unrelated (Pearson's correlation for Gaussian noise, with its exact t distribution; Fisher's
  exact test for which pixels or squares are hit);
- the marginal law: exact binomial tests for fractions, chi-square tests for variances,
  Kolmogorov-Smirnov for the Gaussian shape, and homogeneity across images and pixel positions.

False alarms: every statistical test rejects a correct answer with probability at most
``ALPHA`` = 1e-10 (Bonferroni-corrected where one test looks at many images or positions), and a
checker makes fewer than 40 such tests, so a correct answer is rejected with probability below
4e-9 per check. ``benchmarks/lesson04_false_alarms.py`` runs correct answers over many checker
seeds and prints the smallest corrected p-value each test saw. The wrong answers these tests
catch give p-values many orders of magnitude below ``ALPHA`` (see ``tests/test_check_lesson04.py``).

The checkers call the student's function the way the notebook does (positional arguments,
``block`` and ``data_range`` left to their defaults) as well as with explicit arguments, always
through :func:`call_unchanged`, so an answer that changes the caller's arrays in place is told so.
"""

from __future__ import annotations

import inspect

import numpy as np
from scipy import stats

from .. import metrics
from ..noise import block_mask, gaussian_noise, salt_and_pepper
from . import NotYet, answer_array, call_unchanged, exercise, expect_close, kind_of, to_numpy


def make_denoising_pair_reference(clean, corrupt, level, rng):
    """(corrupt(clean, level, rng), clean): the network's input is corrupted, its target is not."""
    return corrupt(clean, level, rng), clean


def compute_psnr_reference(clean, estimate, data_range=1.0):
    """PSNR in dB of each image, 10·log10(data_range² / MSE), averaged over the images."""
    return metrics.psnr(clean, estimate, data_range=data_range)


# --------------------------------------------------------------------------- statistics

ALPHA = 1e-10
"""Largest probability with which one statistical test may reject a correct answer."""

_P_LOG: dict | None = None
"""When a dict (set by the false-alarm benchmark): test name -> smallest corrected log10 p seen."""

_LOG_ALPHA = np.log(ALPHA)

# The p-value helpers return natural logarithms of p-values, so that the extreme values of
# clearly wrong answers stay comparable (see _most_significant) instead of underflowing to 0.


def _two_sided(log_lower, log_upper):
    return np.minimum(0.0, np.log(2) + np.minimum(log_lower, log_upper))


def _corrected(log_p) -> tuple[int, float]:
    """(index of the smallest log p, its Bonferroni-corrected value for the number of tests)."""
    log_p = np.atleast_1d(np.asarray(log_p, dtype=np.float64)).ravel()
    i = int(np.argmin(log_p))
    return i, min(0.0, float(log_p[i]) + np.log(log_p.size))


def _significant(name: str, log_p) -> int | None:
    """Index of the smallest of the p-values ``exp(log_p)`` if, Bonferroni-corrected for their
    number, it is below ALPHA (then very unlikely for a correct answer), else None."""
    i, corrected = _corrected(log_p)
    if _P_LOG is not None:
        _P_LOG[name] = min(_P_LOG.get(name, 0.0), corrected / np.log(10))
    return i if corrected < _LOG_ALPHA else None


def _most_significant(tests) -> str | None:
    """The message of the most significant failing test, else None. ``tests`` are
    (name, log p-values, message(i)): with several structures at once (a shared pattern also
    makes groups uneven), the clearest one names the mistake."""
    failing = []
    for name, log_p, message in tests:
        i = _significant(name, log_p)
        if i is not None:
            failing.append((_corrected(log_p)[1], message(i)))
    return min(failing, key=lambda f: f[0])[1] if failing else None


def _binomial_logp(k, n, p):
    """Exact two-sided p-value (twice the smaller tail) of k successes in n Bernoulli(p) trials."""
    k = np.asarray(k)
    return _two_sided(stats.binom.logcdf(k, n, p), stats.binom.logsf(k - 1, n, p))


def _chi2_logp(sum_of_squares, df):
    """Two-sided p-value of a sum of ``df`` squared standard normals (exact chi-square law)."""
    return _two_sided(stats.chi2.logcdf(sum_of_squares, df), stats.chi2.logsf(sum_of_squares, df))


def _together_logp(a, b) -> float:
    """One-sided p-value of Fisher's exact test that boolean arrays ``a`` and ``b`` (paired element
    by element) are True together more often than independent draws would be."""
    a, b = np.asarray(a, bool).ravel(), np.asarray(b, bool).ravel()
    total, na, nb = a.size, int(a.sum()), int(b.sum())
    if na in (0, total) or nb in (0, total):
        return 0.0
    both = int(np.count_nonzero(a & b))
    return float(stats.hypergeom.logsf(both - 1, total, na, nb))


def _share_logp(parts, df: int):
    """Two-sided p-values that each of ``parts`` (sums of ``df`` squared independent N(0, s²)
    values, all with the same unknown s) has its share of the total: part / total ~
    Beta(df / 2, (total df - df) / 2) exactly, whatever s is."""
    parts = np.asarray(parts, np.float64)
    share = parts / parts.sum()
    a, b = df / 2, (parts.size - 1) * df / 2
    return _two_sided(stats.beta.logcdf(share, a, b), stats.beta.logsf(share, a, b))


def _spread_logp(counts, size: int):
    """Two-sided p-values that each group of ``size`` Bernoulli trials has its share of all the
    successes: given their total, a group's count is hypergeometric, whatever the probability."""
    counts = np.asarray(counts)
    total, successes = counts.size * size, int(counts.sum())
    return _two_sided(stats.hypergeom.logcdf(counts, total, successes, size),
                      stats.hypergeom.logsf(counts - 1, total, successes, size))


def _correlation(x, y) -> tuple[float, float]:
    """Pearson's r of paired samples and its two-sided log p-value (exact for independent
    normals: r sqrt((n - 2) / (1 - r²)) follows Student's t with n - 2 degrees of freedom)."""
    x = np.asarray(x, np.float64).ravel()
    y = np.asarray(y, np.float64).ravel()
    x, y = x - x.mean(), y - y.mean()
    norm = np.sqrt((x @ x) * (y @ y))
    if norm == 0:
        return 0.0, 0.0
    r = float(np.clip((x @ y) / norm, -1.0, 1.0))
    if abs(r) == 1.0:
        return r, -np.inf
    n = x.size
    t = r * np.sqrt((n - 2) / (1 - r * r))
    return r, float(min(0.0, np.log(2) + stats.t.logsf(abs(t), n - 2)))


def _log(p) -> float:
    with np.errstate(divide="ignore"):
        return float(np.log(p))


# --------------------------------------------------------------------------- helpers

def _rng(seed, call: int = 0) -> np.random.Generator:
    """The checker's generator number ``call`` for checker seed ``seed`` (never the same stream as
    a student's ``np.random.default_rng(k)``: SeedSequence ignores trailing zeros only)."""
    return np.random.default_rng([seed, call, 404])


def _output(got, like: np.ndarray, what: str, label: str | None = None) -> np.ndarray:
    """The student's corrupted images as a float array of the input's shape, or NotYet.
    ``what`` names the function ("X returned shape ..."), ``label`` the value ("the result of X")."""
    arr = answer_array(got, name=label or f"the result of {what}", returns="the corrupted images")
    if arr.shape != like.shape:
        raise NotYet(f"{what} returned shape {arr.shape}, expected {like.shape} (the same shape "
                     f"as the images you were given).")
    if not np.issubdtype(arr.dtype, np.floating):
        raise NotYet(f"{what} returned dtype {arr.dtype}; expected floating-point grey levels "
                     f"in [0, 1].")
    if not np.all(np.isfinite(arr)):
        raise NotYet(f"{what} returned NaN or infinite values.")
    return arr.astype(np.float64)


def _corrupted(fn, what: str, seed):
    """``corrupted(images, level, call, **kwargs)``: the student's corruption ``fn(images, level,
    rng, **kwargs)`` called with the checker's generator number ``call`` (see :func:`_rng`),
    through :func:`call_unchanged`, its result checked by :func:`_output`."""

    def corrupted(images, level, call, **kwargs):
        got = call_unchanged(fn, images, level, _rng(seed, call), what=what, **kwargs)
        return _output(got, images, what)

    return corrupted


def _require_keyword(fn, what: str, positional: int, name: str, value, role: str) -> None:
    """NotYet when ``fn`` cannot be called with ``positional`` arguments and ``name=value``."""
    try:
        inspect.signature(fn).bind(*[None] * positional, **{name: value})
    except TypeError:
        raise NotYet(f"{what} should accept `{name}=` ({role}), as in the exercise's "
                     f"`def` line.") from None
    except ValueError:
        pass  # no signature to inspect (a builtin): the call itself will tell


def _check_uses_rng(call, what: str) -> list[np.ndarray]:
    """Same generator seed -> same result; three different seeds -> three different results.
    ``call(k)`` runs the student's function with the checker's k-th generator. Returns the
    results for the three different seeds."""
    a, b = call(0), call(0)
    if not np.array_equal(a, b):
        raise NotYet(f"{what} gave two different results for two generators with the same seed. "
                     f"Draw all randomness from the `rng` argument (e.g. `rng.normal(...)`, "
                     f"`rng.random(...)`), not from `np.random.*`, so results are reproducible.")
    results = [a, call(1), call(2)]
    if any(np.array_equal(results[i], results[j]) for i, j in ((0, 1), (0, 2), (1, 2))):
        raise NotYet(f"{what} gave the same result for generators with different seeds: the "
                     f"corruption must be random, drawn from the `rng` you are given (a generator "
                     f"made inside the function, e.g. `np.random.default_rng(0)`, repeats the same "
                     f"draw on every call).")
    return results


_SAME_ON_EVERY_CALL = ("on every call (a generator made inside the function, such as "
                       "`np.random.default_rng(0)`, or noise drawn once and kept). Draw everything "
                       "from the `rng` you are given, on every call.")


def _grey(n=64, value=0.5, side=28) -> np.ndarray:
    return np.full((n, side, side), value, dtype=np.float32)


def _digits_like(n=16, seed=5) -> np.ndarray:
    """Stand-in images with distinct values in (0.05, 0.95), none exactly 0, 0.5 or 1."""
    images = (0.05 + 0.9 * np.random.default_rng(seed).random((n, 28, 28))).astype(np.float32)
    images[images == 0.5] = 0.45
    return images


def _halves(field: np.ndarray):
    """(name, a, b, message) for the pairs of parts of an (N, H, W) field that must be unrelated:
    the two halves of the batch, top and bottom, left and right, even and odd columns and rows."""
    n, h, w = field.shape
    return [
        ("images", field[:n // 2], field[n // 2:2 * (n // 2)],
         f"the same pixel of image i and of image i + {n // 2} of the batch"),
        ("rows", field[:, :h // 2], field[:, h // 2:2 * (h // 2)],
         f"a pixel and the pixel {h // 2} rows below it"),
        ("columns", field[:, :, :w // 2], field[:, :, w // 2:2 * (w // 2)],
         f"a pixel and the pixel {w // 2} columns to its right"),
        ("neighbour columns", field[:, :, 0:w - 1:2], field[:, :, 1::2],
         "neighbouring pixels (columns 2j and 2j + 1)"),
        ("neighbour rows", field[:, 0:h - 1:2], field[:, 1::2],
         "neighbouring pixels (rows 2i and 2i + 1)"),
    ]


# --------------------------------------------------------------------------- Gaussian noise

@exercise("04.add_gaussian_noise",
          title="additive Gaussian noise of standard deviation sigma, clipped to [0, 1]",
          reference=gaussian_noise,
          hint="Draw one standard normal number per pixel from `rng` (not from the global random "
               "state), scale them to standard deviation `sigma`, add them to the images, and "
               "make sure the result is still an image: every value in [0, 1].",
          answer="`noisy = images + sigma * rng.standard_normal(images.shape)`, then `return "
                 "np.clip(noisy, 0.0, 1.0)`.")
def _check_gaussian(fn, framework, seed=0):
    what = "add_gaussian_noise"
    noisy = _corrupted(fn, what, seed)

    # 1. sigma = 0 changes nothing.
    images = _digits_like()
    out = noisy(images, 0.0, 10)
    if not np.allclose(out, images, atol=1e-6):
        raise NotYet(f"with sigma = 0 {what} should return the images unchanged; it changed them "
                     f"by up to {np.abs(out - images).max():.3g}.")
    # 2. Valid grey levels: clipping, on black, white and digit-like images, in the layouts the
    #    notebook uses ((N, 28, 28), and one image (1, 28, 28) in the noise widget).
    low, high = np.inf, -np.inf
    for k, images in enumerate((_grey(16, 0.0), _grey(16, 1.0), _digits_like(8)[..., None],
                                _digits_like(1))):
        out = noisy(images, 0.3, 11 + k)
        low, high = min(low, out.min()), max(high, out.max())
    if low < -1e-6 and high > 1 + 1e-6:
        raise NotYet(f"the noisy images have values from {low:.3g} to {high:.3g}: the noise is not "
                     f"clipped. Grey levels must stay in [0, 1] (`np.clip(noisy, 0, 1)`).")
    if low < -1e-6:
        raise NotYet(f"the noisy images go down to {low:.3g}: you keep them at most 1 but do not "
                     f"clip at 0. Clip both ends: `np.clip(noisy, 0, 1)`.")
    if high > 1 + 1e-6:
        raise NotYet(f"the noisy images go up to {high:.3g}: you keep them at least 0 but do not "
                     f"clip at 1. Clip both ends: `np.clip(noisy, 0, 1)`.")
    # 3. On mid-grey images (no clipping within 10 sigma) the noise z must be independent
    #    N(0, sigma^2) values, one per pixel of every image.
    sigma = 0.05
    images = _grey(64, 0.5)
    n = len(images)
    z = (noisy(images, sigma, 0) - 0.5) / sigma
    if np.all(z == 0):
        raise NotYet(f"{what} returned mid-grey images unchanged: no noise was added.")
    silent = np.all(z == 0, axis=(1, 2))
    if silent.any():
        raise NotYet(f"{silent.sum()} of the {n} images came back without any noise (e.g. image "
                     f"{int(np.argmax(silent))}): every image of the batch must get noise.")
    silent = np.all(z == 0, axis=0)
    if silent.any():
        r, c = np.argwhere(silent)[0]
        raise NotYet(f"the pixels at {silent.sum()} of the 784 positions (e.g. row {r}, column "
                     f"{c}) get no noise in any image: add noise to every pixel.")
    if np.all(np.ptp(z.reshape(n, -1), axis=1) == 0):
        raise NotYet("every pixel of an image gets the same noise value: draw one independent "
                     "noise value per pixel (`rng.standard_normal(images.shape)`).")
    # Shared or smoothed noise (correlated halves) and uneven noise (per image or position):
    # each makes the other kind of test fail too, so the most significant one is reported.
    mean, std = float(z.mean()), float(z.std())
    per_image, per_position = np.sum(z * z, axis=(1, 2)), np.sum(z * z, axis=0).ravel()

    def correlated(r, pair):
        return lambda i: (f"the noise of {pair} is correlated (correlation {r:.2f}; independent "
                          f"noise gives about 0): the same noise is reused or smoothed. Draw a "
                          f"fresh value for every pixel of every image, with one call of size "
                          f"`images.shape`.")
    tests = []
    for name, a, b, pair in _halves(z):
        r, log_p = _correlation(a, b)
        tests.append((f"gaussian: {name}", log_p, correlated(r, pair)))
    tests.append(("gaussian: per image", _share_logp(per_image, z[0].size), lambda i: (
        f"the images get noise of different strengths: image {i} of the batch has noise of "
        f"standard deviation {np.sqrt(per_image[i] / z[0].size) * sigma:.3g}, the whole batch "
        f"{std * sigma:.3g}; every image should get the same sigma = {sigma}.")))
    tests.append(("gaussian: per position", _share_logp(per_position, n), lambda i: (
        f"pixels at different positions get noise of different strengths: at row "
        f"{i // z.shape[2]}, column {i % z.shape[2]} the noise has standard deviation "
        f"{np.sqrt(per_position[i] / n) * sigma:.3g} over the batch, the whole batch "
        f"{std * sigma:.3g}; every pixel should get the same sigma = {sigma}.")))
    message = _most_significant(tests)
    if message:
        raise NotYet(message)
    mean_logp = np.log(2) + stats.norm.logsf(abs(mean) * np.sqrt(z.size))
    if _significant("gaussian: mean", mean_logp) is not None:
        more = (" Your noise is never negative: do not take its absolute value." if z.min() >= 0
                else "")
        raise NotYet(f"on mid-grey images the noise has mean {mean * sigma:.3g}; it should have "
                     f"mean 0 (a zero-mean Gaussian).{more}")
    if _significant("gaussian: variance", _chi2_logp(np.sum(z * z), z.size)) is not None:
        got = std * sigma
        more = ""
        if abs(got - sigma ** 2) < 0.1 * sigma ** 2:
            more = " It looks like you used sigma² (the variance) as the scale."
        elif abs(got - np.sqrt(sigma)) < 0.1 * np.sqrt(sigma):
            more = " It looks like you used √sigma as the scale."
        elif abs(got - 0.5 * sigma) < 0.05 * sigma:
            more = (" It is half the expected value: is the noise multiplied by the image "
                    "(0.5 here) instead of added?")
        raise NotYet(f"on mid-grey images with sigma = {sigma} the noise has standard deviation "
                     f"{got:.3g}, expected {sigma}.{more} `sigma` is the standard deviation.")
    ks = stats.kstest(z[:16].ravel(), "norm")  # 12,544 values are plenty for the shape
    if _significant("gaussian: Kolmogorov-Smirnov", _log(ks.pvalue)) is not None:
        raise NotYet(f"the noise does not look Gaussian (Kolmogorov-Smirnov distance "
                     f"{ks.statistic:.3f} from a normal distribution): use `rng.normal` or "
                     f"`rng.standard_normal`, not `rng.random` / `rng.uniform`.")
    # 4. On black images, clipping (not reflecting) gives each pixel a 1/2 chance to stay 0, and
    #    a mean of E[max(0, sigma z)] = sigma / sqrt(2 pi). The mean is a 1-Lipschitz function of
    #    Gaussian noise: P(|error| > 0.01) <= 2 exp(-N 0.01² / (2 sigma²)) < 2e-12 for N = 50,176.
    out = noisy(_grey(64, 0.0), 0.3, 20)
    zeros = int(np.count_nonzero(out == 0))
    if _significant("gaussian: zeros on black", _binomial_logp(zeros, out.size, 0.5)) is not None:
        raise NotYet(f"on black images with sigma = 0.3, {zeros / out.size:.1%} of the noisy "
                     f"pixels are exactly 0; expected about half (every negative value clipped to "
                     f"0). Clip with `np.clip(noisy, 0, 1)`; do not take absolute values or "
                     f"rescale.")
    expected_mean = 0.3 / np.sqrt(2 * np.pi)
    if abs(out.mean() - expected_mean) > 0.01:
        raise NotYet(f"on black images with sigma = 0.3 the noisy pixels average {out.mean():.3g}, "
                     f"expected {expected_mean:.3g} for Gaussian noise clipped at 0.")
    # 5. The rng: reproducible, and independent from one call (generator) to the next.
    fields = _check_uses_rng(lambda k: (noisy(images, sigma, k) - 0.5) / sigma, what)
    for j, (a, b) in enumerate(((fields[0], fields[1]), (fields[0], fields[2]))):
        r, log_p = _correlation(a, b)
        if _significant(f"gaussian: calls {j}", log_p) is not None:
            raise NotYet(f"two calls with differently seeded generators gave correlated noise "
                         f"(correlation {r:.2f}): part of the noise is the same "
                         + _SAME_ON_EVERY_CALL)


# --------------------------------------------------------------------------- salt and pepper

@exercise("04.add_salt_and_pepper",
          title="salt-and-pepper noise: a fraction `amount` of pixels set to 0 or 1",
          reference=salt_and_pepper,
          hint="Two random decisions per pixel, both drawn from `rng`: whether the pixel is hit "
               "(with probability `amount`), and, if it is, black or white (half each). Every "
               "pixel that is not hit keeps its value exactly.",
          answer="`hit = rng.random(images.shape) < amount`; `white = rng.random(images.shape) < "
                 "0.5`; `return np.where(hit, white, images).astype(np.float32)`.")
def _check_salt_and_pepper(fn, framework, seed=0):
    what = "add_salt_and_pepper"
    noisy = _corrupted(fn, what, seed)

    images = _digits_like(64)  # 50,176 pixels, none of them 0, 0.5 or 1
    clean = images.astype(np.float64)
    n = len(images)
    out = noisy(images, 0.0, 10)
    if not np.array_equal(out, clean):
        raise NotYet(f"with amount = 0 {what} should return the images unchanged; "
                     f"{np.mean(out != clean):.1%} of the pixels changed.")
    # 1. What a replaced pixel becomes: exactly 0 or 1, whatever it was.
    results = {}
    for amount, call in ((0.3, 0), (0.1, 11), (0.6, 12), (1.0, 13)):
        out = results[amount] = noisy(images, amount, call)
        changed = out != clean
        if not changed.any():
            raise NotYet(f"with amount = {amount} no pixel changed.")
        odd = changed & (out != 0.0) & (out != 1.0)
        if odd.any():
            if np.allclose(out[odd], 1.0 - clean[odd], atol=1e-6):
                raise NotYet("the pixels you change become 1 - x: you invert them. Salt and "
                             "pepper sets a hit pixel to exactly 1 (white) or 0 (black), whatever "
                             "its grey level was.")
            if out.min() < 0 or out.max() > 1:
                raise NotYet(f"some pixels became {out.min() if out.min() < 0 else out.max():.3g}, "
                             f"outside [0, 1]: a hit pixel must be *set* to exactly 0 (pepper) or "
                             f"1 (salt), not shifted.")
            i = tuple(np.argwhere(odd)[0])
            raise NotYet(f"changed pixels should become exactly 0 (pepper) or 1 (salt); a pixel "
                         f"of grey level {clean[i]:.3g} became {out[i]:.3g}.")
    # 2. Independence: which pixels are hit, and salt or pepper, per pixel of every image.
    out = results[0.3]
    hit, salt = out != clean, out == 1.0
    per_image = hit.reshape(n, -1).mean(axis=1)
    if np.all((per_image == 0) | (per_image == 1)):
        raise NotYet("whole images are either replaced entirely or left alone: `amount` is the "
                     "probability for every *pixel* (`rng.random(images.shape) < amount`), not for "
                     "an image.")
    # Uneven chances (per image, row or column: given the number of hits, each group's count is
    # hypergeometric whatever the probability of a hit) and shared draws (halves hit together):
    # each makes the other kind of test fail too, so the most significant one is reported.
    rate = hit.mean()

    def uneven(counts, size, where):
        return lambda i: (f"with amount = 0.3, {counts[i]} of the {size} pixels of {where(i)} are "
                          f"replaced ({counts[i] / size:.0%}), while the batch has {rate:.0%} of "
                          f"its pixels replaced: every pixel of every image must be hit with the "
                          f"same probability `amount`.")
    tests = []
    for name, counts, size, where in (
            ("image", hit.reshape(n, -1).sum(axis=1), hit[0].size, "images of the batch"),
            ("row", hit.sum(axis=(0, 2)), n * 28, "rows of the images"),
            ("column", hit.sum(axis=(0, 1)), n * 28, "columns of the images")):
        log_p = _spread_logp(counts, size)
        # Groups never hit at all (part of the batch or of the images left out) come first.
        if np.any(counts == 0) and _corrected(log_p[counts == 0])[1] + np.log(
                counts.size / np.sum(counts == 0)) < _LOG_ALPHA:
            _significant(f"salt and pepper: per {name}", log_p)
            raise NotYet(f"with amount = 0.3, {np.sum(counts == 0)} of the {counts.size} {where} "
                         f"have no pixel replaced at all (e.g. {name} "
                         f"{int(np.argmax(counts == 0))}), while the batch has {rate:.0%} of its "
                         f"pixels replaced: every pixel of every image must be hit with the same "
                         f"probability `amount`.")
        tests.append((f"salt and pepper: per {name}", log_p,
                      uneven(counts, size, lambda i, name=name: f"{name} {i} of the "
                             + ("batch" if name == "image" else "images"))))
    for name, a, b, pair in _halves(hit):
        tests.append((f"salt and pepper: hits, {name}", _together_logp(a, b),
                      lambda i, pair=pair: (
                          f"{pair} are hit together far more often than chance: decide for "
                          f"every pixel of every image separately, with one draw of shape "
                          f"`images.shape`.")))
    message = _most_significant(tests)
    if message:
        raise NotYet(message)
    message = _most_significant([
        (f"salt and pepper: salt, {name}", _together_logp(a[hit_a & hit_b], b[hit_a & hit_b]),
         lambda i, pair=pair: (
             f"when {pair} are both hit, they become the same colour (both white or both black) "
             f"far more often than chance: choose black or white for every hit pixel "
             f"separately, with a draw of shape `images.shape`."))
        for (name, hit_a, hit_b, pair), (_, a, b, _) in zip(_halves(hit), _halves(salt))])
    if message:
        raise NotYet(message)
    # 3. How many pixels are hit, and how many of them become white.
    for amount in (0.3, 0.1, 0.6):
        changed = results[amount] != clean
        k = int(changed.sum())
        if _significant(f"salt and pepper: fraction {amount}",
                        _binomial_logp(k, changed.size, amount)) is not None:
            fraction = k / changed.size

            def near(p):
                return _binomial_logp(k, changed.size, p) > np.log(1e-6)
            more = ""
            if near(1 - (1 - amount / 2) ** 2):
                more = (" Salt and pepper drawn as two independent masks overlap: choose the hit "
                        "pixels once, then black or white for each of them.")
            elif near(amount / 2):
                more = " Did you split `amount` into salt and pepper *and* halve it again?"
            elif near(min(1.0, 2 * amount)):
                more = " Is `amount` used for salt and again for pepper?"
            raise NotYet(f"with amount = {amount}, {fraction:.1%} of the pixels changed; expected "
                         f"about {amount:.0%} (`amount` is the fraction of pixels replaced).{more}")
    out = results[1.0]
    if not np.all((out == 0) | (out == 1)):
        raise NotYet(f"with amount = 1 every pixel should be replaced by 0 or 1; "
                     f"{np.mean((out != 0) & (out != 1)):.1%} kept their grey level.")
    k, whites = int(hit.sum()), int(salt.sum())
    if _significant("salt and pepper: salt share", _binomial_logp(whites, k, 0.5)) is not None:
        if whites == 0:
            raise NotYet("every replaced pixel became black: that is pepper only. Half of the hit "
                         "pixels should become white (salt, 1) and half black (pepper, 0).")
        if whites == k:
            raise NotYet("every replaced pixel became white: that is salt only. Half of the hit "
                         "pixels should become white (salt, 1) and half black (pepper, 0).")
        raise NotYet(f"{whites / k:.0%} of the replaced pixels are white (salt); expected about "
                     f"half white and half black.")
    bright = clean > 0.5
    table = [[int(np.sum(salt & bright)), int(np.sum(hit & ~salt & bright))],
             [int(np.sum(salt & ~bright)), int(np.sum(hit & ~salt & ~bright))]]
    if _significant("salt and pepper: colour vs grey level",
                    _log(stats.fisher_exact(table).pvalue)) is not None:
        bright_share = table[0][0] / max(1, sum(table[0]))
        dark_share = table[1][0] / max(1, sum(table[1]))
        raise NotYet(f"whether a hit pixel turns white depends on its grey level "
                     f"({bright_share:.0%} of the bright ones, {dark_share:.0%} of the dark ones): "
                     f"choose black or white at random, half each, whatever the pixel was (do not "
                     f"round it).")
    # 4. Other layouts: (N, 28, 28, 1) and one image (1, 28, 28), as in the noise widget.
    for layout in (images[:8, ..., None], images[:1]):
        out = noisy(layout, 0.5, 14)
        if not np.all((out == 0) | (out == 1) | (out == layout)):
            raise NotYet(f"on images of shape {layout.shape} some pixels became values other than "
                         f"0, 1 or their own grey level.")
    # 5. The rng: reproducible, and a fresh draw on every call.
    draws = _check_uses_rng(lambda k: noisy(images, 0.3, k), what)
    for j, other in enumerate(draws[1:]):
        hit_a, hit_b = draws[0] != clean, other != clean
        if _significant(f"salt and pepper: calls {j}", _together_logp(hit_a, hit_b)) is not None:
            raise NotYet("two calls with differently seeded generators hit the same pixels far "
                         "more often than chance: the choice of pixels is the same "
                         + _SAME_ON_EVERY_CALL)
        both = hit_a & hit_b
        if _significant(f"salt and pepper: colour calls {j}",
                        _together_logp(draws[0][both] == 1, other[both] == 1)) is not None:
            raise NotYet("two calls with differently seeded generators turn the pixels they both "
                         "hit the same colour far more often than chance: the choice of black or "
                         "white is the same " + _SAME_ON_EVERY_CALL)


# --------------------------------------------------------------------------- block masking

def _square_side(erased: np.ndarray, sides=(28, 14, 7, 4, 2, 1)) -> int:
    """The largest side b (dividing the image) such that ``erased`` (N, H, W) is constant on
    every square of the b x b grid: the size of the squares a mask erases."""
    n, h, w = erased.shape
    for b in sides:
        if h % b == 0 and w % b == 0:
            squares = erased.reshape(n, h // b, b, w // b, b)
            if np.all(squares == squares[:, :, :1, :, :1]):
                return b
    return 1


@exercise("04.mask_blocks",
          title="block masking: erase whole block x block squares, each with probability `fraction`",
          reference=block_mask,
          hint="Make one random decision per square (and per image) on a small grid of shape (N, "
               "28 // block, 28 // block), then blow that grid up so that each decision covers "
               "its block x block pixels, and set the chosen pixels to 0.",
          answer="`erase = rng.random((n, 28 // block, 28 // block)) < fraction`; `erase_pixels "
                 "= np.repeat(np.repeat(erase, block, axis=1), block, axis=2)`; `return "
                 "np.where(erase_pixels, 0.0, images)`.")
def _check_mask_blocks(fn, framework, seed=0):
    what = "mask_blocks"
    _require_keyword(fn, what, 3, "block", 7, "the side of the squares in pixels, default 7")
    masked = _corrupted(fn, what, seed)

    images = _digits_like(16)
    clean = images.astype(np.float64)
    out = masked(images, 0.0, 10)
    if not np.array_equal(out, clean):
        more = (" You erased everything: `fraction` is the share of squares to *erase*."
                if np.all(out == 0) else "")
        raise NotYet(f"with fraction = 0 {what} should return the images unchanged.{more}")
    out = masked(images, 1.0, 11)
    if np.any((out != 0) & (out != clean)):
        odd = out[(out != 0) & (out != clean)][0]
        raise NotYet(f"erased pixels must be set to exactly 0 (black); with fraction = 1 some of "
                     f"yours became {odd:.3g}.")
    if not np.all(out == 0):
        raise NotYet(f"with fraction = 1 {what} should erase every square (all pixels 0); "
                     f"{np.mean(out != 0):.1%} of the pixels were kept.")
    images = _digits_like(128, 6)  # no pixel is exactly 0
    clean = images.astype(np.float64)
    n = len(images)
    # block=None: called as the notebook does, with the default block.
    for block, fraction, call in ((None, 0.25, 0), (7, 0.5, 12), (4, 0.5, 13), (14, 0.4, 14)):
        kwargs = {} if block is None else {"block": block}
        side = block or 7
        tag = "default block" if block is None else f"block={block}"
        called = ("called as `mask_blocks(images, fraction, rng)` (block left to its default, as "
                  "the notebook does)" if block is None else f"with block={block}")
        out = masked(images, fraction, call, **kwargs)
        erased = out != clean
        if np.any(out[erased] != 0.0):
            odd = out[erased][out[erased] != 0.0][0]
            raise NotYet(f"erased pixels must be set to exactly 0 (black) and the others left "
                         f"unchanged; some of yours became {odd:.3g}.")
        if not erased.any():
            raise NotYet(f"{called}, with fraction = {fraction}, nothing was erased.")
        found = _square_side(erased)
        if found == 28:
            raise NotYet(f"{called}, whole images are either erased or kept: `fraction` is the "
                         f"probability for every *square* of every image.")
        if found != side:
            if found == 1 or side % found == 0:
                raise NotYet(f"{called} the erased pixels should form whole {side} x {side} "
                             f"squares on a grid (rows 0-{side - 1}, {side}-{2 * side - 1}, ...); "
                             f"yours erase scattered pixels or squares of another size or "
                             f"position.")
            if block is None:
                raise NotYet(f"{called}, your squares are {found} x {found} pixels: the default "
                             f"must be `block=7` (a 4 x 4 grid on 28 x 28 images).")
            raise NotYet(f"{called} your squares are {found} x {found} pixels: use the `block` "
                         f"argument for the side of the squares.")
        s = 28 // side
        decisions = erased.reshape(n, s, side, s, side)[:, :, 0, :, 0]
        # Uneven chances (per group of images, per square position; hypergeometric given the
        # number of erased squares) and shared draws: the most significant failure is reported.
        rate, chunk = decisions.mean(), decisions.size // 8
        chunks, positions = decisions.reshape(8, -1).sum(axis=1), decisions.sum(axis=0).ravel()
        h = s // 2
        tests = [
            (f"mask {tag}: per chunk of images", _spread_logp(chunks, chunk), lambda i: (
                f"{called}, images {i * n // 8}-{(i + 1) * n // 8 - 1} of the batch have "
                f"{chunks[i] / chunk:.0%} of their squares erased, the whole batch {rate:.0%}: "
                f"every image must be masked the same way.")),
            (f"mask {tag}: per position", _spread_logp(positions, n), lambda i: (
                f"{called}, the square in row {i // s}, column {i % s} of the grid is erased in "
                f"{positions[i] / n:.0%} of the images, all squares {rate:.0%}: every square "
                f"must be erased with the same probability `fraction`."))]
        for axis, name in ((2, "row"), (1, "column")):
            lines = decisions.sum(axis=(0, axis))
            tests.append((f"mask {tag}: per {name} of squares", _spread_logp(lines, n * s),
                          lambda i, lines=lines, name=name: (
                              f"{called}, the squares in {name} {i} of the grid are erased "
                              f"{lines[i] / (n * s):.0%} of the time, all squares {rate:.0%}: "
                              f"every square must be erased with the same probability "
                              f"`fraction`.")))
        pairs = [("images", decisions[:n // 2], decisions[n // 2:],
                  f"image i and image i + {n // 2} of the batch erase the same squares far more "
                  f"often than chance: draw a separate mask for every image"),
                 ("rows", decisions[:, :h], decisions[:, h:2 * h],
                  f"the erased squares repeat from one row of squares to the row {h} below far "
                  f"more often than chance: draw one decision for every square"),
                 ("columns", decisions[:, :, :h], decisions[:, :, h:2 * h],
                  f"the erased squares repeat from one column of squares to the column {h} to "
                  f"the right far more often than chance: draw one decision for every square")]
        for name, a, b, why in pairs:
            tests.append((f"mask {tag}: {name}", _together_logp(a, b), lambda i, why=why: (
                f"{called}: {why} (`rng.random((n, rows, columns)) < fraction`).")))
        message = _most_significant(tests)
        if message:
            raise NotYet(message)
        k = int(decisions.sum())
        if _significant(f"mask {tag}: fraction", _binomial_logp(k, decisions.size, fraction)) \
                is not None:
            raise NotYet(f"{called}, with fraction = {fraction}, {k / decisions.size:.1%} of the "
                         f"squares were erased; expected about {fraction:.0%}.")
    # One image (1, 28, 28), as in the noise widget.
    out = masked(images[:1], 1.0, 15)
    if not np.all(out == 0):
        raise NotYet(f"on a single image of shape (1, 28, 28) with fraction = 1, {what} kept "
                     f"{np.mean(out != 0):.1%} of the pixels.")
    # The rng: reproducible, and a fresh mask on every call.
    images = images[:64]
    draws = _check_uses_rng(lambda k: masked(images, 0.5, k), what)
    erased = [d == 0 for d in draws]
    for j, other in enumerate(erased[1:]):
        if _significant(f"mask: calls {j}", _together_logp(erased[0][:, ::7, ::7],
                                                        other[:, ::7, ::7])) is not None:
            raise NotYet("two calls with differently seeded generators erase the same squares far "
                         "more often than chance: the mask is the same " + _SAME_ON_EVERY_CALL)


# --------------------------------------------------------------------------- training pairs

class _Corrupt:
    """A corruption ``corrupt(images, level, rng)`` that records how the student calls it."""

    def __init__(self, noise, name):
        self.noise, self.name, self.calls = noise, name, []

    def __call__(self, *args, **kwargs):
        if kwargs:
            raise NotYet(f"call `corrupt` with positional arguments, `corrupt(clean, level, rng)`: "
                         f"you passed {', '.join(f'`{k}=`' for k in kwargs)} by name, and the "
                         f"corruptions name their level differently (sigma, amount, fraction).")
        if len(args) != 3:
            raise NotYet(f"call `corrupt` with three arguments, `corrupt(clean, level, rng)`; you "
                         f"passed {len(args)}.")
        images, level, rng = args
        out = self.noise(np.asarray(to_numpy(images)), level, rng)
        self.calls.append((images, level, rng, out))
        return out


def _same(a, b) -> bool:
    return a.shape == b.shape and np.allclose(a, b, rtol=0, atol=1e-6)


@exercise("04.make_denoising_pair",
          title="a denoising training pair: corrupted input, clean target",
          reference=make_denoising_pair_reference,
          hint="The network learns to undo the corruption: what does it see as input, and what "
               "is its output compared with? Only one of the two is corrupted.",
          answer="`return corrupt(clean, level, rng), clean`: corrupted inputs, clean targets.")
def _check_pair(fn, framework):
    what = "make_denoising_pair"
    clean = _digits_like(32)  # grey levels in (0.05, 0.95): none 0 or 1
    clean64 = clean.astype(np.float64)
    for noise, name, level in ((block_mask, "mask_blocks", 0.5), (gaussian_noise,
                                                                  "add_gaussian_noise", 0.3)):
        corrupt = _Corrupt(noise, name)
        rng = _rng(0)
        with_ = f"with corrupt = {name}"
        # Called as in the notebook: make_denoising_pair(images, corrupt, level, rng).
        pair = call_unchanged(fn, clean, corrupt, level, rng, what=what)
        if pair is None:
            raise NotYet(f"{what} returned None: return the pair `(inputs, targets)`.")
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise NotYet(f"{what} should return two arrays `(inputs, targets)`, got "
                         f"{kind_of(pair)}.")
        if not corrupt.calls:
            raise NotYet(f"{what} never called `corrupt`: corrupt the inputs with the function you "
                         f"are given.")
        if any(c[1] != level for c in corrupt.calls):
            raise NotYet(f"pass the noise `level` you are given on to `corrupt` (got "
                         f"{corrupt.calls[0][1]!r} instead of {level}).")
        if any(c[2] is not rng for c in corrupt.calls):
            raise NotYet("pass the `rng` you are given on to `corrupt` (do not make a new "
                         "generator), so the pairs are reproducible.")
        inputs, targets = (_output(part, clean, f"{what}'s {part_name}",
                                   label=f"{what}'s {part_name}")
                           for part, part_name in zip(pair, ("inputs", "targets")))
        outputs = [np.asarray(c[3], np.float64) for c in corrupt.calls]
        from_clean = [k for k, c in enumerate(corrupt.calls)
                      if _same(np.asarray(to_numpy(c[0]), np.float64), clean64)]
        targets_clean = _same(targets, clean64)
        if _same(inputs, clean64) and any(_same(targets, o) for o in outputs):
            raise NotYet("inputs and targets are swapped: the *input* is corrupted, the *target* "
                         "is the clean image.")
        if not targets_clean:
            if _same(targets, inputs) and name == "mask_blocks":
                raise NotYet(f"{with_}, the targets equal the masked inputs: the erased squares "
                             f"are erased in the targets too, so the network would learn to "
                             f"reproduce the holes. The target must be the clean images.")
            if _same(targets, inputs):
                raise NotYet(f"{with_}, the targets are the corrupted inputs themselves: the "
                             f"network would learn to copy the noise. The target must be the "
                             f"clean images.")
            if any(_same(targets, o) for o in outputs):
                raise NotYet(f"{with_}, the targets are corrupted too (a second call to "
                             f"`corrupt`): the target must be the clean images, unchanged.")
            if np.all((targets == 0) | (targets == 1)):
                raise NotYet(f"the targets contain only 0 and 1: you binarised the clean images. "
                             f"The target must be the clean images with their grey levels.")
            order = [np.flatnonzero(np.all(np.abs(clean64.reshape(len(clean), -1) - t.ravel())
                                           < 1e-6, axis=1)) for t in targets]
            if all(len(o) == 1 for o in order):
                raise NotYet("the targets are the clean images in another order: target i must be "
                             "the clean version of input i.")
            raise NotYet(f"the targets should be the clean images you were given, unchanged (the "
                         f"largest difference is {np.abs(targets - clean64).max():.3g}).")
        if _same(inputs, clean64):
            raise NotYet("the inputs are the clean images: corrupt them with "
                         "`corrupt(clean, level, rng)`.")
        if not any(_same(inputs, outputs[k]) for k in from_clean):
            if any(_same(inputs, o) for o in outputs):
                raise NotYet("the inputs were corrupted twice (`corrupt` applied to an already "
                             "corrupted image): corrupt the clean images once.")
            raise NotYet("the inputs are not `corrupt(clean, level, rng)`.")
        if len(corrupt.calls) > 1:
            raise NotYet(f"`corrupt` was called {len(corrupt.calls)} times; call it once, for the "
                         f"inputs only.")


# --------------------------------------------------------------------------- PSNR

def _one_number(got, what: str) -> float:
    if got is None:
        raise NotYet(f"{what} returned None: return the PSNR in dB as one number.")
    try:
        arr = np.asarray(to_numpy(got))
    except Exception:
        raise NotYet(f"{what} should return one number, got {kind_of(got)}.") from None
    if arr.size != 1 or not np.issubdtype(arr.dtype, np.number):
        raise NotYet(f"{what} should return one number (the average over images), got "
                     f"{kind_of(got)}.")
    return float(arr.reshape(-1)[0])


@exercise("04.compute_psnr",
          title="peak signal-to-noise ratio in dB, per image, averaged",
          reference=compute_psnr_reference,
          hint="Work image by image: the mean squared error of one image over all its pixels, "
               "its PSNR in dB relative to the largest possible grey level (`data_range`, not "
               "the image's own maximum), and only then the average of the PSNRs over the images.",
          answer="`mse = np.mean((clean - estimate) ** 2, axis=(1, 2))` (one per image), then "
                 "`return float(np.mean(10 * np.log10(data_range ** 2 / mse)))`.")
def _check_psnr(fn, framework):
    what = "compute_psnr"
    _require_keyword(fn, what, 2, "data_range", 1.0, "the largest possible grey level, default 1.0")
    rng = _rng(7)
    # Clean images whose brightest pixel is below 1, noise of very different strength per image:
    # the peak must be data_range (not the image maximum) and the average must be per image.
    clean = (0.8 * rng.random((6, 28, 28))).astype(np.float32)
    scales = np.array([0.01, 0.03, 0.1, 0.2, 0.05, 0.3], dtype=np.float32)[:, None, None]
    estimate = (clean + scales * rng.standard_normal(clean.shape)).astype(np.float32)
    # data_range=None: called as the notebook does, compute_psnr(clean, estimate), after the
    # explicit values, so that a wrong result there can only come from the default.
    for data_range, factor in ((1.0, 1.0), (255.0, 255.0), (2.0, 2.0), (None, 1.0)):
        a, b = clean * np.float32(factor), estimate * np.float32(factor)
        kwargs = {} if data_range is None else {"data_range": data_range}
        value = _one_number(call_unchanged(fn, a, b, what=what, **kwargs), what)
        peak = 1.0 if data_range is None else data_range
        expected = compute_psnr_reference(a, b, data_range=peak)
        if np.isclose(value, expected, rtol=1e-4, atol=1e-3):
            continue
        called = ("called as `compute_psnr(clean, estimate)` (data_range left to its default, "
                  "as the notebook does)" if data_range is None
                  else f"with data_range={data_range:g}")
        mse = np.mean((a.astype(np.float64) - b) ** 2, axis=(1, 2))
        if data_range is None:  # right with every explicit data_range: the default is wrong
            default = 10 ** ((value - expected) / 20)
            raise NotYet(f"{called} you get {value:.4g} dB, expected {expected:.4g} dB, although "
                         f"you get it right when data_range is given: your default data_range "
                         f"is {default:.4g}; it must be `data_range=1.0`, the range of images "
                         f"in [0, 1].")
        pooled = 10 * np.log10(peak ** 2 / mse.mean())
        natural = np.mean(10 * np.log(peak ** 2 / mse))
        base2 = np.mean(10 * np.log2(peak ** 2 / mse))
        amplitude = np.mean(20 * np.log10(peak ** 2 / mse))
        peak_max = np.mean(10 * np.log10(a.reshape(len(a), -1).max(axis=1) ** 2 / mse))
        peak_unsquared = np.mean(10 * np.log10(peak / mse))
        ratio_mean = 10 * np.log10(np.mean(peak ** 2 / mse))
        rmse = np.mean(10 * np.log10(peak ** 2 / np.sqrt(mse)))
        summed = np.mean(10 * np.log10(peak ** 2 / (mse * a[0].size)))
        diagnosis = [
            (pooled, "you averaged the squared errors over all images first; compute one PSNR "
                     "per image, then average the PSNRs."),
            (ratio_mean, "you averaged the ratios data_range² / MSE before taking the logarithm; "
                         "take the log of each image's ratio, then average the PSNRs in dB."),
            (natural, "you used the natural logarithm; decibels use log base 10 (`np.log10`)."),
            (base2, "you used log base 2; decibels use log base 10 (`np.log10`)."),
            (amplitude, "10·log10 of a ratio of *powers* (squared values): 20·log10 would need "
                        "data_range / sqrt(MSE) inside."),
            (peak_max, "the peak is `data_range` (the largest possible value), not the brightest "
                       "pixel of the image."),
            (peak_unsquared, "the peak value must be squared: data_range² / MSE."),
            (rmse, "divide by the mean squared error (MSE), not by its square root (RMSE)."),
            (summed, "use the *mean* of the squared errors of an image, not their sum."),
            (-expected, "the ratio is upside down: data_range² / MSE, so a smaller error gives a "
                        "larger PSNR."),
        ]
        for other in (1.0, 255.0):
            if other != peak:
                diagnosis.append((np.mean(10 * np.log10(other ** 2 / mse)),
                                  f"you used {other:g} as the peak value; use the `data_range` "
                                  f"argument, do not hard-code it."))
        for wrong, why in diagnosis:
            if np.isclose(value, wrong, rtol=1e-3, atol=1e-2):
                raise NotYet(f"{called} you get {value:.4g} dB, expected {expected:.4g} dB: {why}")
        expect_close(value, expected, name=f"the PSNR {called} (in dB)", rtol=1e-4, atol=1e-3)


# --------------------------------------------------------------------------- the training loop
#
# ``04.train_denoiser`` (the "build it" exercise) runs the student's loop on a tiny problem where
# every step can be watched: 40 "clean images" (grey levels 0.05-0.35, each one different), an
# ``add_noise`` that records every call (which images it got, what it returned) and brightens
# them by 0.3-0.5, and a two-parameter probe model, ``sigmoid(w * x + b)`` per pixel, starting
# at w = b = 0 (output 0.5), that records every batch it sees and what it answered. From these
# records the checker judges, in this order: the returned losses (one number per epoch); the
# noise (drawn by ``add_noise`` on each batch of the clean images, each image once per epoch,
# every epoch); the model's input (the noisy batch ``add_noise`` returned); that the weights
# changed; the target (trained towards the clean images, which are darker than 0.5, its output
# goes down; trained towards the noisy ones, brighter than 0.5, it goes up); the reported losses
# against the binary cross-entropy of what the model answered on each batch and the clean batch
# (the epoch's mean, per image or per batch); and the step size of Adam with the given
# learning rate.

_N_CLEAN, _BATCH, _EPOCHS, _LR = 40, 16, 3, 0.05


def _clean_for_loop(framework: str) -> np.ndarray:
    """(40, 1, 28, 28) or (40, 28, 28, 1) float32: distinct images with grey levels 0.05-0.35."""
    rng = np.random.default_rng(404)
    images = rng.uniform(0.05, 0.35, size=(_N_CLEAN, 28, 28)).astype(np.float32)
    return np.ascontiguousarray(images[:, None] if framework == "torch" else images[..., None])


class _NoiseRecorder:
    """``add_noise(batch)`` for the student's loop: records which clean images each call got and
    what it returned (a brighter, noisy float32 copy of the same shape)."""

    def __init__(self, clean: np.ndarray):
        self.clean = clean
        self.index = {image.tobytes(): i for i, image in enumerate(clean)}
        self.rng = np.random.default_rng(405)
        self.calls = []   # (indices or None when the rows are not clean images, shape, output)

    def __call__(self, batch):
        array = np.asarray(batch.detach().cpu().numpy() if hasattr(batch, "detach") else batch,
                           dtype=np.float32)
        indices = None
        if array.ndim == self.clean.ndim and array.shape[1:] == self.clean.shape[1:]:
            found = [self.index.get(np.ascontiguousarray(image).tobytes()) for image in array]
            indices = None if any(i is None for i in found) else found
        noise = self.rng.uniform(0.3, 0.5, size=array.shape).astype(np.float32)
        out = np.clip(array + noise, 0.0, 1.0).astype(np.float32)
        self.calls.append((indices, array.shape, out))
        return out


def _torch_probe(log: list):
    import torch
    from torch import nn

    class Probe(nn.Module):
        """sigmoid(w * x + b) per pixel; records (input, output) of every call."""

        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(()))
            self.b = nn.Parameter(torch.zeros(()))

        def forward(self, x):
            out = torch.sigmoid(self.w * x + self.b)
            log.append((x.detach().cpu().numpy().copy(), out.detach().cpu().numpy().copy()))
            return out

    return Probe()


def _keras_probe(log: list, traced: list):
    import keras
    import tensorflow as tf

    class Probe(keras.Model):
        """sigmoid(w * x + b) per pixel; records (input, output) of every eager call. ``compile``
        runs it eagerly so that ``fit`` calls it from Python, where it can record."""

        def __init__(self):
            super().__init__()
            self.w = self.add_weight(shape=(), initializer="zeros", name="w")
            self.b = self.add_weight(shape=(), initializer="zeros", name="b")

        def call(self, x, training=None):
            out = keras.ops.sigmoid(self.w * x + self.b)
            if tf.executing_eagerly():
                log[0].append((np.array(x, copy=True), np.array(out, copy=True)))
            else:
                traced.append(True)
            return out

        def compile(self, *args, **kwargs):
            kwargs.update(run_eagerly=True, jit_compile=False)
            return super().compile(*args, **kwargs)

    return Probe()


def _probe_weights(model, framework: str) -> np.ndarray:
    if framework == "torch":
        return np.array([float(model.w.detach()), float(model.b.detach())])
    return np.array([float(np.asarray(model.w)), float(np.asarray(model.b))])


def _probe_output(model, x: np.ndarray, framework: str) -> float:
    w, b = _probe_weights(model, framework)
    return float(np.mean(1 / (1 + np.exp(-(w * x + b)))))


def _epoch_losses(got, epochs: int) -> np.ndarray:
    """The student's returned losses as floats, or NotYet."""
    if got is None:
        raise NotYet("train_denoiser returned None: `return` the list of the epochs' mean "
                     "losses.")
    if hasattr(got, "history") and isinstance(getattr(got, "history"), dict):
        raise NotYet("train_denoiser returned Keras' History object; return the list of losses "
                     "it holds: `history.history[\"loss\"]`.")
    if isinstance(got, (str, bytes, dict)) or not hasattr(got, "__len__"):
        raise NotYet(f"train_denoiser should return a list of {epochs} numbers (one mean loss "
                     f"per epoch), but returned {kind_of(got)}.")
    try:
        values = np.array([float(to_numpy(v)) for v in got], dtype=np.float64)
    except (TypeError, ValueError):
        raise NotYet(f"train_denoiser should return a list of {epochs} numbers (one mean loss "
                     f"per epoch), but its items are not single numbers (the first is "
                     f"{kind_of(got[0]) if len(got) else 'missing'}).") from None
    if len(values) != epochs:
        more = (" one per batch? Average them over each epoch." if len(values) > epochs else "")
        raise NotYet(f"train_denoiser(..., epochs={epochs}, ...) returned {len(values)} losses; "
                     f"it should return one mean loss per epoch, {epochs} in all{more}")
    if not np.all(np.isfinite(values)):
        raise NotYet(f"the losses train_denoiser returned are not all finite: {values.tolist()}.")
    return values


def _noise_epochs(calls, n: int, epochs: int, batch_size: int) -> list[list[int]]:
    """The add_noise calls of each epoch (call numbers), or NotYet naming what is wrong."""
    if not calls:
        raise NotYet("add_noise was never called: the model must be trained on noisy images. "
                     "Call add_noise on each batch, inside the loop.")
    for indices, shape, _ in calls:
        if indices is None:
            raise NotYet(f"add_noise was given an array of shape {shape} that is not a batch of "
                         f"the clean training images (images of `clean_images`, as they are): "
                         f"give it the clean batch itself.")
    sizes = [len(indices) for indices, _, _ in calls]
    total = sum(sizes)
    if len(calls) == 1 and sizes[0] == n:
        raise NotYet(f"add_noise was called once, on all {n} training images: the noise is "
                     f"drawn once before training, so every epoch shows the model the same noisy "
                     f"images (it can learn that noise). Call add_noise inside the loop, on each "
                     f"batch, so that every batch gets fresh noise.")
    if len(calls) == epochs and all(size == n for size in sizes):
        raise NotYet(f"add_noise was called once per epoch on the whole training set ({epochs} "
                     f"calls of {n} images). Draw the noise batch by batch instead: call "
                     f"add_noise on each batch of `batch_size` images, inside the batch loop.")
    if max(sizes) > batch_size:
        raise NotYet(f"add_noise got {max(sizes)} images in one call; with batch_size="
                     f"{batch_size} a batch has at most {batch_size}. Call it on each batch.")
    if total == n and epochs > 1:
        raise NotYet(f"add_noise noised each of the {n} training images only once ({len(calls)} "
                     f"calls) in {epochs} epochs: the later epochs reuse old noise. Call "
                     f"add_noise on every batch of every epoch.")
    if total == 2 * epochs * n and all(calls[i][0] == calls[i + 1][0]
                                       for i in range(0, len(calls), 2)):
        raise NotYet("add_noise is called twice on every batch. Once is enough: the model's "
                     "input is the noisy batch, and the target is the clean batch, without "
                     "noise.")
    epochs_calls, current = [], []
    for k in range(len(calls)):
        current.append(k)
        if sum(sizes[i] for i in current) >= n:
            if sorted(i for c in current for i in calls[c][0]) != list(range(n)):
                break
            epochs_calls.append(current)
            current = []
    if len(epochs_calls) != epochs or current:
        raise NotYet(f"add_noise was called {len(calls)} times on {total} images in all; "
                     f"{epochs} epochs over {n} images need every image noised once per epoch "
                     f"({epochs} x {n} = {epochs * n}), in batches of at most {batch_size}.")
    return epochs_calls


def _matching_forward(log, noisy: np.ndarray):
    for x, out in log:
        if x.shape == noisy.shape and np.allclose(x, noisy, rtol=0, atol=1e-6):
            return out
    return None


def _bce(out: np.ndarray, target: np.ndarray) -> float:
    out = np.clip(out.astype(np.float64), 1e-7, 1 - 1e-7)
    target = target.astype(np.float64)
    return float(np.mean(-(target * np.log(out) + (1 - target) * np.log(1 - out))))


_LOOP_ANSWER = {
    "torch": "`loader = make_dataloader(clean_images, batch_size=batch_size)`, `optimizer = "
             "torch.optim.Adam(model.parameters(), lr=learning_rate)`; for each epoch, for each "
             "`(clean,)` in the loader: `noisy = torch.from_numpy(add_noise(clean.numpy()))`, "
             "`loss = nn.functional.binary_cross_entropy(model(noisy), clean)`, "
             "`optimizer.zero_grad()`, `loss.backward()`, `optimizer.step()`, `total += "
             "loss.item() * len(clean)`; after the epoch `losses.append(total / "
             "len(clean_images))`. Return that list.",
    "keras": "A generator `batches()` that, for each epoch, shuffles the indices "
             "(`rng.permutation(len(clean_images))`) and for each slice of `batch_size` of them "
             "yields `(add_noise(clean), clean)` with `clean = clean_images[slice]`; then "
             "`model.compile(optimizer=keras.optimizers.Adam(learning_rate), "
             "loss=\"binary_crossentropy\")`, `history = model.fit(batches(), epochs=epochs, "
             "steps_per_epoch=-(-len(clean_images) // batch_size))` and `return "
             "history.history[\"loss\"]`.",
}


@exercise("04.train_denoiser", title="the denoising training loop", frameworks=("torch", "keras"),
          reference="denoise.train_denoiser",
          hint="Noise belongs inside the loop: every batch of clean images gets its own fresh "
               "noisy copy from `add_noise`, every epoch. The model sees the noisy copy; its "
               "output is compared with the clean batch (binary cross-entropy), and Adam with "
               "the given learning rate takes one step per batch. Keep a running total of the "
               "batch losses to return each epoch's mean.",
          answer=_LOOP_ANSWER)
def _check_train_denoiser(fn, framework):
    clean = _clean_for_loop(framework)
    noise = _NoiseRecorder(clean)
    log, traced = [[]], []
    model = _torch_probe(log[0]) if framework == "torch" else _keras_probe(log, traced)
    if framework == "keras":
        model(clean[:1])   # builds it
        log[0].clear()
    start = _probe_weights(model, framework)
    got = fn(model, clean, noise, _EPOCHS, _BATCH, _LR)
    losses = _epoch_losses(got, _EPOCHS)
    epochs_calls = _noise_epochs(noise.calls, _N_CLEAN, _EPOCHS, _BATCH)
    forward = list(log[0])
    outputs = [_matching_forward(forward, out) for _, _, out in noise.calls]
    if any(o is None for o in outputs):
        if traced and not forward:
            raise NotYet("the check watches the batches your model gets, which it cannot do "
                         "inside a `tf.function`: run the training step eagerly (no "
                         "@tf.function), or train with `fit`.")
        if not forward:
            raise NotYet("the model was never called on a batch: train it on the noisy "
                         "batches.")
        batches = [clean[indices] for indices, _, _ in noise.calls]
        if any(_matching_forward(forward, b) is not None for b in batches):
            raise NotYet("the model is given the clean batch. Give it the noisy batch "
                         "(what add_noise returned), and compare its output with the clean "
                         "batch.")
        missed = sum(o is None for o in outputs)
        raise NotYet(f"{missed} of the {len(outputs)} noisy batches add_noise returned never "
                     f"reached the model: give the model add_noise's result itself, unchanged.")
    end = _probe_weights(model, framework)
    if np.array_equal(start, end):
        raise NotYet("the model's weights did not change: after computing each batch's loss, "
                     "take an optimiser step (PyTorch: `loss.backward()` and "
                     "`optimizer.step()`; Keras: `fit`, or `optimizer.apply_gradients`).")
    probe_input = noise.calls[0][2]
    before, after = 0.5, _probe_output(model, probe_input, framework)
    if after > before:
        raise NotYet(f"after training, the model's output on a noisy batch moved from "
                     f"{before:.2f} to {after:.2f}, towards the noisy images (mean "
                     f"{probe_input.mean():.2f}) and away from the clean ones (mean "
                     f"{clean.mean():.2f}): the loss compares the output with the noisy batch. "
                     f"The target must be the clean batch.")
    per_batch = [(_bce(out, clean[indices]), len(indices))
                 for (indices, _, _), out in zip(noise.calls, outputs)]
    for e, calls in enumerate(epochs_calls):
        values = np.array([per_batch[k][0] for k in calls])
        sizes = np.array([per_batch[k][1] for k in calls])
        per_image, per_batch_mean = float(values @ sizes / sizes.sum()), float(values.mean())
        if any(np.isclose(losses[e], m, rtol=2e-3, atol=1e-5) for m in (per_image, per_batch_mean)):
            continue
        mse = np.array([np.mean((outputs[k].astype(np.float64) - clean[noise.calls[k][0]]) ** 2)
                        for k in calls])
        before_epoch = [per_batch[k] for c in epochs_calls[:e] for k in c]
        so_far = sum(v * s for v, s in before_epoch) + float(values @ sizes)
        head = (f"the loss you return for epoch {e + 1} is {losses[e]:.5g}, but the mean "
                f"binary cross-entropy of that epoch's batches (the model's output against the "
                f"clean batch) is {per_image:.5g}")
        if np.isclose(losses[e], values.sum(), rtol=2e-3):
            raise NotYet(f"{head}: you return the sum of the batch losses; divide by the number "
                         f"of batches (or weight each by its size and divide by the number of "
                         f"images).")
        if np.isclose(losses[e], values[-1], rtol=2e-3):
            raise NotYet(f"{head}: you return the last batch's loss; return the mean over all "
                         f"the epoch's batches.")
        if e > 0 and np.isclose(losses[e], so_far / _N_CLEAN, rtol=2e-3):
            raise NotYet(f"{head}: your running total is not reset at the start of each epoch, "
                         f"so later epochs add up the earlier ones.")
        if any(np.isclose(losses[e], m, rtol=2e-3) for m in (mse @ sizes / sizes.sum(),
                                                             mse.mean())):
            raise NotYet(f"{head}: yours is the mean squared error; the denoising autoencoder "
                         f"trains with binary cross-entropy (section 7 shows why).")
        raise NotYet(f"{head}.")
    steps = len(noise.calls)
    moved = float(np.max(np.abs(end - start)))
    if not 0.3 * steps * _LR <= moved <= 3 * steps * _LR:
        raise NotYet(f"in {steps} steps with learning_rate={_LR} the model's weights moved by "
                     f"{moved:.3g}, where Adam moves each weight by about the learning rate per "
                     f"step ({steps} x {_LR} = {steps * _LR:.2f}): train with Adam and the "
                     f"`learning_rate` you are given.")
