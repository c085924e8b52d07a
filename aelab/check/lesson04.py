"""Checkers for lesson 04 (denoising autoencoders): corruptions, training pairs and PSNR.

The corruptions are random, so their checkers test what must hold for *any* correct answer
(statistics over many pixels, ranges, reproducibility from the ``rng`` argument) rather than
comparing with one particular draw. Every statistical tolerance is several standard deviations
wide for a correct answer and far from the values of the plausible mistakes (see
``tests/test_check_lesson04.py``).
"""

from __future__ import annotations

import numpy as np

from .. import metrics
from ..noise import block_mask, gaussian_noise, salt_and_pepper
from . import NotYet, answer_array, exercise, expect_close, to_numpy


def make_denoising_pair_reference(clean, corrupt, level, rng):
    """(corrupt(clean, level, rng), clean): the network's input is corrupted, its target is not."""
    return corrupt(clean, level, rng), clean


def compute_psnr_reference(clean, estimate, data_range=1.0):
    """PSNR in dB of each image, 10·log10(data_range² / MSE), averaged over the images."""
    return metrics.psnr(clean, estimate, data_range=data_range)


# --------------------------------------------------------------------------- helpers

def _rng(seed) -> np.random.Generator:
    return np.random.default_rng(seed)


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


def _call(fn, images, level, seed, what, **kwargs):
    """Call fn(images, level, rng) on a copy; complain if it changes its input in place."""
    given = images.copy()
    out = fn(given, level, _rng(seed), **kwargs)
    if not np.array_equal(given, images):
        raise NotYet(f"{what} changed the images you passed in (in place). Work on a copy "
                     f"(e.g. `images + noise`, `np.where(...)` or `images.copy()`), so the clean "
                     f"images stay clean.")
    return _output(out, images, what)


def _check_uses_rng(fn, images, level, what, **kwargs):
    """Same generator seed -> same result; different seed -> different result."""
    a = _call(fn, images, level, 11, what, **kwargs)
    b = _call(fn, images, level, 11, what, **kwargs)
    if not np.array_equal(a, b):
        raise NotYet(f"{what} gave two different results for two generators with the same seed. "
                     f"Draw all randomness from the `rng` argument (e.g. `rng.normal(...)`, "
                     f"`rng.random(...)`), not from `np.random.*`, so results are reproducible.")
    c = _call(fn, images, level, 12, what, **kwargs)
    if np.array_equal(a, c):
        raise NotYet(f"{what} gave the same result for generators with different seeds: the "
                     f"corruption must be random, drawn from `rng`.")


def _grey(n=64, value=0.5, side=28) -> np.ndarray:
    return np.full((n, side, side), value, dtype=np.float32)


def _digits_like(n=16, seed=5) -> np.ndarray:
    """Stand-in images with distinct values in (0.05, 0.95), none exactly 0 or 1."""
    return (0.05 + 0.9 * _rng(seed).random((n, 28, 28))).astype(np.float32)


# --------------------------------------------------------------------------- Gaussian noise

@exercise("04.add_gaussian_noise",
          title="additive Gaussian noise of standard deviation sigma, clipped to [0, 1]",
          reference=lambda framework: gaussian_noise,
          hint="Draw one standard normal number per pixel from `rng` (not from the global random "
               "state), scale them to standard deviation `sigma`, add them to the images, and "
               "make sure the result is still an image: every value in [0, 1].",
          answer="`noisy = images + sigma * rng.standard_normal(images.shape)`, then `return "
                 "np.clip(noisy, 0.0, 1.0)`.")
def _check_gaussian(fn, framework):
    what = "add_gaussian_noise"
    # 1. sigma = 0 changes nothing.
    images = _digits_like()
    out = _call(fn, images, 0.0, 0, what)
    if not np.allclose(out, images, atol=1e-6):
        raise NotYet(f"with sigma = 0 {what} should return the images unchanged; it changed them "
                     f"by up to {np.abs(out - images).max():.3g}.")
    # 2. Valid grey levels: clipping.
    for value in (0.0, 1.0):
        out = _call(fn, _grey(16, value), 0.3, 1, what)
        if out.min() < -1e-6 or out.max() > 1 + 1e-6:
            raise NotYet(f"the noisy images have values from {out.min():.3g} to {out.max():.3g}: "
                         f"the noise is not clipped. Grey levels must stay in [0, 1] "
                         f"(`np.clip(noisy, 0, 1)`).")
    # 3. On mid-grey images (no clipping at 10 sigma) the noise is N(0, sigma^2), pixel by pixel.
    sigma = 0.05
    images = _grey(64, 0.5)
    residual = _call(fn, images, sigma, 2, what) - images
    if np.all(residual == 0):
        raise NotYet(f"{what} returned the images unchanged: no noise was added.")
    std, mean = residual.std(), residual.mean()
    per_image_std = residual.reshape(len(images), -1).std(axis=1)
    if np.median(per_image_std) < 1e-3 * std:
        raise NotYet("every pixel of an image gets the same noise value: draw one independent "
                     "noise value per pixel (`rng.standard_normal(images.shape)`).")
    fields = (residual - mean) / std
    neighbour = float(np.mean(fields[:, :, 1:] * fields[:, :, :-1]))
    across = float(np.mean(fields[1:] * fields[:-1]))
    if abs(neighbour) > 0.05 or abs(across) > 0.05:
        raise NotYet("the noise of neighbouring pixels (or of different images) is correlated: "
                     "draw a fresh value for every pixel of every image, in one call with "
                     "`size=images.shape`.")
    if abs(mean) > 0.1 * sigma:
        raise NotYet(f"the noise has mean {mean:.3g}; it should have mean 0 (a zero-mean Gaussian).")
    if not 0.93 * sigma < std < 1.07 * sigma:
        more = ""
        if abs(std - sigma ** 2) < 0.1 * sigma ** 2:
            more = " It looks like you used sigma² (the variance) as the scale."
        elif abs(std - 0.5 * sigma) < 0.05 * sigma:
            more = (" It is half the expected value: is the noise multiplied by the image "
                    "(0.5 here) instead of added?")
        raise NotYet(f"on mid-grey images with sigma = {sigma} the noise has standard deviation "
                     f"{std:.3g}, expected {sigma}.{more} `sigma` is the standard deviation.")
    from scipy import stats

    flat = residual.ravel() / sigma
    ks = stats.kstest(flat, "norm").statistic
    if ks > 0.02:
        raise NotYet(f"the noise does not look Gaussian (Kolmogorov-Smirnov distance {ks:.3f} "
                     f"from a normal distribution): use `rng.normal` or `rng.standard_normal`, "
                     f"not `rng.random` / `rng.uniform`.")
    # 4. On black images, clipping (not reflecting) gives about half the pixels exactly 0.
    out = _call(fn, _grey(64, 0.0), 0.3, 3, what)
    zero_fraction = float(np.mean(out == 0))
    if not 0.45 < zero_fraction < 0.55:
        raise NotYet(f"on black images with sigma = 0.3, {zero_fraction:.1%} of the noisy pixels "
                     f"are exactly 0; expected about half (every negative value clipped to 0). "
                     f"Clip with `np.clip(noisy, 0, 1)`; do not take absolute values or rescale.")
    expected_mean = 0.3 / np.sqrt(2 * np.pi)  # E[max(0, sigma z)]
    if abs(out.mean() - expected_mean) > 0.01:
        raise NotYet(f"on black images with sigma = 0.3 the noisy pixels average {out.mean():.3g}, "
                     f"expected {expected_mean:.3g} for Gaussian noise clipped at 0.")
    # 5. Same per-pixel statistics on real-looking images of any shape.
    images = _digits_like(8)[..., None]
    out = _call(fn, images, 0.1, 4, what + " on (N, 28, 28, 1) images")
    if out.min() < -1e-6 or out.max() > 1 + 1e-6:
        raise NotYet("the noise is not clipped to [0, 1] on (N, 28, 28, 1) images.")
    _check_uses_rng(fn, _digits_like(4), 0.2, what)


# --------------------------------------------------------------------------- salt and pepper

@exercise("04.add_salt_and_pepper",
          title="salt-and-pepper noise: a fraction `amount` of pixels set to 0 or 1",
          reference=lambda framework: salt_and_pepper,
          hint="Two random decisions per pixel, both drawn from `rng`: whether the pixel is hit "
               "(with probability `amount`), and, if it is, black or white (half each). Every "
               "pixel that is not hit keeps its value exactly.",
          answer="`hit = rng.random(images.shape) < amount`; `white = rng.random(images.shape) < "
                 "0.5`; `return np.where(hit, white, images).astype(np.float32)`.")
def _check_salt_and_pepper(fn, framework):
    what = "add_salt_and_pepper"
    images = _digits_like()
    out = _call(fn, images, 0.0, 0, what)
    if not np.array_equal(out, images.astype(np.float64)):
        raise NotYet(f"with amount = 0 {what} should return the images unchanged.")
    for amount, seed in ((0.1, 1), (0.3, 2), (0.6, 3)):
        images = _grey(64, 0.5)  # 50,176 pixels, none of them 0 or 1
        out = _call(fn, images, amount, seed, what)
        changed = out != 0.5
        if not changed.any():
            raise NotYet(f"with amount = {amount} no pixel changed.")
        new_values = np.unique(out[changed])
        if not np.all(np.isin(new_values, (0.0, 1.0))):
            raise NotYet(f"changed pixels should become exactly 0 (pepper) or 1 (salt); you also "
                         f"produced values such as {new_values[~np.isin(new_values, (0.0, 1.0))][0]:.3g}.")
        fraction = float(changed.mean())
        if abs(fraction - amount) > 0.012:
            more = ""
            if abs(fraction - (1 - (1 - amount / 2) ** 2)) < 0.01:
                more = (" Salt and pepper drawn as two independent masks overlap: choose the hit "
                        "pixels once, then black or white for each of them.")
            elif abs(fraction - amount / 2) < 0.012:
                more = " Did you split `amount` into salt and pepper *and* halve it again?"
            raise NotYet(f"with amount = {amount}, {fraction:.1%} of the pixels changed; expected "
                         f"about {amount:.0%} (`amount` is the fraction of pixels replaced).{more}")
        salt_share = float(np.mean(out[changed] == 1.0))
        if not 0.45 < salt_share < 0.55:
            raise NotYet(f"{salt_share:.0%} of the replaced pixels are white (salt); expected about "
                         f"half white and half black.")
        per_image = changed.reshape(len(images), -1).mean(axis=1)
        if per_image.std() > 0.1:
            raise NotYet("some images get far more noise than others: every pixel of every image "
                         "should be hit with the same probability `amount`.")
    images = _digits_like()
    out = _call(fn, images, 0.2, 4, what)
    kept = (out != 0.0) & (out != 1.0)
    if not np.array_equal(out[kept], images.astype(np.float64)[kept]):
        raise NotYet("pixels that are not replaced must keep their value exactly.")
    _check_uses_rng(fn, _digits_like(4), 0.2, what)


# --------------------------------------------------------------------------- block masking

@exercise("04.mask_blocks",
          title="block masking: erase whole block x block squares, each with probability `fraction`",
          reference=lambda framework: block_mask,
          hint="Make one random decision per square (and per image) on a small grid of shape (N, "
               "28 // block, 28 // block), then blow that grid up so that each decision covers "
               "its block x block pixels, and set the chosen pixels to 0.",
          answer="`erase = rng.random((n, 28 // block, 28 // block)) < fraction`; `erase_pixels "
                 "= np.repeat(np.repeat(erase, block, axis=1), block, axis=2)`; `return "
                 "np.where(erase_pixels, 0.0, images)`.")
def _check_mask_blocks(fn, framework):
    what = "mask_blocks"
    images = _digits_like()
    out = _call(fn, images, 0.0, 0, what, block=7)
    if not np.array_equal(out, images.astype(np.float64)):
        more = (" You erased everything: `fraction` is the share of squares to *erase*."
                if np.all(out == 0) else "")
        raise NotYet(f"with fraction = 0 {what} should return the images unchanged.{more}")
    for block, fraction, seed in ((7, 0.25, 1), (4, 0.5, 2), (14, 0.4, 3)):
        images = _digits_like(1000, seed)  # no pixel is exactly 0
        out = _call(fn, images, fraction, seed, what, block=block)
        changed = out != images.astype(np.float64)
        if np.any(out[changed] != 0.0):
            odd = out[changed][out[changed] != 0.0][0]
            raise NotYet(f"erased pixels must be set to exactly 0 (black) and the others left "
                         f"unchanged; some of yours became {odd:.3g}.")
        erased = changed
        if not erased.any():
            raise NotYet(f"with fraction = {fraction} nothing was erased (or erased pixels are not 0).")
        side = 28 // block
        squares = erased.reshape(len(images), side, block, side, block)
        per_square = squares.mean(axis=(2, 4))
        if not np.all((per_square == 0) | (per_square == 1)):
            raise NotYet(f"with block = {block} the erased pixels should form whole {block} x "
                         f"{block} squares on a grid (rows 0-{block - 1}, {block}-{2 * block - 1}, "
                         f"...); yours erase scattered pixels or squares of another size/position.")
        patterns = per_square.reshape(len(images), -1)
        if np.mean(np.all(patterns == patterns[0], axis=1)) > 0.9:
            raise NotYet("all images get the same erased squares: draw a separate mask for every "
                         "image.")
        erased_fraction = float(per_square.mean())
        if abs(erased_fraction - fraction) > 0.035:
            more = " It looks like `fraction` is the share you *keep*." if abs(
                erased_fraction - (1 - fraction)) < 0.035 else ""
            raise NotYet(f"with fraction = {fraction}, {erased_fraction:.1%} of the squares were "
                         f"erased; expected about {fraction:.0%}.{more}")
    _check_uses_rng(fn, _digits_like(8), 0.5, what, block=7)


# --------------------------------------------------------------------------- training pairs

@exercise("04.make_denoising_pair",
          title="a denoising training pair: corrupted input, clean target",
          reference=lambda framework: make_denoising_pair_reference,
          hint="The network learns to undo the corruption: what does it see as input, and what "
               "is its output compared with? Only one of the two is corrupted.",
          answer="`return corrupt(clean, level, rng), clean`: corrupted inputs, clean targets.")
def _check_pair(fn, framework):
    what = "make_denoising_pair"
    clean = _digits_like(32)
    calls = []

    def spy(images, level, rng):
        calls.append((level, rng))
        return block_mask(images, level, rng)

    rng = _rng(0)
    given = clean.copy()
    pair = fn(given, spy, 0.5, rng)
    if pair is None:
        raise NotYet(f"{what} returned None: return the pair `(inputs, targets)`.")
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise NotYet(f"{what} should return two arrays `(inputs, targets)`, got "
                     f"{type(pair).__name__}{' of length ' + str(len(pair)) if hasattr(pair, '__len__') else ''}.")
    if not np.array_equal(given, clean):
        raise NotYet(f"{what} changed the clean images in place.")
    if not calls:
        raise NotYet(f"{what} never called `corrupt`: corrupt the inputs with the function you "
                     f"are given.")
    if any(level != 0.5 for level, _ in calls):
        raise NotYet(f"pass the noise `level` you are given on to `corrupt` (got {calls[0][0]!r}).")
    if any(r is not rng for _, r in calls):
        raise NotYet("pass the `rng` you are given on to `corrupt` (do not make a new generator), "
                     "so the pairs are reproducible.")
    inputs, targets = (_output(part, clean, f"{what}'s {name}", label=f"{what}'s {name}")
                       for part, name in zip(pair, ("inputs", "targets")))
    inputs_clean = np.array_equal(inputs, clean.astype(np.float64))
    targets_clean = np.array_equal(targets, clean.astype(np.float64))
    if inputs_clean and not targets_clean:
        raise NotYet("inputs and targets are swapped: the *input* is corrupted, the *target* is "
                     "the clean image.")
    if not targets_clean:
        if np.mean(targets == 0) > np.mean(clean == 0) + 0.1:
            raise NotYet("the mask (or noise) is applied to the target too. Then the network learns "
                         "to reproduce the holes; the target must be the clean image.")
        raise NotYet("the targets should be the clean images, unchanged.")
    if inputs_clean:
        raise NotYet("the inputs are the clean images: corrupt them with `corrupt(clean, level, rng)`.")
    if len(calls) > 1:
        raise NotYet(f"`corrupt` was called {len(calls)} times; call it once, for the inputs only.")
    expected = block_mask(clean, 0.5, _rng(0))
    if not np.array_equal(inputs, expected.astype(np.float64)):
        raise NotYet("the inputs are not `corrupt(clean, level, rng)`.")


# --------------------------------------------------------------------------- PSNR

@exercise("04.compute_psnr",
          title="peak signal-to-noise ratio in dB, per image, averaged",
          reference=lambda framework: compute_psnr_reference,
          hint="Work image by image: the mean squared error of one image over all its pixels, "
               "its PSNR in dB relative to the largest possible grey level (`data_range`, not "
               "the image's own maximum), and only then the average of the PSNRs over the images.",
          answer="`mse = np.mean((clean - estimate) ** 2, axis=(1, 2))` (one per image), then "
                 "`return float(np.mean(10 * np.log10(data_range ** 2 / mse)))`.")
def _check_psnr(fn, framework):
    rng = _rng(7)
    # Clean images whose brightest pixel is below 1, noise of very different strength per image:
    # the peak must be data_range (not the image maximum) and the average must be per image.
    clean = (0.8 * rng.random((6, 28, 28))).astype(np.float32)
    scales = np.array([0.01, 0.03, 0.1, 0.2, 0.05, 0.3], dtype=np.float32)[:, None, None]
    estimate = (clean + scales * rng.standard_normal(clean.shape)).astype(np.float32)
    for data_range, factor in ((1.0, 1.0), (255.0, 255.0)):
        a, b = clean * factor, estimate * factor
        got = fn(a.copy(), b.copy(), data_range=data_range)
        if got is None:
            raise NotYet("compute_psnr returned None: return the PSNR in dB as one number.")
        arr = np.asarray(to_numpy(got))
        if arr.size != 1 or not np.issubdtype(arr.dtype, np.number):
            raise NotYet(f"compute_psnr should return one number (the average over images), got "
                         f"{type(got).__name__} of shape {arr.shape}.")
        value = float(arr.reshape(-1)[0])
        expected = compute_psnr_reference(a, b, data_range=data_range)
        if np.isclose(value, expected, rtol=1e-4, atol=1e-3):
            continue
        mse = np.mean((a.astype(np.float64) - b) ** 2, axis=(1, 2))
        pooled = 10 * np.log10(data_range ** 2 / mse.mean())
        natural = np.mean(10 * np.log(data_range ** 2 / mse))
        amplitude = np.mean(20 * np.log10(data_range ** 2 / mse))
        peak_max = np.mean(10 * np.log10(a.reshape(len(a), -1).max(axis=1) ** 2 / mse))
        peak_unsquared = np.mean(10 * np.log10(data_range / mse))
        wrong_range = np.mean(10 * np.log10((255.0 if data_range == 1 else 1.0) ** 2 / mse))
        diagnosis = [
            (pooled, "you averaged the squared errors over all images first; compute one PSNR "
                     "per image, then average the PSNRs."),
            (natural, "you used the natural logarithm; decibels use log base 10 (`np.log10`)."),
            (amplitude, "10·log10 of a ratio of *powers* (squared values): 20·log10 would need "
                        "data_range / sqrt(MSE) inside."),
            (peak_max, "the peak is `data_range` (the largest possible value), not the brightest "
                       "pixel of the image."),
            (peak_unsquared, "the peak value must be squared: data_range² / MSE."),
            (wrong_range, "use the `data_range` argument as the peak value; do not hard-code it."),
            (-expected, "the ratio is upside down: data_range² / MSE, so a smaller error gives a "
                        "larger PSNR."),
        ]
        for wrong, why in diagnosis:
            if np.isclose(value, wrong, rtol=1e-3, atol=1e-2):
                raise NotYet(f"with data_range={data_range:g} you get {value:.4g} dB, expected "
                             f"{expected:.4g} dB: {why}")
        expect_close(value, expected, name=f"the PSNR with data_range={data_range:g} (in dB)",
                     rtol=1e-4, atol=1e-3)
    # Identical but for one image: better estimates must give a larger PSNR.
    worse = fn(clean, np.clip(clean + 0.2, 0, 1), data_range=1.0)
    better = fn(clean, np.clip(clean + 0.05, 0, 1), data_range=1.0)
    if not float(to_numpy(better)) > float(to_numpy(worse)):
        raise NotYet("a smaller error should give a larger PSNR.")
