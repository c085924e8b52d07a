"""Lesson 04 checkers accept any correct answer and reject plausible wrong ones, each with a
message that is true of the mistake (every test below asserts the words that name it).

The statistical tests' false-alarm rate is measured by ``benchmarks/lesson04_false_alarms.py``;
here every check uses the checker's fixed seed, so the verdicts are deterministic.
"""

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio

from conftest import verdicts_in_subprocess

from aelab import check
from aelab.noise import block_mask, gaussian_noise, salt_and_pepper


def passes(exercise_id, fn):
    return check.run(exercise_id, fn, show=False)


def assert_rejected(exercise_id, fn, words):
    """``fn`` fails ``exercise_id`` and the message (before the general hint) contains every one
    of ``words``."""
    result = passes(exercise_id, fn)
    assert not result.passed, f"accepted: {words}"
    message = result.message.split("\nHint:")[0]
    for word in ([words] if isinstance(words, str) else words):
        assert word in message, f"{word!r} not in: {message}"


def _per_image(shape):
    """(N, 1, 1, ...) for broadcasting one value per image."""
    return (shape[0],) + (1,) * (len(shape) - 1)


# --------------------------------------------------------------------------- Gaussian noise

def _gauss_normal(images, sigma, rng):
    return np.clip(images + rng.normal(0.0, sigma, size=images.shape), 0, 1)


def _gauss_float32_inplace_copy(images, sigma, rng):
    noisy = images.copy()
    noisy += sigma * rng.standard_normal(images.shape, dtype=np.float32)
    np.clip(noisy, 0.0, 1.0, out=noisy)
    return noisy


def _gauss_minimum_maximum(images, sigma, rng):
    noise = rng.standard_normal(size=np.shape(images)) * sigma
    return np.minimum(np.maximum(images + noise, 0.0), 1.0)


def _gauss_per_image(x, s, generator):  # other parameter names: the notebook calls positionally
    return np.stack([np.clip(image + s * generator.standard_normal(image.shape), 0, 1)
                     for image in x])


def _gauss_notebook(images, sigma, rng):
    noisy = images + sigma * rng.standard_normal(images.shape, dtype=np.float32)
    return np.clip(noisy, 0.0, 1.0)


GAUSS_CORRECT = [gaussian_noise, _gauss_normal, _gauss_float32_inplace_copy,
                 _gauss_minimum_maximum, _gauss_per_image, _gauss_notebook]


def _gauss_in_place(images, sigma, rng):
    images += sigma * rng.standard_normal(images.shape).astype(images.dtype)
    np.clip(images, 0, 1, out=images)
    return images


def _gauss_rescaled(images, sigma, rng):
    noisy = images + sigma * rng.standard_normal(images.shape)
    low, high = noisy.min(), noisy.max()
    return (noisy - low) / (high - low)


def _gauss_same_for_all(images, sigma, rng):
    noise = sigma * rng.standard_normal(images.shape[1:])
    return np.clip(images + noise, 0, 1)


def _gauss(images, noise):
    return np.clip(images + noise, 0, 1)


def _gauss_first_image_only(images, sigma, rng):
    out = images.copy()
    out[0] = _gauss(images[0], sigma * rng.standard_normal(images[0].shape))
    return out


def _gauss_half_batch(images, sigma, rng):
    half = (len(images) + 1) // 2
    return np.concatenate([_gauss(images[:half], sigma * rng.standard_normal(images[:half].shape)),
                           images[half:]])


def _gauss_top_rows(images, sigma, rng):
    noise = sigma * rng.standard_normal(images.shape)
    if images.ndim == 3:
        noise[:, 14:] = 0
    return _gauss(images, noise)


def _gauss_upsampled(images, sigma, rng):
    if images.shape[-1] % 2:
        return _gauss(images, sigma * rng.standard_normal(images.shape))
    coarse = rng.standard_normal(images.shape[:-1] + (images.shape[-1] // 2,))
    return _gauss(images, sigma * np.repeat(coarse, 2, axis=-1))


def _gauss_by_index(images, sigma, rng):
    strength = np.linspace(0.5, 1.5, len(images)).reshape(_per_image(images.shape))
    return _gauss(images, sigma * strength * rng.standard_normal(images.shape))


def _gauss_by_column(images, sigma, rng):
    strength = np.linspace(0.2, 1.8, images.shape[2]) if images.ndim == 3 else 1.0
    return _gauss(images, sigma * strength * rng.standard_normal(images.shape))


def _gauss_stronger_on_black(images, sigma, rng):
    return _gauss(images, sigma * (1 + (images == 0)) * rng.standard_normal(images.shape))


_CACHE = {}


def _gauss_cached(images, sigma, rng):
    if images.shape not in _CACHE:
        _CACHE[images.shape] = rng.standard_normal(images.shape)
    return _gauss(images, sigma * _CACHE[images.shape])


def _gauss_half_fixed(images, sigma, rng):
    fixed = np.random.default_rng(0).standard_normal(images.shape)
    return _gauss(images, sigma * (rng.standard_normal(images.shape) + fixed) / np.sqrt(2))


# name: (function, words the message must contain)
GAUSS_WRONG = {
    "stub returns None": (lambda images, sigma, rng: None, "None"),
    "returns its input": (lambda images, sigma, rng: images, "no noise was added"),
    "not clipped": (lambda images, sigma, rng: images + sigma * rng.standard_normal(images.shape),
                    ["not clipped", "np.clip"]),
    "clipped at 1 only": (lambda images, sigma, rng: np.minimum(
        images + sigma * rng.standard_normal(images.shape), 1), "do not clip at 0"),
    "clipped at 0 only": (lambda images, sigma, rng: np.maximum(
        images + sigma * rng.standard_normal(images.shape), 0), "do not clip at 1"),
    "clipped to [0, 255]": (lambda images, sigma, rng: np.clip(
        images + sigma * rng.standard_normal(images.shape), 0, 255), "do not clip at 1"),
    "variance instead of std": (lambda images, sigma, rng: _gauss(
        images, sigma ** 2 * rng.standard_normal(images.shape)), "sigma² (the variance)"),
    "sqrt(sigma) as std": (lambda images, sigma, rng: _gauss(
        images, np.sqrt(sigma) * rng.standard_normal(images.shape)), "√sigma"),
    "uniform noise": (lambda images, sigma, rng: _gauss(
        images, rng.uniform(-sigma, sigma, images.shape)), "standard deviation 0.0288"),
    "uniform noise with the right std": (lambda images, sigma, rng: _gauss(
        images, rng.uniform(-np.sqrt(3) * sigma, np.sqrt(3) * sigma, images.shape)),
        "does not look Gaussian"),
    "Laplace noise with the right std": (lambda images, sigma, rng: _gauss(
        images, rng.laplace(0, sigma / np.sqrt(2), images.shape)), "does not look Gaussian"),
    "multiplicative noise": (lambda images, sigma, rng: np.clip(
        images * (1 + sigma * rng.standard_normal(images.shape)), 0, 1), "multiplied by the image"),
    "absolute value instead of clipping": (lambda images, sigma, rng: np.minimum(
        np.abs(images + sigma * rng.standard_normal(images.shape)), 1), "absolute values"),
    "positive noise only": (lambda images, sigma, rng: _gauss(
        images, np.abs(sigma * rng.standard_normal(images.shape))), "never negative"),
    "rescaled to [0, 1] instead of clipped": (_gauss_rescaled, "with sigma = 0"),
    "one noise value per image": (lambda images, sigma, rng: _gauss(
        images, sigma * rng.standard_normal(_per_image(images.shape))), "same noise value"),
    "same noise for every image": (_gauss_same_for_all, ["image i and of image i + 32",
                                                         "correlated"]),
    "noise shared by the rows": (lambda images, sigma, rng: _gauss(
        images, sigma * rng.standard_normal((len(images), 1) + images.shape[2:])), "rows below"),
    "noise shared by the columns": (lambda images, sigma, rng: _gauss(
        images, sigma * rng.standard_normal(images.shape[:2] + (1,) * (images.ndim - 2))),
        "columns to its right"),
    "noise upsampled from half width": (_gauss_upsampled, "neighbouring pixels (columns"),
    "noise on the first image only": (_gauss_first_image_only, "63 of the 64 images"),
    "noise on half of the batch": (_gauss_half_batch, "32 of the 64 images"),
    "noise on the top rows only": (_gauss_top_rows, "392 of the 784 positions"),
    "strength grows along the batch": (_gauss_by_index, "images get noise of different strengths"),
    "strength grows along the columns": (_gauss_by_column, "pixels at different positions"),
    "stronger noise on black pixels": (_gauss_stronger_on_black, "average"),
    "global np.random instead of rng": (lambda images, sigma, rng: _gauss(
        images, sigma * np.random.standard_normal(images.shape)), "same seed"),
    "fresh generator without a seed": (lambda images, sigma, rng: _gauss(
        images, sigma * np.random.default_rng().standard_normal(images.shape)), "same seed"),
    "generator with a fixed seed inside": (lambda images, sigma, rng: _gauss(
        images, sigma * np.random.default_rng(0).standard_normal(images.shape)),
        "same result for generators with different seeds"),
    "noise drawn once and kept": (_gauss_cached, "same result for generators with different seeds"),
    "half of the noise from a fixed seed": (_gauss_half_fixed, "part of the noise is the same"),
    "modifies its input": (_gauss_in_place, "changed `images` in place"),
    "integer output": (lambda images, sigma, rng: np.round(_gauss(
        images, sigma * rng.standard_normal(images.shape))).astype(np.int64), "dtype int64"),
    "flattened output": (lambda images, sigma, rng: _gauss(
        images, sigma * rng.standard_normal(images.shape)).reshape(len(images), -1),
        "returned shape"),
    "returns (noisy, noise)": (lambda images, sigma, rng: (images, images), "a tuple of 2"),
}


@pytest.mark.parametrize("fn", GAUSS_CORRECT)
def test_gaussian_accepts_correct(fn):
    result = passes("04.add_gaussian_noise", fn)
    assert result.passed, result.message


@pytest.mark.parametrize("name", GAUSS_WRONG)
def test_gaussian_rejects_wrong_with_a_true_message(name):
    assert_rejected("04.add_gaussian_noise", *GAUSS_WRONG[name])


# --------------------------------------------------------------------------- salt and pepper

def _sp(hit, white, images):
    return np.where(hit, np.asarray(white, np.float32), images).astype(np.float32)


def _sp_choice(images, amount, rng):
    values = rng.choice([0.0, 1.0], size=images.shape)
    return np.where(rng.random(images.shape) < amount, values, images)


def _sp_three_way(images, amount, rng):
    u = rng.random(images.shape)
    out = images.astype(np.float32).copy()
    out[u < amount / 2] = 0.0
    out[(u >= amount / 2) & (u < amount)] = 1.0
    return out


def _sp_notebook(images, amount, rng):
    hit = rng.random(images.shape) < amount
    white = rng.random(images.shape) < 0.5
    return np.where(hit, white, images).astype(np.float32)


def _sp_integers(images, amount, rng):
    return _sp(rng.uniform(size=images.shape) < amount, rng.integers(0, 2, images.shape), images)


SP_CORRECT = [salt_and_pepper, _sp_choice, _sp_three_way, _sp_notebook, _sp_integers]


def _sp_overlapping(images, amount, rng):
    out = images.copy()
    out[rng.random(images.shape) < amount / 2] = 0.0
    out[rng.random(images.shape) < amount / 2] = 1.0
    return out


def _sp_twice(images, amount, rng):
    out = images.copy()
    u = rng.random(images.shape)
    out[u < amount] = 0.0
    out[(u >= amount) & (u < 2 * amount)] = 1.0
    return out


def _sp_in_place(images, amount, rng):
    u = rng.random(images.shape)
    images[u < amount / 2] = 0.0
    images[(u >= amount / 2) & (u < amount)] = 1.0
    return images


def _sp_half_amount(images, amount, rng):
    u = rng.random(images.shape)
    return np.where(u < amount / 4, 0.0, np.where(u > 1 - amount / 4, 1.0, images))


def _sp_first_half(images, amount, rng):
    half = (len(images) + 1) // 2
    return np.concatenate([salt_and_pepper(images[:half], amount, rng), images[half:]])


def _sp_top_rows(images, amount, rng):
    hit = rng.random(images.shape) < amount
    if images.ndim == 3:
        hit[:, 14:] = False
    return _sp(hit, rng.random(images.shape) < 0.5, images)


def _sp_layout_dependent(images, amount, rng):
    if images.ndim == 4:
        return np.clip(images + 0.1 * rng.standard_normal(images.shape), 0, 1)
    return salt_and_pepper(images, amount, rng)


SP_WRONG = {
    "stub returns None": (lambda images, amount, rng: None, "None"),
    "returns its input": (lambda images, amount, rng: images, "no pixel changed"),
    "thresholded result": (lambda images, amount, rng: (
        salt_and_pepper(images, amount, rng) > 0.5).astype(np.float32), "with amount = 0"),
    "inverts the hit pixels": (lambda images, amount, rng: np.where(
        rng.random(images.shape) < amount, 1 - images, images), ["1 - x", "invert"]),
    "adds or subtracts 1, unclipped": (lambda images, amount, rng: np.where(
        rng.random(images.shape) < amount,
        images + np.where(rng.random(images.shape) < 0.5, 1.0, -1.0), images),
        ["outside [0, 1]", "not shifted"]),
    "random grey levels": (lambda images, amount, rng: np.where(
        rng.random(images.shape) < amount, rng.random(images.shape), images), "exactly 0"),
    "gaussian noise instead": (lambda images, amount, rng: gaussian_noise(images, amount, rng),
                               "exactly 0"),
    "salt only": (lambda images, amount, rng: np.where(
        rng.random(images.shape) < amount, 1.0, images), "salt only"),
    "pepper only": (lambda images, amount, rng: np.where(
        rng.random(images.shape) < amount, 0.0, images), "pepper only"),
    "three salt for one pepper": (lambda images, amount, rng: _sp(
        rng.random(images.shape) < amount, rng.random(images.shape) < 0.75, images),
        "75% of the replaced pixels are white"),
    "rounds the hit pixels": (lambda images, amount, rng: np.where(
        rng.random(images.shape) < amount, np.round(images), images), "depends on its grey level"),
    "salt and pepper masks overlap": (_sp_overlapping, "overlap"),
    "twice the amount": (_sp_twice, "for salt and again for pepper"),
    "half the amount": (_sp_half_amount, "halve it again"),
    "amount squared": (lambda images, amount, rng: _sp(
        rng.random(images.shape) < amount ** 2, rng.random(images.shape) < 0.5, images),
        "`amount` is the fraction of pixels replaced"),
    "amount capped below 1": (lambda images, amount, rng: _sp(
        rng.random(images.shape) < min(amount, 0.95), rng.random(images.shape) < 0.5, images),
        "with amount = 1 every pixel"),
    "whole images hit or spared": (lambda images, amount, rng: _sp(
        np.broadcast_to(rng.random(_per_image(images.shape)) < amount, images.shape),
        rng.random(images.shape) < 0.5, images), "whole images"),
    "a random amount per image": (lambda images, amount, rng: _sp(
        rng.random(images.shape) < rng.uniform(0, 2 * amount, _per_image(images.shape)),
        rng.random(images.shape) < 0.5, images), "of image"),
    "first half of the batch only": (_sp_first_half, ["32 of the 64 images", "no pixel replaced"]),
    "top rows only": (_sp_top_rows, ["14 of the 28 rows", "no pixel replaced"]),
    "same pixels hit in every image": (lambda images, amount, rng: _sp(
        np.broadcast_to(rng.random(images.shape[1:]) < amount, images.shape),
        rng.random(images.shape) < 0.5, images), ["image i and of image i + 32", "hit together"]),
    "same pixels hit in every row": (lambda images, amount, rng: _sp(
        np.broadcast_to(rng.random((len(images), 1) + images.shape[2:]) < amount, images.shape),
        rng.random(images.shape) < 0.5, images), ["rows below", "hit together"]),
    "same colours in every image": (lambda images, amount, rng: _sp(
        rng.random(images.shape) < amount,
        np.broadcast_to(rng.random(images.shape[1:]) < 0.5, images.shape), images),
        "same colour"),
    "wrong on (N, 28, 28, 1) images": (_sp_layout_dependent, "(8, 28, 28, 1)"),
    "modifies its input": (_sp_in_place, "changed `images` in place"),
    "global np.random": (lambda images, amount, rng: np.where(
        np.random.random(images.shape) < amount, np.round(np.random.random(images.shape)), images),
        "same seed"),
    "generator with a fixed seed inside": (lambda images, amount, rng: salt_and_pepper(
        images, amount, np.random.default_rng(0)), "different seeds"),
    "hit pixels from a fixed seed": (lambda images, amount, rng: _sp(
        np.random.default_rng(0).random(images.shape) < amount, rng.random(images.shape) < 0.5,
        images), "the choice of pixels is the same on every call"),
    "colours from a fixed seed": (lambda images, amount, rng: _sp(
        rng.random(images.shape) < amount, np.random.default_rng(0).random(images.shape) < 0.5,
        images), "the choice of black or white is the same on every call"),
}


@pytest.mark.parametrize("fn", SP_CORRECT)
def test_salt_and_pepper_accepts_correct(fn):
    result = passes("04.add_salt_and_pepper", fn)
    assert result.passed, result.message


@pytest.mark.parametrize("name", SP_WRONG)
def test_salt_and_pepper_rejects_wrong_with_a_true_message(name):
    assert_rejected("04.add_salt_and_pepper", *SP_WRONG[name])


# --------------------------------------------------------------------------- block masking

def _mask_kron(images, fraction, rng, block=7):
    n, h, w = images.shape
    keep = (rng.random((n, h // block, w // block)) >= fraction).astype(images.dtype)
    return images * np.kron(keep, np.ones((1, block, block), dtype=images.dtype))


def _mask_loops(images, fraction, rng, block=7):
    out = images.copy()
    for i in range(len(images)):
        for r in range(0, images.shape[1], block):
            for c in range(0, images.shape[2], block):
                if rng.random() < fraction:
                    out[i, r:r + block, c:c + block] = 0
    return out


def _mask_notebook(images, fraction, rng, block=7):
    n, height, width = images.shape
    erase = rng.random((n, height // block, width // block)) < fraction
    erase_pixels = np.repeat(np.repeat(erase, block, axis=1), block, axis=2)
    return np.where(erase_pixels, 0.0, images).astype(np.float32)


def _mask_binomial(images, fraction, rng, block=7):
    n, height, width = images.shape
    erase = rng.binomial(1, fraction, size=(n, height // block, width // block))
    return images * np.kron(1 - erase, np.ones((1, block, block), dtype=np.int64))


MASK_CORRECT = [block_mask, _mask_kron, _mask_loops, _mask_notebook, _mask_binomial]


def _mask_from(erase, images, block):
    """Images with the squares of ``erase`` (N, rows, columns) set to 0."""
    pixels = np.repeat(np.repeat(erase, block, axis=1), block, axis=2)
    return np.where(pixels, 0.0, images).astype(np.float32)


def _mask_pixels(images, fraction, rng, block=7):
    return np.where(rng.random(images.shape) < fraction, 0.0, images)


def _mask_same_for_all(images, fraction, rng, block=7):
    n, h, w = images.shape
    erase = rng.random((h // block, w // block)) < fraction
    return np.where(np.kron(erase, np.ones((block, block), bool))[None], 0.0, images)


def _mask_same_in_every_row(images, fraction, rng, block=7):
    n, h, w = images.shape
    erase = np.broadcast_to(rng.random((n, 1, w // block)) < fraction, (n, h // block, w // block))
    return _mask_from(erase, images, block)


def _mask_same_in_every_column(images, fraction, rng, block=7):
    n, h, w = images.shape
    erase = np.broadcast_to(rng.random((n, h // block, 1)) < fraction, (n, h // block, w // block))
    return _mask_from(erase, images, block)


def _mask_rows_and_columns(images, fraction, rng, block=7):
    n, h, w = images.shape
    erase = (rng.random((n, h // block, 1)) < fraction) & (rng.random((n, 1, w // block)) < fraction)
    return _mask_from(erase, images, block)


def _mask_keep_fraction(images, fraction, rng, block=7):
    return block_mask(images, 1 - fraction, rng, block=block)


def _mask_grey(images, fraction, rng, block=7):
    masked = block_mask(images, fraction, rng, block=block)
    return np.where(masked == 0, 0.5, masked)


def _mask_grey_unless_all(images, fraction, rng, block=7):
    masked = block_mask(images, fraction, rng, block=block)
    return masked if fraction == 1 else np.where(masked == 0, 0.1, masked)


def _mask_ignores_block(images, fraction, rng, block=7):
    return block_mask(images, fraction, rng, block=7)


def _mask_offset(images, fraction, rng, block=7):
    out = images.copy()
    for i in range(len(images)):
        if rng.random() < 4 * fraction:
            r, c = rng.integers(0, images.shape[1] - block, size=2)
            out[i, r:r + block, c:c + block] = 0
    return out


def _mask_in_place(images, fraction, rng, block=7):
    images[...] = block_mask(images, fraction, rng, block=block)
    return images


def _mask_fading_along_batch(images, fraction, rng, block=7):
    n, h, w = images.shape
    chance = fraction ** np.linspace(1, 3, n)[:, None, None]
    return _mask_from(rng.random((n, h // block, w // block)) < chance, images, block)


def _mask_fading_down_the_grid(images, fraction, rng, block=7):
    n, h, w = images.shape
    chance = fraction ** np.linspace(1, 3, h // block)[None, :, None]
    return _mask_from(rng.random((n, h // block, w // block)) < chance, images, block)


def _mask_single_image(images, fraction, rng, block=7):
    return images if len(images) == 1 else block_mask(images, fraction, rng, block=block)


def _mask_half_fixed(images, fraction, rng, block=7):
    if len(images) == 1:
        return block_mask(images, fraction, rng, block=block)
    half = len(images) // 2
    return np.concatenate([block_mask(images[:half], fraction, np.random.default_rng(0), block=block),
                           block_mask(images[half:], fraction, rng, block=block)])


MASK_WRONG = {
    "stub returns None": (lambda images, fraction, rng, block=7: None, "None"),
    "returns its input": (lambda images, fraction, rng, block=7: images, "with fraction = 1"),
    "no block parameter": (lambda images, fraction, rng: block_mask(images, fraction, rng),
                           "should accept `block=`"),
    "default block 4": (lambda images, fraction, rng, block=4: block_mask(images, fraction, rng,
                                                                          block=block),
                        ["block left to its default", "default must be `block=7`"]),
    "ignores block": (_mask_ignores_block, ["with block=4", "7 x 7", "use the `block` argument"]),
    "pixel-wise mask, not blocks": (_mask_pixels, "scattered pixels"),
    "one randomly placed square": (_mask_offset, "with fraction = 1"),
    "fraction kept instead of erased": (_mask_keep_fraction, "You erased everything"),
    "erases to grey": (_mask_grey, ["exactly 0", "became 0.5"]),
    "erases to dark grey unless everything": (_mask_grey_unless_all, ["exactly 0", "became 0.1"]),
    "fraction truncated to an int": (lambda images, fraction, rng, block=7: block_mask(
        images, int(fraction), rng, block=block), "nothing was erased"),
    "whole images erased or kept": (lambda images, fraction, rng, block=7: np.where(
        rng.random((len(images), 1, 1)) < fraction, 0.0, images).astype(np.float32),
        "whole images"),
    "same mask for every image": (_mask_same_for_all, "draw a separate mask for every image"),
    "same squares in every row of squares": (_mask_same_in_every_row, "row of squares"),
    "same squares in every column of squares": (_mask_same_in_every_column, "column of squares"),
    "a row and a column both drawn": (_mask_rows_and_columns, "squares"),
    "fraction fading along the batch": (_mask_fading_along_batch, "every image must be masked"),
    "fraction fading down the grid": (_mask_fading_down_the_grid, ["squares in row",
                                                                   "every square must be erased"]),
    "nothing on a single image": (_mask_single_image, "single image"),
    "modifies its input": (_mask_in_place, "changed `images` in place"),
    "global np.random": (lambda images, fraction, rng, block=7: block_mask(
        images, fraction, np.random.default_rng(np.random.randint(1 << 30)), block=block),
        "same seed"),
    "generator with a fixed seed inside": (lambda images, fraction, rng, block=7: block_mask(
        images, fraction, np.random.default_rng(0), block=block), "different seeds"),
    "half of the batch from a fixed seed": (_mask_half_fixed,
                                            "the mask is the same on every call"),
}


@pytest.mark.parametrize("fn", MASK_CORRECT)
def test_mask_accepts_correct(fn):
    result = passes("04.mask_blocks", fn)
    assert result.passed, result.message


@pytest.mark.parametrize("name", MASK_WRONG)
def test_mask_rejects_wrong_with_a_true_message(name):
    assert_rejected("04.mask_blocks", *MASK_WRONG[name])


# --------------------------------------------------------------------------- denoising pairs

def _pair_explicit(clean, corrupt, level, rng):
    noisy = corrupt(clean, level, rng)
    target = clean
    return noisy, target


PAIR_CORRECT = [
    lambda clean, corrupt, level, rng: (corrupt(clean, level, rng), clean),
    _pair_explicit,
    lambda clean, corrupt, level, rng: [corrupt(clean, level, rng), clean.copy()],
    lambda clean, corrupt, level, rng: (corrupt(clean.copy(), level, rng), np.array(clean)),
    lambda images, noise, strength, generator: (noise(images, strength, generator), images),
]


def _pair_target_corrupted_too(clean, corrupt, level, rng):
    noisy = corrupt(clean, level, rng)
    return noisy, noisy


def _pair_target_masked_by_input(clean, corrupt, level, rng):
    noisy = corrupt(clean, level, rng)
    return noisy, np.where(noisy == 0, 0.0, clean)


def _pair_discards_a_draw(clean, corrupt, level, rng):
    corrupt(clean, level, rng)
    return corrupt(clean, level, rng), clean


def _pair_in_place(clean, corrupt, level, rng):
    noisy = corrupt(clean, level, rng)
    target = clean.copy()
    clean[...] = noisy
    return clean, target


def _pair_clean_inputs(clean, corrupt, level, rng):
    corrupt(clean, level, rng)
    return clean, clean


PAIR_WRONG = {
    "stub returns None": (lambda clean, corrupt, level, rng: None, "returned None"),
    "only the input": (lambda clean, corrupt, level, rng: corrupt(clean, level, rng),
                       "should return two arrays"),
    "a dict": (lambda clean, corrupt, level, rng: {"x": corrupt(clean, level, rng), "y": clean},
               "should return two arrays"),
    "no corruption": (lambda clean, corrupt, level, rng: (clean, clean), "never called `corrupt`"),
    "corrupts but returns the clean images": (_pair_clean_inputs, "the inputs are the clean images"),
    "swapped": (lambda clean, corrupt, level, rng: (clean, corrupt(clean, level, rng)), "swapped"),
    "mask applied to the target too": (_pair_target_corrupted_too,
                                       ["targets equal the masked inputs", "holes"]),
    "target zeroed where the input is": (_pair_target_masked_by_input,
                                         ["targets equal the masked inputs", "holes"]),
    "target corrupted separately": (lambda clean, corrupt, level, rng: (
        corrupt(clean, level, rng), corrupt(clean, level, rng)), "targets are corrupted too"),
    "binarised target": (lambda clean, corrupt, level, rng: (
        corrupt(clean, level, rng), (clean > 0.5).astype(np.float32)), "binarised"),
    "rounded target": (lambda clean, corrupt, level, rng: (
        corrupt(clean, level, rng), np.round(clean)), "binarised"),
    "targets in reverse order": (lambda clean, corrupt, level, rng: (
        corrupt(clean, level, rng), clean[::-1]), "another order"),
    "targets in 0..255": (lambda clean, corrupt, level, rng: (
        corrupt(clean, level, rng), 255 * clean), "the targets should be the clean images"),
    "new generator": (lambda clean, corrupt, level, rng: (
        corrupt(clean, level, np.random.default_rng(0)), clean), "pass the `rng`"),
    "fixed level": (lambda clean, corrupt, level, rng: (corrupt(clean, 0.3, rng), clean),
                    "pass the noise `level`"),
    "corrupt called by keyword": (lambda clean, corrupt, level, rng: (
        corrupt(clean, sigma=level, rng=rng), clean), "positional arguments"),
    "corrupt called without rng": (lambda clean, corrupt, level, rng: (
        corrupt(clean, level), clean), "three arguments"),
    "corrupts twice": (lambda clean, corrupt, level, rng: (
        corrupt(corrupt(clean, level, rng), level, rng), clean), "corrupted twice"),
    "inputs halved": (lambda clean, corrupt, level, rng: (
        0.5 * corrupt(clean, level, rng), clean), "not `corrupt(clean, level, rng)`"),
    "a draw discarded": (_pair_discards_a_draw, "called 2 times"),
    "overwrites the clean images": (_pair_in_place, "changed `clean` in place"),
}


@pytest.mark.parametrize("fn", PAIR_CORRECT)
def test_pair_accepts_correct(fn):
    result = passes("04.make_denoising_pair", fn)
    assert result.passed, result.message


@pytest.mark.parametrize("name", PAIR_WRONG)
def test_pair_rejects_wrong_with_a_true_message(name):
    assert_rejected("04.make_denoising_pair", *PAIR_WRONG[name])


# --------------------------------------------------------------------------- PSNR

def _psnr_loop(clean, estimate, data_range=1.0):
    values = []
    for x, y in zip(clean, estimate):
        mse = np.mean((x.astype(np.float64) - y) ** 2)
        values.append(20 * np.log10(data_range / np.sqrt(mse)))
    return sum(values) / len(values)


def _psnr_skimage(clean, estimate, data_range=1.0):
    return np.mean([peak_signal_noise_ratio(x, y, data_range=data_range)
                    for x, y in zip(clean, estimate)])


def _psnr_vectorised(clean, estimate, data_range=1.0):
    mse = ((clean - estimate) ** 2).reshape(len(clean), -1).mean(axis=1)
    return float(np.mean(10 * np.log10(data_range ** 2 / mse)))


def _psnr_hint(clean, estimate, data_range=1):
    mse = np.mean((clean - estimate) ** 2, axis=(1, 2))
    return np.mean(10 * np.log10(data_range ** 2 / mse))


PSNR_CORRECT = [check.reference("04.compute_psnr"), _psnr_loop, _psnr_skimage, _psnr_vectorised,
                _psnr_hint]


def _per_image_mse(clean, estimate):
    return ((clean.astype(np.float64) - estimate) ** 2).reshape(len(clean), -1).mean(axis=1)


def _psnr_mutates(clean, estimate, data_range=1.0):
    estimate -= clean
    return np.mean(10 * np.log10(data_range ** 2 / np.mean(estimate ** 2, axis=(1, 2))))


PSNR_WRONG = {
    "stub returns None": (lambda clean, estimate, data_range=1.0: None, "returned None"),
    "no data_range parameter": (lambda c, e: np.mean(10 * np.log10(1 / _per_image_mse(c, e))),
                                "should accept `data_range=`"),
    "default data_range 255": (lambda c, e, data_range=255: np.mean(
        10 * np.log10(data_range ** 2 / _per_image_mse(c, e))),
        ["data_range left to its default", "your default data_range is 255;"]),
    "natural log": (lambda c, e, data_range=1.0: np.mean(
        10 * np.log(data_range ** 2 / _per_image_mse(c, e))), "natural logarithm"),
    "log base 2": (lambda c, e, data_range=1.0: np.mean(
        10 * np.log2(data_range ** 2 / _per_image_mse(c, e))), "log base 2"),
    "20 log10 of the power ratio": (lambda c, e, data_range=1.0: np.mean(
        20 * np.log10(data_range ** 2 / _per_image_mse(c, e))), "ratio of *powers*"),
    "peak 255 on [0, 1] data": (lambda c, e, data_range=1.0: np.mean(
        10 * np.log10(255 ** 2 / _per_image_mse(c, e))), ["used 255 as the peak", "data_range"]),
    "peak = brightest pixel": (lambda c, e, data_range=1.0: np.mean(
        10 * np.log10(c.reshape(len(c), -1).max(axis=1) ** 2 / _per_image_mse(c, e))),
        "brightest"),
    "peak not squared": (lambda c, e, data_range=1.0: np.mean(
        10 * np.log10(data_range / _per_image_mse(c, e))), ["with data_range=255", "squared"]),
    "peak hard-coded to 1": (lambda c, e, data_range=1.0: np.mean(
        10 * np.log10(1.0 / _per_image_mse(c, e))), ["with data_range=255", "used 1 as the peak"]),
    "pooled over all images": (lambda c, e, data_range=1.0: 10 * np.log10(
        data_range ** 2 / np.mean((c.astype(np.float64) - e) ** 2)), "per image"),
    "ratios averaged before the log": (lambda c, e, data_range=1.0: 10 * np.log10(
        np.mean(data_range ** 2 / _per_image_mse(c, e))), "averaged the ratios"),
    "ratio upside down": (lambda c, e, data_range=1.0: np.mean(
        10 * np.log10(_per_image_mse(c, e) / data_range ** 2)), "upside down"),
    "RMSE instead of MSE": (lambda c, e, data_range=1.0: np.mean(
        10 * np.log10(data_range ** 2 / np.sqrt(_per_image_mse(c, e)))), "RMSE"),
    "sum of squared errors": (lambda c, e, data_range=1.0: np.mean(
        10 * np.log10(data_range ** 2 / (784 * _per_image_mse(c, e)))), "not their sum"),
    "median over images": (lambda c, e, data_range=1.0: np.median(
        10 * np.log10(data_range ** 2 / _per_image_mse(c, e))), ["the PSNR with data_range=1",
                                                                 "expected"]),
    "per-image values, not averaged": (lambda c, e, data_range=1.0: 10 * np.log10(
        data_range ** 2 / _per_image_mse(c, e)), "one number"),
    "modifies estimate in place": (_psnr_mutates, "changed `estimate` in place"),
}


@pytest.mark.parametrize("fn", PSNR_CORRECT)
def test_psnr_accepts_correct(fn):
    result = passes("04.compute_psnr", fn)
    assert result.passed, result.message


@pytest.mark.parametrize("name", PSNR_WRONG)
def test_psnr_rejects_wrong_with_a_true_message(name):
    assert_rejected("04.compute_psnr", *PSNR_WRONG[name])


def test_references_match_the_noise_module():
    assert check.reference("04.add_gaussian_noise") is gaussian_noise
    assert check.reference("04.add_salt_and_pepper") is salt_and_pepper
    assert check.reference("04.mask_blocks") is block_mask
    for exercise_id in ("04.add_gaussian_noise", "04.add_salt_and_pepper", "04.mask_blocks",
                        "04.make_denoising_pair", "04.compute_psnr"):
        assert passes(exercise_id, check.reference(exercise_id)).passed, exercise_id


# --------------------------------------------------------------------------- the statistics

def test_statistical_helpers_agree_with_scipy():
    """The checkers' exact tests, in log space, give scipy's p-values."""
    from scipy import stats

    from aelab.check import lesson04

    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(500), rng.standard_normal(500)
    y[:100] += x[:100]
    r, log_p = lesson04._correlation(x, y)
    expected = stats.pearsonr(x, y)
    assert np.isclose(r, expected.statistic) and np.isclose(np.exp(log_p), expected.pvalue)
    a, b = rng.random(400) < 0.3, rng.random(400) < 0.4
    b[:60] |= a[:60]
    table = [[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]]
    assert np.isclose(np.exp(lesson04._together_logp(a, b)),
                      stats.fisher_exact(table, alternative="greater").pvalue)
    assert np.isclose(np.exp(lesson04._binomial_logp(30, 100, 0.4)),  # twice the smaller tail
                      min(1, 2 * stats.binom.cdf(30, 100, 0.4)))
    counts = np.array([10, 30, 20])
    assert np.isclose(np.exp(lesson04._spread_logp(counts, 50)[0]),
                      2 * stats.hypergeom.cdf(10, 150, 60, 50))


def test_a_test_rejects_only_below_alpha():
    from aelab.check import lesson04

    alpha = lesson04.ALPHA
    assert lesson04._significant("x", np.log([0.5, alpha / 2])) is None  # 2 tests: alpha each
    assert lesson04._significant("x", np.log([0.5, alpha / 3])) == 1


# --------------------------------------------------------------------------- aelab.noise itself

@pytest.mark.parametrize("noise", [gaussian_noise, salt_and_pepper, block_mask])
def test_noise_functions_keep_shape_range_and_input(noise):
    images = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    before = images.copy()
    for layout in (images, images[..., None], images[:, None]):
        out = noise(layout, 0.4, np.random.default_rng(1))
        assert out.shape == layout.shape and out.dtype == np.float32
        assert 0.0 <= out.min() and out.max() <= 1.0
        assert not np.array_equal(out, layout)
    np.testing.assert_array_equal(images, before)
    same = noise(images, 0.4, np.random.default_rng(3)), noise(images, 0.4, np.random.default_rng(3))
    np.testing.assert_array_equal(*same)


def test_block_mask_erases_whole_squares_in_every_layout():
    ones = np.ones((50, 28, 28), np.float32)
    out = block_mask(ones, 0.5, np.random.default_rng(0), block=7)
    squares = out.reshape(50, 4, 7, 4, 7).mean(axis=(2, 4))
    assert set(np.unique(squares)) == {0.0, 1.0}
    channels_last = block_mask(ones[..., None], 0.5, np.random.default_rng(0), block=7)
    np.testing.assert_array_equal(channels_last[..., 0], out)
    ragged = block_mask(np.ones((3, 10, 10), np.float32), 1.0, np.random.default_rng(0), block=4)
    assert np.all(ragged == 0)


@pytest.mark.parametrize("call, error, words", [
    (lambda: gaussian_noise(np.zeros((2, 28, 28)), -0.1, np.random.default_rng()), ValueError, "sigma"),
    (lambda: gaussian_noise(np.zeros((2, 28, 28)), "0.1", np.random.default_rng()), TypeError, "sigma"),
    (lambda: salt_and_pepper(np.zeros((2, 28, 28)), 1.5, np.random.default_rng()), ValueError, "amount"),
    (lambda: block_mask(np.zeros((2, 28, 28)), 0.2, np.random.default_rng(), block=0), ValueError, "block"),
    (lambda: block_mask(np.zeros((28, 28)), 0.2, np.random.default_rng()), ValueError, "(N, H, W)"),
    (lambda: gaussian_noise(np.zeros((2, 28, 28)), 0.1, 0), TypeError, "Generator"),
    (lambda: gaussian_noise(np.full((2, 3), np.nan), 0.1, np.random.default_rng()), ValueError, "NaN"),
    (lambda: gaussian_noise(None, 0.1, np.random.default_rng()), TypeError, "images"),
])
def test_noise_functions_reject_bad_input(call, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        call()


# --------------------------------------------------------------------------- the training loop
# 04.train_denoiser runs in one fresh process per framework (a process never imports both
# PyTorch and TensorFlow): each variant below is defined there, checked, and its verdict reported.


TORCH_LOOP = """
def fn(model, clean_images, add_noise, epochs, batch_size, learning_rate):
    opt = torch.optim.Adam(model.parameters(), lr={lr})
    losses, total = [], 0.0
    {before_training}
    for epoch in range(epochs):
        {epoch_start}
        batch_losses = []
        for start in range(0, len(clean_images), batch_size):
            clean = clean_images[start:start + batch_size]
            noisy = {noisy}
            out = model(torch.from_numpy({inp}))
            loss = {loss}(out, torch.from_numpy({target}))
            opt.zero_grad()
            loss.backward()
            {step}
            batch_losses.append(loss.item())
            total += loss.item() * len(clean)
        losses.append({epoch_loss})
    return losses
"""
TORCH_DEFAULTS = dict(lr="learning_rate", before_training="pass", epoch_start="total = 0.0",
                      noisy="add_noise(clean)", inp="noisy", target="clean",
                      loss="F.binary_cross_entropy", step="opt.step()",
                      epoch_loss="total / len(clean_images)")

KERAS_LOOP = """
def fn(model, clean_images, add_noise, epochs, batch_size, learning_rate):
    steps = -(-len(clean_images) // batch_size)
    {before_training}
    def batches():
        for epoch in range(epochs):
            {epoch_start}
            for start in range(0, len(clean_images), batch_size):
                clean = clean_images[start:start + batch_size]
                noisy = {noisy}
                yield {inp}, {target}
    model.compile(optimizer=keras.optimizers.Adam({lr}), loss="{loss}")
    history = model.fit(batches(), epochs=epochs, steps_per_epoch=steps, verbose=0)
    return {ret}
"""
KERAS_DEFAULTS = dict(lr="learning_rate", before_training="pass", epoch_start="pass",
                      noisy="add_noise(clean)", inp="noisy", target="clean",
                      loss="binary_crossentropy", ret='history.history["loss"]')


def torch_loop(**change):
    return TORCH_LOOP.format(**{**TORCH_DEFAULTS, **change})


def keras_loop(**change):
    return KERAS_LOOP.format(**{**KERAS_DEFAULTS, **change})


KERAS_TAPE = """
def fn(model, clean_images, add_noise, epochs, batch_size, learning_rate):
    optimizer = keras.optimizers.Adam(learning_rate)
    bce = keras.losses.BinaryCrossentropy()
    losses = []
    for epoch in range(epochs):
        order = np.random.default_rng(epoch).permutation(len(clean_images))
        total = 0.0
        for start in range(0, len(clean_images), batch_size):
            clean = clean_images[order[start:start + batch_size]]
            total += float(step(model, optimizer, bce, add_noise(clean), clean)) * len(clean)
        losses.append(total / len(clean_images))
    return losses

{decorator}
def step(model, optimizer, bce, noisy, clean):
    with tf.GradientTape() as tape:
        loss = bce(clean, model(noisy, training=True))
    {apply}
    return loss
"""
KERAS_APPLY = "optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_weights), model.trainable_weights))"

# name -> (True for a correct answer, else words its message must contain; source defining fn)
LOOPS = {
    "torch": {
        "reference": (True, "fn = check.reference('04.train_denoiser', 'torch')"),
        "in order, mean per batch": (True, torch_loop(epoch_loss="sum(batch_losses) / len(batch_losses)")),
        "shuffled, tensors": (True, """
def fn(model, clean_images, add_noise, epochs, batch_size, learning_rate):
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    losses = []
    for epoch in range(epochs):
        order = torch.randperm(len(clean_images))
        total = 0.0
        for batch in order.split(batch_size):
            clean = torch.tensor(clean_images[batch.numpy()])
            noisy = torch.tensor(add_noise(clean.numpy()))
            loss = nn.BCELoss()(model(noisy), clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss) * len(batch)
        losses.append(total / len(clean_images))
    return losses
"""),
        "stub": ("returned None", "def fn(model, clean_images, add_noise, epochs, batch_size, learning_rate):\n    return None"),
        "noise once before training": ("called once, on all 40 training images", torch_loop(before_training="noisy_all = add_noise(clean_images)", noisy="noisy_all[start:start + batch_size]")),
        "whole set once per epoch": ("once per epoch on the whole training set", torch_loop(epoch_start="total = 0.0; noisy_all = add_noise(clean_images)", noisy="noisy_all[start:start + batch_size]")),
        "noise of the first epoch reused": ("only once (3 calls) in 3 epochs", torch_loop(before_training="cache = {}", noisy="cache[start] if start in cache else cache.setdefault(start, add_noise(clean))")),
        "never noised": ("add_noise was never called", torch_loop(noisy="clean")),
        "noise on a reshaped batch": ("not a batch of the clean training images", torch_loop(noisy="add_noise(clean[:, 0]).reshape(clean.shape)")),
        "clean input": ("the model is given the clean batch", torch_loop(inp="clean")),
        "noisy target": ("towards the noisy images", torch_loop(target="noisy")),
        "second noisy copy as target": ("add_noise is called twice on every batch", torch_loop(target="add_noise(clean)")),
        "no optimiser step": ("the model's weights did not change", torch_loop(step="pass")),
        "learning rate ignored": ("train with Adam and the `learning_rate` you are given", torch_loop(lr="1e-3")),
        "sum of batch losses": ("you return the sum of the batch losses", torch_loop(epoch_loss="sum(batch_losses)")),
        "last batch's loss": ("you return the last batch's loss", torch_loop(epoch_loss="batch_losses[-1]")),
        "total not reset": ("your running total is not reset", torch_loop(epoch_start="pass")),
        "mean squared error": ("yours is the mean squared error", torch_loop(loss="F.mse_loss")),
        "every batch's loss": ("returned 9 losses", torch_loop(epoch_loss="batch_losses").replace("losses.append(batch_losses)", "losses.extend(batch_losses)")),
        "returns the model": ("should return a list of 3 numbers", torch_loop().replace("return losses", "return model")),
    },
    "keras": {
        "reference": (True, "fn = check.reference('04.train_denoiser', 'keras')"),
        "generator in order": (True, keras_loop()),
        "GradientTape loop": (True, KERAS_TAPE.format(decorator="", apply=KERAS_APPLY)),
        "stub": ("returned None", "def fn(model, clean_images, add_noise, epochs, batch_size, learning_rate):\n    return None"),
        "noise once before training": ("called once, on all 40 training images", keras_loop(before_training="noisy_all = add_noise(clean_images)", noisy="noisy_all[start:start + batch_size]")),
        "whole set once per epoch": ("once per epoch on the whole training set", keras_loop(epoch_start="noisy_all = add_noise(clean_images)", noisy="noisy_all[start:start + batch_size]")),
        "clean input": ("the model is given the clean batch", keras_loop(inp="clean")),
        "noisy target": ("towards the noisy images", keras_loop(target="noisy")),
        "learning rate ignored": ("train with Adam and the `learning_rate` you are given", keras_loop(lr="")),
        "mean squared error": ("yours is the mean squared error", keras_loop(loss="mse")),
        "returns History": ("History object", keras_loop(ret="history")),
        "no gradient step": ("the model's weights did not change", KERAS_TAPE.format(decorator="", apply="pass")),
        "tf.function step": ("inside a `tf.function`", KERAS_TAPE.format(decorator="@tf.function", apply=KERAS_APPLY)),
    },
}

LOOP_PRELUDE = {
    "torch": "import numpy as np, torch\nfrom torch import nn\nimport torch.nn.functional as F\n",
    "keras": "import os\nos.environ.setdefault('KERAS_BACKEND', 'tensorflow')\n"
             "import numpy as np, keras, tensorflow as tf\n",
}

LOOP_RUNNER = """
import json, sys
import aelab
aelab.setup({framework!r}, seed=0)
from aelab import check
variants = json.loads(sys.stdin.read())
verdicts = {{}}
for name, (_, source) in variants.items():
    namespace = {{"check": check}}
    exec(compile({prelude!r} + source, name, "exec"), namespace)
    result = check.run("04.train_denoiser", namespace["fn"], framework={framework!r}, show=False)
    verdicts[name] = [result.passed, str(result)]
print("VERDICTS" + json.dumps(verdicts))
"""


@pytest.fixture(scope="module")
def loop_verdicts():
    """framework -> {variant name: [passed, message]}, computed once per framework."""
    cache = {}

    def get(framework):
        if framework not in cache:
            script = LOOP_RUNNER.format(framework=framework, prelude=LOOP_PRELUDE[framework])
            cache[framework] = verdicts_in_subprocess(
                script, LOOPS[framework], extra_env={"AELAB_THREADS": "1", "TQDM_DISABLE": "1"})
        return cache[framework]

    return get


LOOP_CASES = [(fw, name, expect) for fw, cases in LOOPS.items() for name, (expect, _) in cases.items()]


@pytest.mark.parametrize("framework, name, expect", LOOP_CASES,
                         ids=[f"{fw}-{name}" for fw, name, _ in LOOP_CASES])
def test_train_denoiser(loop_verdicts, framework, name, expect):
    passed, message = loop_verdicts(framework)[name]
    if expect is True:
        assert passed, f"{name}: {message}"
    else:
        assert not passed, name
        assert expect in message, message
        if name != "stub":
            assert "check.hint(" in message  # a failed attempt offers the hint
