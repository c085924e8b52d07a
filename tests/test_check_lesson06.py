"""Lesson 06 checkers accept correct answers (written several ways) and reject plausible wrong ones."""

import numpy as np
import pytest

from aelab import check
from aelab.check import lesson06


def passes(exercise_id, fn):
    return check.run(exercise_id, fn, show=False)


def assert_rejected(exercise_id, fn, *fragments):
    result = passes(exercise_id, fn)
    assert not result.passed, f"{exercise_id} accepted a wrong answer"
    for fragment in fragments:
        assert fragment in result.message, result.message


# --- 06.reconstruction_error --------------------------------------------------------------

def test_reconstruction_error_accepts_reference_and_rewrites():
    assert passes("06.reconstruction_error", lesson06.reconstruction_error_reference)
    assert passes("06.reconstruction_error", lambda a, b: np.square(a - b).mean(axis=-1))
    assert passes("06.reconstruction_error",
                  lambda a, b: np.array([np.mean((x - y) ** 2) for x, y in zip(a, b)]))
    from aelab.metrics import reconstruction_mse
    assert passes("06.reconstruction_error", lambda a, b: reconstruction_mse(a, b, per_image=True))


@pytest.mark.parametrize("wrong, fragment", [
    (lambda a, b: np.mean((a - b) ** 2), "one number for the whole batch"),
    (lambda a, b: np.mean((a - b) ** 2, axis=0), "one number per pixel"),
    (lambda a, b: np.sum((a - b) ** 2, axis=1), "784 times too large"),
    (lambda a, b: np.sqrt(np.mean((a - b) ** 2, axis=1)), "RMSE"),
    (lambda a, b: np.mean(np.abs(a - b), axis=1), "wrong values"),
    (lambda a, b: np.mean(a - b, axis=1), "wrong values"),
    (lambda a, b: np.mean(a ** 2 - b ** 2, axis=1), "wrong values"),
    (lambda a, b: None, "returns None"),
])
def test_reconstruction_error_rejects(wrong, fragment):
    assert_rejected("06.reconstruction_error", wrong, fragment)


def test_reconstruction_error_rejects_in_place_change():
    def squares_in_place(a, b):
        a -= b
        a **= 2
        return a.mean(axis=1)
    assert_rejected("06.reconstruction_error", squares_in_place, "in place")


# --- 06.roc_auc ---------------------------------------------------------------------------

def pairwise_auc(scores, is_anomaly):
    is_anomaly = np.asarray(is_anomaly, bool)
    pos, neg = scores[is_anomaly][:, None], scores[~is_anomaly][None, :]
    return np.mean((pos > neg) + 0.5 * (pos == neg))


def test_roc_auc_accepts_reference_and_rewrites():
    from sklearn.metrics import roc_auc_score
    assert passes("06.roc_auc", lesson06.roc_auc_reference)
    assert passes("06.roc_auc", pairwise_auc)
    assert passes("06.roc_auc", lambda s, y: roc_auc_score(y, s))


@pytest.mark.parametrize("wrong, fragment", [
    (lambda s, y: 1 - pairwise_auc(s, y), "flipped"),
    (lambda s, y: pairwise_auc(-s, y), "flipped"),
    (lambda s, y: np.mean(s[np.asarray(y, bool)][:, None] > s[~np.asarray(y, bool)][None, :]),
     "Ties count one half"),
    (lambda s, y: np.mean(s[np.asarray(y, bool)][:, None] >= s[~np.asarray(y, bool)][None, :]),
     "Ties count one half"),
    (lambda s, y: np.mean((s > np.median(s)) == np.asarray(y, bool)), "expected"),
    (lambda s, y: np.mean(s[np.asarray(y, bool)]) - np.mean(s[~np.asarray(y, bool)]), "expected"),
    (lambda s, y: None, "None"),
])
def test_roc_auc_rejects(wrong, fragment):
    assert_rejected("06.roc_auc", wrong, fragment)


# --- 06.threshold_from_training -----------------------------------------------------------

def test_threshold_accepts_reference_and_rewrites():
    assert passes("06.threshold_from_training", lesson06.threshold_from_training_reference)
    assert passes("06.threshold_from_training", lambda s, r: np.percentile(s, 100 * (1 - r)))
    assert passes("06.threshold_from_training",
                  lambda s, r: np.sort(s)[int(len(s) * (1 - r))])
    assert passes("06.threshold_from_training",
                  lambda s, r: np.quantile(s, 1 - r, method="higher"))


@pytest.mark.parametrize("wrong, fragment", [
    (lambda s, r: np.quantile(s, r), "instead of the `1 - rate`"),
    (lambda s, r: np.percentile(s, 1 - r), "should be"),
    (lambda s, r: np.percentile(s, 100 * r), "instead of the `1 - rate`"),
    (lambda s, r: s.mean() + 2 * s.std(), "should be"),
    (lambda s, r: s.max(), "should be"),
    (lambda s, r: np.sort(s)[-int(len(s) * r) - 5], "should be"),
    (lambda s, r: None, "None"),
])
def test_threshold_rejects(wrong, fragment):
    assert_rejected("06.threshold_from_training", wrong, fragment)


def test_threshold_wrong_shape_message():
    assert_rejected("06.threshold_from_training", lambda s, r: np.quantile(s, [1 - r, 0.5]),
                    "single number")


# --- 06.sample_per_class ------------------------------------------------------------------

def sample_with_permutation(labels, n, seed):
    order = np.random.default_rng(seed).permutation(len(labels))
    return np.concatenate([order[labels[order] == c][:n] for c in np.unique(labels)])


def test_sample_per_class_accepts_reference_and_rewrites():
    assert passes("06.sample_per_class", lesson06.sample_per_class_reference)
    assert passes("06.sample_per_class", sample_with_permutation)
    assert passes("06.sample_per_class",
                  lambda y, n, s: np.sort(lesson06.sample_per_class_reference(y, n, s)))


def first_n(labels, n, seed):
    return np.concatenate([np.flatnonzero(labels == c)[:n] for c in np.unique(labels)])


def global_state(labels, n, seed):
    return np.concatenate([np.random.choice(np.flatnonzero(labels == c), n, replace=False)
                           for c in np.unique(labels)])


def with_replacement(labels, n, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.flatnonzero(labels == c), n, replace=True)
                           for c in np.unique(labels)])


def n_in_total(labels, n, seed):
    return np.random.default_rng(seed).choice(len(labels), n * len(np.unique(labels)), replace=False)


def capped_at_five(labels, n, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.flatnonzero(labels == c), min(n, 5), replace=False)
                           for c in np.unique(labels)])


def returns_labels(labels, n, seed):
    return labels[lesson06.sample_per_class_reference(labels, n, seed)]


def returns_mask(labels, n, seed):
    mask = np.zeros(len(labels), bool)
    mask[lesson06.sample_per_class_reference(labels, n, seed)] = True
    return mask


@pytest.mark.parametrize("wrong, fragment", [
    (first_n, "same sample"),
    (global_state, "same seed gave different samples"),
    (with_replacement, "chosen twice"),
    (n_in_total, "exactly n_per_class"),
    (capped_at_five, "exactly n_per_class"),
    (returns_mask, "boolean mask"),
    (lambda y, n, s: None, "None"),
])
def test_sample_per_class_rejects(wrong, fragment):
    assert_rejected("06.sample_per_class", wrong, fragment)


def test_sample_per_class_rejects_labels_instead_of_indices():
    # labels are valid integers, so they look like indices; the class counts give them away
    assert not passes("06.sample_per_class", returns_labels).passed


def test_every_lesson06_exercise_is_registered():
    ids = [i for i in check.exercises() if i.startswith("06.")]
    assert ids == ["06.reconstruction_error", "06.roc_auc", "06.threshold_from_training",
                   "06.sample_per_class"]  # lesson order
