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
    assert passes("06.reconstruction_error",
                  lambda a, b: np.mean((a - b.astype(np.float32)) ** 2, axis=1, dtype=np.float32))
    assert passes("06.reconstruction_error", lambda a, b: np.linalg.norm(b - a, axis=1) ** 2 / 784)


@pytest.mark.parametrize("wrong, fragment", [
    (lambda a, b: np.mean((a - b) ** 2), "one number for the whole batch"),
    (lambda a, b: np.mean((a - b) ** 2, axis=0), "one number per pixel"),
    (lambda a, b: np.sum((a - b) ** 2, axis=1), "784 times too large"),
    (lambda a, b: np.sqrt(np.mean((a - b) ** 2, axis=1)), "RMSE"),
    (lambda a, b: np.mean(np.abs(a - b), axis=1), "wrong values"),
    (lambda a, b: np.mean(a - b, axis=1), "wrong values"),
    (lambda a, b: np.mean(a ** 2 - b ** 2, axis=1), "wrong values"),
    (lambda a, b: np.mean((a - b) ** 2, axis=1, keepdims=True), "shape (1, 1), expected (1,)"),
    (lambda a, b: (np.mean((a - b) ** 2, axis=1), np.mean((a - b) ** 2)), "a tuple of 2 values"),
    (lambda a, b: [float(np.mean((x - y) ** 2)) for x, y in zip(a, b)], "a list of 1 values"),
    (lambda a, b: (lambda e: e / e.max())(np.mean((a - b) ** 2, axis=1)), "wrong values"),
    (lambda a, b: np.mean((np.subtract(a, b, out=a)) ** 2, axis=1), "changed `a` in place"),
    (lambda a, b: None, "is None"),
])
def test_reconstruction_error_rejects(wrong, fragment):
    assert_rejected("06.reconstruction_error", wrong, fragment)


def test_reconstruction_error_rejects_in_place_change():
    def squares_in_place(a, b):
        a -= b
        a **= 2
        return a.mean(axis=1)
    assert_rejected("06.reconstruction_error", squares_in_place, "changed `a` in place")


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
    assert passes("06.roc_auc", lambda s, y: pairwise_auc(s.astype(np.float64), list(y)))
    assert passes("06.roc_auc", lambda s, y: np.asarray(pairwise_auc(s, y)))


def sorts_scores(s, y):
    auc = pairwise_auc(s.copy(), y)
    s.sort()
    return auc


@pytest.mark.parametrize("wrong, fragment", [
    (lambda s, y: 1 - pairwise_auc(s, y), "flipped"),
    (lambda s, y: pairwise_auc(-s, y), "flipped"),
    (lambda s, y: np.mean(s[np.asarray(y, bool)][:, None] > s[~np.asarray(y, bool)][None, :]),
     "you count a tie as 0"),
    (lambda s, y: np.mean(s[np.asarray(y, bool)][:, None] >= s[~np.asarray(y, bool)][None, :]),
     "you count a tie as 1"),
    (lambda s, y: np.mean((s[y][:, None] > s[~y][None, :]) + 0.5 * (s[y][:, None] == s[~y][None, :])),
     "0/1 integers"),
    (lambda s, y: (pairwise_auc(s, y), len(s)), "a tuple of 2 values"),
    (sorts_scores, "changed `s` in place"),
    (lambda s, y: np.argsort(s)[np.asarray(y, bool)].mean() / len(s), "expected"),
    (lambda s, y: np.mean((s > np.median(s)) == np.asarray(y, bool)), "expected"),
    (lambda s, y: np.mean(s[np.asarray(y, bool)]) - np.mean(s[~np.asarray(y, bool)]), "expected"),
    (lambda s, y: None, "None"),
])
def test_roc_auc_rejects(wrong, fragment):
    assert_rejected("06.roc_auc", wrong, fragment)


# --- 06.fit_anomaly_detector --------------------------------------------------------------

class Detector:
    """A detector for the tests: `compare` decides how a score and the threshold give a flag."""

    def __init__(self, score_fn, threshold, compare=np.greater):
        self.score_fn, self.threshold, self.compare = score_fn, threshold, compare

    def predict(self, images):
        return self.compare(self.score_fn(images), self.threshold)


def quantile_detector(level, compare=np.greater, **quantile_options):
    """fit_anomaly_detector with the threshold at the quantile `level(rate)` of the validation scores."""
    def fit(score_fn, images, rate):
        return Detector(score_fn, np.quantile(score_fn(images), level(rate), **quantile_options), compare)
    return fit


def namespace_detector(score_fn, normal_val_images, false_alarm_rate):
    from types import SimpleNamespace
    t = np.percentile(score_fn(normal_val_images), 100 * (1 - false_alarm_rate))
    return SimpleNamespace(threshold=t, predict=lambda images: score_fn(images) > t)


def sorted_index_detector(score_fn, normal_val_images, false_alarm_rate):
    scores = np.sort(score_fn(normal_val_images))
    return Detector(score_fn, scores[int(len(scores) * (1 - false_alarm_rate))])


@pytest.mark.parametrize("fn", [
    lesson06.fit_anomaly_detector_reference, namespace_detector, sorted_index_detector,
    quantile_detector(lambda r: 1 - r, method="higher"),
    quantile_detector(lambda r: 1 - r, method="lower"),
])
def test_fit_anomaly_detector_accepts_correct_answers(fn):
    result = passes("06.fit_anomaly_detector", fn)
    assert result.passed, result.message


def fixed_threshold(score_fn, images, rate):
    score_fn(images)
    return Detector(score_fn, 0.05)


def never_scores(score_fn, images, rate):
    return Detector(score_fn, 0.05)


def first_thousand(score_fn, images, rate):
    return Detector(score_fn, np.quantile(score_fn(images[:1000]), 1 - rate))


def batch_quantile(score_fn, images, rate):
    detector = lesson06.fit_anomaly_detector_reference(score_fn, images, rate)
    detector.predict = lambda x: score_fn(x) > np.quantile(score_fn(x), 1 - rate)
    return detector


def as_function(score_fn, images, rate):
    t = np.quantile(score_fn(images), 1 - rate)
    return lambda x: score_fn(x) > t


def scores_not_flags(score_fn, images, rate):
    detector = lesson06.fit_anomaly_detector_reference(score_fn, images, rate)
    detector.predict = score_fn
    return detector


def ints_not_booleans(score_fn, images, rate):
    return quantile_detector(lambda r: 1 - r, compare=lambda s, t: (s > t).astype(int))(score_fn, images, rate)


def column_of_flags(score_fn, images, rate):
    return quantile_detector(lambda r: 1 - r, compare=lambda s, t: (s > t)[:, None])(score_fn, images, rate)


def shuffles_images(score_fn, images, rate):
    np.random.default_rng(0).shuffle(images)
    return lesson06.fit_anomaly_detector_reference(score_fn, images, rate)


@pytest.mark.parametrize("wrong, fragment", [
    (lambda f, x, r: Detector(f, np.mean(f(x))), "the mean of the validation scores"),
    (lambda f, x, r: Detector(f, np.max(f(x))), "the largest validation score"),
    (quantile_detector(lambda r: r), "at the low end"),
    (quantile_detector(lambda r: 1 - r, compare=np.less), "the *lowest* scores"),
    (quantile_detector(lambda r: 1 - r / 100), "not a percent"),
    (lambda f, x, r: Detector(f, np.percentile(f(x), 1 - r)), "`np.percentile` takes percents"),
    (quantile_detector(lambda r: 0.99), "at false_alarm_rate=0.05, 1.00% of the validation scores"),
    (lambda f, x, r: np.quantile(f(x), 1 - r), "a threshold, not a detector"),
    (lambda f, x, r: f(x) > np.quantile(f(x), 1 - r), "not a detector"),
    (as_function, "a function (<lambda>), which has no `threshold` and no `predict`"),
    (lambda f, x, r: (np.quantile(f(x), 1 - r), f), "a tuple of 2 values"),
    (scores_not_flags, "it returns scores, not flags"),
    (ints_not_booleans, "0/1 numbers"),
    (column_of_flags, "one flag per image"),
    (quantile_detector(lambda r: 1 - r, compare=lambda s, t: np.where(s > t, "alarm", "normal")),
     "<U6 values, not booleans"),
    (quantile_detector(lambda r: 1 - r, compare=np.greater_equal), "strictly above the threshold"),
    (batch_quantile, "computes a new threshold from each batch"),
    (fixed_threshold, "not from a fixed number"),
    (never_scores, "never called `score_fn` on `normal_val_images`"),
    (first_thousand, "scored only 1000 of the 10000 validation images"),
    (shuffles_images, "changed `images` in place"),
    (lambda f, x, r: None, "None"),
])
def test_fit_anomaly_detector_rejects(wrong, fragment):
    assert_rejected("06.fit_anomaly_detector", wrong, fragment)


def test_fit_anomaly_detector_stub_is_not_attempted():
    result = passes("06.fit_anomaly_detector", lambda f, x, r: None)
    assert not result.attempted


def test_fresh_band_is_the_designed_beta_binomial_band():
    """The accepted share of flagged fresh images holds the rate, and a correct threshold's flagged
    count falls outside it with probability <= ALPHA (checked on the band's two edges)."""
    from scipy.stats import betabinom

    n, m = lesson06.VAL_IMAGES, lesson06.FRESH_IMAGES
    for rate in lesson06.DETECTOR_RATES:
        low, high = lesson06._fresh_band(rate)
        assert low < rate < high
        k = round(rate * n)
        low_count, high_count = round(low * m), round(high * m)
        assert betabinom.cdf(low_count - 1, m, k - 2, n - k + 3) <= lesson06.ALPHA / 2
        assert betabinom.sf(high_count, m, k + 2, n - k - 1) <= lesson06.ALPHA / 2


def test_reconstruction_error_perfect_reconstruction_message():
    def never_zero(a, b):
        return np.ones(len(a)) if np.array_equal(a, b) else np.mean((a - b) ** 2, axis=1)

    assert_rejected("06.reconstruction_error", never_zero, "the score of a perfect reconstruction")


# --- 06.sample_per_class ------------------------------------------------------------------

def sample_with_permutation(labels, n, seed):
    order = np.random.default_rng(seed).permutation(len(labels))
    return np.concatenate([order[labels[order] == c][:n] for c in np.unique(labels)])


def stream_per_class(labels, n, seed):
    """Correct too: an independent stream for every class, from the seed and the class."""
    return np.concatenate([np.random.default_rng([seed, int(c)]).permutation(
        np.flatnonzero(labels == c))[:n] for c in np.unique(labels)])


def local_random_state(labels, n, seed):
    """Correct behaviour with the legacy generator: its own, seeded, not the global one."""
    rs = np.random.RandomState(seed)
    return np.hstack([rs.choice(np.where(labels == c)[0], n, replace=False)
                      for c in sorted(set(labels.tolist()))])


@pytest.mark.parametrize("fn", [
    lesson06.sample_per_class_reference, sample_with_permutation, stream_per_class,
    local_random_state,
    lambda y, n, s: np.sort(lesson06.sample_per_class_reference(y, n, s)),
    lambda y, n, s: lesson06.sample_per_class_reference(y, n, s)[::-1].astype(np.int32),
])
def test_sample_per_class_accepts_correct_answers(fn):
    result = passes("06.sample_per_class", fn)
    assert result.passed, result.message


def first_n(labels, n, seed):
    return np.concatenate([np.flatnonzero(labels == c)[:n] for c in np.unique(labels)])


def global_state(labels, n, seed):
    return np.concatenate([np.random.choice(np.flatnonzero(labels == c), n, replace=False)
                           for c in np.unique(labels)])


def global_seeded(labels, n, seed):
    np.random.seed(seed)
    return global_state(labels, n, seed)


def python_random(labels, n, seed):
    import random
    random.seed(seed)
    return np.array([i for c in sorted(set(labels.tolist()))
                     for i in random.sample(list(np.flatnonzero(labels == c)), n)])


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


def within_class_positions(labels, n, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.sum(labels == c), n, replace=False)
                           for c in np.unique(labels)])


def seed_mod_two(labels, n, seed):
    return lesson06.sample_per_class_reference(labels, n, seed % 2)


def new_generator_per_class(labels, n, seed):
    return np.concatenate([np.random.default_rng(seed).choice(np.flatnonzero(labels == c), n,
                                                              replace=False)
                           for c in np.unique(labels)])


def seed_plus_class(labels, n, seed):
    return np.concatenate([np.random.default_rng(seed + i).choice(np.flatnonzero(labels == c), n,
                                                                  replace=False)
                           for i, c in enumerate(np.unique(labels))])


def cyclic_block(labels, n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        start = rng.integers(len(members))
        out.append(members[(start + np.arange(n)) % len(members)])
    return np.concatenate(out)


def lowest_of_twice_as_many(labels, n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        out.append(members[np.sort(rng.choice(len(members), min(2 * n, len(members)),
                                              replace=False))[:n]])
    return np.concatenate(out)


def weighted_towards_later_images(labels, n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        weights = np.arange(1.0, len(members) + 1)
        out.append(rng.choice(members, n, replace=False, p=weights / weights.sum()))
    return np.concatenate(out)


def shuffles_labels(labels, n, seed):
    rng = np.random.default_rng(seed)
    order = np.arange(len(labels))
    rng.shuffle(labels)
    return np.concatenate([order[labels == c][:n] for c in np.unique(labels)])


def unseeded(labels, n, seed):
    return lesson06.sample_per_class_reference(labels, n, None)


@pytest.mark.parametrize("wrong, fragment", [
    (first_n, "same sample"),
    (global_state, "numpy's global generator"),
    (global_seeded, "numpy's global generator"),
    (python_random, "Python's `random` module"),
    (unseeded, "same seed gave different samples"),
    (with_replacement, "chosen twice"),
    (n_in_total, "exactly n_per_class"),
    (capped_at_five, "exactly n_per_class"),
    (returns_mask, "boolean mask"),
    (returns_labels, "labels of the chosen images"),
    (within_class_positions, "positions within each class's own list"),
    (seed_mod_two, "different seeds often give a class the same images"),
    (new_generator_per_class, "different classes get the same positions"),
    (seed_plus_class, "repeats the draw of another class with another seed"),
    (cyclic_block, "the same images come up again and again"),
    (lowest_of_twice_as_many, "the same images come up again and again"),
    (weighted_towards_later_images, "drawn far more often than others"),
    (shuffles_labels, "changed `labels` in place"),
    (lambda y, n, s: [np.flatnonzero(y == c)[:n] for c in np.unique(y)], "a list of 10 values"),
    (lambda y, n, s: (i for i in lesson06.sample_per_class_reference(y, n, s)), "a generator"),
    (lambda y, n, s: (lesson06.sample_per_class_reference(y, n, s), y), "a tuple of 2 values"),
    (lambda y, n, s: lesson06.sample_per_class_reference(y, n, s).astype(float),
     "expected a 1-D array of integer indices"),
    (lambda y, n, s: lesson06.sample_per_class_reference(y, n, s) + len(y), "outside the label array"),
    (lambda y, n, s: None, "None"),
])
def test_sample_per_class_rejects(wrong, fragment):
    assert_rejected("06.sample_per_class", wrong, fragment)


def test_sample_per_class_rejects_torch_global_generator():
    torch = pytest.importorskip("torch")

    def torch_seeded(labels, n, seed):
        torch.manual_seed(seed)
        return np.concatenate([np.flatnonzero(labels == c)[torch.randperm(int(np.sum(labels == c)))[:n].numpy()]
                               for c in np.unique(labels)])

    assert_rejected("06.sample_per_class", torch_seeded, "PyTorch's generator")


def test_sampling_statistics_of_the_reference_are_unremarkable():
    stats = lesson06.sampling_statistics(lesson06.sample_per_class_reference)
    assert sum(stats["repeats"].values()) < lesson06.COLLISION_LIMIT
    assert stats["chi2_p"] > lesson06.CHI2_P_LIMIT
    assert stats["counts"].sum() == lesson06.SAMPLING_SEEDS * lesson06.SAMPLING_CLASSES * lesson06.SAMPLING_N


def test_every_lesson06_exercise_is_registered():
    ids = [i for i in check.exercises() if i.startswith("06.")]
    assert ids == ["06.reconstruction_error", "06.roc_auc", "06.fit_anomaly_detector",
                   "06.sample_per_class"]  # lesson order
