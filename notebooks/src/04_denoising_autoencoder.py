# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 04 · Denoising autoencoders
#
# An autoencoder trained to copy its input has an easy way out: if its middle is wide enough, it
# learns the identity. A **denoising autoencoder** (DAE; Vincent et al., 2008) closes that way
# out. We show it a *corrupted* digit and score it against the *clean* one:
#
# ```
# clean x --corrupt--> noisy x~ --encoder--> code --decoder--> x^      loss(x^, x)   (not x~!)
# ```
#
# To undo noise the network has to know what digits look like: which strokes are plausible,
# which grey specks are not. In this lesson you will
#
# 1. write three corruptions: Gaussian noise, salt and pepper, and erased blocks;
# 2. measure image quality with PSNR and SSIM, and set a bar with classical filters;
# 3. train a denoising conv autoencoder in {{framework}} and compare it with the plain conv
#    autoencoder of lesson 03 and with the filters, across noise levels;
# 4. see a training failure worth knowing (MSE through a sigmoid), test the model on noise it
#    never saw, play with a live noise slider, and see *why* denoising teaches useful features.

# %% [markdown]
# ## 1. Set up

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from scipy import ndimage

import aelab
from aelab import check, metrics, plot
from aelab.data import load_mnist

# %% tags=["torch"]
settings = aelab.setup("torch", seed=0)
import torch
from torch import nn
from tqdm.auto import tqdm

from aelab.torch_support import count_parameters, make_dataloader, numpy_function

# %% tags=["keras"]
settings = aelab.setup("keras", seed=0)
import keras
from keras import layers

from aelab.keras_support import count_parameters, numpy_function

# %% [markdown]
# Full mode trains on 12,000 digits and scores on 1,000 test digits; quick mode (`AELAB_QUICK=1`,
# used by the course's tests) shrinks both and trains for fewer epochs, through the same code.
# A few hundred training digits that the models never see are kept apart as a **validation set**,
# for choosing the settings of the classical filters.

# %%
QUICK = aelab.quick_mode()
N_TRAIN = 2_000 if QUICK else 12_000
N_TEST = 200 if QUICK else 1_000
EPOCHS = 2 if QUICK else 5
LEARNING_RATE = 3e-3       # Adam; every model of this lesson uses the same settings
SIGMA_TRAIN = 0.5          # the Gaussian noise level the denoising autoencoder is trained at
SIGMAS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]   # the noise levels we test at

all_train, all_train_labels = load_mnist("train")
train_images = all_train[:N_TRAIN]
val_images = all_train[-500:]                 # never used for training
test_images, test_labels = load_mnist("test", size=N_TEST)
print(f"train {train_images.shape}, validation {val_images.shape}, test {test_images.shape}")

# %% [markdown]
# ## 2. Three ways to corrupt a digit
#
# Each corruption is a function `corrupt(images, level, rng)`: images of any shape with grey
# levels in [0, 1], a strength `level`, and a random generator `rng`
# (`np.random.default_rng(seed)`). Drawing all randomness from `rng` makes every result
# reproducible: the same seed gives the same noise.
#
# ### Exercise 1: Gaussian noise, clipped
#
# Add independent Gaussian noise with standard deviation `sigma` to every pixel, then **clip** to
# [0, 1] so the result is still an image. σ = 0.5 is strong: half the distance from black to
# white. (Clipping has a side effect worth noticing: on the black background, negative noise is
# cut off and positive noise stays, so the background turns grey on average.)

# %%
def add_gaussian_noise(images, sigma, rng):
    """Images (any shape, values in [0, 1]) + N(0, sigma²) noise per pixel, clipped to [0, 1]."""
    ### BEGIN SOLUTION
    noisy = images + sigma * rng.standard_normal(images.shape, dtype=np.float32)
    return np.clip(noisy, 0.0, 1.0)
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: draw noise of shape images.shape from `rng`, scale it by sigma, add it, clip to [0, 1].
    return None
    ### END STUB


result = check.run("04.add_gaussian_noise", add_gaussian_noise)
add_gaussian_noise = result.use()

# %% [markdown]
# ### Exercise 2: salt and pepper
#
# Salt-and-pepper noise models dead and stuck pixels: each pixel, with probability `amount`, is
# replaced by black (0) or white (1), half each; all other pixels are left exactly as they were.

# %%
def add_salt_and_pepper(images, amount, rng):
    """Replace each pixel with probability `amount` by 0 or 1 (half each); same shape as images."""
    ### BEGIN SOLUTION
    hit = rng.random(images.shape) < amount
    white = rng.random(images.shape) < 0.5
    return np.where(hit, white, images).astype(np.float32)
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: choose the pixels to hit (probability `amount`), then black or white for each of them.
    return None
    ### END STUB


result = check.run("04.add_salt_and_pepper", add_salt_and_pepper)
add_salt_and_pepper = result.use()

# %% [markdown]
# ### Exercise 3: erasing blocks
#
# Masking hides whole parts of the image, as a scratch or a sticker would. Cut each
# 28 × 28 image (shape `(N, 28, 28)`) into a grid of `block` × `block` squares (with `block=7`, a
# 4 × 4 grid) and set each square to 0, independently, with probability `fraction`. Every image
# gets its own mask.

# %%
def mask_blocks(images, fraction, rng, block=7):
    """(N, H, W) images with each block x block square set to 0 with probability `fraction`."""
    ### BEGIN SOLUTION
    n, height, width = images.shape
    erase = rng.random((n, height // block, width // block)) < fraction
    erase_pixels = np.repeat(np.repeat(erase, block, axis=1), block, axis=2)
    return np.where(erase_pixels, 0.0, images).astype(np.float32)
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: one random decision per square and image, blown up to pixels, then zero those pixels.
    return None
    ### END STUB


result = check.run("04.mask_blocks", mask_blocks)
mask_blocks = result.use()

# %% [markdown]
# The three corruptions on the same eight test digits:

# %%
rng = np.random.default_rng(0)
examples = test_images[:8]
rows = [examples, add_gaussian_noise(examples, 0.5, rng), add_salt_and_pepper(examples, 0.2, rng),
        mask_blocks(examples, 0.25, rng)]
row_names = ["clean", "σ = 0.5", "s&p 20%", "blocks 25%"]
fig = plot.image_grid(np.concatenate(rows), ncols=8,
                      captions=[name for name in row_names for _ in range(8)],
                      title="Clean; Gaussian σ = 0.5; salt & pepper 20%; blocks erased with p = 0.25")
plt.show()

# %% [markdown]
# How much does clipping change the noise? On the black background (about 80% of an MNIST
# digit), clipped noise is never negative, so it no longer averages to zero:

# %%
background = np.zeros((100, 28, 28), np.float32)
for sigma in (0.1, 0.3, 0.5):
    noisy_background = add_gaussian_noise(background, sigma, np.random.default_rng(1))
    print(f"σ = {sigma}: background brightness {noisy_background.mean():.3f} "
          f"(σ/√(2π) = {sigma / np.sqrt(2 * np.pi):.3f}), "
          f"{np.mean(noisy_background == 0):.0%} of its pixels still exactly black")

# %% [markdown]
# ## 3. Measuring image quality: PSNR and SSIM
#
# The **peak signal-to-noise ratio** compares the error with the largest possible grey level,
# on a logarithmic scale in decibels (dB):
#
# $$\mathrm{PSNR} = 10 \log_{10} \frac{\text{peak}^2}{\mathrm{MSE}}, \qquad \text{peak} =
# \text{data\_range} = 1 \text{ for images in } [0, 1].$$
#
# +10 dB means ten times less squared error; +3 dB about half. Image-restoration papers compute
# the PSNR of each image and average those numbers; we do the same.
#
# ### Exercise 4: PSNR

# %%
def compute_psnr(clean, estimate, data_range=1.0):
    """Mean over images of 10·log10(data_range² / MSE of the image), in dB. (N, ...) arrays."""
    ### BEGIN SOLUTION
    squared_error = (np.asarray(clean, np.float64) - estimate) ** 2
    mse_per_image = squared_error.reshape(len(clean), -1).mean(axis=1)
    return float(np.mean(10 * np.log10(data_range ** 2 / mse_per_image)))
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: MSE of each image, then PSNR of each image, then the average over images.
    return None
    ### END STUB


result = check.run("04.compute_psnr", compute_psnr)
compute_psnr = result.use()

# %% [markdown]
# PSNR only counts squared errors, pixel by pixel. The **structural similarity** (SSIM, Wang et
# al., 2004) compares local brightness, contrast and structure in small windows instead: 1 means
# identical, 0 means no structure in common. It tracks what our eyes notice (blurred strokes,
# speckles) better. We use scikit-image's implementation through `aelab.metrics.ssim`.

# %%
rng = np.random.default_rng(1)
noisy_test = add_gaussian_noise(test_images, SIGMA_TRAIN, rng)
print(f"noisy test digits at σ = {SIGMA_TRAIN}: PSNR {compute_psnr(test_images, noisy_test):.2f} dB, "
      f"SSIM {metrics.ssim(test_images, noisy_test):.3f}")
assert abs(compute_psnr(test_images, noisy_test) - metrics.psnr(test_images, noisy_test)) < 1e-3

# %% [markdown]
# ## 4. A classical baseline: median and Gaussian filters
#
# Long before neural networks, images were denoised with local filters. A **Gaussian filter**
# replaces each pixel by a weighted average of its neighbours (it smooths noise and strokes
# alike); a **median filter** takes the median of a k × k window (good against isolated
# outliers, it keeps edges). Both come from `scipy.ndimage`; `size=(1, k, k)` filters each image
# on its own, never across images.
#
# Which filter, which size? We choose on the *validation* digits, never on the test digits, and
# keep the best one for each noise level: that is the "best classical filter" the autoencoder
# must beat.

# %%
FILTERS = {
    "median 3×3": lambda images: ndimage.median_filter(images, size=(1, 3, 3)),
    "median 5×5": lambda images: ndimage.median_filter(images, size=(1, 5, 5)),
    "gaussian s=0.5": lambda images: ndimage.gaussian_filter(images, sigma=(0, 0.5, 0.5)),
    "gaussian s=1": lambda images: ndimage.gaussian_filter(images, sigma=(0, 1.0, 1.0)),
}

best_filter = {}
print("validation PSNR (dB)" + "".join(f"{name:>16}" for name in FILTERS))
for sigma in SIGMAS:
    noisy_val = add_gaussian_noise(val_images, sigma, np.random.default_rng(2))
    scores = {name: compute_psnr(val_images, f(noisy_val)) for name, f in FILTERS.items()}
    best_filter[sigma] = max(scores, key=scores.get)
    print(f"σ = {sigma:<17}" + "".join(f"{score:16.2f}" for score in scores.values())
          + f"   best: {best_filter[sigma]}")

# %% [markdown]
# ## 5. The plain conv autoencoder of lesson 03, on noisy digits
#
# First the model we already have: the convolutional autoencoder of lesson 03 (two stride-2
# convolutions down to a 32-number code, the mirror image up), trained to copy **clean** digits.
# Its narrow code only has room for what digits have in common, so perhaps it removes some
# noise for free?

# %% tags=["torch"]
def conv_autoencoder(latent_dim=32):
    """Lesson 03's conv autoencoder: (N, 1, 28, 28) -> (N, 1, 28, 28) in [0, 1]."""
    encoder = nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),     # 28 -> 14
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),    # 14 -> 7
        nn.Flatten(), nn.Linear(32 * 7 * 7, latent_dim))
    decoder = nn.Sequential(
        nn.Linear(latent_dim, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
        nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),   # 7 -> 14
        nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1), nn.Sigmoid())  # 14 -> 28
    return nn.Sequential(encoder, decoder)


def train(model, make_batch_source, epochs, loss_fn, lr=LEARNING_RATE, desc="training"):
    """Adam on (input, target) batches; make_batch_source(epoch) gives that epoch's DataLoader."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        model.train()
        total, count = 0.0, 0
        for inputs, targets in tqdm(make_batch_source(epoch), desc=f"{desc} epoch {epoch + 1}/{epochs}",
                                    leave=False):
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(inputs), count + len(inputs)
        history.append(total / count)
        print(f"{desc}: epoch {epoch + 1}/{epochs}, loss {history[-1]:.4f}")
    model.eval()
    return history


def as_model_input(images):
    """(N, 28, 28) numpy images -> the (N, 1, 28, 28) layout of our PyTorch models."""
    return np.ascontiguousarray(images[:, None], dtype=np.float32)


def image_function(model):
    """A trained model as f((N, 28, 28) numpy images) -> (N, 28, 28) numpy images."""
    run = numpy_function(model)   # eval mode, no gradients, batches of 1024
    return lambda images: run(as_model_input(images))[:, 0]


torch.manual_seed(0)
plain_ae = conv_autoencoder()
print(f"plain conv autoencoder: {count_parameters(plain_ae):,} parameters")
clean_loader = make_dataloader(as_model_input(train_images), as_model_input(train_images), batch_size=128)
start = time.perf_counter()
plain_history = train(plain_ae, lambda epoch: clean_loader, EPOCHS, nn.BCELoss(), desc="plain AE")
print(f"trained in {time.perf_counter() - start:.0f} s")

# %% tags=["keras"]
def conv_autoencoder(latent_dim=32):
    """Lesson 03's conv autoencoder: (N, 28, 28, 1) -> (N, 28, 28, 1) in [0, 1]."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(16, 3, strides=2, padding="same", activation="relu"),    # 28 -> 14
        layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),    # 14 -> 7
        layers.Flatten(), layers.Dense(latent_dim),                            # the code
        layers.Dense(7 * 7 * 32, activation="relu"), layers.Reshape((7, 7, 32)),
        layers.Conv2DTranspose(16, 4, strides=2, padding="same", activation="relu"),     # 7 -> 14
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid"),   # -> 28
    ], name="plain_conv_autoencoder")


def as_model_input(images):
    """(N, 28, 28) numpy images -> the (N, 28, 28, 1) layout of our Keras models."""
    return np.asarray(images, dtype=np.float32)[..., None]


def image_function(model):
    """A trained model as f((N, 28, 28) numpy images) -> (N, 28, 28) numpy images."""
    run = numpy_function(model)   # inference only, batches of 1024
    return lambda images: run(as_model_input(images))[..., 0]


keras.utils.set_random_seed(0)
plain_ae = conv_autoencoder()
print(f"plain conv autoencoder: {count_parameters(plain_ae):,} parameters")
# steps_per_execution=25: fit runs 25 batches per call into TensorFlow, less overhead per batch
plain_ae.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="binary_crossentropy",
                 steps_per_execution=25)
start = time.perf_counter()
fit = plain_ae.fit(as_model_input(train_images), as_model_input(train_images), batch_size=128,
                   epochs=EPOCHS, shuffle=True)
plain_history = fit.history["loss"]
print(f"trained in {time.perf_counter() - start:.0f} s")

# %%
assert plain_history[-1] < plain_history[0], "the plain autoencoder's loss should go down"
plain_denoise = image_function(plain_ae)
plain_clean = plain_denoise(test_images)
plain_noisy = plain_denoise(noisy_test)
print(f"plain AE on clean test digits: PSNR {compute_psnr(test_images, plain_clean):.2f} dB")
print(f"plain AE on noisy test digits (σ = {SIGMA_TRAIN}): PSNR {compute_psnr(test_images, plain_noisy):.2f} dB "
      f"(the noisy input itself: {compute_psnr(test_images, noisy_test):.2f} dB)")

# %% [markdown]
# ## 6. The denoising autoencoder
#
# ### Exercise 5: a training pair
#
# The whole idea of a denoising autoencoder fits in one line. Given clean images, a corruption
# function and its level, return `(inputs, targets)` for training: what goes **into** the network
# and what its output is **compared with**. (Which one is corrupted?)

# %%
def make_denoising_pair(clean, corrupt, level, rng):
    """(inputs, targets) for training a denoising autoencoder; corrupt(images, level, rng)."""
    ### BEGIN SOLUTION
    return corrupt(clean, level, rng), clean
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: which of the two is corrupted, which one stays clean?
    return None
    ### END STUB


result = check.run("04.make_denoising_pair", make_denoising_pair)
make_denoising_pair = result.use()

# %% [markdown]
# The network is **fully convolutional**: two stride-2 convolutions down to a 7 × 7 × 64 feature
# map, two transposed convolutions back up. There is no narrow code at all (7 × 7 × 64 = 3,136
# numbers, four times the 784 pixels), so copying its input would be easy; only the noise stops
# it. The loss is the binary cross-entropy between output and clean digit (section 7 shows why
# not the mean squared error).

# %% tags=["torch"]
def denoising_autoencoder():
    """Fully convolutional: (N, 1, 28, 28) -> (N, 1, 28, 28) in [0, 1]."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, stride=2, padding=1), nn.ReLU(),            # 28 -> 14
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),           # 14 -> 7
        nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.ReLU(),  # 7 -> 14
        nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1), nn.Sigmoid())  # 14 -> 28


# %% tags=["keras"]
def denoising_autoencoder():
    """Fully convolutional: (N, 28, 28, 1) -> (N, 28, 28, 1) in [0, 1]."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),            # 28 -> 14
        layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),            # 14 -> 7
        layers.Conv2DTranspose(32, 4, strides=2, padding="same", activation="relu"),   # 7 -> 14
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid"),  # -> 28
    ], name="denoising_autoencoder")


# %% [markdown]
# ### Build it: the denoising training loop
#
# Write `train_denoiser(model, clean_images, add_noise, epochs, batch_size, learning_rate)`. It
# trains `model` to turn noisy digits into clean ones and returns the list of the epochs' mean
# training losses (one number per epoch). `clean_images` is a numpy array in the model's layout
# ((N, 1, 28, 28) in PyTorch, (N, 28, 28, 1) in Keras); `add_noise(batch)` returns a noisy copy of
# a numpy batch of clean images, with new random noise on every call.
#
# - Draw the noise **for every batch**, inside the loop: each batch of clean images gets its own
#   fresh noisy copy, in every epoch, so the network never sees the same noisy digit twice and
#   cannot learn the noise itself. (Noising the whole set once before training would show it
#   the same noisy copies every epoch.)
# - The model's **input** is the noisy batch; its output is compared with the **clean** batch.
# - Binary cross-entropy, Adam with `learning_rate`, batches of `batch_size` images (a new
#   order every epoch is good practice), and progress shown while it trains.
#
# In Keras, the lesson's choice is a Python generator that yields `(noisy batch, clean batch)`
# pairs for all the epochs, one after the other, given to one `fit(..., epochs=epochs,
# steps_per_epoch=...)`: the generator is where the fresh noise is drawn, and `fit` keeps doing
# what it does well (the compiled training step, the progress bar with the real epoch count, the
# epoch's mean loss in its history). A `tf.GradientTape` loop would work as well, but you would
# write all of that again by hand. Optional, but faster: `compile(..., steps_per_execution=...)`
# with the number of batches per epoch runs a whole epoch per call into TensorFlow. With one call
# per batch, every batch is handed over from the generator to TensorFlow between calls, and in
# our runs that sometimes doubled the training time. (The bar then moves once per epoch.)

# %% tags=["torch"]
def train_denoiser(model, clean_images, add_noise, epochs, batch_size, learning_rate):
    """Train `model` to map add_noise(batch) to batch; returns the epochs' mean losses (a list)."""
    ### BEGIN SOLUTION
    loader = make_dataloader(clean_images, batch_size=batch_size)   # a new order every epoch
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    losses = []
    model.train()
    with tqdm(total=epochs * len(loader)) as bar:
        for epoch in range(epochs):
            bar.set_description(f"epoch {epoch + 1}/{epochs}")
            total = 0.0
            for (clean,) in loader:
                noisy = torch.from_numpy(add_noise(clean.numpy()))   # fresh noise, this batch only
                loss = nn.functional.binary_cross_entropy(model(noisy), clean)   # target: clean
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(clean)
                bar.update()
            losses.append(total / len(clean_images))
            bar.set_postfix(loss=f"{losses[-1]:.4f}")
    model.eval()
    return losses
    ### END SOLUTION
    ### BEGIN STUB
    # your training loop here; return the list of the epochs' mean losses
    return None
    ### END STUB


# %% tags=["keras"]
def train_denoiser(model, clean_images, add_noise, epochs, batch_size, learning_rate):
    """Train `model` to map add_noise(batch) to batch; returns the epochs' mean losses (a list)."""
    ### BEGIN SOLUTION
    steps = -(-len(clean_images) // batch_size)   # batches per epoch; the last may be smaller

    def batches():   # all epochs' batches, one after the other; fit draws them as it trains
        rng = np.random.default_rng(0)
        for epoch in range(epochs):
            order = rng.permutation(len(clean_images))   # a new order every epoch
            for start in range(0, len(clean_images), batch_size):
                clean = clean_images[order[start:start + batch_size]]
                yield add_noise(clean), clean   # fresh noise for this batch; the target is clean

    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy",
                  steps_per_execution=steps)   # one call into TensorFlow per epoch
    history = model.fit(batches(), epochs=epochs, steps_per_epoch=steps)
    return history.history["loss"]
    ### END SOLUTION
    ### BEGIN STUB
    # your generator and fit here; return the list of the epochs' mean losses
    return None
    ### END STUB


# %% [markdown] tags=["hint"]
# Inside the loop over epochs, loop over batches of the clean images; for each batch, call
# `add_noise` on that batch and give the result to the model, then compare the model's output
# with the clean batch. To report an epoch's mean loss, add up each batch's loss times its
# number of images and divide by the number of images at the end of the epoch (Keras does this
# for you).

# %% [markdown] tags=["hint", "torch"]
# `loader = make_dataloader(clean_images, batch_size=batch_size)` gives shuffled batches
# `(clean,)` as tensors; `add_noise(clean.numpy())` is the noisy numpy batch, and
# `torch.from_numpy(...)` makes it a tensor again. Then the usual step: loss, `zero_grad`,
# `backward`, `step`. One `tqdm(total=epochs * len(loader))` bar, `bar.update()` per batch.

# %% [markdown] tags=["hint", "keras"]
# `def batches():` with `for epoch in range(epochs):`, a permutation of the indices, and for each
# slice of `batch_size` indices `yield add_noise(clean), clean`. Then `model.compile(...)` with
# `keras.optimizers.Adam(learning_rate)` and `loss="binary_crossentropy"` (optionally
# `steps_per_execution=` the batches per epoch), and `model.fit(batches(), epochs=epochs,
# steps_per_epoch=...)` (batches per epoch, rounded up).

# %%
result = check.run("04.train_denoiser", train_denoiser)
train_denoiser = result.use()

# %% [markdown]
# Now the denoising autoencoder trains with your loop, on Gaussian noise of σ = 0.5 drawn batch
# by batch:

# %% tags=["torch"]
torch.manual_seed(0)
dae = denoising_autoencoder()
print(f"denoising autoencoder: {count_parameters(dae):,} parameters")
noise_rng = np.random.default_rng(100)
start = time.perf_counter()
dae_history = train_denoiser(dae, as_model_input(train_images),
                             lambda batch: add_gaussian_noise(batch, SIGMA_TRAIN, noise_rng),
                             EPOCHS, batch_size=128, learning_rate=LEARNING_RATE)
dae_seconds = time.perf_counter() - start
print(f"trained in {dae_seconds:.0f} s ({dae_seconds / EPOCHS:.1f} s per epoch)")

# %% tags=["keras"]
keras.utils.set_random_seed(0)
dae = denoising_autoencoder()
print(f"denoising autoencoder: {count_parameters(dae):,} parameters")
noise_rng = np.random.default_rng(100)
start = time.perf_counter()
dae_history = train_denoiser(dae, as_model_input(train_images),
                             lambda batch: add_gaussian_noise(batch, SIGMA_TRAIN, noise_rng),
                             EPOCHS, batch_size=128, learning_rate=LEARNING_RATE)
dae_seconds = time.perf_counter() - start
print(f"trained in {dae_seconds:.0f} s ({dae_seconds / EPOCHS:.1f} s per epoch)")

# %%
assert dae_history[-1] < dae_history[0], "the denoising autoencoder's loss should go down"
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(range(1, EPOCHS + 1), plain_history, "o-", label="plain AE (clean → clean)")
ax.plot(range(1, EPOCHS + 1), dae_history, "o-", label=f"DAE (noisy σ={SIGMA_TRAIN} → clean)")
ax.set(xlabel="epoch", ylabel="training loss (binary cross-entropy)", title="Training curves")
ax.legend()
plt.show()

# %% [markdown]
# Side by side on the same noisy test digits: the noisy input, the best classical filter, the plain
# autoencoder and the denoising autoencoder.

# %%
dae_denoise = image_function(dae)
dae_noisy = dae_denoise(noisy_test)
filtered_noisy = FILTERS[best_filter[SIGMA_TRAIN]](noisy_test)
shown = slice(0, 8)
rows = [test_images[shown], noisy_test[shown], filtered_noisy[shown], plain_noisy[shown], dae_noisy[shown]]
row_names = ["clean", f"noisy σ={SIGMA_TRAIN}", best_filter[SIGMA_TRAIN], "plain AE", "denoising AE"]
fig = plot.image_grid(np.concatenate(rows), ncols=8, captions=[n for n in row_names for _ in range(8)],
                      title=f"Denoising Gaussian noise σ = {SIGMA_TRAIN} (test digits)")
plt.show()
assert dae_noisy.shape == test_images.shape and 0 <= dae_noisy.min() and dae_noisy.max() <= 1

# %% [markdown]
# ## 7. A failure worth seeing: mean squared error through a sigmoid
#
# Why binary cross-entropy? The obvious loss for "make the output equal the clean image" is the
# mean squared error. Here is what happens when we train the *same* network, from the *same*
# start, for a few dozen steps with each loss:

# %% tags=["torch"]
def short_run(loss_fn, images=train_images[:3000], epochs=3):
    """Train a fresh DAE briefly with the given loss; return its outputs on the noisy test digits."""
    torch.manual_seed(0)
    model = denoising_autoencoder()
    train(model, noisy_batches_for(images), epochs, loss_fn, desc=type(loss_fn).__name__)
    return image_function(model)(noisy_test)


def noisy_batches_for(images):
    def batches(epoch):
        inputs, targets = make_denoising_pair(images, add_gaussian_noise, SIGMA_TRAIN,
                                              np.random.default_rng(200 + epoch))
        return make_dataloader(as_model_input(inputs), as_model_input(targets), batch_size=128, seed=epoch)
    return batches


outputs_mse = short_run(nn.MSELoss())
outputs_bce = short_run(nn.BCELoss())

# %% tags=["keras"]
def noisy_batches(images, epochs, seed, batch_size=128):
    """(noisy, clean) batches for `epochs` epochs in a row, with fresh noise (drawn for the whole
    set once per epoch) and a new order each epoch, for one `fit(..., epochs=epochs)`."""
    for epoch in range(epochs):
        inputs, targets = make_denoising_pair(images, add_gaussian_noise, SIGMA_TRAIN,
                                              np.random.default_rng(seed + epoch))
        order = np.random.default_rng((seed, epoch)).permutation(len(images))
        for start in range(0, len(images), batch_size):
            batch = order[start:start + batch_size]
            yield as_model_input(inputs[batch]), as_model_input(targets[batch])


def steps_per_epoch(images, batch_size=128):
    return -(-len(images) // batch_size)   # the last batch may be smaller


def short_run(loss, images=train_images[:3000], epochs=3):
    """Train a fresh DAE briefly with the given loss; return its outputs on the noisy test digits."""
    keras.utils.set_random_seed(0)
    model = denoising_autoencoder()
    steps = steps_per_epoch(images)
    # One call into TensorFlow per epoch. (The generator runs on across epochs, and fit runs whole
    # calls: with more steps per call than divide an epoch, an "epoch" would take the next one's batches.)
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss=loss, steps_per_execution=steps)
    model.fit(noisy_batches(images, epochs, seed=200), epochs=epochs, steps_per_epoch=steps)
    return image_function(model)(noisy_test)


outputs_mse = short_run("mse")
outputs_bce = short_run("binary_crossentropy")

# %%
for name, outputs in (("MSE", outputs_mse), ("BCE", outputs_bce)):
    print(f"{name}: mean output brightness {outputs.mean():.4f} (clean digits: {test_images.mean():.4f}), "
          f"PSNR {compute_psnr(test_images, outputs):.2f} dB")
fig = plot.image_grid(np.concatenate([noisy_test[:8], outputs_mse[:8], outputs_bce[:8]]), ncols=8,
                      captions=[n for n in ("noisy input", "with MSE", "with BCE")
                                for _ in range(8)],
                      title="Same network, same start, same data: only the loss differs")
plt.show()

# %% [markdown]
# With MSE the network collapsed to an **all-black** output and its loss stopped moving. Why? About 80% of
# the target pixels are black, so the quickest way down the loss at the start is to make every
# output darker. The output is `sigmoid(z)`, and the gradient of the MSE with respect to `z` is
#
# $$\frac{\partial}{\partial z} (\sigma(z) - y)^2 = 2\,(\sigma(z) - y)\,\sigma(z)\,(1 - \sigma(z)).$$
#
# Once the outputs are pushed near 0, the factor $\sigma(z)(1 - \sigma(z))$ is nearly 0 too,
# *even on the white stroke pixels*, where the error is largest. "The gradient vanishes" is not
# the whole story, though: Adam divides each step by the recent size of the gradient, so a
# uniformly small gradient would still give full-size steps. What goes wrong is the gradient's
# **direction**. Each pixel's share of it shrinks like $e^{z}$, so the few least-saturated
# pixels decide where the step goes, and those are background pixels asking to be darker still.
# The ink pixels, which need the opposite, have almost no say. Let us measure it: the median logit
# $z = \log \frac{p}{1-p}$ of the ink pixels (target above 0.5) and of the background, and the
# share of the per-pixel gradient that comes from the ink pixels.

# %%
def median_logit(outputs):
    """The median of the sigmoid's input z = log(p / (1 - p)), from the outputs p (z grows with p,
    so it is the logit of the median output). An output of exactly 0 means z < -103: float32 has
    no positive number below sigmoid(-103)."""
    p = float(np.median(outputs))
    return "below -103" if p == 0 else f"{np.log(p) - np.log1p(-p):.1f}"


def gradient_wrt_logits(outputs, targets, loss):
    """d(loss)/dz per pixel, for a sigmoid output p = sigmoid(z)."""
    p, y = outputs.astype(np.float64), targets.astype(np.float64)
    return 2 * (p - y) * p * (1 - p) if loss == "MSE" else p - y


ink = test_images > 0.5
ink_share = {}
print(f"{'loss':<6}{'median logit (ink)':>20}{'median logit (background)':>27}{'ink share of |gradient|':>25}")
for name, outputs in (("MSE", outputs_mse), ("BCE", outputs_bce)):
    grad = np.abs(gradient_wrt_logits(outputs, test_images, name))
    ink_share[name] = grad[ink].sum() / grad.sum()
    print(f"{name:<6}{median_logit(outputs[ink]):>20}{median_logit(outputs[~ink]):>27}"
          f"{ink_share[name]:25.2g}")
if not QUICK:
    assert ink_share["MSE"] < 1e-3 < 0.1 < ink_share["BCE"]

# %% [markdown]
# The ink pixels' share of the MSE run's gradient is vanishingly small, while with BCE about half
# of the gradient comes from the ink. Binary cross-entropy has no saturating factor: its gradient
# with respect to `z` is simply $\sigma(z) - y$, large exactly where the output is wrong, however
# saturated the sigmoid is. Whether MSE falls into the trap depends on how far the first steps
# push the logits: in our PyTorch runs of this network, the learning rate of 3·10⁻³ drove the
# median logit below −10 within a dozen steps, while at 3·10⁻⁴ the MSE run did not collapse (mean
# output 0.10 after three epochs, the data's is 0.13); lesson 02's dense autoencoders, trained
# with MSE at 10⁻³, never did. That is why lesson 02 could call sigmoid + MSE and sigmoid + BCE
# "nearly the same": they are, until a large first step saturates the sigmoid. BCE does not
# depend on that luck. (MSE on the logits, or a linear output layer, would also avoid the
# trap.) If your autoencoder ever outputs a blank image, check for a saturated output layer
# first: look at its logits, not only at its pictures.

# %%
assert outputs_mse.mean() < 0.02, "expected the MSE run to collapse to a (nearly) black output"
assert outputs_bce.mean() > 0.05, "expected the BCE run to produce digits"

# %% [markdown]
# ## 8. Quality across noise levels
#
# Now the main comparison. For each σ from 0.1 to 0.7 we corrupt the same test digits, then score
# (PSNR and SSIM against the clean digits) four things: the noisy input itself, the best classical
# filter for that σ, the plain autoencoder, and the denoising autoencoder **trained at σ = 0.5
# only**. So the other noise levels also test how the DAE generalises to noise levels it was not
# trained at.

# %%
METHODS = ["noisy input", "best filter", "plain AE", "denoising AE"]
psnr_table = {method: [] for method in METHODS}
ssim_table = {method: [] for method in METHODS}
start = time.perf_counter()
for sigma in SIGMAS:
    noisy = add_gaussian_noise(test_images, sigma, np.random.default_rng(3))
    estimates = {"noisy input": noisy, "best filter": FILTERS[best_filter[sigma]](noisy),
                 "plain AE": plain_denoise(noisy), "denoising AE": dae_denoise(noisy)}
    for method, estimate in estimates.items():
        psnr_table[method].append(compute_psnr(test_images, estimate))
        ssim_table[method].append(metrics.ssim(test_images, estimate))
print(f"scored {len(SIGMAS)} noise levels x {len(METHODS)} methods in {time.perf_counter() - start:.0f} s\n")

print(f"{'σ':>5} |" + "".join(f"{m:>22}" for m in METHODS))
print(f"{'':>5} |" + "".join(f"{'PSNR dB / SSIM':>22}" for _ in METHODS))
for i, sigma in enumerate(SIGMAS):
    print(f"{sigma:>5} |" + "".join(f"{psnr_table[m][i]:>15.2f} / {ssim_table[m][i]:.2f}" for m in METHODS))

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for method in METHODS:
    axes[0].plot(SIGMAS, psnr_table[method], "o-", label=method)
    axes[1].plot(SIGMAS, ssim_table[method], "o-", label=method)
for ax, name in zip(axes, ("PSNR (dB, higher is better)", "SSIM (higher is better)")):
    ax.axvline(SIGMA_TRAIN, color="grey", ls=":", lw=1)
    ax.set(xlabel="Gaussian noise σ at test time", ylabel=name, title=f"{name.split(' ')[0]} vs noise level")
axes[0].legend()
fig.suptitle(f"Test digits; the denoising AE was trained at σ = {SIGMA_TRAIN} (dotted line)")
fig.tight_layout()
plt.show()

# %%
at = SIGMAS.index(SIGMA_TRAIN)
gain_over_noisy = psnr_table["denoising AE"][at] - psnr_table["noisy input"][at]
gain_over_filter = psnr_table["denoising AE"][at] - psnr_table["best filter"][at]
print(f"at σ = {SIGMA_TRAIN}: the denoising AE gains {gain_over_noisy:.1f} dB over the noisy input "
      f"and {gain_over_filter:.1f} dB over the best filter ({best_filter[SIGMA_TRAIN]})")
assert np.all(np.isfinite([psnr_table[m] for m in METHODS]))
assert gain_over_noisy > 0, "the denoising AE should improve on its noisy input at the training noise level"
if not QUICK:
    assert gain_over_noisy >= 8, gain_over_noisy
    assert gain_over_filter >= 3, gain_over_filter

# %% [markdown]
# One test digit across the noise levels, before and after the denoising autoencoder:

# %%
digit = test_images[:1]
sweep_noisy = np.concatenate([add_gaussian_noise(digit, sigma, np.random.default_rng(6)) for sigma in SIGMAS])
sweep_denoised = dae_denoise(sweep_noisy)
fig = plot.image_grid(np.concatenate([sweep_noisy, sweep_denoised]), ncols=len(SIGMAS),
                      captions=[f"noisy σ={s}" for s in SIGMAS] + [f"DAE σ={s}" for s in SIGMAS],
                      size=1.3, title=f"One digit, noise σ = 0.1 … 0.7 (DAE trained at σ = {SIGMA_TRAIN})")
plt.show()

# %% [markdown]
# What to read in the curves (the numbers in brackets are from our full-mode runs, PyTorch /
# Keras; yours are in the table above):
#
# - The **noisy input** drops fast: from 22.7 dB at σ = 0.1 to 7.4 dB at σ = 0.7.
# - The **best filter** helps more the stronger the noise (+4.8 dB at σ = 0.5), but at σ = 0.1 it
#   barely beats doing nothing, and its SSIM stays low: it blurs strokes along with the noise.
# - The **plain autoencoder** is no denoiser. On clean digits it reaches about 21.5 dB, but noise
#   moves its inputs away from everything it saw in training, and its output degrades quickly
#   (at σ = 0.1 it is already below the noisy input). A narrow code alone does not remove noise.
# - The **denoising autoencoder** wins by a wide margin around the noise level it was trained at
#   (at σ = 0.5 about 19 dB and SSIM 0.8, against 14.2 dB for the best filter), and it degrades
#   gracefully up to σ = 0.7. Far below its training level, at σ = 0.1, its PSNR is only about
#   that of the noisy input (23.8 / 22.4 dB against 22.7): a model trained on heavy noise cleans
#   the background perfectly (SSIM above 0.9) but also redraws faint details its own way.
#   Training on a *range* of noise levels (exercise 2 at the end) makes one model that works at
#   all of them.

# %% [markdown]
# ## 9. Noise it has never seen
#
# The DAE only ever saw Gaussian noise. How does it cope with salt and pepper, and with erased
# blocks? The median filter is the classical tool made for salt and pepper, so it gets a fair
# chance here.

# %%
unseen = {"salt & pepper 20%": lambda x, rng: add_salt_and_pepper(x, 0.2, rng),
          "blocks 25%": lambda x, rng: mask_blocks(x, 0.25, rng)}
unseen_outputs, unseen_psnr = {}, {}
print(f"{'corruption':<20}" + "".join(f"{m:>22}" for m in ["noisy input", "median 3×3", "plain AE", "denoising AE"]))
for name, corrupt in unseen.items():
    corrupted = corrupt(test_images, np.random.default_rng(4))
    # An image whose erased squares were all background is unchanged: its PSNR is infinite.
    # We score the images the corruption actually changed.
    changed = np.any(corrupted != test_images, axis=(1, 2))
    clean, corrupted = test_images[changed], corrupted[changed]
    estimates = {"noisy input": corrupted, "median 3×3": FILTERS["median 3×3"](corrupted),
                 "plain AE": plain_denoise(corrupted), "denoising AE": dae_denoise(corrupted)}
    unseen_outputs[name] = (clean, estimates)
    unseen_psnr[name] = {method: compute_psnr(clean, e) for method, e in estimates.items()}
    print(f"{name:<20}" + "".join(f"{compute_psnr(clean, e):>15.2f} / {metrics.ssim(clean, e):.2f}"
                                  for e in estimates.values())
          + f"   ({changed.sum()} of {len(test_images)} images changed)")

# %%
if not QUICK:   # the claims of the next paragraph
    salt = unseen_psnr["salt & pepper 20%"]
    assert salt["denoising AE"] > salt["median 3×3"] > salt["noisy input"]
    blocks = unseen_psnr["blocks 25%"]
    assert all(blocks[m] < blocks["noisy input"] for m in ("median 3×3", "plain AE", "denoising AE"))

# %%
for name, (clean, estimates) in unseen_outputs.items():
    rows = [clean[:8]] + [estimates[m][:8] for m in estimates]
    fig = plot.image_grid(np.concatenate(rows), ncols=8,
                          captions=[m for m in ["clean"] + list(estimates) for _ in range(8)],
                          title=f"Unseen corruption: {name} (DAE trained on Gaussian noise only)")
    plt.show()

# %% [markdown]
# The Gaussian-trained DAE removes salt and pepper well, better even than the median filter
# made for it, because isolated specks look like strong Gaussian noise. Erased blocks are a
# different matter: a missing part of a stroke is not noise around the right image, it is
# *missing information*, and black is a perfectly plausible value for digit pixels. None of the
# three methods fills the holes, and all of them score *below* the masked input itself: they
# leave the holes and add their own small errors everywhere else. Train the DAE on `mask_blocks`
# pairs (exercise 3 at the end) and it learns to fill them in: that is the idea behind masked
# autoencoders (He et al., 2022), which pretrain large vision models by hiding 75% of an image.

# %% [markdown]
# ## 10. Your turn: the live noise widget
#
# Drag the **noise level** and watch the noisy input and the denoising autoencoder's output
# change together; switch the **noise type** between your three corruption functions, pick
# another **digit #**, or press **new noise** for a fresh random pattern. (For the Gaussian noise
# the level is σ; for salt and pepper and for blocks it is the fraction of pixels or squares hit.)
# Things to look for: the level at which the DAE starts to invent strokes, what it does with
# salt and pepper above 30%, and whether it ever fills an erased square.

# %%
from aelab import widgets

explorer = widgets.noise_widget(
    dae_denoise,                                # (1, 28, 28) noisy digit -> (1, 28, 28) output
    test_images[:100],
    noises={"gaussian": add_gaussian_noise, "salt & pepper": add_salt_and_pepper,
            "blocks": mask_blocks},
    level=SIGMA_TRAIN)
explorer

# %%
assert explorer.noisy.shape == explorer.output.shape == (28, 28)
assert 0.0 <= explorer.output.min() and explorer.output.max() <= 1.0

# %% [markdown]
# ### Optional: draw a digit and let the DAE clean it
#
# Now your own handwriting. Draw a digit in the black square with the mouse (or a finger). The
# pad makes it MNIST-style (scaled to fit 20 × 20 pixels and centred by its centre of mass, as
# the MNIST digits were), adds Gaussian noise of σ = `SIGMA_TRAIN` with your `add_gaussian_noise`
# (the same noise pattern on every update, so only your strokes change the picture), and shows
# what the denoising autoencoder makes of the noisy copy, live as you draw. Under the images:
# how far the output and the noisy input each are from your clean digit (MSE).
#
# Things to try: a thin pen and a thick one (the pen slider); a digit drawn small in a corner;
# a letter instead of a digit; then scribble a stroke across your digit. Which of them does the
# DAE clean up, and which does it turn into something more digit-like?

# %%
def add_pad_noise(x):
    """The pad's corruption: Gaussian noise of σ = SIGMA_TRAIN, the same pattern every time."""
    return add_gaussian_noise(x, SIGMA_TRAIN, np.random.default_rng(0))


pad_04 = widgets.drawing_pad(dae_denoise, corrupt=add_pad_noise,
                             title="Denoising autoencoder: draw a digit, watch it cleaned")
pad_04

# %% [markdown]
# The pad, driven from Python: test digit 0 drawn four times larger (as on the pad's 112 × 112
# canvas), made noisy, and cleaned.

# %%
pad_04.set_drawing(np.kron(test_images[0], np.ones((4, 4), np.float32)))   # 28 x 28 -> 112 x 112
output_error = np.mean((pad_04.output - pad_04.digit) ** 2)
noisy_error = np.mean((pad_04.corrupted - pad_04.digit) ** 2)
print(f"redrawn test digit 0: the noisy copy is at MSE {noisy_error:.4f} from it, the DAE's output at {output_error:.4f}")
assert output_error < noisy_error
pad_04.clear()

# %% [markdown]
# ## 11. Why denoising teaches useful features: the manifold picture
#
# Think of every 28 × 28 image as a point in a 784-dimensional space. Real digits occupy a thin,
# curved region of it (a *manifold*): almost every point of the space is static, not a digit.
# Noise pushes a digit *off* the manifold, in a random direction. To undo it, the network has to
# learn which way leads back, which means learning where the manifold is: its shape is what the
# DAE must encode (Vincent et al., 2008; Alain & Bengio, 2014, show that a DAE's output minus its
# input estimates the direction of increasing data density).
#
# Here is the same picture in two dimensions, where we can draw it: clean points on a curve
# (the "digits"), noisy versions of them, and for points everywhere in the plane the best possible
# denoiser (the average of the clean points that could have produced each noisy point), drawn as
# arrows from noisy input to output.

# %%
rng = np.random.default_rng(5)
t = rng.uniform(0.2, 3.0, 400)
clean_points = np.stack([t * np.cos(2 * t), t * np.sin(2 * t)], axis=1)     # a spiral: the "manifold"
noise_sigma = 0.35
noisy_points = clean_points + noise_sigma * rng.standard_normal(clean_points.shape)

grid = np.stack(np.meshgrid(np.linspace(-3.2, 3.2, 25), np.linspace(-3.2, 3.2, 25)), -1).reshape(-1, 2)
weights = np.exp(-((grid[:, None, :] - clean_points[None]) ** 2).sum(-1) / (2 * noise_sigma ** 2))
best_output = (weights @ clean_points) / np.maximum(weights.sum(1, keepdims=True), 1e-12)
distance = np.sqrt(((grid[:, None, :] - clean_points[None]) ** 2).sum(-1)).min(1)
near = distance < 2 * noise_sigma   # arrows where noise of this size could have put a point

fig, axes = plt.subplots(1, 2, figsize=(11, 5))
axes[0].scatter(*noisy_points.T, s=6, c="tab:orange", label="noisy points x~")
axes[0].scatter(*clean_points.T, s=6, c="tab:blue", label="clean points x (the manifold)")
for x, x_noisy in list(zip(clean_points, noisy_points))[:40]:
    axes[0].plot([x_noisy[0], x[0]], [x_noisy[1], x[1]], c="grey", lw=0.6)
axes[0].set(title="Noise pushes points off the manifold", xlabel="pixel 1 (say)", ylabel="pixel 2 (say)")
axes[0].legend(loc="lower left")
axes[1].scatter(*clean_points.T, s=4, c="tab:blue", alpha=0.4, label="clean points")
axes[1].quiver(*grid[near].T, *(best_output - grid)[near].T, angles="xy", scale_units="xy", scale=1,
               width=0.003, color="black")
axes[1].set(title="The best denoiser points back to the manifold", xlabel="pixel 1 (say)",
            ylabel="pixel 2 (say)")
axes[1].legend(loc="lower left")
for ax in axes:
    ax.set_aspect("equal")
fig.tight_layout()
plt.show()

# %% [markdown]
# Each arrow is "where should a point here go?". Near the curve the arrows are short and point
# straight at it; far away they point to the middle of the nearby stretch of curve. A network that
# can draw this field for digits in 784 dimensions knows a lot about digits, which is why the
# encoder of a denoising autoencoder is a good feature extractor (lesson 06 uses one).

# %% [markdown]
# ## Check your understanding
#
# 1. Why must the **target** be the clean image? What would a DAE trained with the noisy image as
#    target learn, given that its architecture has no bottleneck?

# %% [markdown] tags=["answer"]
# It would learn to copy its input, noise included: the identity function minimises that loss,
# and a fully convolutional network with a 7 × 7 × 64 feature map can represent it easily. Only
# the clean target forces it to remove what does not belong to a digit.

# %% [markdown]
# 2. From σ = 0.1 to σ = 0.5 the noise variance grows 25 times. By how many dB should the PSNR
#    of the noisy input drop? The table shows a drop from 22.7 dB to 9.4 dB: why a little less?

# %% [markdown] tags=["answer"]
# A factor 25 in squared error is 10·log10(25) ≈ 14 dB. The measured drop is about 13.3 dB
# because of clipping: it removes part of the noise on the black background and on the white
# strokes, and a larger share of it at large σ, so the MSE grows by less than 25 times.

# %% [markdown]
# 3. A student reports "PSNR 57.5 dB" for the noisy digits at σ = 0.5. Which mistake is the
#    most likely?

# %% [markdown] tags=["answer"]
# A peak of 255 on images in [0, 1]: that adds 20·log10(255) ≈ 48.1 dB to the true 9.4 dB. The
# peak must be the range of the data (1 here, 255 only for uint8 images).

# %% [markdown]
# 4. The Gaussian-trained DAE does well on salt and pepper but leaves erased blocks in place. What
#    is different about the two corruptions, from the network's point of view?

# %% [markdown] tags=["answer"]
# Salt and pepper changes isolated pixels while the neighbours still show the stroke, which is
# close to what strong Gaussian noise looks like. An erased block removes all evidence in a 7 × 7
# region, and black is a perfectly plausible value for digit pixels, so nothing in the input says
# "this is a hole". To fill holes the model must be trained on them.

# %% [markdown]
# 5. Why did the MSE-trained network get stuck on an all-black output, while BCE did not? Name one
#    other change (keeping MSE) that would avoid the trap.

# %% [markdown] tags=["answer"]
# The gradient of the MSE through a sigmoid carries the factor σ(z)(1 − σ(z)), which is almost 0
# once the outputs are pushed to 0; BCE's gradient with respect to the logit is σ(z) − y, which
# stays large wherever the output is wrong. Keeping MSE, remove the sigmoid: a linear output
# layer has no saturating factor (clip its output to [0, 1] when you show or score it).

# %% [markdown]
# ## Summary
#
# - A denoising autoencoder is trained on **(corrupted input, clean target)** pairs; the corruption
#   is what stops it from learning the identity, so it needs no narrow code.
# - Corruptions are small functions with an explicit `rng`: Gaussian noise (clipped to [0, 1]),
#   salt and pepper, erased blocks.
# - PSNR (per image, averaged, peak = data range) and SSIM measure restoration quality; classical
#   filters chosen on validation data set the bar.
# - At the noise level it was trained at, the DAE beats the noisy input and the best filter by a
#   wide margin. In our full-mode runs at σ = 0.5 (1,000 test digits, PSNR / SSIM): noisy input
#   9.4 dB / 0.37, best filter (3×3 median) 14.2 dB / 0.50, plain AE 9.9 / 0.18 (PyTorch) and
#   11.8 / 0.34 (Keras), denoising AE 19.0 / 0.83 (PyTorch) and 18.7 / 0.80 (Keras), after
#   5 epochs on 12,000 digits (about 2 s per epoch on two CPU threads, in both frameworks). Far
#   from its training noise level, and on erased blocks it never saw, it does much less well.
# - MSE through a sigmoid can collapse to a black image; BCE (or a linear output) avoids it.
# - Denoising = learning the way back to the data manifold, which is why the features are useful.
#
# Next: **05 · variational autoencoders**, where the code itself becomes a probability
# distribution and the decoder a generator.
#
# ## Exercises to try on your own
#
# 1. Retrain the plain autoencoder with a larger code (`latent_dim=128`). Is it a better or a worse
#    denoiser? Why?
# 2. Train the DAE with a **different σ for every image**, drawn uniformly from [0, 0.7]
#    (write a `corrupt` function that does it and pass it to `make_denoising_pair`). Redraw the
#    PSNR-vs-σ curve: what happens at σ = 0.1?
# 3. Train a DAE on `mask_blocks` pairs (fraction 0.25) and compare its output on erased blocks
#    with the Gaussian-trained one.
# 4. Replace the BCE loss by MSE *and* remove the final sigmoid (clip the output to [0, 1] when
#    you show it). Does the collapse of section 7 come back?
