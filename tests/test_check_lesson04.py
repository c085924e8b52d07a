"""Lesson 04 checkers accept any correct answer and reject plausible wrong ones."""

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio

from aelab import check
from aelab.noise import block_mask, gaussian_noise, salt_and_pepper


def passes(exercise_id, fn):
    return check.run(exercise_id, fn, show=False)


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


GAUSS_CORRECT = [gaussian_noise, _gauss_normal, _gauss_float32_inplace_copy, _gauss_minimum_maximum]


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


GAUSS_WRONG = {
    "stub returns None": lambda images, sigma, rng: None,
    "returns its input": lambda images, sigma, rng: images,
    "not clipped": lambda images, sigma, rng: images + sigma * rng.standard_normal(images.shape),
    "variance instead of std": lambda images, sigma, rng: np.clip(
        images + sigma ** 2 * rng.standard_normal(images.shape), 0, 1),
    "sqrt(sigma) as std": lambda images, sigma, rng: np.clip(
        images + np.sqrt(sigma) * rng.standard_normal(images.shape), 0, 1),
    "uniform noise": lambda images, sigma, rng: np.clip(
        images + rng.uniform(-sigma, sigma, images.shape), 0, 1),
    "uniform noise with the right std": lambda images, sigma, rng: np.clip(
        images + rng.uniform(-np.sqrt(3) * sigma, np.sqrt(3) * sigma, images.shape), 0, 1),
    "multiplicative noise": lambda images, sigma, rng: np.clip(
        images * (1 + sigma * rng.standard_normal(images.shape)), 0, 1),
    "absolute value instead of clipping": lambda images, sigma, rng: np.minimum(
        np.abs(images + sigma * rng.standard_normal(images.shape)), 1),
    "rescaled to [0, 1] instead of clipped": _gauss_rescaled,
    "one noise value per image": lambda images, sigma, rng: np.clip(
        images + sigma * rng.standard_normal((len(images),) + (1,) * (images.ndim - 1)), 0, 1),
    "same noise for every image": _gauss_same_for_all,
    "global np.random instead of rng": lambda images, sigma, rng: np.clip(
        images + sigma * np.random.standard_normal(images.shape), 0, 1),
    "positive noise only": lambda images, sigma, rng: np.clip(
        images + np.abs(sigma * rng.standard_normal(images.shape)), 0, 1),
    "modifies its input": _gauss_in_place,
    "clipped to [0, 255]": lambda images, sigma, rng: np.clip(
        images + sigma * rng.standard_normal(images.shape), 0, 255),
    "integer output": lambda images, sigma, rng: np.round(np.clip(
        images + sigma * rng.standard_normal(images.shape), 0, 1)).astype(np.int64),
}


@pytest.mark.parametrize("fn", GAUSS_CORRECT)
def test_gaussian_accepts_correct(fn):
    result = passes("04.add_gaussian_noise", fn)
    assert result.passed, result.message


@pytest.mark.parametrize("name", GAUSS_WRONG)
def test_gaussian_rejects_wrong(name):
    result = passes("04.add_gaussian_noise", GAUSS_WRONG[name])
    assert not result.passed, name
    assert result.message


def test_gaussian_hint_names_clipping():
    message = passes("04.add_gaussian_noise", GAUSS_WRONG["not clipped"]).message
    assert "clip" in message


# --------------------------------------------------------------------------- salt and pepper

def _sp_choice(images, amount, rng):
    values = rng.choice([0.0, 1.0], size=images.shape)
    return np.where(rng.random(images.shape) < amount, values, images)


def _sp_three_way(images, amount, rng):
    u = rng.random(images.shape)
    out = images.astype(np.float32).copy()
    out[u < amount / 2] = 0.0
    out[(u >= amount / 2) & (u < amount)] = 1.0
    return out


SP_CORRECT = [salt_and_pepper, _sp_choice, _sp_three_way]


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


def _sp_random_values(images, amount, rng):
    return np.where(rng.random(images.shape) < amount, rng.random(images.shape), images)


def _sp_salt_only(images, amount, rng):
    return np.where(rng.random(images.shape) < amount, 1.0, images)


def _sp_in_place(images, amount, rng):
    u = rng.random(images.shape)
    images[u < amount / 2] = 0.0
    images[(u >= amount / 2) & (u < amount)] = 1.0
    return images


def _sp_half_amount(images, amount, rng):
    u = rng.random(images.shape)
    return np.where(u < amount / 4, 0.0, np.where(u > 1 - amount / 4, 1.0, images))


SP_WRONG = {
    "stub returns None": lambda images, amount, rng: None,
    "returns its input": lambda images, amount, rng: images,
    "salt and pepper masks overlap": _sp_overlapping,
    "twice the amount": _sp_twice,
    "half the amount": _sp_half_amount,
    "random grey levels": _sp_random_values,
    "salt only": _sp_salt_only,
    "modifies its input": _sp_in_place,
    "global np.random": lambda images, amount, rng: np.where(
        np.random.random(images.shape) < amount, np.round(np.random.random(images.shape)), images),
    "gaussian noise instead": lambda images, amount, rng: gaussian_noise(images, amount, rng),
}


@pytest.mark.parametrize("fn", SP_CORRECT)
def test_salt_and_pepper_accepts_correct(fn):
    result = passes("04.add_salt_and_pepper", fn)
    assert result.passed, result.message


@pytest.mark.parametrize("name", SP_WRONG)
def test_salt_and_pepper_rejects_wrong(name):
    result = passes("04.add_salt_and_pepper", SP_WRONG[name])
    assert not result.passed, name


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


MASK_CORRECT = [block_mask, _mask_kron, _mask_loops]


def _mask_pixels(images, fraction, rng, block=7):
    return np.where(rng.random(images.shape) < fraction, 0.0, images)


def _mask_same_for_all(images, fraction, rng, block=7):
    n, h, w = images.shape
    erase = rng.random((h // block, w // block)) < fraction
    return np.where(np.kron(erase, np.ones((block, block), bool))[None], 0.0, images)


def _mask_keep_fraction(images, fraction, rng, block=7):
    return block_mask(images, 1 - fraction, rng, block=block)


def _mask_grey(images, fraction, rng, block=7):
    masked = block_mask(images, fraction, rng, block=block)
    return np.where(masked == 0, 0.5, masked)


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


MASK_WRONG = {
    "stub returns None": lambda images, fraction, rng, block=7: None,
    "returns its input": lambda images, fraction, rng, block=7: images,
    "pixel-wise mask, not blocks": _mask_pixels,
    "same mask for every image": _mask_same_for_all,
    "fraction kept instead of erased": _mask_keep_fraction,
    "erases to grey": _mask_grey,
    "ignores block": _mask_ignores_block,
    "one randomly placed square": _mask_offset,
    "modifies its input": _mask_in_place,
}


@pytest.mark.parametrize("fn", MASK_CORRECT)
def test_mask_accepts_correct(fn):
    result = passes("04.mask_blocks", fn)
    assert result.passed, result.message


@pytest.mark.parametrize("name", MASK_WRONG)
def test_mask_rejects_wrong(name):
    result = passes("04.mask_blocks", MASK_WRONG[name])
    assert not result.passed, name


# --------------------------------------------------------------------------- denoising pairs

def _pair_explicit(clean, corrupt, level, rng):
    noisy = corrupt(clean, level, rng)
    target = clean
    return noisy, target


PAIR_CORRECT = [
    lambda clean, corrupt, level, rng: (corrupt(clean, level, rng), clean),
    _pair_explicit,
    lambda clean, corrupt, level, rng: [corrupt(clean, level, rng), clean.copy()],
]


def _pair_target_masked_too(clean, corrupt, level, rng):
    noisy = corrupt(clean, level, rng)
    return noisy, noisy


def _pair_target_masked_separately(clean, corrupt, level, rng):
    return corrupt(clean, level, rng), corrupt(clean, level, rng)


PAIR_WRONG = {
    "stub returns None": lambda clean, corrupt, level, rng: None,
    "mask applied to the target too": _pair_target_masked_too,
    "target corrupted separately": _pair_target_masked_separately,
    "swapped": lambda clean, corrupt, level, rng: (clean, corrupt(clean, level, rng)),
    "no corruption": lambda clean, corrupt, level, rng: (clean, clean),
    "new generator": lambda clean, corrupt, level, rng: (
        corrupt(clean, level, np.random.default_rng(0)), clean),
    "fixed level": lambda clean, corrupt, level, rng: (corrupt(clean, 0.3, rng), clean),
    "only the input": lambda clean, corrupt, level, rng: corrupt(clean, level, rng),
    "corrupts twice": lambda clean, corrupt, level, rng: (
        corrupt(corrupt(clean, level, rng), level, rng), clean),
}


@pytest.mark.parametrize("fn", PAIR_CORRECT)
def test_pair_accepts_correct(fn):
    result = passes("04.make_denoising_pair", fn)
    assert result.passed, result.message


@pytest.mark.parametrize("name", PAIR_WRONG)
def test_pair_rejects_wrong(name):
    result = passes("04.make_denoising_pair", PAIR_WRONG[name])
    assert not result.passed, name


def test_pair_hint_names_the_target():
    message = passes("04.make_denoising_pair", PAIR_WRONG["mask applied to the target too"]).message
    assert "target" in message


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


PSNR_CORRECT = [check.reference("04.compute_psnr"), _psnr_loop, _psnr_skimage, _psnr_vectorised]


def _per_image_mse(clean, estimate):
    return ((clean.astype(np.float64) - estimate) ** 2).reshape(len(clean), -1).mean(axis=1)


PSNR_WRONG = {
    "stub returns None": lambda clean, estimate, data_range=1.0: None,
    "natural log": lambda c, e, data_range=1.0: np.mean(10 * np.log(data_range ** 2 / _per_image_mse(c, e))),
    "log base 2": lambda c, e, data_range=1.0: np.mean(10 * np.log2(data_range ** 2 / _per_image_mse(c, e))),
    "20 log10 of the power ratio": lambda c, e, data_range=1.0: np.mean(
        20 * np.log10(data_range ** 2 / _per_image_mse(c, e))),
    "peak 255 on [0, 1] data": lambda c, e, data_range=1.0: np.mean(10 * np.log10(255 ** 2 / _per_image_mse(c, e))),
    "peak = brightest pixel": lambda c, e, data_range=1.0: np.mean(
        10 * np.log10(c.reshape(len(c), -1).max(axis=1) ** 2 / _per_image_mse(c, e))),
    "peak not squared": lambda c, e, data_range=1.0: np.mean(10 * np.log10(data_range / _per_image_mse(c, e))),
    "peak hard-coded to 1": lambda c, e, data_range=1.0: np.mean(10 * np.log10(1.0 / _per_image_mse(c, e))),
    "pooled over all images": lambda c, e, data_range=1.0: 10 * np.log10(
        data_range ** 2 / np.mean((c.astype(np.float64) - e) ** 2)),
    "ratio upside down": lambda c, e, data_range=1.0: np.mean(10 * np.log10(_per_image_mse(c, e) / data_range ** 2)),
    "RMSE instead of MSE": lambda c, e, data_range=1.0: np.mean(
        10 * np.log10(data_range ** 2 / np.sqrt(_per_image_mse(c, e)))),
    "per-image values, not averaged": lambda c, e, data_range=1.0: 10 * np.log10(
        data_range ** 2 / _per_image_mse(c, e)),
    "sum of squared errors": lambda c, e, data_range=1.0: np.mean(
        10 * np.log10(data_range ** 2 / (784 * _per_image_mse(c, e)))),
}


@pytest.mark.parametrize("fn", PSNR_CORRECT)
def test_psnr_accepts_correct(fn):
    result = passes("04.compute_psnr", fn)
    assert result.passed, result.message


@pytest.mark.parametrize("name", PSNR_WRONG)
def test_psnr_rejects_wrong(name):
    result = passes("04.compute_psnr", PSNR_WRONG[name])
    assert not result.passed, name


@pytest.mark.parametrize("name, words", [("natural log", "log base 10"),
                                         ("peak 255 on [0, 1] data", "data_range"),
                                         ("pooled over all images", "per image"),
                                         ("peak = brightest pixel", "brightest")])
def test_psnr_hints_name_the_mistake(name, words):
    assert words in passes("04.compute_psnr", PSNR_WRONG[name]).message


def test_references_match_the_noise_module():
    assert check.reference("04.add_gaussian_noise") is gaussian_noise
    assert check.reference("04.add_salt_and_pepper") is salt_and_pepper
    assert check.reference("04.mask_blocks") is block_mask
    for exercise_id in ("04.add_gaussian_noise", "04.add_salt_and_pepper", "04.mask_blocks",
                        "04.make_denoising_pair", "04.compute_psnr"):
        assert passes(exercise_id, check.reference(exercise_id)).passed, exercise_id


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
