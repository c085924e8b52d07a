"""Lesson 00 checkers reject plausible wrong answers and accept correct ones."""

import numpy as np
import pytest

from aelab import check

FLATTEN_CORRECT = [
    lambda x: x.reshape(len(x), -1),
    lambda x: x.reshape(x.shape[0], 28 * 28),
    lambda x: np.stack([image.ravel() for image in x]),
    lambda x: np.reshape(x, (-1, 784)),
]
FLATTEN_WRONG = {
    "returns None (stub)": lambda x: None,
    "returns its input": lambda x: x,
    "wrong axis order": lambda x: x.reshape(784, -1),
    "column-major pixel order": lambda x: x.transpose(0, 2, 1).reshape(len(x), -1),
    "fortran order": lambda x: x.reshape(len(x), -1, order="F"),
    "one long vector": lambda x: x.ravel(),
    "drops images": lambda x: x.reshape(len(x), -1)[:1],
}
MEAN_CORRECT = [
    lambda x: x.mean(axis=0),
    lambda x: np.sum(x, axis=0) / len(x),
    lambda x: np.average(x, axis=0).astype(np.float32),
]
MEAN_WRONG = {
    "returns None (stub)": lambda x: None,
    "mean over rows": lambda x: x.mean(axis=1),
    "mean of everything": lambda x: x.mean(),
    "sum instead of mean": lambda x: x.sum(axis=0),
    "median": lambda x: np.median(x, axis=0),
    "first image": lambda x: x[0],
    "transposed": lambda x: x.mean(axis=0).T,
}


@pytest.mark.parametrize("fn", FLATTEN_CORRECT)
def test_flatten_accepts_correct(fn):
    assert check.run("00.flatten_images", fn, show=False).passed


@pytest.mark.parametrize("name", FLATTEN_WRONG)
def test_flatten_rejects_wrong(name):
    result = check.run("00.flatten_images", FLATTEN_WRONG[name], show=False)
    assert not result.passed, name
    assert result.message


@pytest.mark.parametrize("fn", MEAN_CORRECT)
def test_mean_accepts_correct(fn):
    assert check.run("00.mean_image", fn, show=False).passed


@pytest.mark.parametrize("name", MEAN_WRONG)
def test_mean_rejects_wrong(name):
    assert not check.run("00.mean_image", MEAN_WRONG[name], show=False).passed, name


def test_hints_name_what_is_wrong():
    shape = check.run("00.flatten_images", FLATTEN_WRONG["wrong axis order"], show=False).message
    assert "(784, 1)" in shape and "expected (1, 784)" in shape
    values = check.run("00.flatten_images", FLATTEN_WRONG["column-major pixel order"], show=False).message
    assert "wrong values" in values
