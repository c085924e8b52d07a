"""aelab.metrics: reconstruction error, PSNR and SSIM on real MNIST digits."""

import numpy as np
import pytest

from aelab import metrics
from aelab.data import load_mnist


@pytest.fixture(scope="module")
def digits():
    return load_mnist("test", size=50)[0]


def test_mse_of_identical_images_is_zero(digits):
    assert metrics.reconstruction_mse(digits, digits) == 0.0


def test_mse_matches_definition_and_shapes(digits):
    blurred = 0.5 * digits + 0.25
    expected = np.mean((digits - blurred) ** 2)
    assert np.isclose(metrics.reconstruction_mse(digits, blurred), expected, rtol=1e-6)
    flat = metrics.reconstruction_mse(digits.reshape(50, 784), blurred.reshape(50, 784), per_image=True)
    assert flat.shape == (50,)
    assert np.allclose(flat, ((digits - blurred) ** 2).mean(axis=(1, 2)), rtol=1e-6)


def test_psnr_of_known_noise(digits):
    shifted = digits + 0.1  # MSE 0.01 -> PSNR 20 dB at data range 1
    assert np.isclose(metrics.psnr(digits, shifted), 20.0, atol=1e-3)
    assert np.isclose(metrics.psnr(digits * 255, shifted * 255, data_range=255), 20.0, atol=1e-3)
    assert metrics.psnr(digits, digits) == 100.0


def test_ssim_ranks_noise_levels(digits):
    rng = np.random.default_rng(0)
    light = np.clip(digits + rng.normal(0, 0.1, digits.shape), 0, 1)
    heavy = np.clip(digits + rng.normal(0, 0.5, digits.shape), 0, 1)
    assert metrics.ssim(digits, digits) == pytest.approx(1.0)
    assert 1.0 > metrics.ssim(digits, light) > metrics.ssim(digits, heavy) > 0.0
    assert metrics.ssim(digits, light, per_image=True).shape == (50,)


@pytest.mark.parametrize("a, b, error", [
    (np.zeros((3, 28, 28)), np.zeros((3, 784)), ValueError),
    (np.zeros((3, 784)), np.full((3, 784), np.nan), ValueError),
    (np.zeros((3, 784)), np.zeros((3, 784), dtype="U1"), TypeError),
    (np.zeros((0, 784)), np.zeros((0, 784)), ValueError),
])
def test_bad_input(a, b, error):
    with pytest.raises(error):
        metrics.reconstruction_mse(a, b)


def test_psnr_rejects_bad_range(digits):
    with pytest.raises(ValueError, match="data_range"):
        metrics.psnr(digits, digits, data_range=0)
