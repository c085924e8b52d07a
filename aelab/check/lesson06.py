"""Checkers for lesson 06 (applications): anomaly scores, ROC AUC by hand, an anomaly detector
built from a score function and normal validation images (a "build it" exercise), and sampling a
few labelled images per class.

All four exercises are numpy-only, so both tracks share them. The notebook calls them on numpy
arrays: float32 scores and images, boolean (or 0/1) anomaly labels, int64 digit labels; the
checks use the same types, and every call goes through ``call_unchanged`` so that a function
that changes its inputs in place (``scores.sort()``, ``rng.shuffle(labels)``) is caught.

``06.sample_per_class`` draws at random. Besides the counts, it is checked as a random sampler
(:func:`sampling_statistics`): over ``SAMPLING_SEEDS`` seeds, no two draws of a class may pick
the same images more often than independent uniform draws would (a collision test), and every
image of a class must be picked about equally often (a chi-square test). Both tests have a
designed false-alarm rate below one in a million for a correct answer;
``benchmarks/check_lesson06_sampling.py`` measures it, and the power against wrong samplers.
"""

from __future__ import annotations

import random
import sys
from math import comb

import numpy as np

from . import (NotYet, answer_array, answer_number, call_unchanged, exercise, expect_array, kind_of,
               to_numpy)


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


def sample_per_class_reference(labels: np.ndarray, n_per_class: int, seed: int) -> np.ndarray:
    """Indices of ``n_per_class`` images of every class in ``labels``, drawn without replacement
    with ``np.random.default_rng(seed)``. Returns a 1-D int array of length n_per_class * classes."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    return np.concatenate([rng.choice(np.flatnonzero(labels == c), size=n_per_class, replace=False)
                           for c in np.unique(labels)])


# --------------------------------------------------------------------------------------------
# Helpers


# --------------------------------------------------------------------------------------------
# 06.reconstruction_error


@exercise("06.reconstruction_error", title="per-image reconstruction error as an anomaly score",
          reference=reconstruction_error_reference,
          hint="An anomaly score is one number per image. Compare each image with its "
               "reconstruction pixel by pixel, square the differences, and average over the "
               "pixels of that image only, not over the images.",
          answer="`return np.mean((images - reconstructions) ** 2, axis=1)`.")
def _check_reconstruction_error(fn, framework):
    rng = np.random.default_rng(6)
    for n, recon_dtype in ((1, np.float32), (4, np.float32), (50, np.float32), (9, np.float64)):
        images = rng.random((n, 784), dtype=np.float32)
        recon = np.clip(images + rng.normal(0, 0.1 + 0.2 * rng.random((n, 1)), (n, 784)),
                        0, 1).astype(recon_dtype)   # sklearn's inverse_transform may give float64
        expected = reconstruction_error_reference(images, recon)
        out = call_unchanged(fn, images, recon, what="reconstruction_error")
        arr = answer_array(out, name=f"the scores of {n} image(s)", returns="the (N,) array of scores")
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
        expect_array(arr, expected, name=f"the scores of {n} image(s)", rtol=1e-4, atol=1e-7,
                     shape_hint="One score per image: shape (N,).")
    same = rng.random((3, 784), dtype=np.float32)
    expect_array(call_unchanged(fn, same, same.copy(), what="reconstruction_error"), np.zeros(3),
                 name="the score of a perfect reconstruction", atol=1e-9)


# --------------------------------------------------------------------------------------------
# 06.roc_auc


def _auc_cases():
    rng = np.random.default_rng(60)
    labels = rng.random(300) < 0.2
    yield "continuous scores", rng.normal(0, 1, 300) + 0.8 * labels, labels
    anomalous = rng.random(400) < 0.1
    yield "float32 scores (as the notebook's errors)", \
        (rng.gamma(2.0, 0.01, 400) * (1 + anomalous)).astype(np.float32), anomalous
    ties = rng.integers(0, 4, 200).astype(float)
    tie_labels = rng.random(200) < (0.1 + 0.2 * ties)
    yield "scores with many ties", ties + 0.0, tie_labels
    yield "perfectly separated scores", np.r_[np.linspace(0, 1, 8), np.linspace(2, 3, 4)], \
        np.r_[np.zeros(8, bool), np.ones(4, bool)]
    yield "anomalies scored lower than normal images", np.r_[np.linspace(2, 3, 5), np.linspace(0, 1, 7)], \
        np.r_[np.zeros(5, bool), np.ones(7, bool)]


def _pairs(scores, positive):
    pos, neg = scores[positive][:, None], scores[~positive][None, :]
    return float(np.mean(pos > neg)), float(np.mean(pos == neg))


@exercise("06.roc_auc", title="ROC AUC by hand: the chance that an anomaly outscores a normal image",
          reference=roc_auc_reference,
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
        got = answer_number(call_unchanged(fn, scores, labels, what="roc_auc"),
                            name=f"the AUC for {what}", returns="the AUC, one number")
        if np.isclose(got, expected, atol=1e-9):
            continue
        if np.isclose(got, 1 - expected, atol=1e-9):
            raise NotYet(f"for {what} you get {got:.4f}, expected {expected:.4f}: your AUC is "
                         f"flipped. Count the pairs where the *anomaly* has the higher score.")
        higher, tied = _pairs(np.asarray(scores, np.float64), labels)
        if tied > 0 and np.isclose(got, higher, atol=1e-9):
            raise NotYet(f"for {what} you get {got:.4f}, expected {expected:.4f}: you count a tie "
                         f"as 0 ({tied:.1%} of the pairs are ties). Ties count one half each.")
        if tied > 0 and np.isclose(got, higher + tied, atol=1e-9):
            raise NotYet(f"for {what} you get {got:.4f}, expected {expected:.4f}: you count a tie "
                         f"as 1 ({tied:.1%} of the pairs are ties). Ties count one half each.")
        raise NotYet(f"for {what} you get {got:.4f}, expected {expected:.4f} "
                     f"(scikit-learn's roc_auc_score)."
                     + (" Ties count one half each (neither higher nor lower)." if tied > 0 else ""))
    # the exercise allows 0/1 labels: the same labels as integers must give the same AUC
    rng = np.random.default_rng(61)
    scores = rng.random(40)
    as_bool = rng.random(40) < 0.5
    expected = roc_auc_score(as_bool, scores)
    got = answer_number(call_unchanged(fn, scores, as_bool.astype(int), what="roc_auc"),
                        name="the AUC for labels given as 0/1 integers", returns="the AUC, one number")
    if not np.isclose(got, expected, atol=1e-9):
        raise NotYet(f"with the same labels given as 0/1 integers instead of booleans you get "
                     f"{got:.4f}, expected {expected:.4f}. Indexing with an integer array picks "
                     f"positions, and `~` on integers is not `not`: convert first with "
                     f"`np.asarray(is_anomaly, dtype=bool)`.")


# --------------------------------------------------------------------------------------------
# 06.fit_anomaly_detector
#
# The checks score synthetic "images" with a synthetic score function (_TableScore): image i is a
# float32 row whose first pixel holds the integer i, and its score is table[i]. So the checker
# knows every score exactly, can build an image with any score it likes (one exactly at the
# threshold), and sees which images the student's code scored. The exercise never looks inside an
# image (only score_fn does), so the rows are IMAGE_PIXELS wide, not 784: tens of thousands of
# them stay small and the check stays fast.
#
# The false-alarm rate on fresh normal images is judged with an exact tolerance. A detector that
# passes the validation check below has j validation scores strictly above its threshold, with
# round(rate * VAL_IMAGES) - 2 <= j <= round(rate * VAL_IMAGES) + 1. For iid continuous scores,
# the probability mass above the j-th largest of n validation scores follows Beta(j, n - j + 1),
# so the threshold's true false-alarm rate lies between a Beta(j, n - j + 1) and a
# Beta(j + 1, n - j) draw, and the number of FRESH_IMAGES fresh normal images it flags lies
# (stochastically) between two beta-binomial counts. The accepted band is the union over those j
# of the beta-binomial quantiles at ALPHA / 2 on each side. With 2 distributions x 3 rates, a
# correct answer on freshly drawn data is rejected with probability at most 6 * ALPHA = 1e-6; the
# seeds are fixed, so the checker is deterministic and the reference passes every time.

VAL_IMAGES, FRESH_IMAGES, IMAGE_PIXELS = 10_000, 20_000, 16
DETECTOR_RATES = (0.01, 0.05, 0.2)
ALPHA = 1e-6 / 6   # per (distribution, rate) check, split over the two tails


class AnomalyDetector:
    """The reference detector: flags images whose score is strictly above ``threshold``.
    ``score_fn`` maps images (N, 784) to scores (N,)."""

    def __init__(self, score_fn, threshold):
        self.score_fn, self.threshold = score_fn, float(threshold)

    def predict(self, images):
        """(N, 784) images -> (N,) booleans, True where the score is above the threshold."""
        return np.asarray(self.score_fn(images)) > self.threshold


def fit_anomaly_detector_reference(score_fn, normal_val_images, false_alarm_rate):
    """A detector whose threshold is the ``1 - false_alarm_rate`` quantile of the scores of the
    held-out normal images ``normal_val_images``."""
    val_scores = np.asarray(score_fn(normal_val_images), dtype=np.float64)
    return AnomalyDetector(score_fn, np.quantile(val_scores, 1 - false_alarm_rate))


class _TableScore:
    """A synthetic score function: image i (first pixel = i) scores ``table[i]``. Records which
    images it scored."""

    def __init__(self):
        self.table = np.zeros(0)
        self.scored = []

    def images(self, scores) -> np.ndarray:
        """New (N, IMAGE_PIXELS) float32 images whose scores are ``scores``."""
        scores = np.asarray(scores, dtype=np.float64)
        ids = len(self.table) + np.arange(len(scores))
        self.table = np.concatenate([self.table, scores])
        images = np.zeros((len(scores), IMAGE_PIXELS), np.float32)
        images[:, 0] = ids
        return images

    def __call__(self, images):
        images = np.asarray(images)
        if images.ndim != 2 or images.shape[1] != IMAGE_PIXELS:
            raise ValueError(f"score_fn expects images of shape (N, {IMAGE_PIXELS}), got shape "
                             f"{images.shape}")
        ids = images[:, 0].astype(np.int64)
        self.scored.append(ids)
        return self.table[ids]


def _fresh_band(rate: float) -> tuple[float, float]:
    """Accepted range of the fraction of FRESH_IMAGES normal images flagged (see above)."""
    from scipy.stats import betabinom

    n, k = VAL_IMAGES, round(rate * VAL_IMAGES)
    low = betabinom.ppf(ALPHA / 2, FRESH_IMAGES, k - 2, n - (k - 2) + 1)
    high = betabinom.isf(ALPHA / 2, FRESH_IMAGES, k + 2, n - (k + 1))
    return float(low) / FRESH_IMAGES, float(high) / FRESH_IMAGES


def _detector(out, what: str):
    """The student's detector, its threshold as a float; NotYet naming what is missing."""
    if out is None:
        raise NotYet(f"{what} is None: the function does not return anything yet; `return` a "
                     f"detector (an object with `threshold` and `predict`).")
    if isinstance(out, (int, float, np.number)) or (hasattr(out, "shape") and np.size(out) == 1
                                                     and not hasattr(out, "predict")):
        raise NotYet(f"{what} is one number ({float(to_numpy(out)):.4g}), a threshold, not a "
                     f"detector. Return an object that keeps the threshold (`.threshold`) and "
                     f"can flag new images (`.predict(images)`), e.g. an instance of a small class.")
    if hasattr(out, "shape") and not hasattr(out, "predict"):
        raise NotYet(f"{what} is an array of shape {tuple(out.shape)}, not a detector: return an "
                     f"object with a `threshold` attribute and a `predict(images)` method.")
    missing = [name for name in ("threshold", "predict") if not hasattr(out, name)]
    if missing:
        raise NotYet(f"{what} is {kind_of(out)}, which has no "
                     + " and no ".join(f"`{m}`" for m in missing)
                     + ": the detector needs an attribute `threshold` (a float) and a method "
                       "`predict(images)` returning one boolean per image.")
    if not callable(out.predict):
        raise NotYet(f"the detector's `predict` is {kind_of(out.predict)}, not a method: "
                     f"`predict(images)` must return one boolean per image.")
    if out.threshold is None:
        raise NotYet("the detector's `threshold` is None: set it to the threshold you computed.")
    return out, answer_number(out.threshold, name="the detector's `threshold`", returns="a float")


def _flags(detector, images, what: str, unchanged: bool = True) -> np.ndarray:
    """``detector.predict(images)``: a boolean array of one flag per image, or NotYet.
    ``unchanged``: also check that predict leaves ``images`` as they were (a copy and a compare,
    skipped for the big batch of fresh images to keep the check fast)."""
    n = len(images)
    out = (call_unchanged(detector.predict, images, what="the detector's predict") if unchanged
           else detector.predict(images))
    if out is None:
        raise NotYet(f"`predict` on {what} returned None; it should return one boolean per image.")
    flags = answer_array(out, name=f"what `predict` returns for {what}",
                         returns="one boolean per image, e.g. `scores > self.threshold`")
    if flags.shape != (n,):
        raise NotYet(f"`predict` on {what} ({n} images) returned shape {flags.shape}; it should "
                     f"return one flag per image, shape ({n},).")
    if flags.dtype != bool:
        if not np.issubdtype(flags.dtype, np.number):
            raise NotYet(f"`predict` returned {flags.dtype} values, not booleans: return True "
                         f"(alarm) or False for each image.")
        if np.all(np.isin(flags, (0, 1))):
            raise NotYet(f"`predict` returned 0/1 numbers ({flags.dtype}); return booleans, True "
                         f"for an alarm (a comparison like `scores > threshold` gives them).")
        raise NotYet(f"`predict` returned {flags.dtype} values such as {flags[0]:.4g}, not "
                     f"booleans: it returns scores, not flags. Compare the scores with the "
                     f"threshold, so that each image gets True (alarm) or False.")
    return flags


def _threshold_diagnosis(t: float, val_scores: np.ndarray, rate: float) -> str:
    """What a threshold that leaves the wrong share of the validation scores above it is."""
    n = len(val_scores)
    above = float(np.mean(val_scores > t))
    said = (f"at false_alarm_rate={rate}, {above:.2%} of the validation scores lie above your "
            f"threshold {t:.4g}; it should be {rate:.0%}.")
    if np.isclose(t, val_scores.max(), rtol=1e-9, atol=0):
        return (said + " Your threshold is the largest validation score: it flags none of them, "
                "so new normal images would almost never raise an alarm. Take the "
                "`1 - false_alarm_rate` quantile instead.")
    if np.isclose(t, val_scores.mean(), rtol=1e-6, atol=0):
        return (said + " Your threshold is the mean of the validation scores; the share above the "
                "mean is whatever the distribution makes it. Take the `1 - false_alarm_rate` "
                "quantile, so that exactly that share lies above.")
    # the share above the threshold for three mistakes; the nearest one (within 2 images) is named
    mistakes = {
        1 - rate: " Your threshold is at the low end (the `false_alarm_rate` quantile): an alarm "
                  "is a score *above* the threshold, and only a fraction false_alarm_rate of the "
                  "normal scores may lie above it: the `1 - false_alarm_rate` quantile.",
        rate / 100: " `false_alarm_rate` is a fraction (0.01 means 1%), not a percent: do not "
                    "divide it by 100.",
        1 - (1 - rate) / 100: " `np.percentile` takes percents (0 to 100): for a fraction use "
                              "`np.quantile`, or multiply by 100.",
    }
    share, why = min(mistakes.items(), key=lambda item: abs(item[0] - above))
    return said + why if abs(share - above) <= 2.0 / n else said


def _check_detector_case(fn, what: str, draw, rate: float, rng) -> None:
    """One (score distribution, rate) case: validation share, fresh share, predict's flags."""
    score_fn = _TableScore()
    val_scores = draw(rng, VAL_IMAGES)
    val_images = score_fn.images(val_scores)
    scored_before = len(score_fn.scored)
    detector, t = _detector(call_unchanged(fn, score_fn, val_images, rate,
                                           what="fit_anomaly_detector"),
                            f"what fit_anomaly_detector returns ({what}, rate {rate})")
    scored = (np.concatenate(score_fn.scored[scored_before:]) if score_fn.scored[scored_before:]
              else np.zeros(0, np.int64))
    missed = np.setdiff1d(val_images[:, 0].astype(np.int64), scored).size
    if missed == VAL_IMAGES:
        raise NotYet("fit_anomaly_detector never called `score_fn` on `normal_val_images`: the "
                     "threshold must come from the scores of the validation images you are given.")
    if missed:
        raise NotYet(f"fit_anomaly_detector scored only {VAL_IMAGES - missed} of the "
                     f"{VAL_IMAGES} validation images; use the scores of all of them.")
    # the threshold follows the data: ten times larger scores, ten times larger threshold
    scaled_fn = _TableScore()
    _, t_scaled = _detector(call_unchanged(fn, scaled_fn, scaled_fn.images(10 * val_scores),
                                           rate, what="fit_anomaly_detector"),
                            f"what fit_anomaly_detector returns ({what} x 10, rate {rate})")
    if np.isclose(t_scaled, t, rtol=1e-6) and not np.isclose(t, 0):
        raise NotYet(f"your threshold stays {t:.4g} when every validation score is ten times "
                     f"larger: it must come from the scores of `normal_val_images`, not from a "
                     f"fixed number.")

    above = float(np.mean(val_scores > t))
    at_or_above = float(np.mean(val_scores >= t))
    slack = 1.0 / VAL_IMAGES + 1e-12
    if above > rate + slack or at_or_above < rate - slack:
        raise NotYet(f"with {what}: " + _threshold_diagnosis(t, val_scores, rate))

    # fresh normal images: the share flagged, then image by image
    fresh_scores = draw(rng, FRESH_IMAGES)
    flags = _flags(detector, score_fn.images(fresh_scores), f"{FRESH_IMAGES} fresh normal images",
                   unchanged=False)
    share = float(flags.mean())
    low, high = _fresh_band(rate)
    if not low <= share <= high:
        why = ""
        if np.array_equal(flags, fresh_scores < t) or np.array_equal(flags, fresh_scores <= t):
            why = (" It flags the images with the *lowest* scores: an alarm is a score above the "
                   "threshold.")
        raise NotYet(f"with {what} and false_alarm_rate={rate}, your detector flags {share:.2%} "
                     f"of {FRESH_IMAGES} fresh normal images; expected {rate:.0%} (anything in "
                     f"{low:.2%}..{high:.2%} is fine for a sample of this size).{why}")
    expected = fresh_scores > t
    if not np.array_equal(flags, expected):
        wrong = int(np.flatnonzero(flags != expected)[0])
        batch_quantile = fresh_scores > np.quantile(fresh_scores, 1 - rate)
        raise NotYet(
            f"`predict` disagrees with `score > threshold` on {int(np.sum(flags != expected))} of "
            f"{FRESH_IMAGES} fresh images: e.g. score {fresh_scores[wrong]:.5g}, threshold "
            f"{t:.5g}, flag {bool(flags[wrong])}."
            + (" It looks like predict computes a new threshold from each batch; it must use the "
               "fitted `threshold`." if np.sum(flags != batch_quantile) < np.sum(flags != expected)
               else ""))

    # a batch of obvious anomalies, one image alone, and scores exactly at the threshold
    far = np.max(val_scores) * np.linspace(2, 3, 50)
    flags = _flags(detector, score_fn.images(far), "50 images scoring far above the threshold")
    if not flags.all():
        raise NotYet(f"`predict` flagged only {int(flags.sum())} of 50 images whose scores are all "
                     f"far above the threshold: it must compare each score with the fitted "
                     f"`threshold`, whatever else is in the batch.")
    flags = _flags(detector, score_fn.images(far[:1]), "one image alone")
    if not flags[0]:
        raise NotYet("`predict` on one image alone, scoring far above the threshold, did not "
                     "flag it.")
    edge = [np.nextafter(t, -np.inf), t, np.nextafter(t, np.inf)]
    flags = _flags(detector, score_fn.images(edge), "3 images scoring just below, exactly at and "
                   "just above the threshold")
    if flags.tolist() != [False, False, True]:
        raise NotYet(f"for scores just below, exactly at and just above the threshold, `predict` "
                     f"gives {flags.tolist()}, expected [False, False, True]: an image is flagged "
                     f"when its score is strictly above the threshold (`>`, not `>=`); a score "
                     f"equal to it counts as normal.")


def _gamma_scores(rng, n):
    return rng.gamma(2.0, 0.01, n)     # like reconstruction errors: positive, right-skewed


def _lognormal_scores(rng, n):
    return rng.lognormal(3.0, 1.0, n)  # another scale and shape


@exercise("06.fit_anomaly_detector",
          title="an anomaly detector: a threshold from normal validation images, and alarms",
          reference=fit_anomaly_detector_reference,
          hint="Every validation image is normal, so each one flagged is a false alarm: score "
               "them and put the threshold where exactly a fraction `false_alarm_rate` of their "
               "scores lies above it (which quantile is that?). The detector keeps the threshold "
               "and the score function, so that `predict` can score new images and compare.",
          answer="A class `AnomalyDetector` with `__init__(self, score_fn, threshold)` storing "
                 "both (`self.threshold = float(threshold)`) and `predict(self, images)` "
                 "returning `self.score_fn(images) > self.threshold`; then "
                 "fit_anomaly_detector does `val_scores = score_fn(normal_val_images)` and "
                 "`return AnomalyDetector(score_fn, np.quantile(val_scores, 1 - "
                 "false_alarm_rate))`.")
def _check_fit_anomaly_detector(fn, framework):
    rng = np.random.default_rng(606)
    for what, draw in (("gamma-distributed scores", _gamma_scores),
                       ("log-normal scores", _lognormal_scores)):
        for rate in DETECTOR_RATES:
            _check_detector_case(fn, what, draw, rate, rng)


# --------------------------------------------------------------------------------------------
# 06.sample_per_class


def _fake_labels(seed: int, classes=tuple(range(10)), sizes=None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sizes = sizes or [int(s) for s in rng.integers(12, 40, len(classes))]
    labels = np.concatenate([np.full(s, c) for c, s in zip(classes, sizes)])
    return rng.permutation(labels)


def _global_random_states():
    """What a function changes when it draws from (or seeds) a global random generator."""
    states = {"numpy's global generator (np.random.seed, np.random.choice, ...)":
              np.random.get_state()[1].copy(),
              "Python's `random` module": random.getstate()}
    if "torch" in sys.modules:
        import torch

        states["PyTorch's generator (torch.manual_seed, torch.randperm, ...)"] = \
            torch.random.get_rng_state().numpy().copy()
    return states


def _call_sampler(fn, labels, n, seed):
    """Call the student's sampler; NotYet if it touched a global random generator or the labels."""
    before = _global_random_states()
    out = call_unchanged(fn, labels, n, seed, what="sample_per_class")
    after = _global_random_states()
    for name, state in before.items():
        changed = (not np.array_equal(state, after[name]) if isinstance(state, np.ndarray)
                   else state != after[name])
        if changed:
            raise NotYet(f"your function draws from (or reseeds) {name}. That changes the random "
                         f"numbers of the rest of the notebook; draw from your own generator, "
                         f"`rng = np.random.default_rng(seed)`, as the exercise says.")
    return out


def _sample_indices(out, labels: np.ndarray, n: int) -> np.ndarray:
    """Validate one sample: integer positions in ``labels``, no repeats, n of every class."""
    classes = np.unique(labels)
    idx = answer_array(out, name="the sample", returns="the 1-D array of indices")
    if idx.dtype == bool:
        raise NotYet("you returned a boolean mask; return the integer indices of the chosen "
                     "images (e.g. with np.flatnonzero or rng.choice on index arrays).")
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
        raise NotYet(f"expected a 1-D array of integer indices, got shape {idx.shape} and "
                     f"dtype {idx.dtype}.")
    if len(idx) and (idx.min() < 0 or idx.max() >= len(labels)):
        raise NotYet("some indices are outside the label array; return positions in "
                     "`labels`, not the labels themselves.")
    counts = {int(c): int(np.sum(labels[idx] == c)) for c in classes}
    if len(np.unique(idx)) == len(idx) and all(counts[int(c)] == n for c in classes):
        return idx
    if len(idx) == n * len(classes) and set(np.unique(idx).tolist()) <= set(classes.tolist()) \
            and all(np.sum(idx == c) == n for c in classes):
        raise NotYet(f"you returned the labels of the chosen images ({n} of each class), not "
                     f"their indices: return the positions in `labels`.")
    blocks = [idx[i * n:(i + 1) * n] for i in range(len(classes))]
    if len(idx) == n * len(classes) and all(
            len(np.unique(block)) == n and block.max() < np.sum(labels == c)
            for block, c in zip(blocks, classes)):
        raise NotYet("your indices look like positions within each class's own list of images "
                     "(0 = the first image *of that class*); return positions in the whole "
                     "`labels` array, e.g. `np.flatnonzero(labels == c)[...]`.")
    if len(np.unique(idx)) != len(idx):
        raise NotYet("some images were chosen twice: draw without replacement "
                     "(`replace=False`).")
    raise NotYet(f"asked for {n} per class, you returned {counts} "
                 f"(class: count). Every class needs exactly n_per_class images.")


# The statistical check: SAMPLING_SEEDS calls on SAMPLING_CLASSES classes of SAMPLING_SIZE
# images, SAMPLING_N per class. A correct sampler repeats a class's draw (the same set of
# positions) with probability 1 / C(30, 5) = 1 / 142,506 per pair of draws, so among the
# C(400, 2) pairs of draws we expect 0.56 repeats; COLLISION_LIMIT repeats or more happen with
# probability 1.5e-7 (Poisson tail). The chi-square test of how often each image is picked
# rejects at p < CHI2_P_LIMIT.
SAMPLING_SEEDS, SAMPLING_CLASSES, SAMPLING_SIZE, SAMPLING_N = 100, 4, 30, 5
COLLISION_LIMIT = 8
CHI2_P_LIMIT = 1e-6


def sampling_statistics(fn, seeds=range(SAMPLING_SEEDS)) -> dict:
    """Call ``fn(labels, SAMPLING_N, seed)`` for every seed and measure how random its draws are.

    Returns ``positions`` (seeds, classes, SAMPLING_N) sorted positions of the chosen images in
    their class's list, ``repeats`` {"same seed, different classes", "same class, different
    seeds", "different seeds and classes"}: how many pairs of draws picked the same positions,
    ``pairs``: how many pairs of draws of each kind there are,
    ``expected_repeats`` for independent uniform draws, ``chi2`` and ``chi2_p``: a chi-square
    test that every image of a class is picked equally often. Raises NotYet when a single call
    gives an invalid sample.
    """
    from scipy.stats import chi2

    labels = np.random.default_rng(606).permutation(np.repeat(
        np.arange(SAMPLING_CLASSES) * 2 + 1, SAMPLING_SIZE))   # classes 1, 3, 5, 7
    classes = np.unique(labels)
    members = [np.flatnonzero(labels == c) for c in classes]
    position = np.empty(len(labels), int)
    for m in members:
        position[m] = np.arange(len(m))
    seeds = list(seeds)
    chosen = np.zeros((len(seeds), len(classes), SAMPLING_N), int)
    for s, seed in enumerate(seeds):
        idx = _sample_indices(_call_sampler(fn, labels, SAMPLING_N, seed), labels, SAMPLING_N)
        for c, cls in enumerate(classes):
            chosen[s, c] = np.sort(position[idx[labels[idx] == cls]])
    keys = {}
    for s in range(len(seeds)):
        for c in range(len(classes)):
            keys.setdefault(chosen[s, c].tobytes(), []).append((s, c))
    repeats = {"same seed, different classes": 0, "same class, different seeds": 0,
               "different seeds and classes": 0}
    for group in keys.values():
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                (s1, c1), (s2, c2) = group[i], group[j]
                kind = ("same seed, different classes" if s1 == s2 else
                        "same class, different seeds" if c1 == c2 else "different seeds and classes")
                repeats[kind] += 1
    pairs = {"same seed, different classes": len(seeds) * comb(len(classes), 2),
             "same class, different seeds": len(classes) * comb(len(seeds), 2),
             "different seeds and classes": comb(len(seeds), 2) * len(classes) * (len(classes) - 1)}
    draws = len(seeds) * len(classes)
    expected_repeats = comb(draws, 2) / comb(SAMPLING_SIZE, SAMPLING_N)
    # picks per image: a sum over seeds of the indicator of a uniform SAMPLING_N-subset, whose
    # covariance is p(1-p) m/(m-1) (I - J/m); so the scaled squared deviation is chi2(m - 1)
    counts = np.stack([np.bincount(chosen[:, c].ravel(), minlength=SAMPLING_SIZE)
                       for c in range(len(classes))])
    p = SAMPLING_N / SAMPLING_SIZE
    variance = len(seeds) * p * (1 - p) * SAMPLING_SIZE / (SAMPLING_SIZE - 1)
    statistic = float(np.sum((counts - len(seeds) * p) ** 2) / variance)
    dof = len(classes) * (SAMPLING_SIZE - 1)
    return {"positions": chosen, "repeats": repeats, "pairs": pairs,
            "expected_repeats": expected_repeats,
            "counts": counts, "chi2": statistic, "chi2_p": float(chi2.sf(statistic, dof))}


@exercise("06.sample_per_class", title="a labelled subset with the same number of images per class",
          reference=sample_per_class_reference,
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
        _sample_indices(_call_sampler(fn, labels, n, 0), labels, n)
    labels = _fake_labels(4)
    first = np.sort(to_numpy(_call_sampler(fn, labels, 3, 0)))
    again = np.sort(to_numpy(_call_sampler(fn, labels, 3, 0)))
    if not np.array_equal(first, again):
        raise NotYet("two calls with the same seed gave different samples: draw from "
                     "`np.random.default_rng(seed)`, not the global random state.")
    others = [np.sort(to_numpy(_call_sampler(fn, labels, 3, seed))) for seed in (1, 2, 3)]
    if all(np.array_equal(first, other) for other in others):
        raise NotYet("seeds 0, 1, 2 and 3 all give the same sample; the seed must change which "
                     "images are drawn (otherwise the spread over seeds is always zero).")
    stats = sampling_statistics(fn)
    total = sum(stats["repeats"].values())
    if total >= COLLISION_LIMIT:
        rates = {kind: count / stats["pairs"][kind] for kind, count in stats["repeats"].items()}
        kind = max(rates, key=rates.get)
        others = [rate for other, rate in rates.items() if other != kind]
        why = {"same seed, different classes": "within one call, different classes get the "
                                               "same positions in their lists: the classes are "
                                               "not drawn independently (one generator for all "
                                               "classes, not a new one per class)",
               "same class, different seeds": "different seeds often give a class the same "
                                              "images: the seed changes too little",
               "different seeds and classes": "the draw of one class with one seed repeats the "
                                              "draw of another class with another seed (a seed "
                                              "per class such as `seed + c` does that)"}[kind]
        if stats["repeats"][kind] < 3 or rates[kind] < 10 * max(others):
            why = ("the same images come up again and again, whatever the seed and the class: "
                   "your draws are not spread over all possible samples (every set of "
                   f"{SAMPLING_N} of the {SAMPLING_SIZE} images should be equally likely)")
        counts = "; ".join(f"{count} of {stats['pairs'][kind]} pairs with the {kind}"
                           for kind, count in stats["repeats"].items())
        raise NotYet(f"over {SAMPLING_SEEDS} seeds with {SAMPLING_CLASSES} classes of "
                     f"{SAMPLING_SIZE} images, {total} pairs of draws picked exactly the same "
                     f"{SAMPLING_N} images of a class ({counts}), where independent random draws "
                     f"repeat about {stats['expected_repeats']:.1f} times in all. So {why}. "
                     f"Draw every class from one `rng = np.random.default_rng(seed)`.")
    if stats["chi2_p"] < CHI2_P_LIMIT:
        counts = stats["counts"]
        raise NotYet(f"some images are drawn far more often than others: over {SAMPLING_SEEDS} "
                     f"seeds, each image of a {SAMPLING_SIZE}-image class should be picked about "
                     f"{SAMPLING_SEEDS * SAMPLING_N / SAMPLING_SIZE:.0f} times, yours are picked "
                     f"from {counts.min()} to {counts.max()} times (chi-square p = "
                     f"{stats['chi2_p']:.1g}). Every image of a class must be equally likely: "
                     f"`rng.choice(indices, n_per_class, replace=False)`.")
