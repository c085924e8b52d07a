"""aelab.metrics for lesson 05: the entropy floor of the Bernoulli reconstruction loss."""

import numpy as np
import pytest

from aelab import metrics
from aelab.data import load_mnist


def bernoulli_cross_entropy(x, p, eps=1e-7):
    """Binary cross-entropy summed over the pixels of each image, (N,) nats: the loss whose lowest
    value the floor is (p clipped to [eps, 1 - eps], as a VAE's sigmoid output never reaches 0 or 1)."""
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    p = np.clip(np.asarray(p, np.float64).reshape(len(x), -1), eps, 1 - eps)
    return -(x * np.log(p) + (1 - x) * np.log1p(-p)).sum(axis=1)


@pytest.fixture(scope="module")
def digits():
    return load_mnist("test", size=200)[0]


def test_entropy_floor_of_binary_images_is_zero():
    binary = (np.random.default_rng(0).random((5, 28, 28)) > 0.5).astype(np.float32)
    assert metrics.bernoulli_entropy_floor(binary) == 0.0


def test_entropy_floor_of_half_grey_is_log2_per_pixel():
    grey = np.full((3, 784), 0.5, np.float32)
    floor = metrics.bernoulli_entropy_floor(grey, per_image=True)
    assert floor.shape == (3,)
    assert np.allclose(floor, 784 * np.log(2), rtol=1e-6)


def test_entropy_floor_is_cross_entropy_at_p_equals_x(digits):
    floor = metrics.bernoulli_entropy_floor(digits, per_image=True)
    at_x = bernoulli_cross_entropy(digits, digits)
    assert np.allclose(floor, at_x, atol=1e-3)  # clipping to [eps, 1-eps] changes almost nothing


def test_any_other_probabilities_cost_more(digits):
    floor = metrics.bernoulli_entropy_floor(digits, per_image=True)
    rng = np.random.default_rng(1)
    for blurred in (0.9 * digits + 0.05, np.clip(digits + rng.normal(0, 0.1, digits.shape), 0, 1),
                    np.full_like(digits, digits.mean())):
        assert np.all(bernoulli_cross_entropy(digits, blurred) > floor - 1e-6)


def test_mnist_floor_is_tens_of_nats(digits):
    # MNIST digits have many grey edge pixels: tens of nats per image, far from 0 or 784·log 2
    floor = metrics.bernoulli_entropy_floor(digits)
    assert 30.0 < floor < 70.0
    flat = metrics.bernoulli_entropy_floor(digits.reshape(len(digits), 784))
    assert np.isclose(floor, flat)


def test_bad_inputs_raise_clear_errors(digits):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.bernoulli_entropy_floor(digits * 255)
    with pytest.raises(ValueError, match="NaN"):
        metrics.bernoulli_entropy_floor(np.full((2, 784), np.nan))
    with pytest.raises(TypeError):
        metrics.bernoulli_entropy_floor("digits")
    with pytest.raises(ValueError, match="non-empty"):
        metrics.bernoulli_entropy_floor(np.zeros((0, 784)))
