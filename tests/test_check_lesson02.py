"""Lesson 02 checkers accept correct answers (written differently) and reject plausible wrong ones."""

import numpy as np
import pytest

from conftest import verdicts_in_subprocess

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


# --- 02.train_autoencoder (build it) ------------------------------------------------------------
# Each framework runs in its own process (a process never imports both PyTorch and TensorFlow):
# it defines every variant below, checks it, and prints the verdicts.

TORCH_TRAIN_PRELUDE = """
import numpy as np, torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm
from aelab.torch_support import make_dataloader
"""

# A loop with one thing changed (the defaults: the reference loop).
TORCH_LOOP = """
def loop(model, images, epochs, batch_size, learning_rate, *, loader_kw=None, optimizer=None,
         target=None, zero_grad=True, backward=True, step=True, loss_fn=nn.functional.mse_loss,
         report="mean", n_epochs=None, one_batch=False, as_tensor=False):
    loader = make_dataloader(images, images, **(loader_kw if loader_kw is not None else {"batch_size": batch_size}))
    optimizer = (optimizer or (lambda p: torch.optim.Adam(p, lr=learning_rate)))(model.parameters())
    losses = []
    for epoch in range(epochs if n_epochs is None else n_epochs):
        model.train()
        total, last = 0.0, None
        for inputs, targets in loader:
            goal = targets if target is None else target(inputs)
            loss = loss_fn(model(inputs), goal)
            if zero_grad:
                optimizer.zero_grad()
            if backward:
                loss.backward()
            if step:
                optimizer.step()
            total = total + (loss if as_tensor else loss.item()) * len(inputs)
            last = loss.item()
            if one_batch:
                break
        losses.append({"mean": total / len(images), "last": last, "sum": total}[report])
    model.eval()
    return losses
"""

TRAIN_VARIANTS = {
    "torch": {
        "reference": (True, "from aelab.models.dense_torch import train_autoencoder as fn"),
        "own batching, mean of batch means": (True, """
def fn(model, images, epochs, batch_size, learning_rate):
    x = torch.from_numpy(images)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    history = []
    bar = tqdm(total=epochs * ((len(x) + batch_size - 1) // batch_size))
    for _ in range(epochs):
        order = torch.randperm(len(x))
        batch_losses = []
        for start in range(0, len(x), batch_size):
            batch = x[order[start:start + batch_size]]
            optimizer.zero_grad()
            loss = ((model(batch) - batch) ** 2).mean()
            loss.backward()
            optimizer.step()
            batch_losses.append(float(loss))
            bar.update()
        history.append(sum(batch_losses) / len(batch_losses))
    bar.close()
    return history
"""),
        "DataLoader, MSELoss, AdamW, zero_grad(set_to_none=False)": (True, """
def fn(model, images, epochs, batch_size, learning_rate):
    data = DataLoader(TensorDataset(torch.tensor(images)), batch_size=batch_size, shuffle=True)
    opt = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.0)
    criterion = nn.MSELoss()
    out = []
    for epoch in range(epochs):
        seen, total = 0, 0.0
        for (x,) in data:
            opt.zero_grad(set_to_none=False)
            loss = criterion(model(x), x)
            loss.backward()
            opt.step()
            seen += len(x)
            total += loss.item() * len(x)
        out.append(total / seen)
    return out
"""),
        "measures the whole set each epoch, gradients on": (True, """
def fn(model, images, epochs, batch_size, learning_rate):
    losses = loop(model, images, epochs, batch_size, learning_rate)
    everything = torch.from_numpy(images)
    print("error on all images:", float(nn.functional.mse_loss(model(everything), everything)))
    return losses
"""),
        "no zero_grad": ("gradients accumulate from one mini-batch to the next",
                         "def fn(*a):\n    return loop(*a, zero_grad=False)"),
        "no optimizer step": ("no optimizer step was applied", "def fn(*a):\n    return loop(*a, step=False)"),
        "no backward": ("no backward pass went through any of them", "def fn(*a):\n    return loop(*a, backward=False)"),
        "step once per epoch": ("did not change between the first two mini-batches", """
def fn(model, images, epochs, batch_size, learning_rate):
    loader = make_dataloader(images, images, batch_size=batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    losses = []
    for epoch in range(epochs):
        total = 0.0
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(inputs), targets)
            loss.backward()
            total += loss.item() * len(inputs)
        optimizer.step()
        losses.append(total / len(images))
    return losses
"""),
        "compares with noise": ("must compare each reconstruction with the images that went in",
                                "def fn(*a):\n    return loop(*a, target=torch.rand_like)"),
        "compares with blank images": ("must compare each reconstruction with the images that went in",
                                       "def fn(*a):\n    return loop(*a, target=torch.zeros_like)"),
        "binary cross-entropy": ("looks like the binary cross-entropy",
                                 "def fn(*a):\n    return loop(*a, loss_fn=nn.functional.binary_cross_entropy)"),
        "one batch per epoch": ("one per epoch", "def fn(*a):\n    return loop(*a, one_batch=True)"),
        "ignores batch_size": ("mini-batches of 128 images, but batch_size was 64",
                               "def fn(*a):\n    return loop(*a, loader_kw={})"),
        "all images at once": ("used all 250 images at once",
                               "def fn(m, x, e, b, lr):\n    return loop(m, x, e, b, lr, loader_kw={'batch_size': len(x)})"),
        "ignores epochs": ("trained for one epoch (4 mini-batches), but epochs was 3",
                           "def fn(*a):\n    return loop(*a, n_epochs=1)"),
        "last batch loss": ("the loss of the epoch's last mini-batch only", "def fn(*a):\n    return loop(*a, report='last')"),
        "summed, not averaged": ("weighted by batch size: divide by the number of images",
                                 "def fn(*a):\n    return loop(*a, report='sum')"),
        "tensors": ("(tensors); return plain Python floats", "def fn(*a):\n    return loop(*a, as_tensor=True)"),
        "one number": ("returned one number", "def fn(*a):\n    return loop(*a)[-1]"),
        "a dict": ("returned a dict", "def fn(*a):\n    return {'loss': loop(*a)}"),
        "default learning rate": ("default learning rate 1e-3", """
def fn(*a):
    return loop(*a, optimizer=lambda p: torch.optim.Adam(p))
"""),
        "plain SGD": ("Adam's first step moves each weight by about learning_rate = 0.003", """
def fn(m, x, e, b, lr):
    return loop(m, x, e, b, lr, optimizer=lambda p: torch.optim.SGD(p, lr=lr))
"""),
        "never shuffled": ("never shuffled", "def fn(m, x, e, b, lr):\n    return loop(m, x, e, b, lr, loader_kw={'batch_size': b, 'shuffle': False})"),
        "shuffled once": ("the same shuffled order", """
def fn(model, images, epochs, batch_size, learning_rate):
    order = np.random.default_rng(0).permutation(len(images))
    return loop(model, images[order], epochs, batch_size, learning_rate,
                loader_kw={'batch_size': batch_size, 'shuffle': False})
"""),
        "gradient ascent": ("the training loss did not go down", """
def fn(m, x, e, b, lr):
    return loop(m, x, e, b, lr, optimizer=lambda p: torch.optim.Adam(p, lr=lr, maximize=True))
"""),
        "puts the starting weights back": ("the reference loop, from the same starting weights", """
def fn(model, images, epochs, batch_size, learning_rate):
    start = {k: v.clone() for k, v in model.state_dict().items()}
    losses = loop(model, images, epochs, batch_size, learning_rate)
    model.load_state_dict(start)
    return losses
"""),
        "stub": ("returned None", "def fn(model, images, epochs, batch_size, learning_rate):\n    return None"),
    },
    "keras": {
        "reference": (True, "from aelab.models.dense_keras import train_autoencoder as fn"),
        "fit on arrays": (True, """
def fn(model, images, epochs, batch_size, learning_rate):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss=keras.losses.MeanSquaredError())
    history = model.fit(images, images, batch_size=batch_size, epochs=epochs, verbose=1)
    return list(history.history["loss"])
"""),
        "returns the History": ("the History object", """
def fn(model, images, epochs, batch_size, learning_rate):
    model.compile(keras.optimizers.Adam(learning_rate), "mse")
    return model.fit(images, images, batch_size=batch_size, epochs=epochs, verbose=0)
"""),
        "returns history.history": ("returned a dict", "def fn(*a):\n    return fit(*a).history"),
        "returns the last loss": ("returned one number", "def fn(*a):\n    return fit(*a).history['loss'][-1]"),
        "ignores batch_size": ("mini-batches of 32 images, but batch_size was 64",
                               "def fn(m, x, e, b, lr):\n    return fit(m, x, e, None, lr).history['loss']"),
        "all images at once": ("used all 250 images at once",
                               "def fn(m, x, e, b, lr):\n    return fit(m, x, e, len(x), lr).history['loss']"),
        "ignores epochs": ("trained for one epoch (4 mini-batches), but epochs was 3",
                           "def fn(m, x, e, b, lr):\n    return fit(m, x, 1, b, lr).history['loss']"),
        "never shuffled": ("never shuffled", "def fn(*a):\n    return fit(*a, shuffle=False).history['loss']"),
        "default learning rate": ("default learning rate 1e-3", "def fn(*a):\n    return fit(*a, optimizer='adam').history['loss']"),
        "plain SGD": ("Adam's first step moves each weight by about learning_rate = 0.003",
                      "def fn(m, x, e, b, lr):\n    return fit(m, x, e, b, lr, optimizer=keras.optimizers.SGD(lr)).history['loss']"),
        "binary cross-entropy": ("looks like the binary cross-entropy",
                                 "def fn(*a):\n    return fit(*a, loss='binary_crossentropy').history['loss']"),
        "fits noise": ("must compare each reconstruction with the images that went in",
                       "def fn(m, x, e, b, lr):\n    return fit(m, x, e, b, lr, target=np.random.default_rng(0).random(x.shape, dtype=np.float32)).history['loss']"),
        "puts the starting weights back": ("the reference loop, from the same starting weights", """
def fn(model, images, epochs, batch_size, learning_rate):
    start = model.get_weights()
    history = fit(model, images, epochs, batch_size, learning_rate)
    model.set_weights(start)
    return history.history["loss"]
"""),
        "stub": ("returned None", "def fn(model, images, epochs, batch_size, learning_rate):\n    return None"),
    },
}

KERAS_TRAIN_PRELUDE = """
import os
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import numpy as np, keras
"""

KERAS_FIT = """
def fit(model, images, epochs, batch_size, learning_rate, *, optimizer=None, loss="mse", target=None,
        shuffle=True):
    model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate), loss=loss)
    kwargs = {} if batch_size is None else {"batch_size": batch_size}
    return model.fit(images, images if target is None else target, epochs=epochs, shuffle=shuffle,
                     verbose=0, **kwargs)
"""

TRAIN_RUNNER = """
import json, sys, time
{prelude}
from aelab import check
variants = json.loads(sys.stdin.read())
verdicts = {{}}
for name, (_, source) in variants.items():
    namespace = {{}}
    exec(compile({prelude!r} + {helpers!r}, "helpers", "exec"), namespace)
    exec(compile(source, name, "exec"), namespace)
    start = time.process_time()
    result = check.run("02.train_autoencoder", namespace["fn"], framework="{framework}", show=False)
    verdicts[name] = [result.passed, str(result), time.process_time() - start]
print("VERDICTS" + json.dumps(verdicts))
"""


@pytest.fixture(scope="module")
def train_verdicts():
    """framework -> {variant name: [passed, message, CPU seconds]}, computed once per framework."""
    cache = {}

    def get(framework):
        if framework not in cache:
            prelude = TORCH_TRAIN_PRELUDE if framework == "torch" else KERAS_TRAIN_PRELUDE
            helpers = TORCH_LOOP if framework == "torch" else KERAS_FIT
            script = TRAIN_RUNNER.format(prelude=prelude, helpers=helpers, framework=framework)
            cache[framework] = verdicts_in_subprocess(
                script, TRAIN_VARIANTS[framework], extra_env={"AELAB_THREADS": "1", "OMP_NUM_THREADS": "1"})
        return cache[framework]

    return get


TRAIN_CASES = [(fw, name, expect) for fw, cases in TRAIN_VARIANTS.items()
               for name, (expect, _) in cases.items()]


@pytest.mark.parametrize("framework, name, expect", TRAIN_CASES,
                         ids=[f"{fw}-{name}" for fw, name, _ in TRAIN_CASES])
def test_train_autoencoder(train_verdicts, framework, name, expect):
    passed, message, _ = train_verdicts(framework)[name]
    if expect is True:
        assert passed, f"{name}: {message}"
    else:
        assert not passed, name
        assert expect in message, message
