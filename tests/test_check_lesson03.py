"""Lesson 03 checkers accept correct answers (written differently) and reject plausible wrong ones."""

import math

import numpy as np
import pytest

from aelab import check


def verdict(exercise_id, fn, framework=None):
    return check.run(exercise_id, fn, framework=framework, show=False)


# --- 03.conv_parameter_count ---------------------------------------------------------------

def test_parameter_count_accepts_correct_answers():
    assert verdict("03.conv_parameter_count", check.reference("03.conv_parameter_count")).passed
    assert verdict("03.conv_parameter_count", lambda i, o, k: o * (i * k ** 2 + 1)).passed
    assert verdict("03.conv_parameter_count", lambda i, o, k: float(i * o * k * k + o)).passed


@pytest.mark.parametrize("wrong", [
    lambda i, o, k: i * o * k * k,            # forgot the biases
    lambda i, o, k: i * o * k * k + i,        # one bias per input channel
    lambda i, o, k: i * o * k + o,            # k instead of k * k
    lambda i, o, k: (i + o) * k * k + o,      # adds channels instead of multiplying
    lambda i, o, k: o * k * k + o,            # ignores the input channels
    lambda i, o, k: None,                     # the stub
])
def test_parameter_count_rejects_wrong_answers(wrong):
    result = verdict("03.conv_parameter_count", wrong)
    assert not result.passed


# --- 03.conv_output_size --------------------------------------------------------------------

def test_output_size_accepts_correct_answers():
    assert verdict("03.conv_output_size", check.reference("03.conv_output_size")).passed
    assert verdict("03.conv_output_size",
                   lambda n, k, s=1, p=0: math.floor((n + 2 * p - k) / s) + 1).passed
    assert verdict("03.conv_output_size",
                   lambda n, k, s=1, p=0: int(np.floor((n - k + 2 * p) / s + 1))).passed


@pytest.mark.parametrize("wrong", [
    lambda n, k, s=1, p=0: (n + 2 * p - k) / s + 1,            # no rounding down
    lambda n, k, s=1, p=0: math.ceil((n + 2 * p - k) / s) + 1,  # rounds up
    lambda n, k, s=1, p=0: (n + p - k) // s + 1,               # padding on one side only
    lambda n, k, s=1, p=0: (n + 2 * p - k) // s,               # forgot + 1
    lambda n, k, s=1, p=0: n // s,                             # "same" padding assumed
    lambda n, k, s=1, p=0: (n - 1) * s - 2 * p + k,            # the transposed formula
    lambda n, k, s, p: (n + 2 * p - k) // s + 1,               # no defaults
    lambda n, k, s=1, p=0: None,
])
def test_output_size_rejects_wrong_answers(wrong):
    assert not verdict("03.conv_output_size", wrong).passed


def test_output_size_hint_names_rounding():
    result = verdict("03.conv_output_size", lambda n, k, s=1, p=0: (n + 2 * p - k) / s + 1)
    assert "//" in result.message


# --- 03.conv_transpose_output_size ----------------------------------------------------------

def test_transpose_size_accepts_correct_answers():
    ref = check.reference("03.conv_transpose_output_size")
    assert verdict("03.conv_transpose_output_size", ref).passed
    assert verdict("03.conv_transpose_output_size",
                   lambda n, k, s=1, p=0, op=0: s * n - s + k - p - p + op).passed


@pytest.mark.parametrize("wrong", [
    lambda n, k, s=1, p=0, op=0: n * s,                          # "same"-style doubling only
    lambda n, k, s=1, p=0, op=0: (n - 1) * s + k + op,           # forgot the padding
    lambda n, k, s=1, p=0, op=0: (n - 1) * s - 2 * p + k,        # forgot output_padding
    lambda n, k, s=1, p=0, op=0: n * s - 2 * p + k + op,         # n instead of n - 1
    lambda n, k, s=1, p=0, op=0: (n - 1) * s - p + k + op,       # padding on one side only
    lambda n, k, s=1, p=0, op=0: (n + 2 * p - k) // s + 1,       # the forward formula
    lambda n, k, s=1, p=0, op=0: None,
])
def test_transpose_size_rejects_wrong_answers(wrong):
    assert not verdict("03.conv_transpose_output_size", wrong).passed


# --- 03.build_decoder (both frameworks) -----------------------------------------------------

def torch_decoders():
    import torch
    from torch import nn

    def correct_other_style(latent_dim):
        class Decoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(latent_dim, 1568)
                self.up1 = nn.ConvTranspose2d(32, 16, 4, 2, 1)
                self.up2 = nn.ConvTranspose2d(16, 1, 4, 2, 1)

            def forward(self, z):
                h = torch.relu(self.fc(z)).view(-1, 32, 7, 7)
                return torch.sigmoid(self.up2(torch.relu(self.up1(h))))
        return Decoder()

    def no_sigmoid(latent_dim):
        return nn.Sequential(nn.Linear(latent_dim, 1568), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
                             nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(),
                             nn.ConvTranspose2d(16, 1, 4, 2, 1))

    def kernel3_no_output_padding(latent_dim):   # 7 -> 13 -> 25
        return nn.Sequential(nn.Linear(latent_dim, 1568), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
                             nn.ConvTranspose2d(32, 16, 3, 2, 1), nn.ReLU(),
                             nn.ConvTranspose2d(16, 1, 3, 2, 1), nn.Sigmoid())

    def fixed_latent(latent_dim):                  # ignores latent_dim
        return nn.Sequential(nn.Linear(32, 1568), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
                             nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(),
                             nn.ConvTranspose2d(16, 1, 4, 2, 1), nn.Sigmoid())

    def dense_only(latent_dim):
        return nn.Sequential(nn.Linear(latent_dim, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)))

    def upsample_wider(latent_dim):                # right shape, not the mirror (64 channels)
        return nn.Sequential(nn.Linear(latent_dim, 64 * 49), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
                             nn.ConvTranspose2d(64, 16, 4, 2, 1), nn.ReLU(),
                             nn.ConvTranspose2d(16, 1, 4, 2, 1), nn.Sigmoid())

    def returns_class(latent_dim):
        return nn.Sequential

    return correct_other_style, [no_sigmoid, kernel3_no_output_padding, fixed_latent, dense_only,
                                 upsample_wider, returns_class, lambda d: None]


def test_build_decoder_torch():
    pytest.importorskip("torch")
    correct, wrongs = torch_decoders()
    assert verdict("03.build_decoder", check.reference("03.build_decoder", "torch"), "torch").passed
    assert verdict("03.build_decoder", correct, "torch").passed
    for wrong in wrongs:
        result = verdict("03.build_decoder", wrong, "torch")
        assert not result.passed, wrong.__name__


def test_build_decoder_keras():
    pytest.importorskip("tensorflow")
    import keras
    from keras import layers

    def correct_functional(latent_dim):
        z = keras.Input((latent_dim,))
        h = layers.Reshape((7, 7, 32))(layers.Dense(1568, activation="relu")(z))
        h = layers.Conv2DTranspose(16, 4, strides=2, padding="same")(h)
        h = layers.Activation("relu")(h)
        out = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid")(h)
        return keras.Model(z, out)

    def no_sigmoid(latent_dim):
        return keras.Sequential([keras.Input((latent_dim,)), layers.Dense(1568, activation="relu"),
                                 layers.Reshape((7, 7, 32)),
                                 layers.Conv2DTranspose(16, 4, strides=2, padding="same", activation="relu"),
                                 layers.Conv2DTranspose(1, 4, strides=2, padding="same")])

    def valid_padding(latent_dim):                 # 7 -> 16 -> 34
        return keras.Sequential([keras.Input((latent_dim,)), layers.Dense(1568, activation="relu"),
                                 layers.Reshape((7, 7, 32)),
                                 layers.Conv2DTranspose(16, 4, strides=2, activation="relu"),
                                 layers.Conv2DTranspose(1, 4, strides=2, activation="sigmoid")])

    def channels_first(latent_dim):
        return keras.Sequential([keras.Input((latent_dim,)), layers.Dense(784, activation="sigmoid"),
                                 layers.Reshape((1, 28, 28))])

    def kernel3(latent_dim):                       # right shape with "same", but not the mirror
        return keras.Sequential([keras.Input((latent_dim,)), layers.Dense(1568, activation="relu"),
                                 layers.Reshape((7, 7, 32)),
                                 layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),
                                 layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid")])

    def upsampling_only(latent_dim):               # right shape and range, no transposed conv
        return keras.Sequential([keras.Input((latent_dim,)), layers.Dense(1568, activation="relu"),
                                 layers.Reshape((7, 7, 32)), layers.UpSampling2D(4),
                                 layers.Conv2D(1, 3, padding="same", activation="sigmoid")])

    assert verdict("03.build_decoder", check.reference("03.build_decoder", "keras"), "keras").passed
    assert verdict("03.build_decoder", correct_functional, "keras").passed
    for wrong in (no_sigmoid, valid_padding, channels_first, kernel3, upsampling_only,
                  lambda d: None, lambda d: "decoder"):
        assert not verdict("03.build_decoder", wrong, "keras").passed, getattr(wrong, "__name__", wrong)


def test_reference_models_have_the_documented_shapes():
    pytest.importorskip("torch")
    import torch

    from aelab.models.conv_torch import ConvAutoencoder

    model = ConvAutoencoder(32)
    images = torch.rand(3, 1, 28, 28)
    assert model.encoder(images).shape == (3, 32)
    with torch.no_grad():
        out = model(images)
    assert out.shape == (3, 1, 28, 28) and float(out.min()) >= 0 and float(out.max()) <= 1
    assert sum(p.numel() for p in model.parameters()) == 115_217
    with pytest.raises(ValueError, match="latent_dim"):
        ConvAutoencoder(0)


def test_reference_keras_model_has_the_documented_shapes():
    pytest.importorskip("tensorflow")
    from aelab.models.conv_keras import conv_autoencoder

    model, encoder, decoder = conv_autoencoder(32)
    images = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    assert tuple(encoder(images).shape) == (3, 32)
    assert tuple(model(images).shape) == (3, 28, 28, 1)
    assert model.count_params() == 115_217
    with pytest.raises(ValueError, match="latent_dim"):
        conv_autoencoder(-1)
