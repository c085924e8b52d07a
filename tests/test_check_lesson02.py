"""Lesson 02 checkers accept correct answers (written differently) and reject plausible wrong ones."""

import numpy as np
import pytest

from aelab import check


def verdict(exercise_id, fn, framework=None):
    return check.run(exercise_id, fn, framework=framework, show=False)


# --- 02.dead_code_units -------------------------------------------------------------------------

def test_dead_units_accepts_correct_answers():
    assert verdict("02.dead_code_units", check.reference("02.dead_code_units")).passed
    assert verdict("02.dead_code_units", lambda z: z.max(axis=0) == 0).passed
    assert verdict("02.dead_code_units", lambda z: ~np.any(z > 0, axis=0)).passed
    assert verdict("02.dead_code_units", lambda z: np.count_nonzero(z, axis=0) == 0).passed


@pytest.mark.parametrize("wrong", [
    lambda z: np.all(z == 0, axis=1),             # per input instead of per unit
    lambda z: np.any(z == 0, axis=0),             # off for some input = "dead"
    lambda z: z.mean(axis=0) < 0.1,               # "rarely on" is not dead
    lambda z: np.mean(np.all(z == 0, axis=0)),    # the fraction, not the mask
    lambda z: (z.max(axis=0) == 0).astype(int),   # 0/1 instead of booleans
    lambda z: z.max(axis=0) > 0,                  # alive instead of dead
    lambda z: None,
])
def test_dead_units_rejects_wrong_answers(wrong):
    assert not verdict("02.dead_code_units", wrong).passed


def test_dead_units_rejects_in_place_changes():
    def clobber(z):
        z[z < 0.5] = 0
        return np.all(z == 0, axis=0)

    result = verdict("02.dead_code_units", clobber)
    assert not result.passed


# --- 02.l1_code_penalty -------------------------------------------------------------------------

def torch_l1_variants():
    import torch

    correct = [lambda z, w: w * torch.linalg.vector_norm(z, ord=1, dim=1).mean(),
               lambda z, w: w * z.abs().sum() / z.shape[0]]
    wrong = [lambda z, w: w * z.abs().mean(),                 # mean over units too
             lambda z, w: w * z.abs().sum(),                  # not averaged over the batch
             lambda z, w: w * z.sum(dim=1).mean(),            # no absolute value
             lambda z, w: w * (z ** 2).sum(dim=1).mean(),     # L2, not L1
             lambda z, w: z.abs().sum(dim=1).mean(),          # forgot the weight
             lambda z, w: torch.tensor(float(w * z.abs().sum(dim=1).mean())),  # detached
             lambda z, w: w * z.abs().sum(dim=0),             # not a scalar
             lambda z, w: None]
    return correct, wrong


def keras_l1_variants():
    import keras
    import tensorflow as tf

    correct = [lambda z, w: w * keras.ops.mean(keras.ops.sum(keras.ops.abs(z), axis=1)),
               lambda z, w: w * tf.norm(z, ord=1) / tf.cast(tf.shape(z)[0], tf.float32)]
    wrong = [lambda z, w: w * tf.reduce_mean(tf.abs(z)),
             lambda z, w: w * tf.reduce_sum(tf.abs(z)),
             lambda z, w: w * tf.reduce_mean(tf.reduce_sum(z, axis=1)),
             lambda z, w: w * tf.reduce_mean(tf.reduce_sum(tf.square(z), axis=1)),
             lambda z, w: tf.reduce_mean(tf.reduce_sum(tf.abs(z), axis=1)),
             lambda z, w: float(w * np.abs(z.numpy()).sum(axis=1).mean()),   # numpy, no gradient
             lambda z, w: w * tf.reduce_sum(tf.abs(z), axis=0),
             lambda z, w: None]
    return correct, wrong


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")  # a wrong variant does that
@pytest.mark.parametrize("framework,variants", [("torch", torch_l1_variants),
                                                ("keras", keras_l1_variants)])
def test_l1_penalty(framework, variants):
    pytest.importorskip("torch" if framework == "torch" else "tensorflow")
    correct, wrong = variants()
    assert verdict("02.l1_code_penalty", check.reference("02.l1_code_penalty", framework),
                   framework).passed
    for fn in correct:
        assert verdict("02.l1_code_penalty", fn, framework).passed
    for i, fn in enumerate(wrong):
        assert not verdict("02.l1_code_penalty", fn, framework).passed, f"wrong variant {i}"


# --- 02.contractive_penalty ---------------------------------------------------------------------

def torch_contractive_variants():
    import torch

    def correct_loop(w, a, lam):
        total = 0
        for j in range(w.shape[0]):
            total = total + (a[:, j] > 0).float() * (w[j] ** 2).sum()
        return lam * total.mean()

    correct = [correct_loop,
               lambda w, a, lam: lam * ((torch.relu(a) > 0).float() @ (w * w).sum(1)).mean()]
    wrong = [lambda w, a, lam: lam * (w ** 2).sum(),                                 # all units active
             lambda w, a, lam: lam * ((a > 0).float() * (w ** 2).sum(0)[: a.shape[1]]).sum(1).mean()
             if w.shape[1] >= a.shape[1] else lam * (w ** 2).sum(),                    # wrong axis
             lambda w, a, lam: lam * ((a > 0).float() * w.abs().sum(1)).sum(1).mean(),  # no square
             lambda w, a, lam: lam * ((a > 0).float() * (w ** 2).sum(1)).sum(),         # batch sum
             lambda w, a, lam: lam * (torch.relu(a) * (w ** 2).sum(1)).sum(1).mean(),   # relu(a), not relu'(a)
             lambda w, a, lam: lam * ((a < 0).float() * (w ** 2).sum(1)).sum(1).mean(),  # inactive units
             lambda w, a, lam: ((a > 0).float() * (w ** 2).sum(1)).sum(1).mean(),       # no weight
             lambda w, a, lam: None]
    return correct, wrong


def keras_contractive_variants():
    import tensorflow as tf

    correct = [lambda k, a, lam: lam * tf.reduce_mean(tf.cast(a > 0, tf.float32) @ tf.reduce_sum(k * k, axis=0)[:, None]),
               lambda k, a, lam: lam * tf.reduce_mean(tf.reduce_sum(
                   tf.where(a > 0, tf.reduce_sum(tf.square(k), axis=0), 0.0), axis=1))]
    wrong = [lambda k, a, lam: lam * tf.reduce_sum(tf.square(k)),
             lambda k, a, lam: lam * tf.reduce_mean(tf.reduce_sum(    # torch layout assumed
                 tf.cast(a > 0, tf.float32) * tf.reduce_sum(tf.square(k), axis=1)[: a.shape[1]], axis=1)),
             lambda k, a, lam: lam * tf.reduce_mean(tf.reduce_sum(
                 tf.nn.relu(a) * tf.reduce_sum(tf.square(k), axis=0), axis=1)),
             lambda k, a, lam: lam * tf.reduce_sum(
                 tf.cast(a > 0, tf.float32) * tf.reduce_sum(tf.square(k), axis=0)),
             lambda k, a, lam: None]
    return correct, wrong


@pytest.mark.parametrize("framework,variants", [("torch", torch_contractive_variants),
                                                ("keras", keras_contractive_variants)])
def test_contractive_penalty(framework, variants):
    pytest.importorskip("torch" if framework == "torch" else "tensorflow")
    correct, wrong = variants()
    assert verdict("02.contractive_penalty", check.reference("02.contractive_penalty", framework),
                   framework).passed
    for fn in correct:
        result = verdict("02.contractive_penalty", fn, framework)
        assert result.passed, result.message
    for i, fn in enumerate(wrong):
        assert not verdict("02.contractive_penalty", fn, framework).passed, f"wrong variant {i}"


# --- reference models ---------------------------------------------------------------------------

def test_dense_reference_models():
    pytest.importorskip("torch")
    import torch

    from aelab.models.dense_torch import DenseAutoencoder

    model = DenseAutoencoder(10)
    with torch.no_grad():
        out = model(torch.rand(4, 784))
    assert out.shape == (4, 784) and 0 <= float(out.min()) and float(out.max()) <= 1
    assert model.encoder(torch.rand(2, 784)).shape == (2, 10)
    assert sum(p.numel() for p in model.parameters()) == 2 * (784 * 256 + 256 * 64 + 64 * 10) + 256 + 64 + 10 + 784 + 256 + 64
    with pytest.raises(ValueError, match="output"):
        DenseAutoencoder(10, output="relu")
    with pytest.raises(ValueError, match="latent_dim"):
        DenseAutoencoder(0)


def test_dense_reference_keras():
    pytest.importorskip("tensorflow")
    from aelab.models.dense_keras import dense_autoencoder

    model, encoder, decoder = dense_autoencoder(10, output="linear")
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    assert tuple(encoder(x).shape) == (3, 10) and tuple(model(x).shape) == (3, 784)
    assert model.count_params() == 2 * (784 * 256 + 256 * 64 + 64 * 10) + 256 + 64 + 10 + 784 + 256 + 64
    with pytest.raises(ValueError, match="hidden"):
        dense_autoencoder(10, hidden=(0,))
