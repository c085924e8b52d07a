# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 02 · Deep autoencoders, and how autoencoders fail
#
# In lesson 01 a *linear* autoencoder rediscovered PCA: with no nonlinearity, the best it can do
# is project the digits onto a flat k-dimensional subspace. Handwritten digits do not lie on a
# flat subspace. A "7" drawn a little thicker, or slanted, moves along a *curved* path through
# pixel space. A network with nonlinear hidden layers can follow such curves.
#
# This lesson has two halves.
#
# 1. **Going deep**: a 784-256-64-k autoencoder against PCA with the same k, across code sizes;
#    and what the output activation and the loss do to the pictures.
# 2. **How autoencoders fail**: six failures you *will* meet, each reproduced by a small
#    experiment, with the symptom to recognise it by and the cure, not enough data among them.
#    Then regularised autoencoders that keep a wide code without learning to copy: sparse
#    (an L1 penalty, or a KL target on each unit's activity) and contractive.
#
# You are in the **{{framework}} track**. Full mode takes a few minutes on a laptop CPU. The lesson
# fills two sessions: part 1 runs to section 6.3, part 2 starts at section 6.4 (the note there
# says how to resume).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from skimage.draw import circle_perimeter, line, rectangle_perimeter
from sklearn.decomposition import PCA

import aelab
from aelab import check, plot
from aelab.data import load_mnist
from aelab.metrics import reconstruction_mse

# %% tags=["torch"]
settings = aelab.setup("torch", seed=0)
import torch
from torch import nn
from tqdm.auto import tqdm

import copy
import itertools

from aelab.torch_support import count_parameters, make_dataloader, numpy_function

# %% tags=["keras"]
settings = aelab.setup("keras", seed=0)
import keras
import tensorflow as tf
from keras import layers

from aelab.keras_support import count_parameters, make_dataset, numpy_function

# %% [markdown]
# ## 1. Data
#
# Dense layers take flat vectors, so we load the images flattened: 784 numbers in [0, 1] each.
# The experiments on failures use a 10,000-image subset to stay quick.
#
# As in lesson 01, three sets with three jobs: the models are fitted to the **training** images;
# every choice (the learning rate, the loss, when to stop, how strong a penalty) is made by
# looking at the **validation** images, 5,000 training images set aside and never trained on;
# the **test** images are used only for the final numbers we report.

# %%
QUICK = aelab.quick_mode()
N_VAL = 500 if QUICK else 5_000
x_all, _ = load_mnist("train", size=2_000 + N_VAL if QUICK else None, flatten=True)
x_train, x_val = x_all[:-N_VAL], x_all[-N_VAL:]     # the last N_VAL images are never trained on
x_test, test_labels = load_mnist("test", size=1_000 if QUICK else None, flatten=True)
x_small = x_train[: 2_000 if QUICK else 10_000]   # for the small experiments of section 6

MEAN_DIGIT_MSE = reconstruction_mse(x_test, np.broadcast_to(x_train.mean(axis=0), x_test.shape))
print(f"train {x_train.shape}, validation {x_val.shape}, test {x_test.shape}, small subset {x_small.shape}")
print(f"predicting the average digit for every image: test MSE {MEAN_DIGIT_MSE:.4f}")

# %%
assert x_train.shape[1] == 784 and 0 <= x_train.min() and x_train.max() <= 1
assert 0.05 < MEAN_DIGIT_MSE < 0.09

# %% [markdown]
# ## 2. The baseline: PCA
#
# PCA with k components is the best any *linear* k-number code can do (lesson 01). We sweep
# the code size k and keep the test errors as the bar to beat.

# %%
K_VALUES = (2, 32) if QUICK else (2, 10, 32, 64)

pca_mse, pca_val_mse = {}, {}
for k in K_VALUES:
    pca = PCA(n_components=k, random_state=0).fit(x_train)
    pca_mse[k] = reconstruction_mse(x_test, pca.inverse_transform(pca.transform(x_test)))
    pca_val_mse[k] = reconstruction_mse(x_val, pca.inverse_transform(pca.transform(x_val)))
    print(f"PCA, k = {k:2d}: test MSE {pca_mse[k]:.4f}")

# %% [markdown]
# ## 3. A deep autoencoder
#
# The encoder narrows in steps, 784 → 256 → 64 → k, with a ReLU after each hidden layer; the
# decoder mirrors it. Two details matter:
#
# - the **code layer is linear** (no activation), so a code number can take any value
#   (section 6.4 shows what a ReLU there can do);
# - the **output layer is a sigmoid**, because pixels lie in [0, 1] (sections 5 and 6.3).

# %% tags=["torch"]
def make_deep_autoencoder(latent_dim, output="sigmoid", code_activation=None):
    """784 -> 256 -> 64 -> latent_dim -> 64 -> 256 -> 784. model[0] is the encoder."""
    encoder = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(),
        nn.Linear(256, 64), nn.ReLU(),
        nn.Linear(64, latent_dim),
        *([code_activation] if code_activation is not None else []),
    )
    decoder = nn.Sequential(
        nn.Linear(latent_dim, 64), nn.ReLU(),
        nn.Linear(64, 256), nn.ReLU(),
        nn.Linear(256, 784),
        {"sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "linear": nn.Identity()}[output],
    )
    return nn.Sequential(encoder, decoder)


def encoder_of(model):
    return model[0]


# %% tags=["keras"]
def make_deep_autoencoder(latent_dim, output="sigmoid", code_activation=None):
    """784 -> 256 -> 64 -> latent_dim -> 64 -> 256 -> 784. model.layers[0] is the encoder."""
    encoder = keras.Sequential([
        keras.Input((784,)),
        layers.Dense(256, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(latent_dim, activation=code_activation),
    ])
    decoder = keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(256, activation="relu"),
        layers.Dense(784, activation=None if output == "linear" else output),
    ])
    return keras.Sequential([encoder, decoder])


def encoder_of(model):
    return model.layers[0]


# %% [markdown]
# ### Exercise 1 (build it): the training loop
#
# Every model of this lesson learns the same way, so you write the loop once, here. Write
# `train_autoencoder(model, images, epochs, batch_size, learning_rate)` that trains `model` to
# reproduce `images` (a numpy array of shape `(N, 784)`, pixels in [0, 1]):
#
# - one **epoch** is one pass over all N images, in mini-batches of `batch_size` images, in a
#   new random order every epoch;
# - for each mini-batch, the loss is the **mean squared error** between the images and their
#   reconstructions, and the **Adam** optimiser, with `learning_rate`, takes one step;
# - it shows its progress while it trains, and returns a list with the **mean training loss of
#   each epoch**: `epochs` Python floats, the average over all the epoch's images.
#
# The checker runs your function on a small model and a few hundred images, and looks at what
# the model went through: how many mini-batches of which size, in which order, how far the
# weights moved, and whether your losses are the errors it actually made.

# %% [markdown] tags=["torch"]
# In PyTorch you write the loop yourself. The imports at the top give you `make_dataloader`
# (aelab's shortcut for a shuffled `DataLoader` over numpy arrays: `make_dataloader(x, x,
# batch_size=...)` yields `(inputs, targets)` pairs), `nn.functional.mse_loss`,
# `torch.optim.Adam` and `tqdm` for the progress bar (one bar counting mini-batches,
# `total=epochs * len(loader)`).

# %% [markdown] tags=["keras"]
# In Keras the loop is built into the model: `compile` sets the optimiser and the loss, and
# `fit` runs the epochs, the shuffled mini-batches and a progress bar over them, and returns
# a `History` whose `.history["loss"]` holds the mean training loss of each epoch. That is how
# every Keras model of this course trains, so that is what you write here. (One could write the
# same loop by hand with `tf.GradientTape`, as the over-complete model of section 6.5 does in
# its `train_step`, but for this model it would only repeat what `fit` does.) `make_dataset(x, x,
# batch_size=...)`, imported at the top, gives a dataset of `(inputs, targets)` mini-batches,
# reshuffled every epoch. For small networks like this one, much of a batch's time is the call
# from Python into TensorFlow; `compile(..., steps_per_execution=25)` lets `fit` run 25 batches
# per call. The training is the same, and on our machine it was about a quarter faster.

# %% tags=["torch"]
def train_autoencoder(model, images, epochs, batch_size, learning_rate):
    """Train `model` to reproduce `images` ((N, 784) numpy) with Adam on the MSE.

    Returns the mean training loss of each epoch: a list of `epochs` floats.
    """
    ### BEGIN SOLUTION
    loader = make_dataloader(images, images, batch_size=batch_size)   # reshuffled every epoch
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    losses = []
    progress = tqdm(total=epochs * len(loader), unit="batch", leave=False)   # moves every batch
    for epoch in range(epochs):
        model.train()
        total = 0.0
        progress.set_description(f"epoch {epoch + 1}/{epochs}")
        for inputs, targets in loader:
            loss = nn.functional.mse_loss(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(inputs)   # the batch's summed error, as a Python number
            progress.update()
        losses.append(total / len(images))
    progress.close()
    model.eval()
    return losses
    ### END SOLUTION
    ### BEGIN STUB
    # your training loop; return the list of the epochs' mean training losses
    return None
    ### END STUB


# %% tags=["keras"]
def train_autoencoder(model, images, epochs, batch_size, learning_rate):
    """Train `model` to reproduce `images` ((N, 784) numpy) with Adam on the MSE.

    Returns the mean training loss of each epoch: a list of `epochs` floats.
    """
    ### BEGIN SOLUTION
    # steps_per_execution=25: fit runs 25 mini-batches per call into TensorFlow instead of one,
    # the same training with less overhead per batch
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse", steps_per_execution=25)
    # Create Adam's state (its moment estimates) now: if `fit` has to create it while tracing
    # the training step into a TensorFlow graph, it traces the step twice.
    model.optimizer.build(model.trainable_variables)
    history = model.fit(make_dataset(images, images, batch_size=batch_size), epochs=epochs)
    return history.history["loss"]
    ### END SOLUTION
    ### BEGIN STUB
    # compile, fit, and return the list of the epochs' mean training losses
    return None
    ### END STUB


# %% [markdown] tags=["hint", "torch"]
# The optimiser is made once, before the first epoch, from `model.parameters()`: it keeps
# Adam's running averages from step to step. For each mini-batch, in this order: reconstruct,
# measure the error against the mini-batch itself, clear the gradients left by the previous
# batch, backpropagate, step. The loss of a batch is a tensor; `loss.item()` is its value as a
# Python number, the thing to add up (keeping tensors would also keep every batch's graph).

# %% [markdown] tags=["hint", "torch"]
# ```
# loader = make_dataloader(...)           optimizer = torch.optim.Adam(..., lr=...)
# progress bar over epochs * len(loader) mini-batches
# for each epoch:
#     model.train(); total = 0.0
#     for inputs, targets in loader:
#         loss = mse(model(inputs), targets)
#         zero the gradients; backward; step
#         total += loss value * number of images in the batch
#     append total / number of images
# model.eval(); return the list
# ```

# %% [markdown] tags=["hint", "keras"]
# `compile` takes an optimiser object (so you can give it the learning rate) and a loss name.
# `fit` on a dataset of `(inputs, targets)` pairs takes the batch size from the dataset; on
# numpy arrays it takes `batch_size=` itself. The object `fit` returns is not the list: look
# inside it.

# %% [markdown] tags=["hint", "keras"]
# ```
# model.compile(optimizer=keras.optimizers.Adam(...), loss=..., steps_per_execution=25)   # 25: optional, faster
# history = model.fit(make_dataset(images, images, batch_size=...), epochs=...)
# return history.history[...]
# ```

# %%
result = check.run("02.train_autoencoder", train_autoencoder)
train_autoencoder = result.use()   # yours if it passed, else the reference

# %% [markdown]
# The rest of the lesson trains its deep autoencoders with this function. A few experiments
# need more options: another loss (section 5), the validation error after every epoch
# (section 6.2). For those, `train_model` below is the same loop with those options; it also
# lets Adam be swapped for plain SGD.

# %% tags=["torch"]
LOSSES = {"mse": nn.functional.mse_loss, "bce": nn.functional.binary_cross_entropy}


def train_model(model, images, epochs, learning_rate=1e-3, loss="mse",
                optimizer="adam", batch_size=128, val_images=None):
    """train_autoencoder with options. Returns {"loss": [...], "val_mse": [...]} per epoch."""
    loader = make_dataloader(images, images, batch_size=batch_size)
    make_optimizer = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}[optimizer]
    optimizer = make_optimizer(model.parameters(), lr=learning_rate)
    loss_fn = LOSSES[loss]
    history = {"loss": [], "val_mse": []}
    progress = tqdm(total=epochs * len(loader), unit="batch", leave=False)   # moves every batch
    for epoch in range(epochs):
        model.train()
        total = 0.0
        progress.set_description(f"epoch {epoch + 1}/{epochs}")
        for inputs, targets in loader:
            loss_value = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss_value.backward()
            optimizer.step()
            total += loss_value.item() * len(inputs)
            progress.update()
        history["loss"].append(total / len(images))
        if val_images is not None:
            history["val_mse"].append(reconstruction_mse(val_images, reconstruct(model, val_images)))
    progress.close()
    model.eval()
    return history


def reconstruct(model, images):
    """numpy (N, 784) -> numpy (N, 784) reconstructions, without gradients."""
    return numpy_function(model)(images)


def encode(model, images):
    """numpy (N, 784) -> numpy (N, k) codes."""
    return numpy_function(encoder_of(model))(images)


# %% tags=["keras"]
class ValidationMSE(keras.callbacks.Callback):
    """After each epoch, adds the reconstruction MSE on `val_images` to the logs as "val_mse"."""

    def __init__(self, val_images):
        super().__init__()
        self.val_images = val_images

    def on_epoch_end(self, epoch, logs=None):
        logs["val_mse"] = reconstruction_mse(self.val_images, reconstruct(self.model, self.val_images))


def train_model(model, images, epochs, learning_rate=1e-3, loss="mse",
                optimizer="adam", batch_size=128, val_images=None):
    """train_autoencoder with options. Returns {"loss": [...], "val_mse": [...]} per epoch."""
    make_optimizer = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}[optimizer]
    model.compile(optimizer=make_optimizer(learning_rate),
                  loss={"mse": "mse", "bce": "binary_crossentropy"}[loss], steps_per_execution=25)
    model.optimizer.build(model.trainable_variables)   # as in train_autoencoder: one trace, not two
    callbacks = [] if val_images is None else [ValidationMSE(val_images)]
    fit = model.fit(make_dataset(images, images, batch_size=batch_size), epochs=epochs,
                    callbacks=callbacks)
    return {"loss": fit.history["loss"], "val_mse": fit.history.get("val_mse", [])}


# compiled=False: run the model eagerly, in chunks of 1024 images. Most models here are used
# a few times only, and tracing a new graph for each call would take longer than running it.
def reconstruct(model, images):
    """numpy (N, 784) -> numpy (N, 784) reconstructions."""
    return numpy_function(model, compiled=False)(images)


def encode(model, images):
    """numpy (N, 784) -> numpy (N, k) codes."""
    return numpy_function(encoder_of(model), compiled=False)(images)


# %% [markdown]
# Let us train one with a 32-number code first and look at it.

# %%
DEEP_EPOCHS = 2 if QUICK else 6
BATCH_SIZE = 32 if QUICK else 128   # quick mode: small batches, so a few images still give enough steps

start = time.perf_counter()
deep = {32: make_deep_autoencoder(32)}
deep_history = {32: train_autoencoder(deep[32], x_train, DEEP_EPOCHS, BATCH_SIZE, 1e-3)}
deep_seconds_per_epoch = (time.perf_counter() - start) / DEEP_EPOCHS
deep_val_mse = reconstruction_mse(x_val, reconstruct(deep[32], x_val))
print(f"{count_parameters(deep[32]):,} parameters, {deep_seconds_per_epoch:.1f} s per epoch")
print(f"training loss (mean of each epoch): {np.round(deep_history[32], 4)}")
print(f"validation MSE after training: {deep_val_mse:.4f}")

# %%
fig = plot.reconstructions(x_test[:10], {"deep AE": reconstruct(deep[32], x_test[:10])},
                           title="Test digits (top) and their reconstructions from 32 numbers (bottom)")
plt.show()
assert len(deep_history[32]) == DEEP_EPOCHS and deep_history[32][-1] < deep_history[32][0]
assert deep_val_mse < MEAN_DIGIT_MSE

# %% [markdown]
# ## 4. Depth against PCA, for every code size
#
# Now the sweep: for each k, PCA, a **linear** autoencoder (784 → k → 784, no activations,
# lesson 01's model) and the **deep** autoencoder. We made no choice on this sweep, so each
# model is scored once, on the test images, after training.

# %% tags=["torch"]
def make_linear_autoencoder(latent_dim):
    """784 -> latent_dim -> 784 with no activation: lesson 01's model."""
    return nn.Sequential(nn.Linear(784, latent_dim), nn.Linear(latent_dim, 784))


# %% tags=["keras"]
def make_linear_autoencoder(latent_dim):
    """784 -> latent_dim -> 784 with no activation: lesson 01's model."""
    return keras.Sequential([keras.Input((784,)), layers.Dense(latent_dim), layers.Dense(784)])


# %%
LINEAR_EPOCHS = 2 if QUICK else 4

linear_mse, deep_mse = {}, {}
for k in K_VALUES:
    linear = make_linear_autoencoder(k)
    train_autoencoder(linear, x_train, LINEAR_EPOCHS, BATCH_SIZE, 3e-3)
    linear_mse[k] = reconstruction_mse(x_test, reconstruct(linear, x_test))
    if k not in deep:
        deep[k] = make_deep_autoencoder(k)
        deep_history[k] = train_autoencoder(deep[k], x_train, DEEP_EPOCHS, BATCH_SIZE, 1e-3)
    deep_mse[k] = reconstruction_mse(x_test, reconstruct(deep[k], x_test))
    print(f"k = {k:2d}: PCA {pca_mse[k]:.4f} | linear AE {linear_mse[k]:.4f} | deep AE {deep_mse[k]:.4f}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(K_VALUES, [pca_mse[k] for k in K_VALUES], "o-", label="PCA")
ax.plot(K_VALUES, [linear_mse[k] for k in K_VALUES], "s--", label=f"linear AE ({LINEAR_EPOCHS} epochs)")
ax.plot(K_VALUES, [deep_mse[k] for k in K_VALUES], "^-", label=f"deep AE ({DEEP_EPOCHS} epochs)")
ax.axhline(MEAN_DIGIT_MSE, color="grey", lw=1, ls=":", label="average digit")
ax.set(xscale="log", yscale="log", xlabel="code size k (numbers per image)",
       ylabel="test MSE per pixel (log scale)", title="Reconstruction error against code size")
ax.set_xticks(K_VALUES, [str(k) for k in K_VALUES])
ax.xaxis.set_minor_locator(plt.NullLocator())
ax.legend()
plt.show()

print(" k | deep AE / PCA error")
for k in K_VALUES:
    print(f"{k:2d} | {deep_mse[k] / pca_mse[k]:.2f}  ({'deep better' if deep_mse[k] < pca_mse[k] else 'PCA better'})")

# %%
BLANK_MSE = float(np.mean(x_test ** 2))   # the error of an all-black output
for k in K_VALUES:
    assert deep_mse[k] < BLANK_MSE and linear_mse[k] < BLANK_MSE
if not QUICK:
    assert all(deep_mse[k] < MEAN_DIGIT_MSE for k in K_VALUES)
    assert deep_mse[10] < pca_mse[10] and deep_mse[32] < pca_mse[32]

# %% [markdown]
# Read the plot from left to right.
#
# - **Small codes: depth helps a lot.** With 2 or 10 numbers, a curved code fits digits
#   better than any flat one: the deep autoencoder's error is well below PCA's.
# - **Large codes: depth helps less, or not at all.** With 64 numbers PCA already keeps most of
#   the detail, and its answer is exact, while the deep network has to *learn* its code in a
#   few epochs, through a 64-unit layer. Compare the ratios printed above.
# - The linear autoencoder tracks PCA from above: the same subspace, found by gradient descent
#   instead of linear algebra, and not quite converged.
#
# ## 5. Output layer and loss
#
# Pixels lie in [0, 1], and most are exactly 0 (background) or close to 1 (ink). Two common
# choices for the last layer:
#
# - **linear output + MSE**: the network may output any number, the loss is the squared error;
# - **sigmoid output + binary cross-entropy (BCE)**: outputs are squeezed into (0, 1), and the
#   loss −[x log y + (1 − x) log(1 − y)] treats each pixel as a probability of ink. BCE
#   punishes a confident mistake (y ≈ 0 where x = 1) very hard.
#
# We train three k = 10 models the same way (the 10,000-image subset, the same epochs) and
# compare them with sigmoid + MSE, our choice so far. Picking an output layer and a loss is a
# choice, so we compare them on the **validation** images.

# %%
K_LOSS, LOSS_EPOCHS = 10, (1 if QUICK else 5)
variants = {}
for name, output, loss in (("sigmoid + MSE", "sigmoid", "mse"), ("sigmoid + BCE", "sigmoid", "bce"),
                           ("linear + MSE", "linear", "mse")):
    variants[name] = make_deep_autoencoder(K_LOSS, output=output)
    train_model(variants[name], x_small, LOSS_EPOCHS, loss=loss, batch_size=BATCH_SIZE)

ink = x_val > 0.5
print(f"{'k = 10':15s} {'val. MSE':>9s} {'mean on ink':>12s} {'mean on background':>19s} "
      f"{'grey (0.25-0.75)':>17s} {'outside [0, 1]':>15s}")
outputs = {}
for name, model in variants.items():
    out = outputs[name] = reconstruct(model, x_val)
    grey = np.mean((out > 0.25) & (out < 0.75))   # blur: pixels that are neither ink nor background
    print(f"{name:15s} {reconstruction_mse(x_val, out):9.4f} {out[ink].mean():12.3f} "
          f"{out[~ink].mean():19.3f} {grey:17.1%} {np.mean((out < 0) | (out > 1)):15.1%}")
print(f"{'(the data)':15s} {'':9s} {x_val[ink].mean():12.3f} {x_val[~ink].mean():19.3f} "
      f"{np.mean((x_val > 0.25) & (x_val < 0.75)):17.1%} {0:15.1%}")

# %%
fig = plot.reconstructions(x_val[:8], {name: np.clip(outputs[name][:8], 0, 1) for name in variants}, n=8,
                           title="Validation digits. Rows: original, sigmoid + MSE, sigmoid + BCE, linear + MSE (k = 10)")
plt.show()

fig, ax = plt.subplots(figsize=(6.5, 3.2))
bins = np.linspace(-0.3, 1.3, 65)
for name in variants:
    ax.hist(outputs[name][~ink].ravel(), bins=bins, histtype="step", lw=1.5, label=name, log=True)
ax.axvspan(-0.3, 0, color="grey", alpha=0.15)
ax.axvspan(1, 1.3, color="grey", alpha=0.15)
ax.set(xlabel="reconstructed value of a background pixel (true value < 0.5)",
       ylabel="pixels (log scale)", title="Background pixels: where each output layer puts them")
ax.legend()
plt.show()

# %%
assert np.all((outputs["sigmoid + BCE"] >= 0) & (outputs["sigmoid + BCE"] <= 1))
assert np.mean((outputs["linear + MSE"] < 0) | (outputs["linear + MSE"] > 1)) > 0

# %% [markdown]
# What to take from it (compare the columns of the table):
#
# - A **linear output** produces impossible pixels: about a third of them land below 0 or above
#   1 (the grey bands of the histogram). Its MSE can even be the lowest of the three, since it
#   is free to overshoot, but its pictures must be clipped before use (we clipped them for
#   display), and nothing stops it from drawing negative ink.
# - **Sigmoid + BCE and sigmoid + MSE** give nearly the same reconstructions in this small run:
#   similar errors, similar ink and background levels. BCE's advantage is in its gradient: with
#   a sigmoid output, the gradient of BCE with respect to the sigmoid's input is simply y − x,
#   while MSE's is multiplied by y(1 − y) and fades when an output saturates on the wrong side.
# - **None of them draws crisp strokes.** Compare the "grey" column with the data's: the
#   reconstructions have two to three times as many in-between pixels as real digits, and their
#   ink is fainter. The blur comes from two things together: 10 numbers cannot say exactly
#   where each stroke is, and a pixel-wise loss (BCE or MSE alike) is smallest, for an
#   uncertain stroke, at the *average* of its possible positions: a blurred stroke. Switching
#   between these two losses does not remove it; a code that pins the strokes down does (a
#   larger code, or convolutions, lesson 03).
#
# For pixels in [0, 1], **sigmoid output** is the safe default. Behind it, BCE and MSE gave
# nearly the same result here, but BCE is the more robust of the two: MSE's gradient fades on
# exactly the pixels a saturated sigmoid gets wrong, and lesson 04 shows a network that collapses
# to blank images that way.
#
# ## 6. How autoencoders fail
#
# Each failure below is produced on purpose, by a small experiment on at most 10,000 training images.
# Learn the **symptom** and you will recognise the failure in your own projects.
#
# ### 6.1 Training too briefly
#
# Here is our k = 32 model after only 20 mini-batches, next to the fully trained one.

# %% tags=["torch"]
def train_steps(model, images, steps, learning_rate=1e-3, batch_size=128):
    """Train for a fixed number of mini-batches (not epochs)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    loader = make_dataloader(images, images, batch_size=batch_size)
    for step, (inputs, targets) in zip(tqdm(range(steps), leave=False), loader):
        loss = nn.functional.mse_loss(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()


# %% tags=["keras"]
def train_steps(model, images, steps, learning_rate=1e-3, batch_size=128):
    """Train for a fixed number of mini-batches (not epochs)."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse", steps_per_execution=25)
    model.optimizer.build(model.trainable_variables)   # as in train_autoencoder: one trace, not two
    model.fit(make_dataset(images, images, batch_size=batch_size).take(steps), epochs=1, verbose=1)


# %%
brief = make_deep_autoencoder(32)
train_steps(brief, x_small, steps=20)
brief_out = reconstruct(brief, x_test)
brief_mse = reconstruction_mse(x_test, brief_out)

fig = plot.reconstructions(x_test[:8], {"20 steps": brief_out[:8],
                                        f"{DEEP_EPOCHS} epochs": reconstruct(deep[32], x_test[:8])},
                           n=8, title="Training too briefly: 20 mini-batches (middle) vs full training (bottom)")
plt.show()

fig = plot.training_curves({"loss": deep_history[32]}, panels={"Learning curve of the k = 32 model": ["loss"]},
                           labels={"loss": "deep AE, k = 32: training loss (epoch mean)"},
                           ylabel="MSE per pixel", title=None, size=(6, 3))
fig.axes[0].plot(DEEP_EPOCHS, deep_val_mse, "k*", ms=10, label="deep AE, k = 32: validation MSE at the end")
fig.axes[0].axhline(pca_val_mse[32], color="C1", ls="--", label="PCA, k = 32: validation MSE")
fig.axes[0].legend()
plt.show()
print(f"after 20 steps: test MSE {brief_mse:.4f} (average digit: {MEAN_DIGIT_MSE:.4f}); "
      f"spread between reconstructions {brief_out.std(axis=0).mean():.3f} "
      f"vs {reconstruct(deep[32], x_test).std(axis=0).mean():.3f} after full training")
assert np.isfinite(brief_mse)
if not QUICK:
    assert brief_mse > 3 * deep_mse[32]

# %% [markdown]
# **Symptom:** every reconstruction looks like the same smudge, roughly the average digit, and
# the error is close to that of predicting the average. Early in training an autoencoder always
# learns the mean first, then the broad shapes, then the details; the learning curve is still
# falling steeply when you stop.
#
# **Cure:** train longer. Watch the validation error after each epoch, and stop when the
# curve flattens, not after a fixed number you picked in advance. (Not the test error: a number
# of epochs chosen by looking at the test set makes the test error an optimistic estimate.)
#
# ### 6.2 Learning rate too high
#
# The same k = 10 model, trained for 3 epochs with Adam at four learning rates. The last one
# uses a *linear* output layer, whose outputs nothing bounds. (Small runs on the 10,000-image
# subset.)

# %%
LR_EPOCHS = 1 if QUICK else 3
lr_runs = {"lr 0.001": (1e-3, "sigmoid"), "lr 0.01": (1e-2, "sigmoid"),
           "lr 0.1": (1e-1, "sigmoid"), "lr 0.1, linear output": (1e-1, "linear")}
lr_history, lr_models = {}, {}
for name, (learning_rate, output) in lr_runs.items():
    lr_models[name] = make_deep_autoencoder(10, output=output)
    lr_history[name] = train_model(lr_models[name], x_small, LR_EPOCHS, learning_rate=learning_rate,
                                   batch_size=BATCH_SIZE, val_images=x_val)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for name, history in lr_history.items():
    axes[0].plot(range(1, LR_EPOCHS + 1), np.nan_to_num(history["loss"], nan=1e9), "o-", label=name)
axes[0].axhline(MEAN_DIGIT_MSE, color="grey", ls=":", label="average digit")
axes[0].set(yscale="log", xlabel="epoch", ylabel="training loss (MSE, log scale)",
            title="Training loss at four learning rates", xticks=range(1, LR_EPOCHS + 1))
axes[0].legend(fontsize=8)
spread = {name: reconstruct(model, x_val).std(axis=0).mean() for name, model in lr_models.items()}
axes[1].bar(range(len(spread)), list(spread.values()))
axes[1].set_xticks(range(len(spread)), list(spread), rotation=15, fontsize=8)
axes[1].set(ylabel="std of reconstructions across images",
            title="Do the reconstructions differ from image to image?")
fig.tight_layout()
plt.show()
for name, history in lr_history.items():
    print(f"{name:22s} training loss per epoch {np.round(history['loss'], 4)}, validation MSE "
          f"{history['val_mse'][-1]:.4f}, spread {spread[name]:.3f}")

# %%
fig = plot.image_grid(np.concatenate([np.clip(reconstruct(lr_models[name], x_test[:8]), 0, 1)
                                      for name in lr_runs]),
                      captions=[name for name in lr_runs for _ in range(8)], ncols=8,
                      title="Reconstructions of the same 8 test digits at each learning rate")
plt.show()

# %%
assert np.isfinite(lr_history["lr 0.001"]["loss"]).all()
if not QUICK:
    assert lr_history["lr 0.001"]["val_mse"][-1] < 0.8 * MEAN_DIGIT_MSE       # learns
    assert lr_history["lr 0.1"]["val_mse"][-1] > 0.9 * MEAN_DIGIT_MSE       # stuck at a constant image
    assert max(lr_history["lr 0.1, linear output"]["loss"]) > 10 * MEAN_DIGIT_MSE   # blew up

# %% [markdown]
# **Symptoms:** with a learning rate too high the loss **explodes** (a spike far above where it
# started, sometimes `nan`: the linear-output run), and/or it **sticks** at a plateau near the
# error of a constant image (both runs at 0.1): every reconstruction is the same picture (the
# average digit, or a blank), and the spread between reconstructions is near zero. The big early updates have
# pushed the ReLU units into their flat region or the sigmoid into saturation, where gradients
# vanish, so the network cannot recover.
#
# **Cure:** lower the learning rate, and keep outputs bounded (a sigmoid). For Adam, 1e-3 is a
# safe start; a larger rate can be faster (compare 0.01 and 0.001 above), so try a few powers
# of ten, and among those whose loss falls smoothly keep the one with the lowest
# **validation** error. A jagged or climbing loss curve means the rate is too high.
#
# ### 6.3 The data range does not match the output activation
#
# A common slip: images rescaled to [−1, 1] (as many GAN tutorials do) fed to an autoencoder
# that ends in a sigmoid, which can only output (0, 1). We train both a sigmoid and a tanh
# output (range (−1, 1)) on the [−1, 1] data.

# %%
x_small_pm1, x_test_pm1 = 2 * x_small - 1, 2 * x_test - 1   # pixels now in [-1, 1]
RANGE_EPOCHS = 1 if QUICK else 3
range_models = {}
for output in ("sigmoid", "tanh"):
    range_models[output] = make_deep_autoencoder(32, output=output)
    train_autoencoder(range_models[output], x_small_pm1, RANGE_EPOCHS, BATCH_SIZE, 1e-3)

range_out = {output: reconstruct(model, x_test_pm1) for output, model in range_models.items()}
range_mse = {output: reconstruction_mse(x_test_pm1, out) for output, out in range_out.items()}
for output, out in range_out.items():
    print(f"{output:8s} output on [-1, 1] data: test MSE {range_mse[output]:.4f}, "
          f"outputs from {out.min():+.2f} to {out.max():+.2f}")

fig = plot.reconstructions(x_test_pm1[:8], {"sigmoid": range_out["sigmoid"][:8], "tanh": range_out["tanh"][:8]},
                           n=8, vmin=-1, vmax=1,
                           title="Data in [-1, 1] (top), sigmoid output (middle), tanh output (bottom)")
plt.show()

# %%
assert range_out["sigmoid"].min() >= 0      # a sigmoid cannot reach the background value -1
if not QUICK:
    assert range_mse["sigmoid"] > 2 * range_mse["tanh"]

# %% [markdown]
# **Symptom:** the loss stops falling at a high value, and the reconstructions have the wrong
# *background*: mid-grey instead of black, because the sigmoid cannot go below 0 while the data
# sits at −1. (The mirror image: a 0–255 image with a sigmoid output, where every stroke is
# clipped at 1.) The outputs never leave the activation's range; check `min` and `max`.
#
# **Cure:** make the output activation's range match the data: sigmoid for [0, 1], tanh for
# [−1, 1], linear for standardised data. Or rescale the data. Check both ranges before training.

# %% [markdown]
# ---
#
# **End of part 1.** The lesson is taught in two sessions, and part 2 starts here, with
# section 6.4.
#
# Part 2 uses what part 1 made: the data and its three sets, the model and training functions
# (your `train_autoencoder` included), the trained deep autoencoders of sections 3 and 4 (6.4
# compares with the k = 2 model, 6.5 with the k = 32 one) and their test errors. In a new
# session, first click this cell and choose **Run → Run All Above Selected Cell**: it re-runs
# part 1 in the same order, so every number comes out the same.
#
# | | reading | full-mode run, PyTorch | full-mode run, Keras |
# |---|---|---|---|
# | part 1: sections 1 to 6.3, the "build it" loop to write | 26 min | 2.4 min | 2.5 min |
# | part 2: sections 6.4 to the end, three exercises | 39 min | 1.6 min | 1.8 min |
#
# (Reading: the text at 200 words a minute and the code at 15 lines a minute, without the time
# to do the exercises. Run: the computing time of one full-mode run on one CPU thread; a busy
# or slower machine takes longer.)
#
# ---

# %% [markdown]
# ### 6.4 A dead bottleneck
#
# Suppose we put a ReLU on the code layer too ("all layers ReLU"), with a small code of 2
# numbers. A ReLU unit outputs 0 for all negative inputs, and gets no gradient there. If a
# code unit ends up negative for *every* image, it is **dead**: it outputs 0 forever and can
# never learn again. We train three such models (seeds 0, 1, 2) and look at their codes.
#
# ### Exercise 2: find the dead code units
#
# Write `dead_code_units(codes)`: given the codes of N images, shape `(N, k)`, return a boolean
# array of shape `(k,)`, `True` for every unit that is 0 for all N images.

# %%
def dead_code_units(codes):
    """(N, k) ReLU codes -> (k,) boolean array: True where the unit is 0 for every input."""
    ### BEGIN SOLUTION
    return np.all(codes <= 0, axis=0)
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: a unit is a column of `codes`; it is dead if it is 0 for every row
    return None
    ### END STUB


result = check.run("02.dead_code_units", dead_code_units)
dead_code_units = result.use()

# %% tags=["torch"]
def relu_code_autoencoder(seed):
    """The k = 2 deep autoencoder with a ReLU on its code layer."""
    torch.manual_seed(seed)
    return make_deep_autoencoder(2, code_activation=nn.ReLU())


# %% tags=["keras"]
def relu_code_autoencoder(seed):
    """The k = 2 deep autoencoder with a ReLU on its code layer."""
    keras.utils.set_random_seed(seed)
    return make_deep_autoencoder(2, code_activation="relu")


# %%
DEAD_EPOCHS = 1 if QUICK else 2
relu_runs = []
for seed in range(3):
    model = relu_code_autoencoder(seed)
    train_autoencoder(model, x_small, DEAD_EPOCHS, BATCH_SIZE, 3e-3)
    codes = encode(model, x_test)
    out = reconstruct(model, x_test)
    relu_runs.append({"seed": seed, "model": model, "codes": codes, "dead": dead_code_units(codes),
                      "mse": reconstruction_mse(x_test, out), "spread": out.std(axis=0).mean()})
    print(f"seed {seed}: dead code units {relu_runs[-1]['dead']}, test MSE {relu_runs[-1]['mse']:.4f}, "
          f"spread between reconstructions {relu_runs[-1]['spread']:.3f}")
print(f"the k = 2 model with a linear code layer (section 4): test MSE {deep_mse[2]:.4f}")

# %%
worst = max(relu_runs, key=lambda run: (run["dead"].sum(), run["mse"]))
fig, axes = plt.subplots(1, len(relu_runs), figsize=(12, 3.6), sharex=True, sharey=True)
for ax, run in zip(axes, relu_runs):
    plot.latent_scatter(run["codes"], test_labels, max_points=None, legend=ax is axes[-1], ax=ax,
                        title=f"seed {run['seed']}: {run['dead'].sum()} of 2 units dead")
fig.suptitle("Codes of the test digits with a ReLU on a 2-number code (colour: digit)")
fig.tight_layout()
plt.show()
fig = plot.reconstructions(x_test[:8], {f"seed {worst['seed']}": reconstruct(worst["model"], x_test[:8])},
                           n=8, title=f"Reconstructions of the model with {worst['dead'].sum()} dead code units")
plt.show()

# %%
assert all(run["codes"].min() >= 0 for run in relu_runs)
if not QUICK:
    assert worst["dead"].sum() >= 1
    assert min(run["mse"] for run in relu_runs) > deep_mse[2]

# %% [markdown]
# **Symptom:** one code number is 0 for every image (the points lie on an axis), or all of them
# are (a single point). With one of the two units dead, the decoder sees a single number per
# image, so the reconstructions vary along one curve of images only, and the error stays well
# above the healthy model's. With both dead, the decoder gets a constant input, the best it can
# do is output the mean, and every reconstruction is the **same image**: the average digit,
# however long you train.
#
# **Cure:** keep a *small* code linear (as in section 3), or use a leaky ReLU: when the code has
# only a few units, each dead one is a large share of the capacity, and nothing brings it back
# (its gradient is 0 for every image). A wide code is a different case: the over-complete,
# sparse and contractive models below put a ReLU on a code of hundreds of units on purpose,
# where switching units off for most images is the point and losing a few costs little. In any
# case, count dead units (your `dead_code_units`) after training, and lower the learning rate if
# many die. A too-small code (k = 2, even alive) shows the milder
# version of the same symptom: blurry prototypes instead of digits (section 4).
#
# ### 6.5 An over-complete autoencoder learns to copy
#
# Why a bottleneck at all? Give an autoencoder a code *wider* than its input, 1024 numbers for
# 784 pixels, and it can succeed without learning anything about digits: it only has to copy.
# We train one (784 → 1024 ReLU → 784) and show it things that are *not* digits: random noise
# and simple shapes, placed in the middle of the frame where digits live.

# %% tags=["torch"]
class OvercompleteAutoencoder(nn.Module):
    """784 -> width (ReLU or sigmoid code) -> 784, linear output. `penalty(model, pre, codes)` is optional."""

    def __init__(self, width=1024, penalty=None, code_activation="relu"):
        super().__init__()
        self.code_layer = nn.Linear(784, width)
        self.output_layer = nn.Linear(width, 784)
        self.penalty = penalty
        self.activation = {"relu": torch.relu, "sigmoid": torch.sigmoid}[code_activation]

    def forward(self, x):
        return self.output_layer(self.activation(self.code_layer(x)))


def train_overcomplete(model, images, epochs, learning_rate=1e-3, batch_size=128):
    """MSE + model.penalty(...) on the codes, Adam. Returns the last epoch's mean MSE."""
    loader = make_dataloader(images, images, batch_size=batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    progress = tqdm(total=epochs * len(loader), unit="batch", leave=False)   # moves every batch
    for epoch in range(epochs):
        total = 0.0
        progress.set_description(f"epoch {epoch + 1}/{epochs}")
        for inputs, targets in loader:
            pre_activation = model.code_layer(inputs)
            codes = model.activation(pre_activation)
            mse = nn.functional.mse_loss(model.output_layer(codes), targets)
            loss = mse if model.penalty is None else mse + model.penalty(model, pre_activation, codes)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += mse.item() * len(inputs)
            progress.update()
    progress.close()
    model.eval()
    return total / len(images)


def overcomplete_codes(model, images):
    """numpy (N, 784) -> numpy (N, width) codes (after the code activation)."""
    return numpy_function(lambda x: model.activation(model.code_layer(x)))(images)


def code_unit_images(model):
    """(width, 784) numpy: row j is what code unit j adds to the output (its decoder weights)."""
    return model.output_layer.weight.detach().numpy().T.copy()   # nn.Linear stores (784, width)


# %% tags=["keras"]
class OvercompleteAutoencoder(keras.Model):
    """784 -> width (ReLU or sigmoid code) -> 784, linear output. `penalty(model, pre, codes)` is optional."""

    def __init__(self, width=1024, penalty=None, code_activation="relu"):
        super().__init__()
        self.code_layer = layers.Dense(width)
        self.output_layer = layers.Dense(784)
        self.penalty = penalty
        self.activation = {"relu": tf.nn.relu, "sigmoid": tf.sigmoid}[code_activation]
        # means over the epoch's mini-batches, for the progress bar and the history
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mse_tracker = keras.metrics.Mean(name="mse")

    @property
    def metrics(self):
        return [self.loss_tracker, self.mse_tracker]   # fit resets these at the start of each epoch

    def build(self, input_shape):
        self.code_layer.build(input_shape)
        self.output_layer.build((*input_shape[:-1], self.code_layer.units))

    def call(self, x):
        return self.output_layer(self.activation(self.code_layer(x)))

    def train_step(self, data):
        inputs, targets = data
        with tf.GradientTape() as tape:
            pre_activation = self.code_layer(inputs)
            codes = self.activation(pre_activation)
            mse = tf.reduce_mean(tf.square(targets - self.output_layer(codes)))
            loss = mse if self.penalty is None else mse + self.penalty(self, pre_activation, codes)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.mse_tracker.update_state(mse)
        return {"loss": self.loss_tracker.result(), "mse": self.mse_tracker.result()}


def train_overcomplete(model, images, epochs, learning_rate=1e-3, batch_size=128):
    """MSE + model.penalty(...) on the codes, Adam. Returns the last epoch's mean MSE."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), steps_per_execution=25)
    model.build((None, 784))                            # create the weights, then Adam's state,
    model.optimizer.build(model.trainable_variables)   # so fit traces its step once (section 3)
    fit = model.fit(make_dataset(images, images, batch_size=batch_size), epochs=epochs)
    return fit.history["mse"][-1]


def overcomplete_codes(model, images):
    """numpy (N, 784) -> numpy (N, width) codes (after the code activation)."""
    return numpy_function(lambda x: model.activation(model.code_layer(x)))(images)


def code_unit_images(model):
    """(width, 784) numpy: row j is what code unit j adds to the output (its decoder weights)."""
    return model.output_layer.kernel.numpy().copy()   # a Dense kernel is stored (width, 784)


# %% [markdown]
# The non-digits: four noise images and four shapes, all inside the central 20 × 20 box, where
# digits draw most of their ink. (MNIST scaled each digit to fit 20 × 20 and then centred it by
# its centre of mass, so strokes do stray outside that box: 3.3 % of the training set's ink lies
# in the outer 4-pixel frame, and three quarters of the training digits put some ink there. The
# outermost 2 pixels are almost empty: 0.2 % of the ink.)

# %%
rng = np.random.default_rng(0)
odd_images = np.zeros((8, 28, 28), np.float32)
odd_images[0, 4:24, 4:24] = rng.random((20, 20))                      # uniform noise
odd_images[1, 4:24, 4:24] = rng.random((20, 20)) < 0.2                 # salt noise
odd_images[2, 4:24, 4:24] = np.clip(rng.normal(0.5, 0.25, (20, 20)), 0, 1)
odd_images[3, 4:24, 4:24] = np.kron(rng.random((5, 5)), np.ones((4, 4)))   # blocky noise
odd_images[4][circle_perimeter(14, 14, 8)] = 1
odd_images[5][rectangle_perimeter((6, 6), (21, 21))] = 1
odd_images[6][line(5, 5, 22, 22)] = 1
odd_images[6][line(5, 22, 22, 5)] = 1
odd_images[7, 6:22:4, 5:23] = 1                                        # stripes
x_odd = odd_images.reshape(8, 784)

# %%
OVER_EPOCHS = 1 if QUICK else 3
start = time.perf_counter()
overcomplete = OvercompleteAutoencoder(1024)
train_overcomplete(overcomplete, x_small, OVER_EPOCHS)
over_seconds = time.perf_counter() - start


def digit_vs_odd(reconstruct_fn):
    """(test MSE on digits, MSE on the 8 non-digit images)."""
    return (reconstruction_mse(x_test, reconstruct_fn(x_test)),
            reconstruction_mse(x_odd, reconstruct_fn(x_odd)))


copy_check = {"over-complete, 1024 codes": digit_vs_odd(lambda x: reconstruct(overcomplete, x)),
              "deep AE, 32 codes": digit_vs_odd(lambda x: reconstruct(deep[32], x))}
for name, (digits, odd) in copy_check.items():
    print(f"{name:26s} MSE on digits {digits:.4f} | on non-digits {odd:.4f} | ratio {odd / digits:.1f}")
print(f"(over-complete model: {count_parameters(overcomplete):,} parameters, trained in {over_seconds:.0f} s)")

fig = plot.reconstructions(x_odd, {"1024 codes": np.clip(reconstruct(overcomplete, x_odd), 0, 1),
                                   "32 codes": reconstruct(deep[32], x_odd)}, n=8,
                           title="Non-digits (top) through the over-complete AE (middle) and the "
                                 "bottleneck AE (bottom)")
plt.show()

# %%
over_digits, over_odd = copy_check["over-complete, 1024 codes"]
deep_digits, deep_odd = copy_check["deep AE, 32 codes"]
assert np.isfinite(over_digits) and np.isfinite(over_odd)
if not QUICK:
    assert over_digits < deep_digits            # a lower error on digits...
    assert over_odd < 0.75 * deep_odd           # ...and it copies non-digits better

# %% [markdown]
# **Symptom:** a suspiciously low reconstruction error, and the model reproduces whatever you
# give it: noise comes out as noise, a cross as a cross, with a clearly smaller error than the
# bottleneck model makes on the same images (see the printout). The bottleneck model turns them
# into digit-like blobs, which is what we want from a model of digits. A copying model is useless for what autoencoders are for: its codes are not
# compact, and it cannot flag unusual inputs (lesson 06) because nothing looks unusual to it.
#
# **Cure:** a bottleneck (k much smaller than the input), *or* keep the wide code and add a
# constraint that makes copying expensive: corrupt the input (lesson 04), or penalise the
# code, as in section 7.
#
# ### 6.6 Not enough data: over-fitting
#
# An autoencoder with 440,000 weights and only a few hundred training images can learn *those
# images* rather than digits: its error on the training images keeps falling while its error on
# images it has never seen stops falling and climbs. That is over-fitting, and the only way to see
# it is to measure both errors, on the training images and on the validation images, as training
# goes on.
#
# We train the k = 32 model of section 3 on the first 300, 1,000, 3,000 and 10,000 training
# images, each for the same number of mini-batches (64 images each), so that the only difference
# is how many different images it sees. Every 50 mini-batches we record both errors, each on a
# fixed sample of 1,000 images (all the training images of the two smaller sets): enough to see
# the gap, and far cheaper than every image at every checkpoint. (A function of its own, because
# it counts mini-batches instead of epochs: 1,000 mini-batches are 213 passes over 300 images,
# but fewer than 7 over 10,000.) It also has the two cures we will try: weight decay, and early
# stopping with `patience`.

# %% tags=["torch"]
def seeded_deep_autoencoder(latent_dim, seed=0):
    """make_deep_autoencoder(latent_dim), starting from the same random weights for the same seed."""
    torch.manual_seed(seed)
    return make_deep_autoencoder(latent_dim)


def train_with_validation(model, images, val_images, steps, checkpoints=20, weight_decay=0.0,
                          patience=None, learning_rate=1e-3, batch_size=64, eval_size=1_000):
    """AdamW on the MSE for `steps` mini-batches, with `checkpoints` evaluations evenly spread.

    At each checkpoint, record the MSE on the first `eval_size` of `images` and of `val_images`
    (fixed samples, so that checkpoints stay cheap). With `patience`,
    stop once the validation MSE has not improved for that many checkpoints, and put back the
    weights of the checkpoint with the lowest validation MSE (early stopping).
    Returns {"step": [...], "train_mse": [...], "val_mse": [...], "best": index of the best checkpoint}.
    """
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    loader = make_dataloader(images, images, batch_size=batch_size)
    batches = itertools.chain.from_iterable(itertools.repeat(loader))   # reshuffled on each pass
    steps_per_checkpoint = steps // checkpoints
    train_sample, val_sample = images[:eval_size], val_images[:eval_size]
    history = {"step": [], "train_mse": [], "val_mse": [], "best": None}
    best_weights = None
    for checkpoint in tqdm(range(checkpoints), desc=f"{len(images):,} images", leave=False):
        model.train()
        for inputs, targets in itertools.islice(batches, steps_per_checkpoint):
            loss = nn.functional.mse_loss(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        history["step"].append((checkpoint + 1) * steps_per_checkpoint)
        history["train_mse"].append(reconstruction_mse(train_sample, reconstruct(model, train_sample)))
        history["val_mse"].append(reconstruction_mse(val_sample, reconstruct(model, val_sample)))
        if history["best"] is None or history["val_mse"][-1] < history["val_mse"][history["best"]]:
            history["best"] = checkpoint
            if patience is not None:
                best_weights = copy.deepcopy(model.state_dict())
        elif patience is not None and checkpoint - history["best"] >= patience:
            break                                      # early stopping
    if best_weights is not None:
        model.load_state_dict(best_weights)            # back to the best checkpoint
    model.eval()
    return history


# %% tags=["keras"]
def seeded_deep_autoencoder(latent_dim, seed=0):
    """make_deep_autoencoder(latent_dim), starting from the same random weights for the same seed."""
    keras.utils.set_random_seed(seed)
    return make_deep_autoencoder(latent_dim)


class TrainAndValidationMSE(keras.callbacks.Callback):
    """After each epoch, adds the MSE on `images` ("train_mse") and `val_images` ("val_mse") to the logs."""

    def __init__(self, images, val_images):
        super().__init__()
        self.images, self.val_images = images, val_images

    def on_epoch_end(self, epoch, logs=None):
        logs["train_mse"] = reconstruction_mse(self.images, reconstruct(self.model, self.images))
        logs["val_mse"] = reconstruction_mse(self.val_images, reconstruct(self.model, self.val_images))


def train_with_validation(model, images, val_images, steps, checkpoints=20, weight_decay=0.0,
                          patience=None, learning_rate=1e-3, batch_size=64, eval_size=1_000):
    """AdamW on the MSE for `steps` mini-batches, with `checkpoints` evaluations evenly spread.

    At each checkpoint, record the MSE on the first `eval_size` of `images` and of `val_images`
    (fixed samples, so that checkpoints stay cheap). With `patience`,
    stop once the validation MSE has not improved for that many checkpoints, and put back the
    weights of the checkpoint with the lowest validation MSE (early stopping).
    Returns {"step": [...], "train_mse": [...], "val_mse": [...], "best": index of the best checkpoint}.
    """
    steps_per_checkpoint = steps // checkpoints
    # One call into TensorFlow per checkpoint. (On data that repeats, fit runs whole calls: with
    # steps_per_execution=25 and 20 steps per checkpoint, each "checkpoint" would train 25.)
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay), loss="mse",
                  steps_per_execution=steps_per_checkpoint)
    model.optimizer.build(model.trainable_variables)   # as in train_autoencoder: one trace, not two
    # the errors first, so that EarlyStopping (next) finds val_mse in the logs
    callbacks = [TrainAndValidationMSE(images[:eval_size], val_images[:eval_size])]
    if patience is not None:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_mse", mode="min", patience=patience,
                                                       restore_best_weights=True))
    # Keras calls a checkpoint an epoch: `steps_per_epoch` mini-batches from the repeated data.
    fit = model.fit(make_dataset(images, images, batch_size=batch_size).repeat(), epochs=checkpoints,
                    steps_per_epoch=steps_per_checkpoint, callbacks=callbacks)
    val_mse = fit.history["val_mse"]
    return {"step": [(i + 1) * steps_per_checkpoint for i in range(len(val_mse))],
            "train_mse": fit.history["train_mse"], "val_mse": val_mse, "best": int(np.argmin(val_mse))}


# %%
DATA_SIZES = (300, 1_000) if QUICK else (300, 1_000, 3_000, 10_000)
DATA_STEPS, CHECKPOINTS = (200, 10) if QUICK else (1_000, 20)

start = time.perf_counter()
size_runs = {}
for n in DATA_SIZES:
    model = seeded_deep_autoencoder(32)
    history = train_with_validation(model, x_small[:n], x_val, DATA_STEPS, CHECKPOINTS)
    size_runs[n] = {"model": model, "history": history}
    best = history["best"]
    print(f"{n:6,d} training images: at the end, training MSE {history['train_mse'][-1]:.4f}, "
          f"validation MSE {history['val_mse'][-1]:.4f} (gap {history['val_mse'][-1] - history['train_mse'][-1]:.4f}); "
          f"lowest validation MSE {history['val_mse'][best]:.4f} after {history['step'][best]} mini-batches")
print(f"({len(DATA_SIZES)} runs in {time.perf_counter() - start:.0f} s)")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for (n, run), colour in zip(size_runs.items(), ("C0", "C1", "C2", "C3")):
    history = run["history"]
    axes[0].plot(history["step"], history["val_mse"], "-", color=colour, label=f"{n:,} images: validation")
    axes[0].plot(history["step"], history["train_mse"], "--", color=colour, label=f"{n:,} images: training")
axes[0].set(yscale="log", xlabel="mini-batches of 64 images", ylabel="MSE per pixel (log scale)",
            title="Training (dashed) and validation (solid) error")
axes[0].legend(fontsize=7, ncol=2)
sizes = list(size_runs)
axes[1].plot(sizes, [size_runs[n]["history"]["train_mse"][-1] for n in sizes], "o--", label="training images")
axes[1].plot(sizes, [size_runs[n]["history"]["val_mse"][-1] for n in sizes], "o-", label="validation images")
axes[1].set(xscale="log", yscale="log", xlabel="training images", ylabel="MSE per pixel after training (log scale)",
            title="The gap between the two is over-fitting")
axes[1].set_xticks(sizes, [f"{n:,}" for n in sizes])
axes[1].xaxis.set_minor_locator(plt.NullLocator())
axes[1].legend()
fig.tight_layout()
plt.show()

# %%
gap = {n: run["history"]["val_mse"][-1] - run["history"]["train_mse"][-1] for n, run in size_runs.items()}
smallest, largest = DATA_SIZES[0], DATA_SIZES[-1]
assert all(np.isfinite(run["history"]["val_mse"]).all() for run in size_runs.values())
if not QUICK:
    assert gap[smallest] > 3 * gap[largest]
    assert size_runs[smallest]["history"]["val_mse"][-1] > size_runs[largest]["history"]["val_mse"][-1]
    small_val = size_runs[smallest]["history"]["val_mse"]
    assert small_val[-1] > 1.05 * min(small_val)        # the validation error turned back up

# %% [markdown]
# **Symptom:** the training error is far below the validation error, and the gap grows as
# training goes on; with the fewest images the validation error reaches its lowest point early
# and then *rises*, while the training error keeps falling. With 10,000 images the two curves
# stay close. Without a validation set you would see only the falling training curve and
# believe the model keeps improving.
#
# **Cures:** more data is the best one (the right panel). When there is no more, two cures,
# on the 300 images:
#
# - **weight decay**: shrink every weight a little towards zero at each step, so the network
#   cannot build the large, finely balanced weights that memorising single images takes.
#   `AdamW`'s `weight_decay` does this (decoupled from Adam's step sizes; an L2 term in the loss
#   would be rescaled by Adam). Its strength is a choice, so we try a few values and keep the
#   one with the lowest error on the validation images.
# - **early stopping**: keep the weights of the checkpoint with the lowest validation error.
#   With `patience=3`, training stops after three checkpoints without a new best, and the best
#   weights are put back. It is the same run as the plain one, from the same starting weights,
#   only stopped at its best point.
#
# The test images then give the final, unbiased verdict.

# %%
WEIGHT_DECAYS = (0.3, 3.0)
decay_runs = {}
for weight_decay in WEIGHT_DECAYS:
    model = seeded_deep_autoencoder(32)
    decay_runs[weight_decay] = {"model": model, "history": train_with_validation(
        model, x_small[:smallest], x_val, DATA_STEPS, CHECKPOINTS, weight_decay=weight_decay)}
    print(f"weight decay {weight_decay:g}: validation MSE {decay_runs[weight_decay]['history']['val_mse'][-1]:.4f}")
best_decay = min(WEIGHT_DECAYS, key=lambda wd: decay_runs[wd]["history"]["val_mse"][-1])
print(f"kept: weight decay {best_decay:g}")

# %%
model = seeded_deep_autoencoder(32)
cures = {"no cure": size_runs[smallest], "weight decay": decay_runs[best_decay],
         "early stopping": {"model": model, "history": train_with_validation(
             model, x_small[:smallest], x_val, DATA_STEPS, CHECKPOINTS, patience=3)}}
for name, run in cures.items():   # the final weights (early stopping: those of its best checkpoint)
    errors = {images_name: reconstruction_mse(images, reconstruct(run["model"], images))
              for images_name, images in (("training", x_small[:smallest]), ("validation", x_val),
                                          ("test", x_test))}
    run["test_mse"] = errors["test"]
    print(f"{name:15s} ({smallest} images): " + ", ".join(f"{k} MSE {v:.4f}" for k, v in errors.items())
          + f"  (trained for {run['history']['step'][-1]} mini-batches)")
largest_test_mse = reconstruction_mse(x_test, reconstruct(size_runs[largest]["model"], x_test))
print(f"{'more data':15s} ({largest:,} images): test MSE {largest_test_mse:.4f}")

fig, ax = plt.subplots(figsize=(6.5, 3.6))
for (name, run), colour in zip(cures.items(), ("C0", "C1", "C2")):
    ax.plot(run["history"]["step"], run["history"]["val_mse"], "-", color=colour, label=f"{name}: validation")
    ax.plot(run["history"]["step"], run["history"]["train_mse"], "--", color=colour, label=f"{name}: training")
best = cures["early stopping"]["history"]["best"]
ax.plot(cures["early stopping"]["history"]["step"][best], cures["early stopping"]["history"]["val_mse"][best],
        "k*", ms=12, label="weights kept by early stopping")
ax.set(yscale="log", xlabel="mini-batches of 64 images", ylabel="MSE per pixel (log scale)",
       title=f"Two cures for over-fitting on {smallest} training images")
ax.legend(fontsize=7)
plt.show()

# %%
assert all(np.isfinite(run["test_mse"]) for run in cures.values())
if not QUICK:
    assert cures["weight decay"]["test_mse"] < cures["no cure"]["test_mse"]
    assert cures["early stopping"]["test_mse"] < cures["no cure"]["test_mse"]
    assert cures["early stopping"]["test_mse"] < cures["weight decay"]["test_mse"]
    assert largest_test_mse < min(run["test_mse"] for run in cures.values())

# %% [markdown]
# Both cures lower the error on the test images, which took part in no decision. Here weight
# decay helps only a little, early stopping clearly more, and neither comes close to what 30
# times more images give. Both are cheap regularisers; the penalties of section 7 and the noise
# of lesson 04 are others.
#
# ## 7. Regularised autoencoders: a wide code that does not copy
#
# ### Sparse autoencoder
#
# (Sparse codes go back to sparse coding, Olshausen & Field, 1996; for autoencoders, see Ranzato
# et al., 2007, and Ng's *Sparse autoencoder* lecture notes, 2011.) Add to the loss a penalty
# λ · Σ|code|: the L1 norm of each image's code, averaged over the batch. Cheapest for the network is to switch most code units off for each image: the code
# becomes **sparse**, and the network must choose which few features describe each digit.
#
# ### Exercise 3: the L1 penalty on the codes
#
# Write `l1_code_penalty(codes, weight)` for a batch of codes of shape `(N, k)` ({{framework}}
# tensors): `weight` times the sum of absolute values over the k units, averaged over the N
# images. Use {{framework}} operations, so that gradients flow through it.

# %% tags=["torch"]
def l1_code_penalty(codes, weight):
    """weight * mean over the batch of sum_j |codes[:, j]|. codes: (N, k) tensor -> scalar tensor."""
    ### BEGIN SOLUTION
    return weight * codes.abs().sum(dim=1).mean()
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: absolute values, sum over the units (dim=1), mean over the batch, times weight
    return None
    ### END STUB


result = check.run("02.l1_code_penalty", l1_code_penalty)
l1_code_penalty = result.use()

# %% tags=["keras"]
def l1_code_penalty(codes, weight):
    """weight * mean over the batch of sum_j |codes[:, j]|. codes: (N, k) tensor -> scalar tensor."""
    ### BEGIN SOLUTION
    return weight * tf.reduce_mean(tf.reduce_sum(tf.abs(codes), axis=1))
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: absolute values, sum over the units (axis=1), mean over the batch, times weight
    return None
    ### END STUB


result = check.run("02.l1_code_penalty", l1_code_penalty)
l1_code_penalty = result.use()

# %% [markdown]
# ### Contractive autoencoder
#
# A contractive autoencoder (Rifai et al., 2011) penalises how strongly the code reacts to small changes of the
# input: the squared Frobenius norm of the encoder's Jacobian, ‖∂h/∂x‖². A copying model
# reacts to *every* pixel change, so it pays a lot; a model that ignores directions along which
# digits do not vary pays little.
#
# For our one-layer encoder h = ReLU(a), a = W x + b, row j of the Jacobian is relu′(a_j) W_j,
# where relu′(a_j) is 1 if a_j > 0 and 0 otherwise. So
#
# ‖∂h/∂x‖² = Σ_j [a_j > 0] · ‖W_j‖²,
#
# the squared weight norms of the units that are active for this image.
#
# ### Exercise 4: the contractive penalty
#
# Write `contractive_penalty(encoder_weight, pre_activation, weight)`: `pre_activation` is `a`,
# shape `(N, k)`; return `weight` times the formula above averaged over the N images.
# Careful with the weight layout: {{framework}} stores it as shown in the docstring.

# %% tags=["torch"]
def contractive_penalty(encoder_weight, pre_activation, weight):
    """weight * mean over the batch of sum_j [a_j > 0] * ||W_j||^2.

    encoder_weight: (k, 784) tensor, PyTorch's nn.Linear layout (one row per code unit);
    pre_activation: (N, k) tensor. Returns a scalar tensor.
    """
    ### BEGIN SOLUTION
    active = (pre_activation > 0).float()                   # relu'(a): (N, k)
    squared_norms = (encoder_weight ** 2).sum(dim=1)        # ||W_j||^2: (k,)
    return weight * (active * squared_norms).sum(dim=1).mean()
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: (1) which units are active, (2) squared norm of each unit's weights,
    #       (3) sum over active units, mean over the batch, times weight
    return None
    ### END STUB


result = check.run("02.contractive_penalty", contractive_penalty)
contractive_penalty = result.use()

# %% tags=["keras"]
def contractive_penalty(encoder_weight, pre_activation, weight):
    """weight * mean over the batch of sum_j [a_j > 0] * ||W_j||^2.

    encoder_weight: (784, k) tensor, Keras' Dense kernel layout (one column per code unit);
    pre_activation: (N, k) tensor. Returns a scalar tensor.
    """
    ### BEGIN SOLUTION
    active = tf.cast(pre_activation > 0, tf.float32)                 # relu'(a): (N, k)
    squared_norms = tf.reduce_sum(tf.square(encoder_weight), axis=0)  # ||W_j||^2: (k,)
    return weight * tf.reduce_mean(tf.reduce_sum(active * squared_norms, axis=1))
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: (1) which units are active, (2) squared norm of each unit's weights (a column),
    #       (3) sum over active units, mean over the batch, times weight
    return None
    ### END STUB


result = check.run("02.contractive_penalty", contractive_penalty)
contractive_penalty = result.use()

# %% [markdown]
# Now we train the same over-complete architecture with each penalty, and compare: test MSE,
# how many code units are active per image, and how well each copies non-digits.

# %% tags=["torch"]
L1_WEIGHT, CONTRACTIVE_WEIGHT = 3e-4, 3e-4
penalties = {
    "sparse (L1)": lambda model, pre, codes: l1_code_penalty(codes, L1_WEIGHT),
    "contractive": lambda model, pre, codes: contractive_penalty(model.code_layer.weight, pre,
                                                                 CONTRACTIVE_WEIGHT),
}

# %% tags=["keras"]
L1_WEIGHT, CONTRACTIVE_WEIGHT = 3e-4, 3e-4
penalties = {
    "sparse (L1)": lambda model, pre, codes: l1_code_penalty(codes, L1_WEIGHT),
    "contractive": lambda model, pre, codes: contractive_penalty(model.code_layer.kernel, pre,
                                                                 CONTRACTIVE_WEIGHT),
}

# %%
regularised = {"no penalty": overcomplete}
for name, penalty in penalties.items():
    regularised[name] = OvercompleteAutoencoder(1024, penalty=penalty)
    train_overcomplete(regularised[name], x_small, OVER_EPOCHS)

summary = {}
for name, model in regularised.items():
    codes = overcomplete_codes(model, x_test)
    digits, odd = digit_vs_odd(lambda x: reconstruct(model, x))
    summary[name] = {"test MSE": digits, "non-digit MSE": odd, "codes": codes,
                     "active per image": (codes > 0).sum(axis=1).mean(),
                     "dead units": int(dead_code_units(codes).sum())}
    print(f"{name:12s} test MSE {digits:.4f} | non-digit MSE {odd:.4f} | active units per image "
          f"{summary[name]['active per image']:6.1f} of 1024 | dead units {summary[name]['dead units']}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for name, row in summary.items():
    active_fraction = (row["codes"] > 0).mean(axis=0)
    axes[0].hist(active_fraction, bins=np.linspace(0, 1, 41), histtype="step", lw=1.5, label=name)
    axes[1].plot(np.sort(row["codes"][0])[::-1][:200], label=name)
axes[0].set(xlabel="fraction of test images for which a unit is active", ylabel="code units",
            yscale="log", title="Code activity: how often each of 1024 units fires")
axes[1].set(xlabel="code units, sorted by value", ylabel="code value",
            title="The code of one test digit (largest 200 values)")
axes[0].legend()
axes[1].legend()
fig.tight_layout()
plt.show()

# %%
assert all(np.isfinite(row["test MSE"]) for row in summary.values())
if not QUICK:
    assert all(row["test MSE"] < MEAN_DIGIT_MSE for row in summary.values())
    assert summary["sparse (L1)"]["active per image"] < 0.5 * summary["no penalty"]["active per image"]
    assert summary["contractive"]["non-digit MSE"] > summary["no penalty"]["non-digit MSE"]

# %% [markdown]
# With the L1 penalty, each digit is described by a small fraction of the 1024 units (compare
# the "active units per image" column), at a price in test error. The contractive
# penalty leaves the code dense but makes the model less willing to copy: its error on
# non-digits rises. Both keep a wide code and still have to learn something about digits;
# both have a weight λ to tune, which trades reconstruction against the constraint.
#
# ### The KL sparsity target
#
# The L1 penalty is **per image**: every image pays for every unit it switches on, so each code
# is pushed towards few active units, but nothing says *which* units: one unit may fire for
# every image and another for none. The classic alternative (Ng's lecture notes) constrains each
# **unit, on average over the images**. Let ρ̂_j be unit j's mean activation over a batch. We
# want it to equal a small target ρ, say 0.05 (each unit busy for about 5 % of the images), and
# penalise the gap with the Kullback-Leibler divergence between two coin flips with
# probabilities ρ and ρ̂_j:
#
# KL(ρ ‖ ρ̂_j) = ρ log(ρ / ρ̂_j) + (1 − ρ) log((1 − ρ) / (1 − ρ̂_j)),  penalty = β · Σ_j KL(ρ ‖ ρ̂_j).
#
# It is 0 when ρ̂_j = ρ and grows without bound as ρ̂_j approaches 0 (a dead unit) or 1 (a
# unit that always fires). The formula needs ρ̂_j to be a fraction between 0 and 1, so the code
# units must be too: we use **sigmoid** code units for this model. (A ReLU code has no upper
# bound, so its mean is not a fraction; one could rescale it, but then the target depends on the
# scale chosen.) The KL penalty does not limit any single image: an image may switch on many
# units, as long as each unit stays quiet on average.

# %% tags=["torch"]
def kl_sparsity_penalty(codes, target, weight):
    """weight * sum_j KL(target || mean activation of unit j over the batch). codes: (N, k) in (0, 1)."""
    mean_activation = codes.mean(dim=0).clamp(1e-6, 1 - 1e-6)   # rho-hat, (k,); clamp: no log(0)
    kl = (target * torch.log(target / mean_activation)
          + (1 - target) * torch.log((1 - target) / (1 - mean_activation)))
    return weight * kl.sum()


# %% tags=["keras"]
def kl_sparsity_penalty(codes, target, weight):
    """weight * sum_j KL(target || mean activation of unit j over the batch). codes: (N, k) in (0, 1)."""
    mean_activation = tf.clip_by_value(tf.reduce_mean(codes, axis=0), 1e-6, 1 - 1e-6)   # rho-hat, (k,)
    kl = (target * tf.math.log(target / mean_activation)
          + (1 - target) * tf.math.log((1 - target) / (1 - mean_activation)))
    return weight * tf.reduce_sum(kl)


# %% [markdown]
# Each penalty has a weight to choose, which trades reconstruction against sparsity. We sweep
# both weights, train each model the same way as above, and measure on the **validation**
# images the error and the number of active units per image. A unit counts as active when its
# input is positive: a ReLU output above 0, a sigmoid output above 0.5.

# %%
SPARSITY_TARGET = 0.05
L1_WEIGHTS = (3e-4,) if QUICK else (1e-4, 3e-4, 1e-3)
KL_WEIGHTS = (1e-5,) if QUICK else (1e-6, 1e-5, 1e-4)


def active_per_image(codes, code_activation):
    """(N, width) codes -> mean number of active units per image: above 0 (ReLU), above 0.5 (sigmoid)."""
    return float((codes > {"relu": 0.0, "sigmoid": 0.5}[code_activation]).sum(axis=1).mean())


sweep = {}
for weight in L1_WEIGHTS:
    if weight == L1_WEIGHT:
        model = regularised["sparse (L1)"]    # trained above
    else:
        model = OvercompleteAutoencoder(1024, penalty=lambda model, pre, codes, w=weight: l1_code_penalty(codes, w))
        train_overcomplete(model, x_small, OVER_EPOCHS)
    sweep["L1", weight] = model
for weight in KL_WEIGHTS:
    model = OvercompleteAutoencoder(1024, code_activation="sigmoid",
                                    penalty=lambda model, pre, codes, w=weight: kl_sparsity_penalty(codes, SPARSITY_TARGET, w))
    train_overcomplete(model, x_small, OVER_EPOCHS)
    sweep["KL", weight] = model

sweep_rows = {}
for (kind, weight), model in sweep.items():
    codes = overcomplete_codes(model, x_val)
    activation = "relu" if kind == "L1" else "sigmoid"
    active = codes > {"relu": 0.0, "sigmoid": 0.5}[activation]
    sweep_rows[kind, weight] = {"val MSE": reconstruction_mse(x_val, reconstruct(model, x_val)),
                                "active": active_per_image(codes, activation),
                                "firing rate": active.mean(axis=0)}   # per unit: share of images
    row = sweep_rows[kind, weight]
    print(f"{kind} weight {weight:g}: validation MSE {row['val MSE']:.4f} | active units per image "
          f"{row['active']:6.1f} of 1024 | units never active {int(np.sum(row['firing rate'] == 0)):4d} | "
          f"units active for more than half the images {int(np.sum(row['firing rate'] > 0.5)):4d}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for kind, weights, marker in (("L1", L1_WEIGHTS, "o-"), ("KL", KL_WEIGHTS, "s-")):
    rows = [sweep_rows[kind, weight] for weight in weights]
    axes[0].plot([row["active"] for row in rows], [row["val MSE"] for row in rows], marker,
                 label=f"{kind} penalty ({'ReLU' if kind == 'L1' else 'sigmoid'} code)")
    for weight, row in zip(weights, rows):
        axes[0].annotate(f"{weight:g}", (row["active"], row["val MSE"]), textcoords="offset points",
                         xytext=(4, 4), fontsize=8)
axes[0].set(xscale="log", xlabel="active units per image (of 1024, log scale)",
            ylabel="validation MSE per pixel", title="Sparsity against error, for each penalty weight")
axes[0].legend()
SHOWN = {"L1": L1_WEIGHT, "KL": KL_WEIGHTS[len(KL_WEIGHTS) // 2]}   # the middle weight of each sweep
for kind, weight in SHOWN.items():
    axes[1].hist(sweep_rows[kind, weight]["firing rate"], bins=np.linspace(0, 1, 41), histtype="step",
                 lw=1.5, label=f"{kind}, weight {weight:g}")
axes[1].axvline(SPARSITY_TARGET, color="grey", ls=":", label=f"KL target ρ = {SPARSITY_TARGET}")
axes[1].set(yscale="log", xlabel="fraction of validation images for which a unit is active",
            ylabel="code units (log scale)", title="Per image (L1) or per unit (KL)")
axes[1].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# And what have the units learned? Each code unit adds its decoder weights, an image, to the
# output in proportion to its activation. Here are those images for 12 units picked at random
# among the units that are active for at least one validation image, for the two models of the
# right-hand plot (red adds ink, blue removes it).

# %%
rng = np.random.default_rng(0)
feature_rows, feature_captions = [], []
for kind, weight in SHOWN.items():
    alive = np.flatnonzero(sweep_rows[kind, weight]["firing rate"] > 0)
    units = np.sort(rng.choice(alive, size=min(12, len(alive)), replace=False))
    images = code_unit_images(sweep[kind, weight])[units]
    feature_rows.append(images / np.abs(images).max(axis=1, keepdims=True))   # each in [-1, 1]
    feature_captions += [f"{kind} unit {j}" for j in units]
fig = plot.image_grid(np.concatenate(feature_rows), captions=feature_captions, ncols=12, cmap="RdBu_r",
                      vmin=-1, vmax=1, size=1.1,
                      title="Decoder weights of 12 code units: L1 model (top), KL model (bottom)")
plt.show()

# %%
assert all(np.isfinite(row["val MSE"]) for row in sweep_rows.values())
if not QUICK:
    l1_active = [sweep_rows["L1", weight]["active"] for weight in L1_WEIGHTS]
    kl_active = [sweep_rows["KL", weight]["active"] for weight in KL_WEIGHTS]
    assert l1_active == sorted(l1_active, reverse=True)       # a larger weight, sparser codes
    assert kl_active == sorted(kl_active, reverse=True)
    kl_rate = sweep_rows["KL", SHOWN["KL"]]["firing rate"]
    l1_rate = sweep_rows["L1", SHOWN["L1"]]["firing rate"]
    assert np.sum(kl_rate > 0.5) < np.sum(l1_rate > 0.5)       # KL: fewer units busy for most images
    assert all(np.sum(sweep_rows["L1", weight]["firing rate"] == 0) > 100 for weight in L1_WEIGHTS)
    assert all(np.sum(sweep_rows["KL", weight]["firing rate"] == 0) < 0.02 * 1024 for weight in KL_WEIGHTS[:2])

# %% [markdown]
# What the sweep shows (read the numbers above):
#
# - For both penalties a larger weight gives sparser codes and a larger error: there is no free
#   sparsity. Which point to pick depends on what the code is for, and it is picked on the
#   validation images, as here; the test images stay for the final number.
# - **L1 is per image**: it makes each code short, and does not care which units do the work.
#   At every weight hundreds of units are never active, and many others are active for more
#   than half of the images (the blue histogram).
# - **KL is per unit**: a unit whose average activity approaches 0 or 1 pays without bound, so
#   at the two smaller weights almost every unit is used. But the average alone does not say how a unit spends its activity: it can meet
#   ρ = 0.05 by firing strongly for 5 % of the images, or by sitting at 0.05 for all of them.
#   The second kind never crosses 0.5, so it counts as "never active" here although it is not
#   off: that is what the largest KL weight does to hundreds of units.
# - The decoder images show what each unit contributes. The L1 model's often-active units draw
#   digit-like templates and strokes, with blue where their digits have no ink; its rarely
#   active units, and most of the KL model's units, which share the work with a thousand
#   others, still look much like the random noise they started from after 3 epochs.
#
# ## Check your understanding
#
# 1. Your autoencoder's reconstructions all look the same, and the loss is stuck at about 0.067.
#    Name two failures from this lesson that give this symptom, and how you would tell them apart.

# %% [markdown] tags=["answer"]
# Training too briefly (the learning curve is still falling; more epochs help), a learning rate
# too high (the loss spiked or plateaued early; a lower rate helps), and a dead bottleneck
# (the codes are 0 for every image: check with `dead_code_units`). 0.067 is the error of
# predicting the average digit, so the decoder is receiving no information about the input.

# %% [markdown]
# 2. Why does a deep autoencoder beat PCA at k = 2 by a wide margin, but not necessarily at k = 64?

# %% [markdown] tags=["answer"]
# With few numbers, a curved (nonlinear) code captures far more of the digits' variation than
# a flat subspace. With many numbers, PCA's flat subspace already captures almost everything,
# and PCA finds its optimum exactly, while the network must learn its code by gradient descent
# in a limited number of epochs (and through a 64-unit hidden layer).

# %% [markdown]
# 3. An over-complete autoencoder reaches a lower test error than the bottleneck model. Why is
#    that not good news?

# %% [markdown] tags=["answer"]
# It may simply have learned to copy its input. It then reproduces non-digits too, so its error
# cannot flag unusual inputs, and its 1024-number code is no more compact or
# meaningful than the pixels. Test it on inputs that are not digits.

# %% [markdown]
# 4. Your images are in [0, 255] and your decoder ends in a sigmoid. What do the
#    reconstructions look like, and what are two fixes?

# %% [markdown] tags=["answer"]
# Every pixel is at most 1, so on the 0–255 scale everything looks black and the loss stays
# huge. Divide the images by 255 (the usual fix), or use a linear output (then expect values
# outside the valid range).

# %% [markdown]
# 5. A classmate trains for 50 epochs, keeps the epoch with the lowest *test* error, and reports
#    that error. What is wrong with the number, and how should it be done?

# %% [markdown] tags=["answer"]
# The epoch was chosen because it did best on the test images, so the reported error is the
# lowest of 50 noisy measurements on those images: an optimistic estimate, not a fair one. Choose
# the epoch on a validation set held out from the training images (early stopping), then measure
# the chosen model once on the test images.

# %% [markdown]
# 6. A sparse autoencoder with an L1 penalty leaves a third of its units never active, while
#    the others fire constantly. Would the KL penalty of section 7 behave the same way? Why?

# %% [markdown] tags=["answer"]
# No. L1 charges each image for its active units but does not care which units those are, so
# it is content to let some units die and others carry every image. The KL penalty looks at
# each unit's average activity over the batch and pushes it towards the target ρ: a unit that
# never fires (ρ̂ near 0) or always fires (ρ̂ near 1) pays a large penalty, so the work is
# spread over the units.

# %% [markdown]
# ## Summary
#
# | what you see | likely cause | cure |
# |---|---|---|
# | all reconstructions the same smudge, error still falling | trained too briefly | train longer; watch the validation curve |
# | loss spikes or `nan`, or sticks early at a constant image | learning rate too high | lower it (Adam 1e-3); bounded outputs |
# | wrong background, loss stuck high, outputs clipped at a bound | data range ≠ output range | sigmoid for [0, 1], tanh for [−1, 1], or rescale |
# | codes are 0 for every image, output = average digit | dead ReLU bottleneck | linear code layer; check dead units |
# | tiny error, reconstructs noise and shapes too | copying (no bottleneck) | narrow code, or sparse / contractive / denoising |
# | training error far below validation error, validation error rising | not enough data (over-fitting) | more data; weight decay; early stopping on the validation error |
#
# - A deep autoencoder beats PCA by a wide margin at small code sizes; with large codes and a
#   short training budget, PCA holds its own (section 4).
# - A sigmoid output keeps pixels valid. BCE and MSE behind it reconstruct nearly alike here;
#   BCE's gradient does not fade when the sigmoid saturates (lesson 04). Blur is what any
#   pixel-wise loss gives where the code is uncertain.
# - Training, validation and test images each have one job: fit on the first, make every
#   choice (epochs, learning rate, loss, penalty weight) on the second, report the third.
# - Sparsity two ways: an L1 penalty makes each image's code short; a KL target makes each
#   unit fire for a set share of the images. Both trade error for sparsity through their weight.
#
# Next: **03 · convolutional autoencoders**, which use the fact that images are images.
#
# ## Exercises to try on your own
#
# 1. Train the k = 32 model for twice as many epochs. How much does the test error improve,
#    and is it still falling?
# 2. Replace the ReLU on the dead k = 2 code by `LeakyReLU` (slope 0.01) and re-run the three
#    seeds. Do any units die?
# 3. Change `SPARSITY_TARGET` to 0.01 and to 0.2 for the KL model, and compare the firing
#    rates and the decoder images of its units.
# 4. Add your own non-digits to `odd_images` (letters, a smiley) and compare the two models.
