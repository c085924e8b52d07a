"""Lesson 02 checkers accept correct answers (written differently) and reject plausible wrong ones."""

import numpy as np
import pytest

from aelab import check


def verdict(exercise_id, fn, framework=None):
    return check.run(exercise_id, fn, framework=framework, show=False)


def assert_rejected(exercise_id, fn, fragment, framework=None):
    result = verdict(exercise_id, fn, framework)
    assert not result.passed, f"a wrong answer passed ({fragment!r} expected)"
    assert fragment in result.message, result.message


# --- 02.dead_code_units -------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    check.reference("02.dead_code_units"),
    lambda z: z.max(axis=0) == 0,
    lambda z: ~np.any(z > 0, axis=0),
    lambda z: np.count_nonzero(z, axis=0) == 0,
    lambda z: np.array([not col.any() for col in z.T], dtype=bool),
])
def test_dead_units_accepts_correct_answers(fn):
    result = verdict("02.dead_code_units", fn)
    assert result.passed, result.message


def clobber(z):
    z[z < 0.5] = 0
    return np.all(z == 0, axis=0)


@pytest.mark.parametrize("wrong, fragment", [
    (lambda z: np.all(z == 0, axis=1), "one value per input (40)"),
    (lambda z: np.any(z == 0, axis=0), "but you marked it dead"),
    (lambda z: z.mean(axis=0) < 0.1, "but you marked it dead"),
    (lambda z: z.max(axis=0) < 1e-2, "unit 2 is alive (its largest value is 0.002)"),
    (lambda z: np.mean(np.all(z == 0, axis=0)), "got shape ()"),
    (lambda z: (z.max(axis=0) == 0).astype(int), "got dtype int64"),
    (lambda z: z.max(axis=0) > 0, "is alive (its largest value is 2.07) but you marked it dead"),
    (lambda z: np.all(z.squeeze() <= 0, axis=0), "for codes of shape (1, 5)"),
    (lambda z: (np.all(z <= 0, axis=0), int(np.all(z <= 0, axis=0).sum())), "a tuple of 2 values"),
    (lambda z: list(np.all(z <= 0, axis=0)), "a list of 6 values"),
    (clobber, "changed `z` in place"),
    (lambda z: None, "returned None"),
])
def test_dead_units_rejects_wrong_answers(wrong, fragment):
    assert_rejected("02.dead_code_units", wrong, fragment)


# --- 02.l1_code_penalty -------------------------------------------------------------------------

def torch_l1_variants():
    import torch

    def abs_in_place(z, w):
        z.abs_()
        return w * z.sum(dim=1).mean()

    correct = [lambda z, w: w * torch.linalg.vector_norm(z, ord=1, dim=1).mean(),
               lambda z, w: w * z.abs().sum() / z.shape[0],
               lambda z, w: torch.mean(torch.sum(torch.abs(z), 1)) * w]
    wrong = [(lambda z, w: w * z.abs().mean(), "averaged over the code units too"),
             (lambda z, w: w * z.abs().sum(), "summed over the batch too"),
             (lambda z, w: w * z.sum(dim=1).mean(), "left out the absolute value"),
             (lambda z, w: w * (z ** 2).sum(dim=1).mean(), "squared the codes"),
             (lambda z, w: w * z.norm(dim=1).mean(), "Euclidean length"),
             (lambda z, w: z.abs().sum(dim=1).mean(), "left out `weight`"),
             (lambda z, w: torch.tensor(float(w * z.abs().sum(dim=1).mean())), "detached"),
             (lambda z, w: float(w * z.abs().sum(dim=1).mean()), "it returned a float"),
             (lambda z, w: w * z.abs().sum(dim=0), "a single number (a 0-d tensor)"),
             (lambda z, w: (w * z.abs().sum(dim=1).mean(), z.abs()), "a tuple of 2 values"),
             (abs_in_place, "changed `z` in place"),
             (lambda z, w: 1.1 * w * z.abs().sum(dim=1).mean(), "expected"),
             (lambda z, w: w * z.abs().sum(dim=1).mean().detach() + 0 * z.sum(),
              "its gradient has the right shape but wrong values"),
             (lambda z, w: None, "returned None")]
    return correct, wrong


def keras_l1_variants():
    import keras
    import tensorflow as tf

    def python_if(z, w):
        if tf.reduce_min(z) < 0:
            z = tf.abs(z)
        return w * tf.reduce_mean(tf.reduce_sum(z, axis=1))

    calls = []

    def python_side_state(z, w):   # tracing runs the Python code again: the count changes
        calls.append(1)
        return w * (1 if len(calls) == 1 else 2) * tf.reduce_mean(
            tf.reduce_sum(tf.abs(z), axis=1))

    correct = [lambda z, w: w * keras.ops.mean(keras.ops.sum(keras.ops.abs(z), axis=1)),
               lambda z, w: w * tf.norm(z, ord=1) / tf.cast(tf.shape(z)[0], tf.float32),
               lambda z, w: tf.reduce_sum(tf.abs(z)) * w / tf.cast(tf.shape(z)[0], z.dtype),
               python_if]   # autograph turns the `if` into tf.cond inside model.fit
    wrong = [(lambda z, w: w * tf.reduce_mean(tf.abs(z)), "averaged over the code units too"),
             (lambda z, w: w * tf.reduce_sum(tf.abs(z)), "summed over the batch too"),
             (lambda z, w: w * tf.reduce_mean(tf.reduce_sum(z, axis=1)), "left out the absolute value"),
             (lambda z, w: w * tf.reduce_mean(tf.reduce_sum(tf.square(z), axis=1)), "squared the codes"),
             (lambda z, w: tf.reduce_mean(tf.reduce_sum(tf.abs(z), axis=1)), "left out `weight`"),
             (lambda z, w: float(w * np.abs(z.numpy()).sum(axis=1).mean()), "it returned a float"),
             (lambda z, w: w * tf.ones(()) * np.abs(z.numpy()).sum(axis=1).mean(), "no gradient reaches"),
             (lambda z, w: w * tf.reduce_sum(tf.abs(z), axis=0), "a single number (a 0-d tensor)"),
             (lambda z, w: w * tf.reduce_sum(tf.abs(z)) / z.shape[0], "compiled training step"),
             (lambda z, w: (w * tf.reduce_mean(tf.reduce_sum(tf.abs(z), axis=1)), z), "a tuple of 2 values"),
             (python_side_state, "inside a tf.function"),
             (lambda z, w: None, "returned None")]
    return correct, wrong


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")  # a wrong variant does that
@pytest.mark.parametrize("framework,variants", [("torch", torch_l1_variants),
                                                ("keras", keras_l1_variants)])
def test_l1_penalty(framework, variants):
    pytest.importorskip("torch" if framework == "torch" else "tensorflow")
    correct, wrong = variants()
    for fn in [check.reference("02.l1_code_penalty", framework), *correct]:
        result = verdict("02.l1_code_penalty", fn, framework)
        assert result.passed, result.message
    for fn, fragment in wrong:
        assert_rejected("02.l1_code_penalty", fn, fragment, framework)


# --- 02.contractive_penalty ---------------------------------------------------------------------

def torch_contractive_variants():
    import torch

    def correct_loop(w, a, lam):
        total = 0
        for j in range(w.shape[0]):
            total = total + (a[:, j] > 0).float() * (w[j] ** 2).sum()
        return lam * total.mean()

    def clamps_pre_activation(w, a, lam):
        a.clamp_(min=0)
        return lam * ((a > 0).float() * (w ** 2).sum(1)).sum(1).mean()

    def squares_weights_in_place(w, a, lam):
        w.data **= 2
        return lam * ((a > 0).float() * w.sum(1)).sum(1).mean()

    correct = [correct_loop,
               lambda w, a, lam: lam * ((torch.relu(a) > 0).float() @ (w * w).sum(1)).mean(),
               lambda w, a, lam: lam * torch.einsum("nk,k->n", (a > 0).float(), w.pow(2).sum(1)).mean(),
               lambda w, a, lam: lam * ((a > 0) * (w ** 2).sum(dim=-1)).sum(-1).mean()]
    wrong = [(lambda w, a, lam: lam * (w ** 2).sum(), "counted every unit as active"),
             (lambda w, a, lam: lam * ((a > 0).float() * (w ** 2).sum(0)).sum(1).mean(), "wrong axis"),
             (lambda w, a, lam: lam * ((a > 0).float() * w.abs().sum(1)).sum(1).mean(), "summed |W|"),
             (lambda w, a, lam: lam * ((a > 0).float() * w.norm(dim=1)).sum(1).mean(), "without squaring"),
             (lambda w, a, lam: lam * ((a > 0).float() * (w ** 2).sum(1)).sum(), "summed over the batch"),
             (lambda w, a, lam: lam * ((a > 0).float() * (w ** 2).sum(1)).mean(), "averaged over the units"),
             (lambda w, a, lam: lam * (torch.relu(a) * (w ** 2).sum(1)).sum(1).mean(), "relu(a), the activation"),
             (lambda w, a, lam: lam * ((a < 0).float() * (w ** 2).sum(1)).sum(1).mean(), "inactive units"),
             (lambda w, a, lam: ((a > 0).float() * (w ** 2).sum(1)).sum(1).mean(), "left out `weight`"),
             (lambda w, a, lam: float(lam * ((a > 0).float() * (w ** 2).sum(1)).sum(1).mean()), "a float"),
             (clamps_pre_activation, "changed `a` in place"),
             (squares_weights_in_place, "changed `w` in place"),
             (lambda w, a, lam: lam * ((a > 0).float() * (w.detach() ** 2).sum(1)).sum(1).mean() + 0 * w.sum(),
              "its gradient with respect to the weights has the right shape but wrong values"),
             (lambda w, a, lam: None, "returned None")]
    return correct, wrong


def keras_contractive_variants():
    import keras
    import tensorflow as tf

    def numpy_mask(k, a, lam):
        active = (a.numpy() > 0).astype(np.float32)
        return lam * tf.reduce_mean(tf.reduce_sum(active * tf.reduce_sum(tf.square(k), axis=0), axis=1))

    def squares_kernel_in_place(k, a, lam):
        k.assign(tf.square(k))
        return lam * tf.reduce_mean(tf.reduce_sum(tf.cast(a > 0, tf.float32) * tf.reduce_sum(k, axis=0), axis=1))

    correct = [lambda k, a, lam: lam * tf.reduce_mean(tf.cast(a > 0, tf.float32) @ tf.reduce_sum(k * k, axis=0)[:, None]),
               lambda k, a, lam: lam * tf.reduce_mean(tf.reduce_sum(
                   tf.where(a > 0, tf.reduce_sum(tf.square(k), axis=0), 0.0), axis=1)),
               lambda k, a, lam: lam * keras.ops.mean(keras.ops.sum(
                   keras.ops.cast(a > 0, "float32") * keras.ops.sum(k ** 2, axis=0), axis=1))]
    wrong = [(lambda k, a, lam: lam * tf.reduce_sum(tf.square(k)), "counted every unit as active"),
             (lambda k, a, lam: lam * tf.reduce_mean(tf.reduce_sum(    # torch layout assumed
                 tf.cast(a > 0, tf.float32) * tf.reduce_sum(tf.square(k), axis=1)[: a.shape[1]], axis=1)),
              "wrong axis"),
             (lambda k, a, lam: lam * tf.reduce_mean(tf.reduce_sum(
                 tf.nn.relu(a) * tf.reduce_sum(tf.square(k), axis=0), axis=1)), "relu(a), the activation"),
             (lambda k, a, lam: lam * tf.reduce_sum(
                 tf.cast(a > 0, tf.float32) * tf.reduce_sum(tf.square(k), axis=0)), "summed over the batch"),
             (lambda k, a, lam: lam * tf.reduce_sum(
                 tf.cast(a > 0, tf.float32) * tf.reduce_sum(tf.square(k), axis=0)) / a.shape[0],
              "compiled training step"),
             (numpy_mask, "compiled training step"),
             (squares_kernel_in_place, "changed `k` in place"),
             (lambda k, a, lam: None, "returned None")]
    return correct, wrong


@pytest.mark.parametrize("framework,variants", [("torch", torch_contractive_variants),
                                                ("keras", keras_contractive_variants)])
def test_contractive_penalty(framework, variants):
    pytest.importorskip("torch" if framework == "torch" else "tensorflow")
    correct, wrong = variants()
    for fn in [check.reference("02.contractive_penalty", framework), *correct]:
        result = verdict("02.contractive_penalty", fn, framework)
        assert result.passed, result.message
    for fn, fragment in wrong:
        assert_rejected("02.contractive_penalty", fn, fragment, framework)


def test_contractive_numpy_reference_layouts():
    from aelab.check.lesson02 import contractive_penalty_numpy

    rng = np.random.default_rng(0)
    w, a = rng.normal(size=(3, 7)), rng.normal(size=(4, 3))
    assert contractive_penalty_numpy(w, a, 0.5, "torch") == contractive_penalty_numpy(w.T, a, 0.5, "keras")
    with pytest.raises(ValueError, match="layout"):
        contractive_penalty_numpy(w, a, 0.5, "tf")
