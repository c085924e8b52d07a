# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 03 · Convolutional autoencoders
#
# The dense autoencoder of lesson 02 sees an image as a list of 784 unrelated numbers. It does
# not know that pixel 300 sits next to pixel 301, and a stroke it has learned to draw in one
# place it must learn again, with separate weights, one pixel further right.
#
# A **convolution** slides one small filter (say 3 × 3 pixels) over the whole image. The same
# nine weights are used at every position, and each output only looks at a small neighbourhood.
# Both facts suit images: strokes are local, and a stroke is a stroke wherever it appears.
#
# In this lesson you will
#
# 1. count the parameters of a dense and a convolutional autoencoder side by side;
# 2. measure how far each layer "sees" (its receptive field);
# 3. shrink images with strided convolutions, grow them back with transposed convolutions, and
#    see the checkerboard artefacts a careless choice produces;
# 4. train a convolutional autoencoder with a 32-number code and compare it with PCA and the
#    dense autoencoder;
# 5. explore its code space: a 2-D map of the codes, and finding similar digits by their codes.
#
# You are in the **{{framework}} track**.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

import aelab
from aelab import check, plot
from aelab.data import load_mnist
from aelab.metrics import reconstruction_mse

# %% tags=["torch"]
settings = aelab.setup("torch", seed=0)
import torch
from torch import nn
from tqdm.auto import tqdm

from aelab.torch_support import count_parameters, make_dataloader, numpy_function

# %% tags=["keras"]
settings = aelab.setup("keras", seed=0)
import keras
import tensorflow as tf
from keras import layers

from aelab.keras_support import count_parameters, make_dataset, numpy_function

# %% [markdown]
# ## 1. The data, as images this time
#
# A convolution needs the picture, not a flat vector: each image is a 28 × 28 grid with one
# colour channel (grey). {{framework}} wants the channel axis in a fixed place:

# %% tags=["torch"]
QUICK = aelab.quick_mode()
train_images, train_labels = load_mnist("train", size=2_000 if QUICK else None)
test_images, test_labels = load_mnist("test", size=2_000 if QUICK else None)

# PyTorch puts the channel first: (N, channels, height, width)
x_train = train_images[:, None, :, :]
x_test = test_images[:, None, :, :]
print("x_train:", x_train.shape, "x_test:", x_test.shape)

# %% tags=["keras"]
QUICK = aelab.quick_mode()
train_images, train_labels = load_mnist("train", size=2_000 if QUICK else None)
test_images, test_labels = load_mnist("test", size=2_000 if QUICK else None)

# Keras puts the channel last: (N, height, width, channels)
x_train = train_images[..., None]
x_test = test_images[..., None]
print("x_train:", x_train.shape, "x_test:", x_test.shape)

# %%
assert x_train.shape[1:] in {(1, 28, 28), (28, 28, 1)} and x_train.dtype == np.float32
assert len(x_test) == len(test_labels)

# %% [markdown]
# ## 2. Parameters: dense vs convolutional
#
# We will compare two autoencoders with the same 32-number code. The dense one is lesson 02's
# 784-256-64-32 network. The convolutional one shrinks the image twice with **stride-2**
# convolutions (28 → 14 → 7 pixels a side) while adding channels (1 → 16 → 32), and only then
# flattens the 32 × 7 × 7 feature maps into the code with one linear layer. You build its
# convolutional part.
#
# ### Build it: the convolutional encoder
#
# Write `build_conv_encoder(out_channels)`. Each call returns a **new** {{framework}} model (fresh
# random weights) that takes a batch of images, shape (N, 1, 28, 28) in PyTorch and
# (N, 28, 28, 1) in Keras, and returns feature maps: `out_channels` maps of 7 × 7 per image, in
# the same channel order as the images. It should be made of
#
# - two convolutions with 3 × 3 kernels and stride 2, each halving the image: 28 → 14 → 7;
# - 16 channels after the first convolution, `out_channels` after the second;
# - a ReLU after each convolution.
#
# Nothing else: no flattening, no dense layer (the lesson adds the linear layer that makes the
# code). Section 4 derives the sizes; the hints say what padding gives exactly 14 and 7.

# %% tags=["torch"]
def build_conv_encoder(out_channels):
    """A new model: images (N, 1, 28, 28) -> feature maps (N, out_channels, 7, 7)."""
    ### BEGIN SOLUTION
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),             # 28 -> 14
        nn.Conv2d(16, out_channels, kernel_size=3, stride=2, padding=1), nn.ReLU(),  # 14 -> 7
    )
    ### END SOLUTION
    ### BEGIN STUB
    # build the model described above and return it
    return None
    ### END STUB


# %% tags=["keras"]
def build_conv_encoder(out_channels):
    """A new model: images (N, 28, 28, 1) -> feature maps (N, 7, 7, out_channels)."""
    ### BEGIN SOLUTION
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(16, 3, strides=2, padding="same"), layers.ReLU(),             # 28 -> 14
        layers.Conv2D(out_channels, 3, strides=2, padding="same"), layers.ReLU(),   # 14 -> 7
    ], name="conv_encoder")
    ### END SOLUTION
    ### BEGIN STUB
    # build the model described above and return it
    return None
    ### END STUB


# %% [markdown] tags=["hint"]
# A convolution with stride 2 computes one output for every second input position, so it halves
# the size, provided the borders are padded: a 3 × 3 kernel needs one pixel of zero padding on
# each side (28 → 14 rather than 13). Each convolution takes the previous layer's channels in and
# gives its own number of channels out; the ReLU comes after each convolution. A function that
# builds the layers inside its body returns a new model with new weights on every call.

# %% [markdown] tags=["hint", "torch"]
# `nn.Sequential(nn.Conv2d(1, ..., kernel_size=3, stride=2, padding=1), nn.ReLU(),
# nn.Conv2d(..., out_channels, ...), nn.ReLU())`. PyTorch layers keep the channels first: no
# reshaping is needed.

# %% [markdown] tags=["hint", "keras"]
# `keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(16, 3, strides=2,
# padding="same"), layers.ReLU(), ...])`: in Keras, `padding="same"` pads so that a stride-2
# convolution gives exactly half the size (rounded up). Keras layers keep the channels last.

# %%
result = check.run("03.build_conv_encoder", build_conv_encoder)
build_conv_encoder = result.use()

# %% tags=["torch"]
LATENT_DIM = 32

dense_autoencoder = nn.Sequential(
    nn.Flatten(),
    nn.Linear(784, 256), nn.ReLU(),
    nn.Linear(256, 64), nn.ReLU(),
    nn.Linear(64, LATENT_DIM),                      # the code
    nn.Linear(LATENT_DIM, 64), nn.ReLU(),
    nn.Linear(64, 256), nn.ReLU(),
    nn.Linear(256, 784), nn.Sigmoid(),
    nn.Unflatten(1, (1, 28, 28)),
)

conv_encoder = build_conv_encoder(32)                    # yours: (N, 32, 7, 7)
encoder = nn.Sequential(
    conv_encoder,
    nn.Flatten(),                                         # 1568
    nn.Linear(32 * 7 * 7, LATENT_DIM),                    # the code
)

# %% tags=["keras"]
LATENT_DIM = 32

dense_autoencoder = keras.Sequential([
    keras.Input((28, 28, 1)),
    layers.Flatten(),
    layers.Dense(256, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(LATENT_DIM),                       # the code
    layers.Dense(64, activation="relu"),
    layers.Dense(256, activation="relu"),
    layers.Dense(784, activation="sigmoid"),
    layers.Reshape((28, 28, 1)),
], name="dense_autoencoder")

conv_encoder = build_conv_encoder(32)                    # yours: (N, 7, 7, 32)
encoder = keras.Sequential([
    keras.Input((28, 28, 1)),
    conv_encoder,
    layers.Flatten(),                                     # 1568
    layers.Dense(LATENT_DIM),                             # the code
], name="encoder")

# %% [markdown]
# Where do the parameters sit? Each bar below is one layer with weights:

# %% tags=["torch"]
def layer_parameter_counts(model):
    """[(layer name, trainable parameters)] for the layers of a model that have weights
    (inside nested models too: "0.0" is the first layer of the model's first part)."""
    return [(f"{name}: {type(layer).__name__}", count_parameters(layer))
            for name, layer in model.named_modules()
            if not list(layer.children()) and count_parameters(layer) > 0]


# %% tags=["keras"]
def layer_parameter_counts(model, prefix=""):
    """[(layer name, trainable parameters)] for the layers of a model that have weights
    (inside nested models too: "0.0" is the first layer of the model's first part)."""
    counts = []
    for i, layer in enumerate(model.layers):
        if hasattr(layer, "layers"):   # a model inside the model
            counts += layer_parameter_counts(layer, prefix=f"{prefix}{i}.")
        elif layer.count_params() > 0:
            counts.append((f"{prefix}{i}: {type(layer).__name__}", layer.count_params()))
    return counts


# %%
dense_layers = layer_parameter_counts(dense_autoencoder)
encoder_layers = layer_parameter_counts(encoder)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2), sharex=True)
for ax, rows, name in ((axes[0], dense_layers, "dense autoencoder (encoder + decoder)"),
                       (axes[1], encoder_layers, "convolutional encoder")):
    names, counts = zip(*rows)
    ax.barh(names[::-1], counts[::-1])
    ax.set(xscale="log", xlabel="trainable parameters (log scale)", title=name)
    for y, c in enumerate(counts[::-1]):
        ax.text(c, y, f" {c:,}", va="center", fontsize=8)
fig.tight_layout()
plt.show()
dense_params = count_parameters(dense_autoencoder)
print(f"dense autoencoder: {dense_params:,} parameters; its first layer alone: {dense_layers[0][1]:,}")
print(f"convolutional encoder: {count_parameters(encoder):,} parameters, "
      f"of which the two convolutions hold {encoder_layers[0][1] + encoder_layers[1][1]:,}")

# %% [markdown]
# The first dense layer connects every one of 784 pixels to every one of 256 units: 200,960
# weights. The first convolution has sixteen 3 × 3 filters: 160 weights, and the count would be
# the same for a 1000 × 1000 photo. In the convolutional encoder almost all parameters sit in
# the final linear layer that turns the 32 × 7 × 7 feature maps into the code.
#
# ### Exercise 1: count the parameters of a convolution
#
# A convolution from `in_channels` to `out_channels` with a `kernel_size` × `kernel_size`
# filter has one filter per (input channel, output channel) pair, plus one bias per output
# channel. Write the count. (A transposed convolution has exactly the same count.)

# %%
def conv_parameter_count(in_channels, out_channels, kernel_size):
    """Trainable parameters of a 2-D convolution with square kernels and a bias (an int)."""
    ### BEGIN SOLUTION
    return in_channels * out_channels * kernel_size * kernel_size + out_channels
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: weights (one kernel_size x kernel_size filter per channel pair) + biases
    return None
    ### END STUB


result = check.run("03.conv_parameter_count", conv_parameter_count)
conv_parameter_count = result.use()

# %%
print("conv 1 -> 16, 3x3: ", conv_parameter_count(1, 16, 3), "| in the model:", encoder_layers[0][1])
print("conv 16 -> 32, 3x3:", conv_parameter_count(16, 32, 3), "| in the model:", encoder_layers[1][1])
assert conv_parameter_count(1, 16, 3) == encoder_layers[0][1]
assert conv_parameter_count(16, 32, 3) == encoder_layers[1][1]

# %% [markdown]
# ## 3. How far does each layer see? Receptive fields
#
# One output of the first 3 × 3 convolution depends on a 3 × 3 patch of the image: its
# **receptive field**. The second convolution combines a 3 × 3 neighbourhood of the first
# layer's outputs, which lie 2 pixels apart (stride 2), so it sees 3 + (3 − 1) × 2 = 7 pixels
# across. In general, with `r` the receptive field and `j` the distance between neighbouring
# outputs in input pixels ("jump"), a layer with kernel `k` and stride `s` gives
#
# r_next = r + (k − 1) × j,  j_next = j × s.
#
# We can *measure* the receptive field too: the gradient of one output with respect to the
# input image is non-zero exactly on the pixels that output depends on.

# %%
def receptive_fields(kernel_sizes, strides):
    """Receptive field (in input pixels) after each layer of a stack of convolutions."""
    r, j, fields = 1, 1, []
    for k, s in zip(kernel_sizes, strides):
        r, j = r + (k - 1) * j, j * s
        fields.append(r)
    return fields


theory = receptive_fields([3, 3], [2, 2])
print("receptive field after conv 1, conv 2:", theory)

# %% tags=["torch"]
def input_gradient(part, unit):
    """|d output[unit] / d input| for a random input image: where that output looks."""
    image = torch.rand(1, 1, 28, 28, requires_grad=True)
    part(image)[(0, *unit)].sum().backward()   # the sum, when `unit` selects several outputs
    return image.grad[0, 0].abs().numpy()


# the centre position of each conv layer's output (all its channels), and one code number
first_conv = next(layer for layer in conv_encoder.modules() if isinstance(layer, nn.Conv2d))
gradients = {
    "conv 1, centre position": input_gradient(first_conv, (slice(None), 7, 7)),
    "conv 2, centre position": input_gradient(conv_encoder, (slice(None), 3, 3)),
    "code number 0": input_gradient(encoder, (0,)),
}

# %% tags=["keras"]
def input_gradient(part, unit):
    """|d output[unit] / d input| for a random input image: where that output looks."""
    image = tf.Variable(tf.random.uniform((1, 28, 28, 1), seed=0))
    with tf.GradientTape() as tape:
        output = tf.reduce_sum(part(image)[(0, *unit)])   # the sum, when `unit` selects several
    return np.abs(tape.gradient(output, image).numpy()[0, :, :, 0])


# the centre position of each conv layer's output (all its channels), and one code number
first_conv = next(layer for layer in conv_encoder.layers if isinstance(layer, layers.Conv2D))
gradients = {
    "conv 1, centre position": input_gradient(first_conv, (7, 7)),
    "conv 2, centre position": input_gradient(conv_encoder, (3, 3)),
    "code number 0": input_gradient(encoder, (0,)),
}

# %%
def extent(gradient):
    """Rows and columns spanned by the non-zero gradient."""
    rows, cols = np.nonzero(gradient > 0)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
for ax, (name, gradient) in zip(axes, gradients.items()):
    h, w = extent(gradient)
    ax.imshow(gradient > 0, cmap="Blues", vmin=0, vmax=1.3)
    ax.set(title=f"{name}\nsees {h} x {w} pixels", xlabel="image column", ylabel="image row")
fig.suptitle("Receptive fields: the input pixels each output depends on (blue)")
fig.tight_layout()
plt.show()

# %%
assert extent(gradients["conv 1, centre position"]) == (theory[0], theory[0])
assert extent(gradients["conv 2, centre position"]) == (theory[1], theory[1])
assert extent(gradients["code number 0"]) == (28, 28)

# %% [markdown]
# The convolutions see small neighbourhoods, and each layer sees further than the one before;
# only the final linear layer looks at the whole image. Deeper conv stacks (or more stride)
# let the convolutions themselves cover the whole digit.
#
# ## 4. Down with strides, up with transposed convolutions
#
# The size arithmetic is worth knowing by heart, because a decoder must land exactly on
# 28 × 28. For a convolution with kernel `k`, stride `s` and `p` pixels of zero padding on
# each side, an input `n` pixels wide gives
#
# n_out = floor((n + 2p − k) / s) + 1.
#
# A **transposed convolution** runs that map backwards: each input pixel stamps a weighted
# copy of the `k` × `k` kernel onto the output, and the stamps move `s` pixels per input pixel:
#
# n_out = (n − 1) × s − 2p + k + output_padding.
#
# (`output_padding` adds rows on one side, to pick between the several sizes that a strided
# convolution maps to the same `n`.) In Keras, `padding="valid"` is p = 0 and
# `padding="same"` chooses the padding so that n_out = ceil(n / s) for a convolution and
# n × s for a transposed convolution.
#
# ### Exercise 2: the output size of a convolution

# %%
def conv_output_size(size, kernel_size, stride=1, padding=0):
    """Width (or height) of a convolution's output, for an input `size` pixels wide (an int)."""
    ### BEGIN SOLUTION
    return (size + 2 * padding - kernel_size) // stride + 1
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: n_out = floor((n + 2p - k) / s) + 1, as an int
    return None
    ### END STUB


result = check.run("03.conv_output_size", conv_output_size)
conv_output_size = result.use()

# %% [markdown]
# ### Exercise 3: the output size of a transposed convolution

# %%
def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0):
    """Width (or height) of a transposed convolution's output (an int)."""
    ### BEGIN SOLUTION
    return (size - 1) * stride - 2 * padding + kernel_size + output_padding
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: n_out = (n - 1) * s - 2p + k + output_padding
    return None
    ### END STUB


result = check.run("03.conv_transpose_output_size", conv_transpose_output_size)
conv_transpose_output_size = result.use()

# %% [markdown]
# Let us check both formulas against real {{framework}} layers, for a few settings:

# %% tags=["torch"]
def measured_sizes(n, k, s, p):
    """(conv output width, transposed conv output width) of real layers on an n x n input."""
    image = torch.zeros(1, 1, n, n)
    down = nn.Conv2d(1, 1, k, stride=s, padding=p)(image).shape[-1]
    up = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p)(image).shape[-1]
    return down, up


# %% tags=["keras"]
def measured_sizes(n, k, s, p):
    """(conv output width, transposed conv output width) of real layers on an n x n input.

    Keras has no numeric padding argument, so we pad (or crop) explicitly by p pixels.
    """
    image = np.zeros((1, n, n, 1), np.float32)
    down = keras.Sequential([layers.ZeroPadding2D(p), layers.Conv2D(1, k, strides=s)])(image)
    up = keras.Sequential([layers.Conv2DTranspose(1, k, strides=s), layers.Cropping2D(p)])(image)
    return down.shape[1], up.shape[1]


# %%
print(" n  k  s  p | conv: formula  layer | transposed: formula  layer")
for n, k, s, p in [(28, 3, 2, 1), (14, 3, 2, 1), (7, 4, 2, 1), (14, 4, 2, 1), (28, 5, 1, 2), (9, 3, 3, 0)]:
    down, up = measured_sizes(n, k, s, p)
    print(f"{n:2d} {k:2d} {s:2d} {p:2d} |       {conv_output_size(n, k, s, p):4d}  {down:5d} |"
          f"             {conv_transpose_output_size(n, k, s, p):4d}  {up:5d}")
    assert (down, up) == (conv_output_size(n, k, s, p), conv_transpose_output_size(n, k, s, p))

# %% [markdown]
# So our encoder goes 28 → 14 → 7, and a transposed convolution with kernel 4, stride 2 and
# padding 1 doubles the size exactly: 7 → 14 → 28.
#
# ### The checkerboard problem
#
# Why kernel 4 and not 3? When the kernel size is not a multiple of the stride, the stamps of a
# transposed convolution **overlap unevenly**: some output pixels receive two stamps, their
# neighbours one. Feed a constant input through a transposed convolution whose weights are all
# ones, and the output should be flat; count what arrives instead:

# %% tags=["torch"]
def all_ones_output(layer, n=6):
    """Output of `layer` (weights 1, bias 0) for an n x n input of ones, as a 2-D array."""
    with torch.no_grad():
        for parameter in layer.parameters():
            parameter.fill_(1.0) if parameter.dim() > 1 else parameter.zero_()
        return layer(torch.ones(1, 1, n, n))[0, 0].numpy()


overlap = {
    "transposed conv, kernel 3, stride 2": all_ones_output(nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1)),
    "transposed conv, kernel 4, stride 2": all_ones_output(nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1)),
    "upsample x2, then conv 3x3": all_ones_output(nn.Sequential(nn.Upsample(scale_factor=2),
                                                                nn.Conv2d(1, 1, 3, padding=1))),
}

# %% tags=["keras"]
def all_ones_output(layer, n=6):
    """Output of `layer` (weights 1, bias 0) for an n x n input of ones, as a 2-D array."""
    model = keras.Sequential([keras.Input((n, n, 1)), layer])
    for weight in model.weights:
        weight.assign(np.ones(weight.shape) if len(weight.shape) > 1 else np.zeros(weight.shape))
    return np.asarray(model(np.ones((1, n, n, 1), np.float32)))[0, :, :, 0]


overlap = {
    "transposed conv, kernel 3, stride 2": all_ones_output(layers.Conv2DTranspose(1, 3, strides=2, padding="same")),
    "transposed conv, kernel 4, stride 2": all_ones_output(layers.Conv2DTranspose(1, 4, strides=2, padding="same")),
    "upsample x2, then conv 3x3": all_ones_output(keras.Sequential([layers.UpSampling2D(2),
                                                                    layers.Conv2D(1, 3, padding="same")])),
}

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
for ax, (name, out) in zip(axes, overlap.items()):
    shown = ax.imshow(out, cmap="viridis")
    fig.colorbar(shown, ax=ax, fraction=0.046, label="output value")
    ax.set(title=name, xlabel="output column", ylabel="output row")
fig.suptitle("A constant input, all-ones weights: uneven overlap makes a checkerboard")
fig.tight_layout()
plt.show()


def interior_spread(out):
    """Max - min of the output away from the border (0 means perfectly flat)."""
    inner = out[2:-2, 2:-2]
    return float(inner.max() - inner.min())


for name, out in overlap.items():
    print(f"{name:38s} interior values from {out[2:-2, 2:-2].min():.0f} to {out[2:-2, 2:-2].max():.0f}")
assert interior_spread(overlap["transposed conv, kernel 3, stride 2"]) > 0
assert interior_spread(overlap["transposed conv, kernel 4, stride 2"]) == 0
assert interior_spread(overlap["upsample x2, then conv 3x3"]) == 0

# %% [markdown]
# With kernel 3 and stride 2 the interior alternates between 1, 2 and 4 stamps: a
# **checkerboard**. A network can learn weights that hide it, but it has to spend effort on
# that, and in practice faint grids often remain in the outputs (Odena, Dumoulin and Olah,
# "Deconvolution and checkerboard artifacts", Distill 2016). Two cures, both above: a kernel
# size divisible by the stride (4 with stride 2), or nearest-neighbour upsampling followed by
# an ordinary convolution. Our decoder uses the first.
#
# ## 5. The decoder: a mirror of the encoder
#
# ### Exercise 4: build the mirror decoder
#
# Write `build_decoder(latent_dim)` that undoes the encoder step by step:
#
# 1. a linear (dense) layer from `latent_dim` to 32 × 7 × 7 = 1568 numbers, then ReLU;
# 2. reshape to 32 feature maps of 7 × 7 (in {{framework}}'s channel order);
# 3. a transposed convolution 32 → 16 channels, kernel 4, stride 2, padding 1 (Keras:
#    `padding="same"`), then ReLU: 7 → 14;
# 4. a transposed convolution 16 → 1 channel, kernel 4, stride 2, padding 1, then a sigmoid
#    so pixels land in [0, 1]: 14 → 28.

# %% tags=["torch"]
def build_decoder(latent_dim):
    """A decoder (N, latent_dim) -> (N, 1, 28, 28) mirroring `encoder`, as an nn.Module."""
    ### BEGIN SOLUTION
    return nn.Sequential(
        nn.Linear(latent_dim, 32 * 7 * 7), nn.ReLU(),
        nn.Unflatten(1, (32, 7, 7)),
        nn.ConvTranspose2d(32, 16, kernel_size=4, stride=2, padding=1), nn.ReLU(),  # 7 -> 14
        nn.ConvTranspose2d(16, 1, kernel_size=4, stride=2, padding=1), nn.Sigmoid(),  # 14 -> 28
    )
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: nn.Sequential(nn.Linear(...), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
    #                     nn.ConvTranspose2d(...), ..., nn.Sigmoid())
    return None
    ### END STUB


result = check.run("03.build_decoder", build_decoder)
build_decoder = result.use()

# %% tags=["keras"]
def build_decoder(latent_dim):
    """A decoder (N, latent_dim) -> (N, 28, 28, 1) mirroring `encoder`, as a keras.Model."""
    ### BEGIN SOLUTION
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(7 * 7 * 32, activation="relu"),
        layers.Reshape((7, 7, 32)),
        layers.Conv2DTranspose(16, 4, strides=2, padding="same", activation="relu"),    # 7 -> 14
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid"),  # 14 -> 28
    ], name="decoder")
    ### END SOLUTION
    ### BEGIN STUB
    # TODO: keras.Sequential([keras.Input((latent_dim,)), layers.Dense(...), layers.Reshape(...),
    #                         layers.Conv2DTranspose(...), ...])
    return None
    ### END STUB


result = check.run("03.build_decoder", build_decoder)
build_decoder = result.use()

# %% [markdown]
# Encoder and decoder together make the convolutional autoencoder:

# %% tags=["torch"]
decoder = build_decoder(LATENT_DIM)
conv_autoencoder = nn.Sequential(encoder, decoder)
print(f"convolutional autoencoder: {count_parameters(conv_autoencoder):,} parameters "
      f"(dense: {dense_params:,})")
with torch.no_grad():
    print("one image goes", tuple(torch.from_numpy(x_test[:1]).shape), "->",
          tuple(encoder(torch.from_numpy(x_test[:1])).shape), "->",
          tuple(conv_autoencoder(torch.from_numpy(x_test[:1])).shape))

# %% tags=["keras"]
decoder = build_decoder(LATENT_DIM)
conv_autoencoder = keras.Sequential([encoder, decoder], name="conv_autoencoder")
print(f"convolutional autoencoder: {count_parameters(conv_autoencoder):,} parameters "
      f"(dense: {dense_params:,})")
print("one image goes", x_test[:1].shape, "->", tuple(encoder(x_test[:1]).shape), "->",
      tuple(conv_autoencoder(x_test[:1]).shape))

# %%
conv_params = count_parameters(conv_autoencoder)
assert conv_params < dense_params / 3

# %% [markdown]
# ## 6. Training
#
# The same recipe as in lesson 02: mean squared error between the image and its
# reconstruction, the Adam optimiser, mini-batches of 128. One change matters here: a learning
# rate of 3e-3 instead of Adam's default 1e-3: this small model tolerates it, and learns
# faster with it (try 1e-3 and compare the test error after the same number of epochs).

# %% tags=["torch"]
def train_autoencoder(model, images, epochs, learning_rate, batch_size=128):
    """Train `model` to reproduce `images` (mean squared error, Adam). Returns epoch losses."""
    loader = make_dataloader(images, images, batch_size=batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    losses = []
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for inputs, targets in tqdm(loader, desc=f"epoch {epoch + 1}/{epochs}", leave=False):
            loss = nn.functional.mse_loss(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(inputs)
        losses.append(total / len(images))
        print(f"epoch {epoch + 1}/{epochs}: training loss {losses[-1]:.4f}")
    model.eval()
    return losses


# %% tags=["keras"]
def train_autoencoder(model, images, epochs, learning_rate, batch_size=128):
    """Train `model` to reproduce `images` (mean squared error, Adam). Returns epoch losses."""
    # as in lesson 02: 25 mini-batches per call into TensorFlow, and Adam's state created
    # before fit traces the training step, so that it traces it once
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse", steps_per_execution=25)
    model.optimizer.build(model.trainable_variables)
    history = model.fit(make_dataset(images, images, batch_size=batch_size), epochs=epochs)
    return history.history["loss"]


# %%
CONV_EPOCHS = 3 if QUICK else 6
DENSE_EPOCHS = 2 if QUICK else 5
BATCH_SIZE = 32 if QUICK else 128   # quick mode: smaller batches, so few images still give enough steps

start = time.perf_counter()
conv_losses = train_autoencoder(conv_autoencoder, x_train, CONV_EPOCHS, learning_rate=3e-3,
                                batch_size=BATCH_SIZE)
conv_seconds_per_epoch = (time.perf_counter() - start) / CONV_EPOCHS
print(f"convolutional autoencoder: {conv_seconds_per_epoch:.1f} s per epoch")

# %% [markdown]
# For a fair comparison we train lesson 02's dense autoencoder here too, with the same
# recipe, and fit PCA with 32 components.

# %%
start = time.perf_counter()
dense_losses = train_autoencoder(dense_autoencoder, x_train, DENSE_EPOCHS, learning_rate=1e-3,
                                 batch_size=BATCH_SIZE)
dense_seconds_per_epoch = (time.perf_counter() - start) / DENSE_EPOCHS
print(f"dense autoencoder: {dense_seconds_per_epoch:.1f} s per epoch")

pca = PCA(n_components=LATENT_DIM, random_state=0).fit(train_images.reshape(len(train_images), -1))

# %%
fig = plot.training_curves({"convolutional": conv_losses, "dense": dense_losses},
                           panels={"Training curves, 32-number codes": ["convolutional", "dense"]},
                           ylabel="training loss (MSE per pixel)", logy=True, title=None, size=(6, 3.2))
plt.show()
assert conv_losses[-1] < conv_losses[0] and dense_losses[-1] < dense_losses[0]

# %% [markdown]
# ## 7. How good are the reconstructions?

# %%
reconstruct_conv = numpy_function(conv_autoencoder)
reconstruct_dense = numpy_function(dense_autoencoder)
flat_test = test_images.reshape(len(test_images), -1)
pca_reconstructions = pca.inverse_transform(pca.transform(flat_test)).reshape(test_images.shape)

test_mse = {
    "PCA, 32 components": reconstruction_mse(test_images, pca_reconstructions),
    "dense autoencoder": reconstruction_mse(x_test, reconstruct_dense(x_test)),
    "convolutional autoencoder": reconstruction_mse(x_test, reconstruct_conv(x_test)),
}
parameters = {"PCA, 32 components": pca.components_.size + pca.mean_.size,
              "dense autoencoder": dense_params, "convolutional autoencoder": conv_params}
print(f"{'model (32-number code)':28s} {'test MSE':>9s} {'parameters':>11s}")
for name, mse in test_mse.items():
    print(f"{name:28s} {mse:9.4f} {parameters[name]:11,d}")
print(f"\nconvolutional / PCA error: {test_mse['convolutional autoencoder'] / test_mse['PCA, 32 components']:.2f}; "
      f"convolutional / dense: {test_mse['convolutional autoencoder'] / test_mse['dense autoencoder']:.2f}")

# %%
show = slice(0, 10)
fig = plot.reconstructions(test_images[show], {"PCA-32": pca_reconstructions[show],
                                               "dense AE": reconstruct_dense(x_test[show]),
                                               "conv AE": reconstruct_conv(x_test[show])},
                           title="Test digits and their reconstructions from 32 numbers")
plt.show()

# %%
mean_digit_mse = reconstruction_mse(test_images, np.broadcast_to(train_images.mean(axis=0), test_images.shape))
assert test_mse["convolutional autoencoder"] < mean_digit_mse   # better than predicting the average digit
if not QUICK:
    assert test_mse["convolutional autoencoder"] <= 0.0060
    assert test_mse["convolutional autoencoder"] < test_mse["dense autoencoder"] < test_mse["PCA, 32 components"]

# %% [markdown]
# The convolutional autoencoder, with about a quarter of the dense one's parameters, makes
# a smaller error than both the dense autoencoder and PCA (the ratios are printed above). Look at
# thin strokes and the gaps in 4s and 9s in the figure: compare how each model draws them.
#
# ## 8. The code space
#
# Every test digit is now 32 numbers. To look at 32-dimensional points we project them onto
# their two main directions (PCA of the codes). Hover over a point to see its digit and its
# index in the test set; click a digit in the legend to hide it.

# %%
encode = numpy_function(encoder)
test_codes = encode(x_test)
train_codes = encode(x_train)
assert test_codes.shape == (len(x_test), LATENT_DIM) and np.all(np.isfinite(test_codes))

code_map = PCA(n_components=2, random_state=0).fit(train_codes)
projected = code_map.transform(test_codes)
n_shown = min(2_000, len(projected))   # a stratified sample keeps the saved notebook small
fig = plot.latent_scatter_interactive(projected, test_labels, max_points=n_shown,
                                      title=f"Codes of {n_shown:,} test digits, projected to 2-D "
                                            "(PCA of the codes)")
fig.update_layout(xaxis_title="code direction 1 (most variance)", yaxis_title="code direction 2",
                  width=650, height=500)
assert sum(len(trace.x) for trace in fig.data) == n_shown
fig

# %% [markdown]
# Digits of the same kind cluster, even though the autoencoder never saw a label, and
# similar-looking digits overlap: which ones, in your map? Two directions out of 32 lose a lot,
# though; the next experiment uses the full code.
#
# ### Similar digits: nearest neighbours in code space vs pixel space
#
# Give a test digit; find the training digits closest to it, once comparing raw pixels
# (784 numbers) and once comparing codes (32 numbers).

# %%
def nearest_training_digits(query_vectors, train_vectors, n_neighbors=5):
    """Indices (Q, n_neighbors) of the closest training vectors (Euclidean distance)."""
    search = NearestNeighbors(n_neighbors=n_neighbors).fit(train_vectors)
    return search.kneighbors(query_vectors, return_distance=False)


flat_train = train_images.reshape(len(train_images), -1)
queries = np.array([int(np.flatnonzero(test_labels == d)[1]) for d in range(10)])
pixel_neighbors = nearest_training_digits(flat_test[queries], flat_train)
code_neighbors = nearest_training_digits(test_codes[queries], train_codes)

grid, captions = [], []
for q, pix, cod in zip(queries, pixel_neighbors, code_neighbors):
    grid += [test_images[q], *train_images[pix], *train_images[cod]]
    captions += ["query"] + [f"pixels: {train_labels[i]}" for i in pix] + [f"code: {train_labels[i]}" for i in cod]
fig = plot.image_grid(np.stack(grid), captions=captions, ncols=11, size=0.9,
                      title="Each row: a query, its 5 nearest training digits by pixels, then by code")
plt.show()

# %% [markdown]
# How often do the neighbours have the query's label? Over many queries:

# %%
n_queries = min(1000, len(test_images))
start = time.perf_counter()
pixel_hits = train_labels[nearest_training_digits(flat_test[:n_queries], flat_train)] == test_labels[:n_queries, None]
pixel_seconds = time.perf_counter() - start
start = time.perf_counter()
code_hits = train_labels[nearest_training_digits(test_codes[:n_queries], train_codes)] == test_labels[:n_queries, None]
code_seconds = time.perf_counter() - start
print(f"5 nearest neighbours of {n_queries} test digits among {len(train_images):,} training digits:")
print(f"  pixel space (784 numbers): {pixel_hits.mean():.1%} share the label ({pixel_seconds:.2f} s)")
print(f"  code space   (32 numbers): {code_hits.mean():.1%} share the label ({code_seconds:.2f} s)")
assert pixel_hits.mean() > 0.5 and code_hits.mean() > 0.5

# %% [markdown]
# Compare the two percentages. The code was trained only to rebuild pixels, never to tell
# digits apart, yet its nearest neighbours share the query's label about as often as the
# neighbours in pixel space do (in our full-mode runs, slightly more often), with 25 times fewer
# numbers to compare per image. Lesson 06 shows how such codes help when labels are scarce.
#
# ## Check your understanding
#
# 1. A dense layer from a 64 × 64 image to 256 units has how many weights? A 3 × 3
#    convolution from 1 to 16 channels on the same image?

# %% [markdown] tags=["answer"]
# 64 × 64 × 256 + 256 = 1,048,832 for the dense layer; 1 × 16 × 9 + 16 = 160 for the
# convolution, the same as on a 28 × 28 image: a convolution's size does not depend on the
# image size.

# %% [markdown]
# 2. Why does our decoder use transposed convolutions with kernel 4 and stride 2, not kernel 3?

# %% [markdown] tags=["answer"]
# With kernel 3 and stride 2 the stamps of neighbouring input pixels overlap unevenly (some
# output pixels get two contributions, others one), which tends to produce checkerboard
# patterns. A kernel divisible by the stride overlaps evenly. Upsampling followed by a
# normal convolution is the other cure.

# %% [markdown]
# 3. A conv layer with kernel 5, stride 1, padding 2 keeps the size of a 28 × 28 image. What
# padding keeps the size for kernel 7?

# %% [markdown] tags=["answer"]
# n_out = n + 2p − k + 1 = n needs p = (k − 1) / 2, so p = 3 for kernel 7.

# %% [markdown]
# 4. The receptive field of the second convolution is 7 × 7. Would a third 3 × 3, stride-2
# convolution see the whole 28 × 28 digit?

# %% [markdown] tags=["answer"]
# No: r = 7 + (3 − 1) × 4 = 15 pixels. You would need more layers (a fourth gives 31), larger
# kernels, or, as in our encoder, a final dense layer that sees all feature maps at once.

# %% [markdown]
# ## Summary
#
# - A convolution reuses one small filter everywhere: 160 parameters for a layer the dense
#   network pays 200,960 for. Most parameters of our conv autoencoder sit in the two linear
#   layers next to the code.
# - Each conv layer sees a small receptive field; stacking layers with stride grows it
#   (r_next = r + (k − 1) j).
# - Strided convolutions halve the image; transposed convolutions double it. Choose a kernel
#   divisible by the stride (or upsample + conv) to avoid checkerboard artefacts.
# - With a 32-number code, the convolutional autoencoder beats both PCA-32 and the dense
#   autoencoder on test MSE (see the table in section 7), with fewer parameters than the dense one.
# - Its codes cluster by digit without seeing a label, and nearest neighbours in code space
#   (32 numbers per image instead of 784) mostly share the query's label (section 8).
#
# Next: **04 · denoising autoencoders**, where we feed corrupted digits and ask for clean ones.
#
# ## Exercises to try on your own
#
# 1. Replace the transposed convolutions of the decoder by `Upsample` / `UpSampling2D` + a 3 × 3
#    convolution. Does the test MSE change? Look closely at the reconstructions.
# 2. Use kernel 3, stride 2 transposed convolutions (in PyTorch with `output_padding=1`).
#    Train, then look for faint grids in the reconstructions of blank regions.
# 3. Shift the test digits by 3 pixels (`np.roll`) and measure the test MSE of the dense and the
#    convolutional autoencoder. Which one copes better, and why is neither fully robust?
# 4. Try a code of 8 numbers. How much worse is the conv AE, and how does the 2-D map change?
