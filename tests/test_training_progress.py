"""Training progress as the lessons print it: the real epoch count, and progress within an epoch.

The training functions are taken from the generated notebooks (the code students run) and run
on a few tiny batches, each framework in its own process:

- Keras, lesson 04: the denoising autoencoder trains with one ``fit`` over ``noisy_batches`` (fresh
  noise every epoch), so Keras prints "Epoch 1/3", "Epoch 2/3", "Epoch 3/3" and its per-batch
  progress bar; before, one ``fit`` per epoch printed "Epoch 2/2", "Epoch 3/3".
- PyTorch, lesson 04: ``train`` shows a per-batch bar labelled "epoch k/N" and prints each epoch.
- PyTorch, lessons 01, 02, 05, 06: no epoch-only bars left (a bar over ``range(epochs)`` moves
  once per epoch); Keras lessons do not silence the per-batch bar with ``verbose=2``.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"


def _function_source(notebook, name: str) -> str:
    """The source of the top-level function ``name`` defined in a code cell of ``notebook``."""
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        code = "".join(cell["source"])
        try:
            tree = ast.parse(code)
        except SyntaxError:   # cells with IPython magics
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return ast.get_source_segment(code, node)
    raise LookupError(f"no function {name} in {notebook}")


def _run(code: str) -> subprocess.CompletedProcess:
    # TQDM_MININTERVAL=0: tqdm redraws on every update (it skips redraws within 0.1 s by default)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", AELAB_THREADS="1", OMP_NUM_THREADS="1", TQDM_MININTERVAL="0",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.parametrize("variant", ["04_denoising_autoencoder.ipynb",
                                     "solutions/04_denoising_autoencoder_solution.ipynb"])
def test_keras_lesson04_prints_the_real_epoch_count(variant):
    notebook = NOTEBOOKS / "keras" / variant
    helpers = "\n\n".join(_function_source(notebook, name) for name in ("noisy_batches", "steps_per_epoch"))
    code = textwrap.dedent('''
        import numpy as np
        import aelab
        aelab.setup("keras", seed=0)
        import keras
        SIGMA_TRAIN = 0.5
        calls = []
        def add_gaussian_noise(images, sigma, rng):
            return np.clip(images + sigma * rng.standard_normal(images.shape), 0, 1).astype(np.float32)
        def make_denoising_pair(images, noise_fn, level, rng):
            calls.append(level)
            return noise_fn(images, level, rng), images
        def as_model_input(images):
            return np.asarray(images, dtype=np.float32)[..., None]
        ''') + helpers + textwrap.dedent('''

        images = np.random.default_rng(0).random((300, 28, 28)).astype(np.float32)
        model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                  keras.layers.Dense(784, activation="sigmoid"),
                                  keras.layers.Reshape((28, 28, 1))])
        model.compile(optimizer="adam", loss="binary_crossentropy")
        fit = model.fit(noisy_batches(images, 3, seed=100, batch_size=128), epochs=3,
                        steps_per_epoch=steps_per_epoch(images, 128), verbose=1)
        print("EPOCHS TRAINED", len(fit.history["loss"]), "NOISE DRAWN", len(calls))
        ''')
    out = re.sub(r"\x1b\[[0-9;]*m", "", _run(code).stdout)   # without Keras' colours
    assert re.findall(r"Epoch (\d+)/(\d+)", out) == [("1", "3"), ("2", "3"), ("3", "3")], out
    assert re.search(r"^1/3 .*loss", out, re.M) and re.search(r"^3/3 .*loss", out, re.M), \
        "Keras' per-batch bar (3 batches per epoch)"
    assert "EPOCHS TRAINED 3 NOISE DRAWN 3" in out   # fresh noise for every epoch


def test_torch_lesson04_shows_batches_and_the_epoch_count():
    notebook = NOTEBOOKS / "pytorch" / "04_denoising_autoencoder.ipynb"
    code = textwrap.dedent('''
        import aelab
        aelab.setup("torch", seed=0)
        import torch
        from torch import nn
        from tqdm.auto import tqdm
        LEARNING_RATE = 1e-3
        ''') + _function_source(notebook, "train") + textwrap.dedent('''

        data = [(torch.rand(8, 4), torch.rand(8, 4)) for _ in range(5)]
        model = nn.Sequential(nn.Linear(4, 4), nn.Sigmoid())
        history = train(model, lambda epoch: data, 3, nn.MSELoss(), desc="demo")
        print("HISTORY", len(history))
        ''')
    result = _run(code)
    printed = re.findall(r"demo: epoch (\d+)/(\d+)", result.stdout)
    assert printed == [("1", "3"), ("2", "3"), ("3", "3")], result.stdout
    bars = result.stderr   # tqdm writes to stderr: one bar per epoch, counting its 5 batches
    for k in (1, 2, 3):
        assert re.search(rf"demo epoch {k}/3: +100%.*\b5/5\b", bars), bars
    assert "HISTORY 3" in result.stdout


EPOCH_ONLY_BAR = re.compile(r"tqdm\(range\((epochs|EPOCHS|SIDE_EPOCHS)\)")


@pytest.mark.parametrize("source", sorted((ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py")),
                         ids=lambda p: p.stem)
def test_no_lesson_has_a_bar_that_moves_once_per_epoch(source):
    text = source.read_text()
    assert not EPOCH_ONLY_BAR.search(text), "a progress bar over epochs: count batches instead"
    assert "verbose=2" not in text, "Keras verbose=2 prints no per-batch progress"
    assert "epochs=epoch + 1" not in text, "fit per epoch prints 'Epoch k/k': one fit with epochs=N"


def test_torch_lesson04_train_denoiser_shows_batches_and_the_epoch_count():
    """The "build it" loop of the solution: one bar counting all batches, the epoch in its
    description; one mean loss per epoch; add_noise called once per batch."""
    notebook = NOTEBOOKS / "pytorch" / "solutions" / "04_denoising_autoencoder_solution.ipynb"
    code = textwrap.dedent('''
        import numpy as np
        import aelab
        aelab.setup("torch", seed=0)
        import torch
        from torch import nn
        from tqdm.auto import tqdm
        from aelab.torch_support import make_dataloader
        calls = []
        def add_noise(batch):
            calls.append(len(batch))
            return np.clip(batch + 0.3, 0, 1)
        ''') + _function_source(notebook, "train_denoiser") + textwrap.dedent('''

        images = np.random.default_rng(0).random((40, 1, 28, 28)).astype(np.float32)
        model = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.Sigmoid())
        losses = train_denoiser(model, images, add_noise, 3, 16, 1e-2)
        print("LOSSES", len(losses), "NOISE CALLS", len(calls))
        ''')
    result = _run(code)
    assert "LOSSES 3 NOISE CALLS 9" in result.stdout, result.stdout
    bars = result.stderr   # tqdm writes to stderr
    assert re.search(r"epoch 3/3: +100%.*\b9/9\b", bars), bars
    assert re.search(r"epoch 1/3: .*\b[0-3]/9\b", bars), bars


def test_keras_lesson04_train_denoiser_prints_the_real_epoch_count():
    notebook = NOTEBOOKS / "keras" / "solutions" / "04_denoising_autoencoder_solution.ipynb"
    code = textwrap.dedent('''
        import numpy as np
        import aelab
        aelab.setup("keras", seed=0)
        import keras
        calls = []
        def add_noise(batch):
            calls.append(len(batch))
            return np.clip(batch + 0.3, 0, 1).astype(np.float32)
        ''') + _function_source(notebook, "train_denoiser") + textwrap.dedent('''

        images = np.random.default_rng(0).random((40, 28, 28, 1)).astype(np.float32)
        model = keras.Sequential([keras.Input((28, 28, 1)),
                                  keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")])
        losses = train_denoiser(model, images, add_noise, 3, 16, 1e-2)
        print("LOSSES", len(losses), "NOISE CALLS", len(calls))
        ''')
    out = re.sub(r"\x1b\[[0-9;]*m", "", _run(code).stdout)   # without Keras' colours
    assert re.findall(r"Epoch (\d+)/(\d+)", out) == [("1", "3"), ("2", "3"), ("3", "3")], out
    # one call into TensorFlow per epoch (steps_per_execution): the bar shows each epoch's 3 batches
    assert len(re.findall(r"^3/3 .*loss", out, re.M)) >= 3, "Keras' bar at the end of every epoch"
    assert "LOSSES 3 NOISE CALLS 9" in out


def _definitions(notebook, names) -> str:
    """The sources of the top-level functions and classes ``names`` of ``notebook``, in that order."""
    found = {}
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        code = "".join(cell["source"])
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
                found[node.name] = ast.get_source_segment(code, node)
    missing = [name for name in names if name not in found]
    assert not missing, f"not defined in {notebook}: {missing}"
    return "\n\n\n".join(found[name] for name in names)


LESSON07_STEP = ("_discriminate", "discriminator_loss", "encoder_adversarial_loss", "aae_train_step")


def test_torch_lesson07_train_aae_shows_batches_and_the_epoch_count():
    """train_aae: one bar over all epochs' batches, the epoch in its postfix; the student's step
    called once per batch with fresh prior samples; one row of three losses per batch."""
    notebook = NOTEBOOKS / "pytorch" / "solutions" / "07_adversarial_autoencoder_solution.ipynb"
    code = textwrap.dedent('''
        import math, time
        import numpy as np
        import aelab
        aelab.setup("torch", seed=0)
        import torch
        from torch import nn
        import torch.nn.functional as F
        from tqdm.auto import tqdm
        BATCH_SIZE, LEARNING_RATES, ADAM_BETA_1 = 16, (1e-3, 1e-3, 1e-3), (0.5, 0.5, 0.5)
        rng = np.random.default_rng(0)
        train_x = rng.random((40, 1, 28, 28)).astype(np.float32)
        train_labels = rng.integers(0, 10, 40)
        priors_drawn = []
        def prior(labels, rng):
            priors_drawn.append(len(labels))
            return rng.standard_normal((len(labels), 2)).astype(np.float32)
        ''') + _definitions(notebook, ("aae_batches", "make_optimizers", "train_aae", *LESSON07_STEP)) + \
        textwrap.dedent('''

        class Tiny(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 2))
                self.decoder = nn.Sequential(nn.Linear(2, 784), nn.Unflatten(1, (1, 28, 28)))
                self.discriminator = nn.Linear(2, 1)

        history = train_aae(Tiny(), prior, 3, desc="demo")
        print("BATCHES", history["batch_losses"].shape, "PRIOR CALLS", len(priors_drawn))
        ''')
    result = _run(code)
    assert "BATCHES (9, 3) PRIOR CALLS 9" in result.stdout, result.stdout
    bars = result.stderr   # tqdm writes to stderr
    assert re.search(r"demo: +100%.*\b9/9\b.*epoch=3/3", bars), bars
    assert re.search(r"demo: .*\b[0-3]/9\b", bars), bars


def test_keras_lesson07_train_aae_prints_the_real_epoch_count():
    """train_aae: one fit over a generator of all epochs' batches (Epoch 1/3 .. 3/3, Keras'
    per-batch bar with the three losses), the student's step inside the model's train_step."""
    notebook = NOTEBOOKS / "keras" / "solutions" / "07_adversarial_autoencoder_solution.ipynb"
    code = textwrap.dedent('''
        import math, time
        import numpy as np
        import aelab
        aelab.setup("keras", seed=0)
        import keras
        import tensorflow as tf
        from keras import layers, ops
        BATCH_SIZE, LEARNING_RATES, ADAM_BETA_1 = 16, (1e-3, 1e-3, 1e-3), (0.5, 0.5, 0.5)
        rng = np.random.default_rng(0)
        train_x = rng.random((40, 28, 28, 1)).astype(np.float32)
        train_labels = rng.integers(0, 10, 40)
        priors_drawn = []
        def prior(labels, rng):
            priors_drawn.append(len(labels))
            return rng.standard_normal((len(labels), 2)).astype(np.float32)
        ''') + _definitions(notebook, ("conv_features", "build_encoder", "build_decoder", "build_discriminator",
                                       "AAE", "ValidationCodes", "BatchLosses", "aae_batches",
                                       "make_optimizers", "train_aae", *LESSON07_STEP)) + textwrap.dedent('''

        history = train_aae(AAE(), prior, 3, desc="demo")
        print("BATCHES", history["batch_losses"].shape, "PRIOR CALLS", len(priors_drawn))
        ''')
    out = re.sub(r"\x1b\[[0-9;]*m", "", _run(code).stdout)   # without Keras' colours
    assert re.findall(r"Epoch (\d+)/(\d+)", out) == [("1", "3"), ("2", "3"), ("3", "3")], out
    assert re.search(r"^1/3 .*reconstruction", out, re.M) and re.search(r"^3/3 .*generator", out, re.M), \
        "Keras' per-batch bar (3 batches per epoch)"
    assert "BATCHES (9, 3) PRIOR CALLS 9" in out, out
