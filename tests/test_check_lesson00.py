"""Lesson 00 checkers reject plausible wrong answers, each with a message true of it, and accept
correct ones written differently."""

import numpy as np
import pytest

from aelab import check

FLATTEN_CORRECT = [
    lambda x: x.reshape(len(x), -1),
    lambda x: x.reshape(x.shape[0], 28 * 28),
    lambda x: np.stack([image.ravel() for image in x]),
    lambda x: np.reshape(x, (-1, 784)),
    lambda x: np.array([image.flatten() for image in x], dtype=np.float64),
    lambda x: x.reshape(len(x), -1).copy(),
]


def _shape_in_place(x):
    x.shape = (len(x), 784)
    return x


def _clip_in_place(x):
    np.clip(x, 0.0, 0.5, out=x)
    return x.reshape(len(x), -1)


FLATTEN_WRONG = {
    "returns None (stub)": (lambda x: None, "None"),
    "returns its input": (lambda x: x, "unchanged"),
    "wrong axis order": (lambda x: x.reshape(784, -1), "(784, 1), expected (1, 784)"),
    "column-major pixel order": (lambda x: x.transpose(0, 2, 1).reshape(len(x), -1), "wrong values"),
    "fortran order": (lambda x: x.reshape(len(x), -1, order="F"), "wrong values"),
    "one long vector": (lambda x: x.ravel(), "shape (784,)"),
    "drops images": (lambda x: x.reshape(len(x), -1)[:1], "expected (5, 784)"),
    "squeezes the image axis": (lambda x: (lambda s: s.reshape(len(s), -1))(x.squeeze()),
                                "(28, 28), expected (1, 784)"),
    "a list of rows": (lambda x: [image.ravel() for image in x], "a list of 1 values"),
    "a generator of rows": (lambda x: (image.ravel() for image in x), "a generator"),
    "a tuple with the shape": (lambda x: (x.reshape(len(x), -1), x.shape), "a tuple of 2 values"),
    "a function": (lambda x: np.ravel, "a function"),
    "sets the input's shape": (_shape_in_place, "changed `x` in place"),
    "clips the input in place": (_clip_in_place, "changed `x` in place"),
}


def _sort_in_place(x):
    x.sort(axis=0)
    return x.mean(axis=0)


def _cumsum_in_place(x):
    return np.cumsum(x, axis=0, out=x)[-1] / len(x)


MEAN_CORRECT = [
    lambda x: x.mean(axis=0),
    lambda x: np.sum(x, axis=0) / len(x),
    lambda x: np.average(x, axis=0).astype(np.float32),
    lambda x: np.mean(x.reshape(len(x), -1), axis=0).reshape(28, 28),
    lambda x: x.mean(axis=0, keepdims=True)[0],
]
MEAN_WRONG = {
    "returns None (stub)": (lambda x: None, "None"),
    "mean over rows": (lambda x: x.mean(axis=1), "shape (3, 28), expected (28, 28)"),
    "mean of everything": (lambda x: x.mean(), "shape ()"),
    "sum instead of mean": (lambda x: x.sum(axis=0), "wrong values"),
    "median": (lambda x: np.median(x, axis=0), "wrong values"),
    "first image": (lambda x: x[0], "wrong values"),
    "transposed": (lambda x: x.mean(axis=0).T, "wrong values"),
    "keeps the image axis": (lambda x: x.mean(axis=0, keepdims=True), "shape (1, 28, 28)"),
    "squeezes first": (lambda x: x.squeeze().mean(axis=0), "of 1 image has shape (28,)"),
    "a tuple with the spread": (lambda x: (x.mean(axis=0), x.std(axis=0)), "a tuple of 2 values"),
    "a list of rows": (lambda x: list(x.mean(axis=0)), "a list of 28 values"),
    "sorts the input": (_sort_in_place, "changed `x` in place"),
    "accumulates into the input": (_cumsum_in_place, "changed `x` in place"),
}


def verdict(exercise_id, fn):
    return check.run(exercise_id, fn, show=False)


@pytest.mark.parametrize("fn", FLATTEN_CORRECT + [check.reference("00.flatten_images")])
def test_flatten_accepts_correct(fn):
    result = verdict("00.flatten_images", fn)
    assert result.passed, result.message


@pytest.mark.parametrize("name", FLATTEN_WRONG)
def test_flatten_rejects_wrong(name):
    fn, fragment = FLATTEN_WRONG[name]
    result = verdict("00.flatten_images", fn)
    assert not result.passed, name
    assert fragment in result.message, result.message


@pytest.mark.parametrize("fn", MEAN_CORRECT + [check.reference("00.mean_image")])
def test_mean_accepts_correct(fn):
    result = verdict("00.mean_image", fn)
    assert result.passed, result.message


@pytest.mark.parametrize("name", MEAN_WRONG)
def test_mean_rejects_wrong(name):
    fn, fragment = MEAN_WRONG[name]
    result = verdict("00.mean_image", fn)
    assert not result.passed, name
    assert fragment in result.message, result.message
