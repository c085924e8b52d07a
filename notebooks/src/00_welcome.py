# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 00 · Welcome to aelab
#
# An **autoencoder** is a neural network trained to copy its input to its output through a
# narrow middle. The first half, the *encoder*, squeezes a 784-pixel image into a short *code*
# (say 10 numbers); the second half, the *decoder*, rebuilds the image from that code. Because
# the code is small, the network cannot just pass pixels through: it has to discover what
# handwritten digits have in common.
#
# ```
# image (784 pixels) --encoder--> code (k numbers) --decoder--> reconstruction (784 pixels)
# ```
#
# This notebook checks that your computer is ready, shows you the data we use throughout the
# course (MNIST handwritten digits), and explains how the lessons and exercises work.
# You are in the **{{framework}} track**; every lesson also exists for the other framework.

# %% [markdown]
# ## 1. Set up the notebook
#
# Every lesson starts with the same cell: it seeds the random number generators (so you get the
# same numbers as your neighbour), chooses how many CPU threads to use, and loads {{framework}}.

# %%
import numpy as np
import matplotlib.pyplot as plt

import aelab
from aelab import check, plot
from aelab.data import load_mnist

# %% tags=["torch"]
settings = aelab.setup("torch", seed=0)
import torch

# %% tags=["keras"]
settings = aelab.setup("keras", seed=0)
import keras
import tensorflow as tf

# %% [markdown]
# ## 2. Is everything installed?
#
# The report below checks Python, the course's pinned package versions, {{framework}}, the
# MNIST files (their checksums, not just their presence) and the widgets extension.
# Anything marked as a problem comes with the command that fixes it.

# %%
from aelab.setup_check import check_setup

report = check_setup()
report

# %%
assert report.ok, ("Fix the problems marked ✘ in the report above, "
                   "then restart the kernel and run the notebook again.")

# %% [markdown]
# Now two things only your eyes can check. Below you should see **a slider** you can drag.
# If you see text like `IntSlider(value=3, ...)` or "Loading widget..." instead, the widgets
# extension is not active: close JupyterLab and start it again with `make lab`.

# %%
import ipywidgets as widgets

slider = widgets.IntSlider(value=3, min=0, max=9, description="drag me")
echo = widgets.Label()
slider.observe(lambda change: setattr(echo, "value", f"you chose {change['new']}"), names="value")
widgets.HBox([slider, echo])

# %% [markdown]
# And **a plot**: a sine wave with labelled axes. If no picture appears, run
# `%matplotlib inline` in a cell and try again.

# %%
t = np.linspace(0, 2 * np.pi, 200)
fig, ax = plt.subplots(figsize=(5, 2.5))
ax.plot(t, np.sin(t))
ax.set(xlabel="t (radians)", ylabel="sin(t)", title="If you can read this, plots work")
plt.show()

# %% [markdown]
# ## 3. The data: MNIST
#
# MNIST holds 70,000 handwritten digits, 28 × 28 grey pixels each, with their labels 0–9:
# 60,000 for training and 10,000 for testing. The files ship with the course in `data/`, so you
# can work offline; `load_mnist` checks their checksums before handing you the arrays.
#
# **Quick mode.** With the environment variable `AELAB_QUICK=1` every notebook uses a small
# subset and few epochs, so it runs in seconds (that is how the course tests itself). You
# normally leave it off and get the full dataset.

# %%
QUICK = aelab.quick_mode()
N_TRAIN = 2_000 if QUICK else None   # None: all 60,000 training images

train_images, train_labels = load_mnist("train", size=N_TRAIN)
test_images, test_labels = load_mnist("test")
print("train:", train_images.shape, train_images.dtype, "labels", train_labels.shape, train_labels.dtype)
print("test: ", test_images.shape)
print(f"pixel values from {train_images.min()} to {train_images.max()}")

# %%
assert train_images.shape[1:] == (28, 28) and train_images.dtype == np.float32
assert 0.0 <= train_images.min() and train_images.max() <= 1.0
assert test_images.shape == (10_000, 28, 28)
assert set(np.unique(train_labels)) == set(range(10))

# %% [markdown]
# Here are the first 20 test digits, each with its label underneath:

# %%
fig = plot.image_grid(test_images[:20], captions=[f"label {y}" for y in test_labels[:20]],
                      ncols=10, title="The first 20 MNIST test digits")
plt.show()

# %% [markdown]
# The ten digits are not equally common. A classifier would care; an autoencoder mostly will not,
# but it is worth knowing your data:

# %%
counts = np.bincount(train_labels, minlength=10)
fig, ax = plt.subplots(figsize=(6, 2.5))
ax.bar(range(10), counts)
ax.set(xlabel="digit", ylabel="training images", title="How many of each digit", xticks=range(10))
plt.show()

# %% [markdown]
# ## 4. How the course is laid out
#
# | lesson | what you build |
# |---|---|
# | 00 welcome | this notebook |
# | 01 linear autoencoder vs PCA | a linear autoencoder, and the proof that it finds PCA's subspace |
# | 02 deep dense autoencoder | depth, and the ways autoencoders fail |
# | 03 convolutional autoencoder | convolutions down, transposed convolutions up |
# | 04 denoising autoencoder | cleaning noisy digits, with a live noise slider |
# | 05 variational autoencoder | generating digits by dragging latent sliders |
# | 06 applications | anomaly detection, and features when labels are scarce |
#
# Every lesson comes in four notebooks:
#
# - `pytorch/` and `keras/`: the same lesson in each framework. Pick one.
# - The notebook in that folder is the **student version**: the exercises are open for you.
#   `solutions/` next to it holds the **solution version** (`NN_name_solution.ipynb`).
#
# `make lab` gives you your own copies of all of them, in the folder `my-notebooks/` of the course
# (the one JupyterLab shows): work there, your answers are yours. When the course gets a new
# lesson, `make update-notebooks` copies it in and leaves the notebooks you changed alone.
#
# Each notebook stands alone: run it top to bottom on a fresh kernel (*Kernel → Restart Kernel
# and Run All Cells*).

# %% [markdown]
# ## 5. How exercises work
#
# An exercise is a function with a `TODO` for you to fill in. The cell after it runs a
# **checker**, which calls your function on test inputs and gives a verdict:
#
# - *passed*;
# - *not yet*, with what is wrong (a wrong shape, a wrong axis, returning the input unchanged...).
#   Below it, **Show a hint** unfolds the idea of the solution, and **Show the answer** the
#   solution itself: try the hint first. (Outside a notebook, `check.hint("00.flatten_images")`
#   and `check.answer("00.flatten_images")` print them.)
# - *not attempted yet*, while the function is still the untouched `TODO` (it returns `None`).
#
# If you are stuck, you can still go on: `result.use()` gives you your function if it passed,
# and otherwise the course's reference implementation, with a note saying so. Come back later!
# When your function passes after that, the verdict reminds you to re-run the cells below it,
# which used the reference.
# Checking does not disturb the notebook's random numbers: whatever you answered, the models you
# train afterwards start from the same random weights as in the solution notebook.
#
# ### Exercise 1: flatten images into vectors
#
# Dense layers see an image as one long vector. Write `flatten_images` that turns an array of
# shape `(N, 28, 28)` into `(N, 784)`, each image read row by row.

# %%
def flatten_images(images):
    """(N, 28, 28) array -> (N, 784) array, one row per image."""
    ### BEGIN SOLUTION
    return images.reshape(len(images), -1)
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: reshape `images` so that each image becomes one row of 784 numbers.
    return None
    ### END STUB


result = check.run("00.flatten_images", flatten_images)
flatten_images = result.use()

# %%
flat = flatten_images(test_images[:5])
print("flattened:", flat.shape)
assert flat.shape == (5, 784)

# %% [markdown]
# ### Exercise 2: the average digit
#
# Write `mean_image` that returns the pixel-by-pixel average of a stack of images, shape
# `(28, 28)`. The average image is the simplest possible "autoencoder": it predicts the same
# picture whatever the input. In lesson 01 it is the baseline every model must beat.

# %%
def mean_image(images):
    """(N, 28, 28) array -> (28, 28) average image."""
    ### BEGIN SOLUTION
    return images.mean(axis=0)
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: average over the images (which axis is that?).
    return None
    ### END STUB


result = check.run("00.mean_image", mean_image)
mean_image = result.use()

# %%
average = mean_image(train_images)
baseline_mse = float(np.mean((test_images - average) ** 2))
fig = plot.image_grid(average[None], captions=[f"test MSE {baseline_mse:.4f}"], size=2.5,
                      title="The average training digit")
plt.show()
print(f"Predicting the average digit for every test image: mean squared error {baseline_mse:.4f} per pixel")
assert 0.05 < baseline_mse < 0.09

# %% [markdown]
# ## 6. From numpy to {{framework}}
#
# The helpers in `aelab` speak numpy, so both tracks share them. Models need the data in
# {{framework}}'s own format; one line does it. For an autoencoder the target *is* the input, so
# we pass the images twice:

# %% tags=["torch"]
from aelab.torch_support import make_dataloader

loader = make_dataloader(flatten_images(train_images), flatten_images(train_images), batch_size=128)
inputs, targets = next(iter(loader))
print(f"one batch: inputs {tuple(inputs.shape)} {inputs.dtype}, targets {tuple(targets.shape)}")
print(f"{len(loader)} batches per epoch")
assert inputs.shape == (128, 784) and inputs.dtype == torch.float32

# %% tags=["keras"]
from aelab.keras_support import make_dataset

dataset = make_dataset(flatten_images(train_images), flatten_images(train_images), batch_size=128)
inputs, targets = next(iter(dataset))
print(f"one batch: inputs {tuple(inputs.shape)} {inputs.dtype.name}, targets {tuple(targets.shape)}")
print(f"{int(dataset.cardinality())} batches per epoch")
assert tuple(inputs.shape) == (128, 784) and inputs.dtype == tf.float32

# %% [markdown]
# ## Summary
#
# - Your setup is checked: packages, {{framework}}, the verified MNIST files, widgets and plots.
# - MNIST images come as float32 arrays of shape `(N, 28, 28)` with values in [0, 1].
# - Predicting the average digit gives a test error of about 0.067 per pixel: the number to beat.
# - Exercises are functions with a `TODO`; `check.run` gives a verdict and a hint, and
#   `result.use()` lets you go on with the reference while you are stuck.
#
# Next: **01 · the linear autoencoder**, where we find that the simplest autoencoder rediscovers
# a 120-year-old method, principal component analysis.
#
# ## Exercises to try on your own
#
# 1. Show the 20 *training* digits with the largest average brightness. Which digits are they?
# 2. Compute `mean_image` separately for each digit 0–9 and show the ten averages with
#    `plot.image_grid`. Which two averages look most alike?
# 3. Run the setup report with `AELAB_QUICK=1` set (in a terminal: `AELAB_QUICK=1 make lab`) and
#    see which line changes.
