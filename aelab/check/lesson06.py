"""Checkers for lesson 06 (applications): anomaly scores, ROC AUC by hand, a threshold chosen from
training errors, and sampling a few labelled images per class.

All four exercises are numpy-only, so both tracks share them.
"""

from __future__ import annotations

import numpy as np

from . import NotYet, exercise, expect_array, to_numpy


# --------------------------------------------------------------------------------------------
# References


def reconstruction_error_reference(images: np.ndarray, reconstructions: np.ndarray) -> np.ndarray:
    """Per-image mean squared error: two (N, 784) arrays -> (N,) array (squared pixel units)."""
    diff = np.asarray(images, dtype=np.float64) - np.asarray(reconstructions, dtype=np.float64)
    return np.mean(diff ** 2, axis=1)


def roc_auc_reference(scores: np.ndarray, is_anomaly: np.ndarray) -> float:
    """ROC AUC as a probability: P(score of a random anomaly > score of a random normal image),
    ties counting one half. ``scores`` (N,) floats, ``is_anomaly`` (N,) booleans or 0/1."""
    from scipy.stats import rankdata

    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(is_anomaly).astype(bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    ranks = rankdata(scores)  # average ranks: ties share their rank
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def threshold_from_training_reference(train_scores: np.ndarray, false_alarm_rate: float) -> float:
    """The score above which only ``false_alarm_rate`` of the (normal) training scores lie."""
    return float(np.quantile(np.asarray(train_scores, dtype=np.float64), 1.0 - false_alarm_rate))


def sample_per_class_reference(labels: np.ndarray, n_per_class: int, seed: int) -> np.ndarray:
    """Indices of ``n_per_class`` images of every class in ``labels``, drawn without replacement
    with ``np.random.default_rng(seed)``. Returns a 1-D int array of length n_per_class * classes."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    return np.concatenate([rng.choice(np.flatnonzero(labels == c), size=n_per_class, replace=False)
                           for c in np.unique(labels)])


# --------------------------------------------------------------------------------------------
# Helpers


def _call(fn, *args):
    """Call ``fn`` on copies and complain if it changed its inputs in place."""
    copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    out = fn(*copies)
    for before, after in zip(args, copies):
        if isinstance(before, np.ndarray) and not np.array_equal(before, after):
            raise NotYet("your function changed its input array in place; compute a new array instead.")
    return out


def _scalar(value, name: str) -> float:
    if value is None:
        raise NotYet(f"{name} is None: the function does not return anything yet.")
    arr = to_numpy(value)
    if arr.size != 1:
        raise NotYet(f"{name} should be a single number, got an array of shape {arr.shape}.")
    result = float(arr.reshape(()))
    if not np.isfinite(result):
        raise NotYet(f"{name} is {result}, expected a finite number.")
    return result


# --------------------------------------------------------------------------------------------
# 06.reconstruction_error


@exercise("06.reconstruction_error", title="per-image reconstruction error as an anomaly score",
          reference=lambda framework: reconstruction_error_reference,
          hint="An anomaly score is one number per image. Compare each image with its "
               "reconstruction pixel by pixel, square the differences, and average over the "
               "pixels of that image only, not over the images.",
          answer="`return np.mean((images - reconstructions) ** 2, axis=1)`.")
def _check_reconstruction_error(fn, framework):
    rng = np.random.default_rng(6)
    for n in (1, 4, 50):
        images = rng.random((n, 784), dtype=np.float32)
        recon = np.clip(images + rng.normal(0, 0.1 + 0.2 * rng.random((n, 1)), (n, 784)),
                        0, 1).astype(np.float32)
        expected = reconstruction_error_reference(images, recon)
        out = _call(fn, images, recon)
        if out is None:
            raise NotYet("the function returns None: fill in the TODO and `return` the scores.")
        arr = to_numpy(out)
        if arr.shape == ():
            raise NotYet("you returned one number for the whole batch; an anomaly score needs one "
                         "number per image, shape (N,). Average over the pixels only (axis=1).")
        if arr.shape == (784,) and n != 784:
            raise NotYet("you returned one number per pixel, shape (784,); average over the "
                         "pixels (axis=1), not over the images (axis=0).")
        if arr.shape == (n,) and np.allclose(arr, expected * 784, rtol=1e-4):
            raise NotYet("your scores are 784 times too large: that is the sum of squared errors. "
                         "Use the mean over the pixels, so scores are in squared pixel units.")
        if arr.shape == (n,) and np.allclose(arr, np.sqrt(expected), rtol=1e-4):
            raise NotYet("your scores are the square root of the mean squared error (RMSE). "
                         "Keep the mean of the squares.")
        expect_array(out, expected, name=f"the scores of {n} image(s)", rtol=1e-4, atol=1e-7,
                     shape_hint="One score per image: shape (N,).")
    same = rng.random((3, 784), dtype=np.float32)
    expect_array(_call(fn, same, same.copy()), np.zeros(3), name="the score of a perfect "
                 "reconstruction", atol=1e-9)


# --------------------------------------------------------------------------------------------
# 06.roc_auc


def _auc_cases():
    rng = np.random.default_rng(60)
    labels = rng.random(300) < 0.2
    yield "continuous scores", rng.normal(0, 1, 300) + 0.8 * labels, labels
    ties = rng.integers(0, 4, 200).astype(float)
    tie_labels = rng.random(200) < (0.1 + 0.2 * ties)
    yield "scores with many ties", ties + 0.0, tie_labels
    yield "perfectly separated scores", np.r_[np.linspace(0, 1, 8), np.linspace(2, 3, 4)], \
        np.r_[np.zeros(8, bool), np.ones(4, bool)]
    yield "anomalies scored lower than normal images", np.r_[np.linspace(2, 3, 5), np.linspace(0, 1, 7)], \
        np.r_[np.zeros(5, bool), np.ones(7, bool)]
    yield "labels given as 0/1 integers", rng.random(40), (rng.random(40) < 0.5).astype(int)


@exercise("06.roc_auc", title="ROC AUC by hand: the chance that an anomaly outscores a normal image",
          reference=lambda framework: roc_auc_reference,
          hint="The AUC is a probability: pick one anomaly and one normal image at random; how "
               "often does the anomaly get the higher score? Go through every (anomaly, normal) "
               "pair, count a tie as one half, and divide by the number of pairs. Broadcasting "
               "builds all pairs at once.",
          answer="`is_anomaly = np.asarray(is_anomaly, dtype=bool)`; `anomalous, normal = "
                 "scores[is_anomaly][:, None], scores[~is_anomaly][None, :]`; `return "
                 "float(np.mean((anomalous > normal) + 0.5 * (anomalous == normal)))`.")
def _check_roc_auc(fn, framework):
    from sklearn.metrics import roc_auc_score

    for what, scores, labels in _auc_cases():
        expected = roc_auc_score(labels, scores)
        got = _scalar(_call(fn, scores, labels), f"the AUC for {what}")
        if not np.isclose(got, expected, atol=1e-9) and np.isclose(got, 1 - expected, atol=1e-9):
            raise NotYet(f"for {what} you get {got:.4f}, expected {expected:.4f}: your AUC is "
                         f"flipped. Count the pairs where the *anomaly* has the higher score.")
        if not np.isclose(got, expected, atol=1e-9):
            tie_hint = (" Ties count one half each (neither higher nor lower)."
                        if what == "scores with many ties" else "")
            raise NotYet(f"for {what} you get {got:.4f}, expected {expected:.4f} "
                         f"(scikit-learn's roc_auc_score).{tie_hint}")


# --------------------------------------------------------------------------------------------
# 06.threshold_from_training


@exercise("06.threshold_from_training", title="an alarm threshold from the training errors alone",
          reference=lambda framework: threshold_from_training_reference,
          hint="The training images are all normal, so every training score above the threshold "
               "is a false alarm. Put the threshold where exactly a fraction `false_alarm_rate` "
               "of the training scores lies above it: which quantile of the training scores is "
               "that?",
          answer="`return float(np.quantile(train_scores, 1 - false_alarm_rate))` (the 99th "
                 "percentile for a 1% rate).")
def _check_threshold(fn, framework):
    rng = np.random.default_rng(66)
    samples = {"1000 exponential scores": rng.exponential(0.02, 1000),
               "400 uniform scores": rng.uniform(0.01, 0.05, 400),
               "2000 log-normal scores": rng.lognormal(-4, 0.6, 2000)}
    for what, scores in samples.items():
        for rate in (0.01, 0.05, 0.2):
            t = _scalar(_call(fn, scores, rate), f"the threshold for {what} at rate {rate}")
            above = float(np.mean(scores > t))
            at_or_above = float(np.mean(scores >= t))
            slack = 1.0 / len(scores) + 1e-12
            if above > rate + slack or at_or_above < rate - slack:
                flipped = abs(above - (1 - rate)) <= slack
                raise NotYet(
                    f"with {what} and false_alarm_rate={rate}, {above:.1%} of the training scores "
                    f"lie above your threshold {t:.4g}; it should be {rate:.0%}."
                    + (" You took the `rate` quantile instead of the `1 - rate` one." if flipped
                       else ""))


# --------------------------------------------------------------------------------------------
# 06.sample_per_class


def _fake_labels(seed: int, classes=tuple(range(10)), sizes=None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sizes = sizes or [int(s) for s in rng.integers(12, 40, len(classes))]
    labels = np.concatenate([np.full(s, c) for c, s in zip(classes, sizes)])
    return rng.permutation(labels)


@exercise("06.sample_per_class", title="a labelled subset with the same number of images per class",
          reference=lambda framework: sample_per_class_reference,
          hint="One class at a time: find the positions of that class's images in `labels`, draw "
               "n_per_class of those positions at random without repeats, from a generator "
               "seeded with `seed` (not the global random state), and put the picks of all "
               "classes together.",
          answer="`rng = np.random.default_rng(seed)`; `return "
                 "np.concatenate([rng.choice(np.flatnonzero(labels == c), size=n_per_class, "
                 "replace=False) for c in np.unique(labels)])`.")
def _check_sample_per_class(fn, framework):
    cases = [(_fake_labels(1), 5), (_fake_labels(2), 1),
             (_fake_labels(3, classes=(1, 4, 7), sizes=[6, 9, 6]), 6)]
    for labels, n in cases:
        classes = np.unique(labels)
        out = _call(fn, labels, n, 0)
        if out is None:
            raise NotYet("the function returns None: `return` the array of indices.")
        idx = to_numpy(out)
        if idx.dtype == bool:
            raise NotYet("you returned a boolean mask; return the integer indices of the chosen "
                         "images (e.g. with np.flatnonzero or rng.choice on index arrays).")
        if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
            raise NotYet(f"expected a 1-D array of integer indices, got shape {idx.shape} and "
                         f"dtype {idx.dtype}.")
        if len(idx) and (idx.min() < 0 or idx.max() >= len(labels)):
            raise NotYet("some indices are outside the label array; return positions in "
                         "`labels`, not the labels themselves.")
        if len(np.unique(idx)) != len(idx):
            raise NotYet("some images were chosen twice: draw without replacement "
                         "(`replace=False`).")
        counts = {int(c): int(np.sum(labels[idx] == c)) for c in classes}
        if set(np.unique(labels[idx])) != set(classes) or any(v != n for v in counts.values()):
            raise NotYet(f"asked for {n} per class, you returned {counts} "
                         f"(class: count). Every class needs exactly n_per_class images.")
    labels = _fake_labels(4)
    first = np.sort(to_numpy(_call(fn, labels, 3, 0)))
    again = np.sort(to_numpy(_call(fn, labels, 3, 0)))
    if not np.array_equal(first, again):
        raise NotYet("two calls with the same seed gave different samples: draw from "
                     "`np.random.default_rng(seed)`, not the global random state.")
    others = [np.sort(to_numpy(_call(fn, labels, 3, seed))) for seed in (1, 2, 3)]
    if all(np.array_equal(first, other) for other in others):
        raise NotYet("seeds 0, 1, 2 and 3 all give the same sample; the seed must change which "
                     "images are drawn (otherwise the spread over seeds is always zero).")
