"""Tests for the lesson-01 additions to aelab.metrics: principal angles between subspaces."""

import numpy as np
import pytest

from aelab.metrics import principal_angles


def _basis(d, k, seed):
    return np.random.default_rng(seed).normal(size=(d, k))


def test_same_subspace_in_another_basis_has_zero_angles():
    a = _basis(30, 4, 0)
    mixing = np.random.default_rng(1).normal(size=(4, 4))  # invertible with probability 1
    angles = principal_angles(a, a @ mixing)
    assert angles.shape == (4,)
    np.testing.assert_allclose(angles, 0.0, atol=1e-5)


def test_known_angle_in_the_plane_and_units():
    e1 = np.array([[1.0], [0.0], [0.0]])
    tilted = np.array([[np.cos(np.radians(30))], [np.sin(np.radians(30))], [0.0]])
    np.testing.assert_allclose(principal_angles(e1, tilted), [30.0], atol=1e-6)
    np.testing.assert_allclose(principal_angles(e1, tilted, degrees=False), [np.pi / 6], atol=1e-8)


def test_orthogonal_subspaces_and_order_largest_first():
    a = np.eye(5)[:, :2]                   # span(e1, e2)
    b = np.eye(5)[:, [1, 2]]               # span(e2, e3): shares e2, orthogonal otherwise
    np.testing.assert_allclose(principal_angles(a, b), [90.0, 0.0], atol=1e-6)


def test_subspaces_of_different_sizes():
    a = np.eye(6)[:, :3]
    b = np.eye(6)[:, :1] + np.eye(6)[:, 4:5]   # 45 degrees out of span(a)
    np.testing.assert_allclose(principal_angles(a, b), [45.0], atol=1e-6)


def test_accepts_float32():
    a = _basis(10, 2, 3).astype(np.float32)
    assert principal_angles(a, a).max() < 1e-2


@pytest.mark.parametrize("a, b, error, words", [
    (np.zeros((5, 2)) + np.eye(5)[:, :2], np.eye(4)[:, :2], ValueError, "same number of rows"),
    (np.eye(3), np.ones((3, 5)), ValueError, "k <= D"),
    (np.ones((4, 2)), np.eye(4)[:, :2], ValueError, "linearly dependent"),
    (np.ones(4), np.eye(4)[:, :2], ValueError, "expected shape"),
    ("abc", np.eye(4)[:, :2], TypeError, "numpy array"),
])
def test_bad_input_raises_clear_errors(a, b, error, words):
    with pytest.raises(error, match=words):
        principal_angles(a, b)


def test_nan_is_rejected():
    a = np.eye(4)[:, :2].copy()
    a[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        principal_angles(a, np.eye(4)[:, :2])
