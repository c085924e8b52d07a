# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 01 · The linear autoencoder is PCA
#
# The simplest autoencoder has no nonlinearity at all: an encoder matrix squeezes a 784-pixel
# image into a code of *k* numbers, a decoder matrix maps the code back, and training minimises
# the mean squared error between image and reconstruction.
#
# ```
# image x (784) --encoder: W_e x + b_e--> code z (k) --decoder: W_d z + b_d--> reconstruction (784)
# ```
#
# In 1989 Baldi and Hornik proved that the best such network is not new at all: it projects the
# data onto the same *k*-dimensional subspace as **principal component analysis** (PCA), a method
# from 1901. In this lesson you will not take that on trust. You will
#
# 1. compute PCA yourself with a singular value decomposition (SVD) and check it against
#    scikit-learn;
# 2. train a linear autoencoder in {{framework}} and watch its error fall onto PCA's optimum;
# 3. measure that the two find the **same subspace in a different basis**, and recover PCA's
#    directions from the trained weights;
# 4. see why a ReLU in the bottleneck does not automatically help.

# %% [markdown]
# ## 1. Set up

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA

import aelab
from aelab import check, metrics, plot
from aelab.data import load_mnist

notebook_start = time.perf_counter()

# %% tags=["torch"]
settings = aelab.setup("torch", seed=0)
import torch
from torch import nn
from tqdm.auto import tqdm

from aelab.torch_support import make_dataloader

# %% tags=["keras"]
settings = aelab.setup("keras", seed=0)
import keras
import tensorflow as tf

# %% [markdown]
# ## 2. The data, as vectors
#
# PCA and dense autoencoders see an image as one long vector of 784 pixels, so we flatten the
# images right away.
#
# Three sets, each with one job. The **training set** is what PCA and the networks are fitted
# to. The **validation set**, 5,000 of MNIST's training images set aside before anything is
# fitted, is what we watch during training and use for any choice we make. The **test set**
# (MNIST's 10,000 test images) is looked at only for the final numbers the lesson reports, so
# that no choice has been tuned to it. In quick mode (`AELAB_QUICK=1`) the three are 2,000,
# 500 and 2,000 images.

# %%
QUICK = aelab.quick_mode()
N_VAL = 500 if QUICK else 5_000
N_TRAIN = 2_000 + N_VAL if QUICK else None   # None: all 60,000, of which 55,000 for training
N_TEST = 2_000 if QUICK else None            # None: all 10,000

train_images, train_labels = load_mnist("train", size=N_TRAIN)
test_images, test_labels = load_mnist("test", size=N_TEST)
all_train_x = train_images.reshape(len(train_images), -1)   # (N, 784), float32 in [0, 1]
train_x, val_x = all_train_x[:-N_VAL], all_train_x[-N_VAL:]  # the last N_VAL are never trained on
test_x = test_images.reshape(len(test_images), -1)
print("train:", train_x.shape, " validation:", val_x.shape, " test:", test_x.shape)

# %%
assert train_x.shape[1] == val_x.shape[1] == test_x.shape[1] == 784
assert train_x.dtype == np.float32 and 0.0 <= train_x.min() and train_x.max() <= 1.0

# %% [markdown]
# ## 3. PCA from scratch
#
# PCA looks for the directions in pixel space along which the images vary most. Subtract the
# mean image from every image (this is called *centring*) and stack the results as the rows of a
# matrix $X_c$ of shape (N, 784). Its singular value decomposition
#
# $$X_c = U\,S\,V^\top$$
#
# gives everything at once: the rows of $V^\top$ are the **principal directions** (orthonormal,
# each a 784-pixel "image"), sorted by the singular values in $S$ from largest to smallest; the
# variance of the data along direction $j$ is $S_j^2 / N$.
#
# ### Exercise 1: principal directions with an SVD
#
# Write `pca_components(data, k)` returning the mean image `(D,)` and the top `k` principal
# directions as the rows of a `(k, D)` array.

# %%
def pca_components(data, k):
    """data (N, D) -> (mean (D,), components (k, D)): orthonormal rows, largest variance first."""
    ### BEGIN SOLUTION
    mean = data.mean(axis=0)
    _, _, vt = np.linalg.svd(data - mean, full_matrices=False)
    return mean, vt[:k]
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: 1. the mean image (average over the images, axis 0)
    #       2. centre the data, 3. np.linalg.svd(..., full_matrices=False), 4. the first k rows of Vt
    return None
    ### END STUB


result = check.run("01.pca_components", pca_components)
pca_components = result.use()

# %% [markdown]
# We compute all 784 directions once (the SVD costs the same) and keep them.

# %%
start = time.perf_counter()
pixel_mean, components = pca_components(train_x, 784)
print(f"SVD of a {train_x.shape[0]} x 784 matrix: {time.perf_counter() - start:.1f} s")
print("components:", components.shape)

# %% [markdown]
# Is it right? scikit-learn's `PCA` is the reference implementation. Directions are only defined
# up to their sign (−v is as good as v), so we compare the absolute cosine between ours and
# scikit-learn's, direction by direction: 1 means identical.

# %%
sk_pca = PCA(n_components=32, svd_solver="covariance_eigh").fit(train_x)   # exact, not randomised
agreement = np.abs(np.sum(sk_pca.components_ * components[:32], axis=1))
print(f"|cosine| between our and scikit-learn's top 32 directions: min {agreement.min():.6f}")
assert agreement.min() > 0.999
assert np.allclose(sk_pca.mean_, pixel_mean, atol=1e-5)

# %% [markdown]
# ### How much of the variation does each direction explain?
#
# Project the centred data onto every direction and measure the variance along each. The
# fraction of the total variance captured by the first *k* directions is the *explained variance*.

# %%
train_centred = train_x - pixel_mean
val_centred = val_x - pixel_mean
test_centred = test_x - pixel_mean
variance_per_direction = (train_centred @ components.T).var(axis=0)   # (784,)
explained = np.cumsum(variance_per_direction) / train_centred.var(axis=0).sum()
assert np.allclose(explained[:32], np.cumsum(sk_pca.explained_variance_ratio_), atol=1e-3)

KS = (2, 10, 32)
fig, ax = plt.subplots(figsize=(6.5, 3.2))
ax.plot(np.arange(1, 785), explained)
for k in KS:
    ax.plot(k, explained[k - 1], "o", label=f"k = {k}: {explained[k - 1]:.0%}")
ax.set(xscale="log", xlabel="number of principal directions k", ylabel="fraction of variance",
       title="Cumulative explained variance (MNIST training set)", ylim=(0, 1.02))
ax.legend()
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# ### The mean image and the "eigen-digits"
#
# Each principal direction is itself an image. Red pixels get brighter and blue pixels darker as
# you move along the direction (the sign is arbitrary). The first directions are broad strokes;
# later ones add finer detail.

# %%
fig = plot.image_grid(pixel_mean[None], captions=["mean image"], size=2.0,
                      title="The mean training image")
plt.show()
limit = np.abs(components[:10]).max()
fig = plot.image_grid(components[:10], cmap="RdBu_r", vmin=-limit, vmax=limit, size=1.3,
                      captions=[f"PC {j + 1}: {variance_per_direction[j] / variance_per_direction.sum():.1%}"
                                for j in range(10)],
                      title="The top 10 principal directions (eigen-digits) and their share of the variance")
plt.show()

# %% [markdown]
# ### Exercise 2: reconstruct with k directions
#
# To compress an image with PCA, centre it and take its coordinates along the first *k*
# directions: that is the **code**, *k* numbers. To decompress, go back along the same
# directions and add the mean:
#
# $$z = C\,(x - \mu), \qquad \hat x = \mu + C^\top z \qquad (C:\ k \times 784,\ \text{orthonormal rows}).$$
#
# Write `pca_reconstruct(images, mean, components)` for a batch of flat images `(N, D)`.

# %%
def pca_reconstruct(images, mean, components):
    """images (N, D), mean (D,), components (k, D) orthonormal rows -> reconstructions (N, D)."""
    ### BEGIN SOLUTION
    codes = (images - mean) @ components.T        # (N, k)
    return mean + codes @ components              # (N, D)
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: centre, project onto the directions (the codes), map back, add the mean.
    return None
    ### END STUB


result = check.run("01.pca_reconstruct", pca_reconstruct)
pca_reconstruct = result.use()

# %% [markdown]
# Now the test error at k = 2, 10 and 32, next to the baseline from lesson 00 that predicts the
# mean image for every digit. All errors in this course are **mean squared errors per pixel**,
# with pixels in [0, 1].

# %%
mean_image_mse = metrics.reconstruction_mse(test_x, np.broadcast_to(pixel_mean, test_x.shape))
pca_mse = {k: metrics.reconstruction_mse(test_x, pca_reconstruct(test_x, pixel_mean, components[:k]))
           for k in KS}
print(f"mean image     test MSE {mean_image_mse:.4f}")
for k in KS:
    print(f"PCA, k = {k:2d}   test MSE {pca_mse[k]:.4f}")

# %%
assert pca_mse[2] > pca_mse[10] > pca_mse[32] and pca_mse[2] < mean_image_mse
if not QUICK:  # reference values measured on the full data set
    for k, reference in ((2, 0.0557), (10, 0.0341), (32, 0.0168)):
        assert abs(pca_mse[k] - reference) < 5e-4, (k, pca_mse[k])
    assert abs(mean_image_mse - 0.0675) < 5e-4

# %% [markdown]
# What does that look like? Top row: ten test digits; below, their PCA reconstructions.

# %%
show = test_x[:10]
rows = {f"k = {k}": pca_reconstruct(show, pixel_mean, components[:k]).clip(0, 1) for k in KS}
fig = plot.reconstructions(show, rows, labels=test_labels[:10],
                           title="Test digits (top) and their PCA reconstructions with k = 2, 10, 32")
plt.show()

# %% [markdown]
# ## 4. The linear autoencoder
#
# Now the network. Like PCA it works on **centred** images: we subtract the same mean image
# first. (The biases could learn the mean by themselves, but far more slowly; try it at the end.)
#
# ### Exercise 3: the model
#
# Write the `LinearAutoencoder` class: an `encoder` layer from `input_dim` numbers to a code of
# `latent_dim` numbers, a `decoder` layer back to `input_dim`, and a forward pass returning
# `decoder(encoder(x))`. **No activation function anywhere.** Later cells read the weights of
# `model.encoder` and `model.decoder`, so each must be a single layer.

# %% tags=["torch"]
class LinearAutoencoder(nn.Module):
    """(N, input_dim) -> code (N, latent_dim) -> reconstruction (N, input_dim), all linear."""

    def __init__(self, input_dim, latent_dim):
        super().__init__()
        ### BEGIN SOLUTION
        self.encoder = nn.Linear(input_dim, latent_dim)
        self.decoder = nn.Linear(latent_dim, input_dim)
        ### END SOLUTION
        ### BEGIN STUB
        # TODO: two nn.Linear layers
        self.encoder = None
        self.decoder = None
        ### END STUB

    def forward(self, x):
        ### BEGIN SOLUTION
        return self.decoder(self.encoder(x))
        ### END SOLUTION
        ### BEGIN STUB
        # TODO: encode, then decode
        return None
        ### END STUB


result = check.run("01.linear_autoencoder", LinearAutoencoder)
LinearAutoencoder = result.use()

# %% tags=["keras"]
class LinearAutoencoder(keras.Model):
    """(N, input_dim) -> code (N, latent_dim) -> reconstruction (N, input_dim), all linear."""

    def __init__(self, input_dim, latent_dim, **kwargs):
        super().__init__(**kwargs)
        ### BEGIN SOLUTION
        self.encoder = keras.layers.Dense(latent_dim, name="encoder")
        self.decoder = keras.layers.Dense(input_dim, name="decoder")
        ### END SOLUTION
        ### BEGIN STUB
        # TODO: two keras.layers.Dense layers (no activation)
        self.encoder = None
        self.decoder = None
        ### END STUB

    def call(self, x):
        ### BEGIN SOLUTION
        return self.decoder(self.encoder(x))
        ### END SOLUTION
        ### BEGIN STUB
        # TODO: encode, then decode
        return None
        ### END STUB


result = check.run("01.linear_autoencoder", LinearAutoencoder)
LinearAutoencoder = result.use()

# %% [markdown]
# ### Training
#
# The loss is the mean squared error between the reconstruction and the (centred) input. Three
# choices make gradient descent reach PCA's optimum within a few epochs; each is worth knowing:
#
# - **Centred data**, as above.
# - **Balanced initial weights.** Keras starts `Dense` layers with Glorot-uniform weights, whose
#   size depends on both the number of inputs and outputs. PyTorch's default for `nn.Linear`
#   depends on the inputs only, which makes a 784 → 2 → 784 network start with decoder weights
#   about 20 times larger than its encoder weights; training then crawls. The PyTorch track uses Glorot too.
# - **Adam with a decaying learning rate**: a large step (0.01) to get close fast, shrinking
#   along a cosine curve to zero so that the last steps settle instead of jittering.
#
# After each epoch we record the error on the validation images, so we can watch it approach
# PCA's without looking at the test set.

# %% tags=["torch"]
def glorot_init_(model):
    """Glorot-uniform weights and zero biases for every nn.Linear in the model (Keras' default)."""
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model


def mse_on(model, data):
    """Mean squared error per pixel of the model on a numpy array of centred images."""
    model.eval()
    with torch.no_grad():
        inputs = torch.from_numpy(data)
        return float(nn.functional.mse_loss(model(inputs), inputs))


def train_autoencoder(model, train_data, val_data, *, epochs, batch_size, learning_rate=1e-2, name=""):
    """Adam + cosine learning-rate decay on the MSE. Returns the validation MSE before and after each epoch."""
    loader = make_dataloader(train_data, train_data, batch_size=batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * len(loader))
    loss_fn = nn.MSELoss()
    history = [mse_on(model, val_data)]
    progress = tqdm(total=epochs * len(loader), desc=name, unit="batch")   # one bar, moves every batch
    for epoch in range(epochs):
        model.train()
        for inputs, targets in loader:
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            progress.update()
        history.append(mse_on(model, val_data))
        progress.set_postfix(epoch=f"{epoch + 1}/{epochs}", val_mse=f"{history[-1]:.5f}")
    progress.close()
    return history

# %% tags=["keras"]
def mse_on(model, data):
    """Mean squared error per pixel of the model on a numpy array of centred images."""
    return float(model.evaluate(data, data, batch_size=2048, verbose=0))


def train_autoencoder(model, train_data, val_data, *, epochs, batch_size, learning_rate=1e-2, name=""):
    """Adam + cosine learning-rate decay on the MSE. Returns the validation MSE before and after each epoch."""
    steps_per_epoch = -(-len(train_data) // batch_size)   # the last batch may be smaller
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=epochs * steps_per_epoch)
    # steps_per_execution=25: fit runs 25 batches per call into TensorFlow, less overhead per batch
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse", steps_per_execution=25)
    history = [mse_on(model, val_data)]
    print(name)
    fit = model.fit(train_data, train_data, batch_size=batch_size, epochs=epochs, shuffle=True,
                    validation_data=(val_data, val_data))
    return history + fit.history["val_loss"]

# %% [markdown]
# One model for each k. (The `aelab.setup` cell fixed the random seeds, so you get the same
# numbers every run.)

# %%
EPOCHS = 3 if QUICK else 6
BATCH_SIZE = 128 if QUICK else 512

# %% tags=["torch"]
autoencoders = {k: glorot_init_(LinearAutoencoder(784, k)) for k in KS}

# %% tags=["keras"]
autoencoders = {k: LinearAutoencoder(784, k) for k in KS}   # Dense layers start Glorot-uniform

# %%
histories = {}
start = time.perf_counter()
for k, model in autoencoders.items():
    histories[k] = train_autoencoder(model, train_centred, val_centred, epochs=EPOCHS,
                                     batch_size=BATCH_SIZE, name=f"linear autoencoder, k = {k}")
train_seconds = time.perf_counter() - start
print(f"trained {len(KS)} models in {train_seconds:.0f} s")

# %%
for k in KS:
    assert histories[k][-1] < histories[k][0], f"k={k}: the validation error did not go down"
    assert histories[k][-1] < mean_image_mse, f"k={k}: no better than the mean image"

# %% [markdown]
# The validation error after each epoch, with PCA's error on the same validation images at the
# same k as a dashed line (left). Once the curves touch the lines, the right panel zooms in: how
# far above PCA each model still is, in percent, on a logarithmic scale (linear near 0, so a
# model that ends a hair *below* PCA on these images still shows).

# %%
pca_val_mse = {k: metrics.reconstruction_mse(val_x, pca_reconstruct(val_x, pixel_mean, components[:k]))
               for k in KS}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
epochs_axis = np.arange(EPOCHS + 1)
for k, colour in zip(KS, ("C0", "C1", "C2")):
    ax1.plot(epochs_axis, histories[k], "o-", color=colour, label=f"linear AE, k = {k}")
    ax1.axhline(pca_val_mse[k], color=colour, linestyle="--", label=f"PCA, k = {k}")
    excess = 100 * (np.array(histories[k]) / pca_val_mse[k] - 1)
    ax2.plot(epochs_axis, excess, "o-", color=colour, label=f"k = {k}")
ax1.set(yscale="log", xlabel="epoch", ylabel="validation MSE per pixel (log scale)", xticks=epochs_axis,
        title="The linear autoencoder's error falls onto PCA's")
ax1.legend(ncol=2, fontsize=8)
ax2.axhline(1, color="grey", linestyle=":", label="1% above PCA")
ax2.set_yscale("symlog", linthresh=0.01)   # logarithmic above 0.01%, linear around 0
lowest = min(100 * (min(histories[k]) / pca_val_mse[k] - 1) for k in KS)
ax2.set_ylim(bottom=min(-0.01, 2 * lowest))
ax2.set(xlabel="epoch", ylabel="% above PCA's validation MSE (symlog scale)", xticks=epochs_axis,
        title="Distance to the PCA optimum")
ax2.legend(fontsize=8)
for ax in (ax1, ax2):
    ax.grid(alpha=0.3, which="both")
fig.tight_layout()
plt.show()

# %% [markdown]
# Side by side (reconstructions are centred images plus the mean image, like PCA's):

# %% tags=["torch"]
def reconstruct(model, centred):
    """(N, 784) centred images -> (N, 784) reconstructions in pixel space (numpy)."""
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(centred)).numpy() + pixel_mean


def encode(model, centred):
    """(N, 784) centred images -> (N, k) codes (numpy)."""
    with torch.no_grad():
        return model.encoder(torch.from_numpy(centred)).numpy()


def decoder_matrix(model):
    """The decoder's weights as a (784, k) matrix: column j is what code unit j adds to the image."""
    return model.decoder.weight.detach().numpy().copy()

# %% tags=["keras"]
def reconstruct(model, centred):
    """(N, 784) centred images -> (N, 784) reconstructions in pixel space (numpy)."""
    return model.predict(centred, batch_size=2048, verbose=0) + pixel_mean


def encode(model, centred):
    """(N, 784) centred images -> (N, k) codes (numpy)."""
    return np.asarray(model.encoder(centred))


def decoder_matrix(model):
    """The decoder's weights as a (784, k) matrix: column j is what code unit j adds to the image."""
    return model.decoder.kernel.numpy().T.copy()   # Keras stores the kernel as (k, 784)

# %%
ae_mse = {k: metrics.reconstruction_mse(test_x, reconstruct(autoencoders[k], test_centred)) for k in KS}
print(" k   PCA test MSE   linear AE test MSE   AE / PCA")
for k in KS:
    print(f"{k:2d}   {pca_mse[k]:.5f}        {ae_mse[k]:.5f}              {ae_mse[k] / pca_mse[k]:.4f}")

# %%
for k in KS:
    assert ae_mse[k] < mean_image_mse
if not QUICK:
    for k in KS:
        assert ae_mse[k] <= 1.01 * pca_mse[k], f"k={k}: {ae_mse[k]:.5f} vs PCA {pca_mse[k]:.5f}"

# %% [markdown]
# The network, trained by gradient descent with no knowledge of eigenvectors, matches PCA's test
# error to within 1%. Is that because it found the same thing?

# %% [markdown]
# ## 5. Same subspace, different basis
#
# Every reconstruction of the linear autoencoder is `decoder_bias + W_d z`: a combination of the
# k columns of the decoder matrix `W_d` (784 × k). So the set of images it can output is the
# subspace spanned by those columns. PCA's outputs span its top-k principal directions.
#
# How do we compare two subspaces given by two different bases? With **principal angles**. Find
# the pair of unit vectors, one in each subspace, with the smallest angle between them; that is
# the first principal angle. Then repeat, at right angles to the pairs found so far. k angles of
# zero mean the subspaces are identical.
#
# Computing them takes two steps: make each basis orthonormal (a QR decomposition does that), and
# take the SVD of `Qa.T @ Qb`: its singular values are the cosines of the principal angles.
#
# ### Exercise 4: principal angles
#
# Write `principal_angles(a, b)` for two bases `a`, `b` of shape `(D, k)`, returning the k angles
# **in degrees, largest first** (the order scipy uses).

# %%
def principal_angles(a, b):
    """a (D, k), b (D, k): bases as columns -> the k principal angles in degrees, largest first."""
    ### BEGIN SOLUTION
    qa, _ = np.linalg.qr(np.asarray(a, dtype=np.float64))   # float64: arccos near 1 needs the digits
    qb, _ = np.linalg.qr(np.asarray(b, dtype=np.float64))
    cosines = np.linalg.svd(qa.T @ qb, compute_uv=False)
    angles = np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0)))
    return np.sort(angles)[::-1]
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: orthonormalise a and b (np.linalg.qr), singular values of Qa.T @ Qb,
    #       np.arccos (clip to [-1, 1] first), degrees, sorted largest first
    return None
    ### END STUB


result = check.run("01.principal_angles", principal_angles)
principal_angles = result.use()

# %% [markdown]
# Now compare each decoder's column space with PCA's top-k subspace, and check our function
# against scipy's `subspace_angles` on the way.
#
# How small is "small"? The subspace is estimated from a sample of images, so as a yardstick we
# also compute PCA on the *test* images and measure its angle to PCA on the training images:
# sampling alone moves the subspace by that much.

# %%
test_components = pca_components(test_x, 32)[1]
largest_angle, sampling_angle = {}, {}
for k in KS:
    decoder_columns = decoder_matrix(autoencoders[k]).astype(np.float64)   # (784, k)
    pca_basis = components[:k].T.astype(np.float64)                         # (784, k)
    angles = principal_angles(decoder_columns, pca_basis)
    assert np.allclose(angles, np.degrees(subspace_angles(decoder_columns, pca_basis)), atol=1e-2)
    largest_angle[k] = angles[0]
    sampling_angle[k] = principal_angles(test_components[:k].T.astype(np.float64), pca_basis)[0]
    print(f"k = {k:2d}: largest principal angle, decoder vs PCA {largest_angle[k]:5.2f} deg   "
          f"(PCA on test vs PCA on train: {sampling_angle[k]:5.2f} deg)")

# %%
assert all(0 <= largest_angle[k] <= 90 for k in KS)
if not QUICK:
    assert largest_angle[10] < 10, largest_angle[10]

# %% [markdown]
# At k = 2 and 10 the largest angle comes out below a degree in full mode, far below the sampling
# yardstick: the autoencoder has found the training set's principal subspace, not merely some
# subspace that is almost as good.
#
# At k = 32 it depends on how far training got. In our full-mode runs it was 3.4° in the
# PyTorch track and 4.9° in the Keras track; Keras runs from other random starts have given
# anything from 2° to 71°, although every one of these models was within 0.3% of PCA's error.
# The directions around the 32nd explain nearly the same variance, so swapping a little of one
# for the other barely changes the error: gradient descent settles them last, and the sampling
# yardstick shows that the data itself hardly pins them down. (Quick mode trains far too briefly
# for any of this: its angles are large at every k.)
#
# ### The basis is different
#
# Same subspace, but are the decoder's columns the principal directions? Look at them for k = 10,
# next to PCA's:

# %%
K_LOOK = 10
W = decoder_matrix(autoencoders[K_LOOK])            # (784, 10)
limit = np.abs(W).max()
fig = plot.image_grid(W.T, cmap="RdBu_r", vmin=-limit, vmax=limit, size=1.3,
                      captions=[f"column {j}" for j in range(K_LOOK)],
                      title="The 10 columns of the trained decoder: not the eigen-digits")
plt.show()

# %% [markdown]
# They look like blurry mixtures of the eigen-digits. Two measurements make it precise: the
# cosine between every pair of columns (orthonormal columns would give the identity matrix), and
# how much the data varies along each code unit (PCA's code units come sorted by variance).

# %%
unit_columns = W / np.linalg.norm(W, axis=0)
cosines = unit_columns.T @ unit_columns
code_variance = encode(autoencoders[K_LOOK], train_centred).var(axis=0)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
image = ax1.imshow(cosines, cmap="RdBu_r", vmin=-1, vmax=1)
fig.colorbar(image, ax=ax1, label="cosine")
ax1.set(xlabel="decoder column", ylabel="decoder column", xticks=range(K_LOOK), yticks=range(K_LOOK),
        title="Cosines between decoder columns")
ax2.bar(range(K_LOOK), code_variance / code_variance.sum(), label="linear AE code units")
ax2.plot(range(K_LOOK), variance_per_direction[:K_LOOK] / variance_per_direction[:K_LOOK].sum(),
         "ko-", label="PCA codes")
ax2.set(xlabel="code unit", ylabel="share of the code's variance", xticks=range(K_LOOK),
        title="Variance along each code unit")
ax2.legend()
fig.tight_layout()
plt.show()
off_diagonal = np.abs(cosines[~np.eye(K_LOOK, dtype=bool)])
print(f"largest |cosine| between two different decoder columns: {off_diagonal.max():.2f}")
print(f"column lengths: {np.round(np.linalg.norm(W, axis=0), 2)}")

# %% [markdown]
# Why is the basis arbitrary? For any invertible k × k matrix $A$, the pair of weights
# $(A\,W_e,\; W_d A^{-1})$ reconstructs every image exactly as $(W_e, W_d)$ does, since
# $W_d A^{-1} A\, W_e = W_d W_e$. The loss cannot tell them apart, so training stops at whichever
# basis it happens to reach. PCA adds two requirements the loss does not have: orthonormal
# directions, sorted by variance.

# %% [markdown]
# ### Recovering the principal directions from the weights
#
# Plaut (2018) showed that the principal directions themselves can be read out of a trained
# linear autoencoder with an SVD. Here is one way, in two small steps:
#
# 1. The SVD of the decoder matrix `W = Q S R^T` gives `Q`, an **orthonormal** basis (784 × k) of
#    the same subspace.
# 2. Express the training data in that basis (k numbers per image) and run PCA there: a k × k
#    eigenvalue problem instead of 784 × 784. Its eigenvectors rotate `Q` onto the principal
#    directions and sort them by variance.

# %%
Q = np.linalg.svd(W, full_matrices=False)[0]                     # (784, k), orthonormal columns
coordinates = train_centred @ Q                                   # (N, k): the data in that basis
variances, rotation = np.linalg.eigh(np.cov(coordinates, rowvar=False))   # ascending order
order = np.argsort(variances)[::-1]
recovered = (Q @ rotation[:, order]).T                            # (k, 784): rows are directions

match = np.abs(np.sum(recovered * components[:K_LOOK], axis=1))   # |cosine| with PCA, per direction
print("|cosine| of each recovered direction with PCA's:", np.round(match, 3), f" min {match.min():.4f}")

# %%
recovered_signed = recovered * np.sign(np.sum(recovered * components[:K_LOOK], axis=1))[:, None]
limit = np.abs(components[:K_LOOK]).max()
fig = plot.image_grid(np.concatenate([components[:K_LOOK], recovered_signed]), cmap="RdBu_r",
                      vmin=-limit, vmax=limit, size=1.3, ncols=K_LOOK,
                      captions=[f"PCA {j + 1}" for j in range(K_LOOK)]
                      + [f"AE {j + 1}: {m:.2f}" for j, m in enumerate(match)],
                      title="PCA's directions (top) and those recovered from the decoder (bottom, with |cosine|)")
plt.show()

# %%
assert np.allclose(recovered @ recovered.T, np.eye(K_LOOK), atol=1e-4)
if not QUICK:
    assert match.min() > 0.99, match

# %% [markdown]
# In full mode every recovered direction matches PCA's (|cosine| at least 0.99). After the short
# quick-mode training only the leading ones do: where two neighbouring directions explain nearly
# the same variance, a small tilt of the subspace is enough to mix them.

# %% [markdown]
# ## 6. What changes with a nonlinearity?
#
# Surely a nonlinear network does better? Put a ReLU on the code, same k = 10, same training:

# %% tags=["torch"]
class ReluBottleneckAutoencoder(LinearAutoencoder):
    """The same two layers with a ReLU on the code: decoder(relu(encoder(x)))."""

    def forward(self, x):
        return self.decoder(torch.relu(self.encoder(x)))


relu_model = glorot_init_(ReluBottleneckAutoencoder(784, K_LOOK))

# %% tags=["keras"]
class ReluBottleneckAutoencoder(LinearAutoencoder):
    """The same two layers with a ReLU on the code: decoder(relu(encoder(x)))."""

    def call(self, x):
        return self.decoder(keras.ops.relu(self.encoder(x)))


relu_model = ReluBottleneckAutoencoder(784, K_LOOK)

# %%
relu_history = train_autoencoder(relu_model, train_centred, val_centred, epochs=EPOCHS,
                                 batch_size=BATCH_SIZE, name=f"ReLU bottleneck, k = {K_LOOK}")
relu_mse = metrics.reconstruction_mse(test_x, reconstruct(relu_model, test_centred))
relu_codes = encode(relu_model, test_centred)
silent_units = int(np.sum(np.all(relu_codes <= 0, axis=0)))
print(f"k = {K_LOOK}: PCA {pca_mse[K_LOOK]:.5f} | linear AE {ae_mse[K_LOOK]:.5f} | "
      f"ReLU bottleneck {relu_mse:.5f}")
print(f"code units that are zero for every test image: {silent_units} of {K_LOOK}; "
      f"share of code values that are exactly zero: {np.mean(relu_codes <= 0):.0%}")

# %%
assert relu_history[-1] < relu_history[0]
if not QUICK:
    assert relu_mse > 0.995 * pca_mse[K_LOOK]

# %% [markdown]
# No better: in full mode it lands a little above the linear autoencoder. It cannot do better,
# and the reason is in the decoder, not the encoder: the decoder is still linear, so every output
# is `decoder_bias + W_d z`, a point of a k-dimensional flat subspace, and the closest point of
# *any* k-dimensional flat subspace to the data, on average, is PCA's projection. A nonlinear
# encoder can only choose *which* point of that subspace to output, and the ReLU restricts that
# choice: codes cannot go negative (here the encoder's biases learned to keep almost every code
# positive, which is why the loss is only slightly worse), and a unit that is negative for every
# image is dead. To beat PCA the network must be able to output images off a flat subspace:
# nonlinear layers in the **decoder**, and some depth. That is lesson 02.

# %% [markdown]
# ## 7. The 2-D codes, side by side
#
# With k = 2 we can look at the codes directly: each test image becomes a point, coloured by its
# digit. Left: PCA's codes. Right: the linear autoencoder's.

# %%
pca_codes = test_centred @ components[:2].T
ae_codes = encode(autoencoders[2], test_centred)

fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.8))
for ax, codes, name in ((axes[0], pca_codes, "PCA codes"), (axes[1], ae_codes, "linear AE codes")):
    plot.latent_scatter(codes, test_labels, max_points=None, title=f"{name} (k = 2)",
                        legend=ax is axes[1], ax=ax)
fig.suptitle("The test images in two dimensions, coloured by digit")
fig.tight_layout()
plt.show()

# %% [markdown]
# The same cloud, rotated, stretched and maybe mirrored. If the autoencoder found PCA's plane,
# its codes are a *linear* function of PCA's codes: a least-squares fit should explain them
# almost perfectly.

# %%
design = np.column_stack([pca_codes, np.ones(len(pca_codes))])
coefficients, *_ = np.linalg.lstsq(design, ae_codes, rcond=None)
fitted = design @ coefficients
r_squared = 1 - np.sum((ae_codes - fitted) ** 2) / np.sum((ae_codes - ae_codes.mean(axis=0)) ** 2)
print("AE code ≈ PCA code @ A + b with A =\n", np.round(coefficients[:2], 3))
print(f"R² of that linear fit: {r_squared:.5f}")
assert r_squared > (0.5 if QUICK else 0.999)   # quick mode trains too briefly to be exact

# %% [markdown]
# ## Summary
#
# The numbers this notebook measured (test set, MSE per pixel):

# %%
elapsed = time.perf_counter() - notebook_start
print(f"{settings['framework']}, {'quick' if QUICK else 'full'} mode, {len(train_x)} training images")
print(" k | PCA MSE  | linear AE MSE | AE/PCA | largest angle AE vs PCA")
for k in KS:
    print(f"{k:2d} | {pca_mse[k]:.5f}  | {ae_mse[k]:.5f}       | {ae_mse[k] / pca_mse[k]:.4f} | "
          f"{largest_angle[k]:5.2f} deg")
print(f"mean image: {mean_image_mse:.5f};  ReLU bottleneck at k = {K_LOOK}: {relu_mse:.5f}")
print(f"notebook run time so far: {elapsed:.0f} s")

# %% [markdown]
# - **PCA** is an SVD of the centred data: orthonormal directions sorted by variance. Keeping k of
#   them gives the best possible reconstruction by any k-dimensional flat subspace.
# - A **linear autoencoder** trained with the MSE reaches PCA's error (within 1% here) and its
#   decoder spans PCA's subspace (largest principal angle below a degree at k = 2 and 10, where
#   the subspace is well determined).
# - But its **basis is arbitrary**: columns neither orthogonal nor sorted, because any invertible
#   mixing of the code leaves the loss unchanged. An SVD of the weights plus a k × k PCA recovers
#   the principal directions.
# - **Centring, balanced initialisation and a decaying learning rate** decide whether gradient
#   descent gets there in seconds or in hours.
# - A **ReLU bottleneck** with a linear decoder cannot beat PCA: the outputs still lie on a flat
#   k-dimensional subspace. Nonlinearity has to bend the decoder's output, which is next lesson's
#   deep autoencoder.
#
# ## Check your understanding
#
# **1.** You double every column of the decoder, and halve every row of the encoder and every
# entry of the encoder's bias. What happens to the reconstructions, the loss, and the principal
# angles to PCA? And if you forget to halve the bias?

# %% [markdown] tags=["answer"]
# Nothing changes in the reconstructions or the loss: the code becomes
# $\tfrac12 (W_e x + b_e)$, and $2 W_d$ undoes the factor, so the whole map is the same. The
# principal angles stay the same too, since the columns still span the same subspace. Only the
# codes are halved, which shows that the size of a code value means nothing on its own. Without
# halving the bias, every reconstruction moves by the same image $W_d b_e$ (the code is
# $\tfrac12 W_e x + b_e$, decoded to $W_d W_e x + 2 W_d b_e + b_d$): the loss changes unless
# $W_d b_e = 0$, while the principal angles, which depend on $W_d$'s columns only, do not.

# %% [markdown]
# **2.** Why do we compare subspaces with principal angles instead of comparing the decoder's
# columns with PCA's directions one by one?

# %% [markdown] tags=["answer"]
# Because the loss only determines the subspace, not a basis of it: any invertible mixing
# $W_d A^{-1}$ is an equally good decoder. Column-by-column comparisons would report large
# differences between two networks that behave identically. Principal angles depend only on the
# subspaces.

# %% [markdown]
# **3.** Suppose a linear autoencoder's *test* error came out a hair below PCA's. Would that
# contradict PCA being the optimal linear projection?

# %% [markdown] tags=["answer"]
# No. PCA is optimal for the data it was computed on, the training set. On the test set any
# subspace close to PCA's can be slightly better or worse by chance (the sampling yardstick in
# section 5 shows that the test set's own principal subspace differs from the training set's). On the training set, no
# k-dimensional subspace beats PCA.

# %% [markdown]
# **4.** A classmate adds a ReLU after the decoder instead of the encoder, so the outputs cannot
# be negative. Can that beat PCA? Hint: the reconstructions are no longer on a flat subspace.

# %% [markdown] tags=["answer"]
# Yes. Start from PCA's own weights and add the ReLU at the output: every pixel PCA predicted
# below 0 moves up to 0, which is closer to the true pixel (never negative), and the other pixels
# do not change. So this network is at least as good as PCA, and strictly better as soon as one
# reconstructed pixel is negative. PCA's reconstructions have many: on the full test set,
# clipping PCA's k = 10 reconstructions at 0 lowers the MSE from 0.0341 to 0.0330, and at
# k = 32 from 0.0168 to 0.0155. The outputs no longer lie on a flat subspace, so PCA's guarantee
# does not apply. Bending the outputs much more than that takes nonlinear layers inside the
# decoder: lesson 02.

# %% [markdown]
# **5.** Why did we subtract the mean image before training, when the biases could learn it?

# %% [markdown] tags=["answer"]
# The biases can learn it, and the optimum is the same. But the pixels' mean is large compared
# with their spread along most principal directions, and learning it through the biases while
# the weights change makes gradient descent much slower. With the same recipe (Adam, cosine
# decay), but 5 epochs instead of this lesson's 6, on raw pixels, our k = 32 PyTorch model ended 1.4% above PCA's test error
# instead of 0.07% (`benchmarks/lesson01_training_recipe.py` measures this, and the effect of
# the initialisation). Centring removes that job, exactly as PCA does.

# %% [markdown]
# ## Exercises to try on your own
#
# 1. **Raw pixels.** Train the k = 32 autoencoder on `train_x` instead of `train_centred` (and
#    reconstruct without adding the mean). How many epochs does it need to get within 1% of PCA?
# 2. **Initialisation** (PyTorch track). Skip `glorot_init_` and train the k = 2 model with
#    PyTorch's default initialisation. Plot the validation error per epoch next to the Glorot run.
# 3. **Weight decay.** Kunin et al. (2019) proved that with L2 regularisation on both weight
#    matrices the decoder's left singular vectors *are* the principal directions, no k × k PCA
#    needed. Add a small weight decay (e.g. `1e-4`), retrain k = 10, and compare the left
#    singular vectors of the decoder with PCA's directions.
# 4. **The spectrum.** How many principal directions do you need for 90% of the variance? Show
#    reconstructions with that many.
