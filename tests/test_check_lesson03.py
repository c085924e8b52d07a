"""Lesson 03 checkers accept correct answers (written differently) and reject plausible wrong
ones with a message that names the mistake.

The size and count exercises are plain Python; ``03.build_decoder`` runs in one fresh process
per framework (a process never imports both PyTorch and TensorFlow), which defines every
variant below, checks it and reports the verdicts.
"""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import verdicts_in_subprocess

from aelab import check


def verdict(exercise_id, fn, framework=None):
    return check.run(exercise_id, fn, framework=framework, show=False)


def rejects(exercise_id, fn, words):
    result = verdict(exercise_id, fn)
    assert not result.passed
    assert words in result.message, result.message
    assert result.hint and "check.hint(" in str(result)  # a failed attempt offers the hint


# --- 03.conv_parameter_count ---------------------------------------------------------------

def test_parameter_count_accepts_correct_answers():
    assert verdict("03.conv_parameter_count", check.reference("03.conv_parameter_count")).passed
    assert verdict("03.conv_parameter_count", lambda i, o, k: o * (i * k ** 2 + 1)).passed
    assert verdict("03.conv_parameter_count", lambda i, o, k: float(i * o * k * k + o)).passed
    assert verdict("03.conv_parameter_count", lambda i, o, k: np.int64(i * o * k * k + o)).passed


@pytest.mark.parametrize("wrong, words", [
    (lambda i, o, k: i * o * k * k, "forgot the biases"),
    (lambda i, o, k: i * o * k * k + i, "one bias per *input* channel"),
    (lambda i, o, k: i * o * k * k + 1, "one bias for the whole layer"),
    (lambda i, o, k: i * o * k * k + o * k * k, "a bias per weight"),
    (lambda i, o, k: i * o * k + o, "k * k, not k"),
    (lambda i, o, k: (i + o) * k * k + o, "multiply the channel counts"),
    (lambda i, o, k: o * k * k + o, "multiply by in_channels too"),
    (lambda i, o, k: i * k * k + o, "multiply by out_channels too"),
    (lambda i, o, k: i * o * k * k + o + 1, "conv_parameter_count(1, 16, 3): you returned 161, expected 160"),
    (lambda i, o, k: (i * o * k * k, o), "a tuple of 2 values"),
    (lambda i, o, k: str(i * o * k * k + o), "a str"),
    (lambda i, o, k: None, "returned None"),
], ids=["no bias", "bias per input", "one bias", "bias per weight", "k not k*k", "adds channels",
        "no in_channels", "no out_channels", "off by one", "tuple", "string", "stub"])
def test_parameter_count_names_the_mistake(wrong, words):
    rejects("03.conv_parameter_count", wrong, words)


# --- 03.conv_output_size --------------------------------------------------------------------

@pytest.mark.parametrize("correct", [
    check.reference("03.conv_output_size"),
    lambda n, k, s=1, p=0: math.floor((n + 2 * p - k) / s) + 1,
    lambda n, k, s=1, p=0: int(np.floor((n - k + 2 * p) / s + 1)),
    lambda n, k, s=1, p=0: int((n + 2 * p - k) / s) + 1,          # truncation = floor here
    lambda size, kernel_size, stride=1, padding=0: (size - kernel_size + 2 * padding) // stride + 1,
])
def test_output_size_accepts_correct_answers(correct):
    assert verdict("03.conv_output_size", correct).passed


@pytest.mark.parametrize("wrong, words", [
    (lambda n, k, s=1, p=0: (n + 2 * p - k) / s + 1, "use floor division `//`"),
    (lambda n, k, s=1, p=0: math.ceil((n + 2 * p - k) / s) + 1, "you round up"),
    (lambda n, k, s=1, p=0: round((n + 2 * p - k) / s) + 1, "round to the nearest"),
    (lambda n, k, s=1, p=0: (n + p - k) // s + 1, "add the padding once"),
    (lambda n, k, s=1, p=0: (n + 2 * p - k) // s, "forgot the + 1"),
    (lambda n, k, s=1, p=0: (n + 2 * p - k) // s + 2, "one too high"),
    (lambda n, k, s=1, p=0: -(-n // s), "padding=\"same\""),
    (lambda n, k, s=1, p=0: n // s, "divide the size by the stride only"),
    (lambda n, k, s=1, p=0: (n - 1) * s - 2 * p + k, "*transposed* convolution's formula"),
    (lambda n, k, s=1, p=0: (n - 2 * p + k) // s + 1, "signs are swapped"),
    (lambda n, k, s=1, p=0: (n + 2 * p - k + 1) // s + 1, "off-by-one in the numerator"),
    (lambda n, k, s, p: (n + 2 * p - k) // s + 1, "give the optional arguments their defaults (stride=1, padding=0)"),
    (lambda n, k, s, p=0: (n + 2 * p - k) // s + 1, "give the optional arguments their defaults"),
    (lambda n, k, s=2, p=0: (n + 2 * p - k) // s + 1, "Check the defaults: stride=1, padding=0"),
    (lambda n, k, s=1, p=1: (n + 2 * p - k) // s + 1, "Check the defaults"),
    (lambda n, k, s=1, p=0: [(n + 2 * p - k) // s + 1], "a list of 1 values"),
    (lambda n, k, s=1, p=0: None, "returned None"),
], ids=["true division", "ceil", "round", "padding once", "no +1", "+2", "same padding",
        "n // s", "transposed formula", "swapped signs", "numerator + 1", "no defaults", "no stride default",
        "stride default 2", "padding default 1", "list", "stub"])
def test_output_size_names_the_mistake(wrong, words):
    rejects("03.conv_output_size", wrong, words)


# --- 03.conv_transpose_output_size ----------------------------------------------------------

@pytest.mark.parametrize("correct", [
    check.reference("03.conv_transpose_output_size"),
    lambda n, k, s=1, p=0, op=0: s * n - s + k - p - p + op,
    lambda n, k, s=1, p=0, op=0: float((n - 1) * s + k - 2 * p + op),
])
def test_transpose_size_accepts_correct_answers(correct):
    assert verdict("03.conv_transpose_output_size", correct).passed


@pytest.mark.parametrize("wrong, words", [
    (lambda n, k, s=1, p=0, op=0: (n - 1) * s + k + op, "forgot the padding"),
    (lambda n, k, s=1, p=0, op=0: (n - 1) * s - p + k + op, "subtract the padding once"),
    (lambda n, k, s=1, p=0, op=0: (n - 1) * s - 2 * p + k, "forgot output_padding"),
    (lambda n, k, s=1, p=0, op=0: (n - 1) * s - 2 * p + k + 2 * op, "not twice"),
    (lambda n, k, s=1, p=0, op=0: (n - 1) * s - 2 * p + k - op, "*adds* rows"),
    (lambda n, k, s=1, p=0, op=0: (n - 1) * s - 2 * p + k + op * s, "not of strides"),
    (lambda n, k, s=1, p=0, op=0: n * s - 2 * p + k + op, "(size - 1) * stride"),
    (lambda n, k, s=1, p=0, op=0: (n - 1) * s - 2 * p + k + op - 1, "one too low"),
    (lambda n, k, s=1, p=0, op=0: (n - 1) * s - 2 * p + k + op + 1, "one too high"),
    (lambda n, k, s=1, p=0, op=0: n * s + op, "padding=\"same\" (size * stride)"),
    (lambda n, k, s=1, p=0, op=0: n * s, "padding=\"same\""),
    (lambda n, k, s=1, p=0, op=0: (n + 2 * p - k) // s + 1, "(forward) convolution's formula"),
    (lambda n, k, s=1, p=0, op=0: (n - 1) * s - 2 * p + k + op + 0.5, "not a whole number"),
    (lambda n, k, s=1, p=0, op=1: (n - 1) * s - 2 * p + k + op, "Check the defaults: stride=1, padding=0, output_padding=0"),
    (lambda n, k, s=1, p=1, op=0: (n - 1) * s - 2 * p + k + op, "Check the defaults"),
    (lambda n, k, s, p, op: (n - 1) * s - 2 * p + k + op, "give the optional arguments their defaults"),
    (lambda n, k, s=1, p=0, op=0: None, "returned None"),
], ids=["no padding", "padding once", "no output_padding", "output_padding twice",
        "output_padding subtracted", "output_padding times stride", "n not n-1", "minus one",
        "plus one", "same padding plus output_padding",
        "same padding", "forward formula", "half", "output_padding default 1", "padding default 1",
        "no defaults", "stub"])
def test_transpose_size_names_the_mistake(wrong, words):
    rejects("03.conv_transpose_output_size", wrong, words)


# --- 03.build_decoder (both frameworks, one process each) -----------------------------------

TORCH_PRELUDE = """
import numpy as np, torch
from torch import nn
import torch.nn.functional as F
"""
KERAS_PRELUDE = """
import os
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import numpy as np, keras
from keras import layers, ops
"""

# A torch decoder from the mirror decoder's layers with one thing changed (None: the mirror).
TORCH_MIRROR = """
def mirror(d, hidden=nn.ReLU, middle=nn.ReLU, final=nn.Sigmoid, up1=(32, 16, 4, 2, 1), up2=(16, 1, 4, 2, 1), bias=True):
    return nn.Sequential(nn.Linear(d, 1568, bias=bias), hidden(), nn.Unflatten(1, (32, 7, 7)),
                         nn.ConvTranspose2d(*up1), middle(), nn.ConvTranspose2d(*up2), final())
"""
KERAS_MIRROR = """
def mirror(d, hidden="relu", middle="relu", final="sigmoid", k=4, padding="same", reshape=(7, 7, 32), extra=()):
    return keras.Sequential([keras.Input((d,)), layers.Dense(1568, activation=hidden), layers.Reshape(reshape),
                             *extra,
                             layers.Conv2DTranspose(16, k, strides=2, padding=padding, activation=middle),
                             layers.Conv2DTranspose(1, k, strides=2, padding=padding, activation=final)])
"""

# name -> (True for a correct answer, else words its message must contain; source defining fn)
DECODERS = {
    "torch": {
        "reference": (True, "from aelab.models.conv_torch import build_decoder as fn"),
        "custom Module with view": (True, """
def fn(latent_dim):
    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(latent_dim, 1568)
            self.up2 = nn.ConvTranspose2d(16, 1, 4, 2, 1)     # registered before up1
            self.up1 = nn.ConvTranspose2d(32, 16, 4, 2, 1)

        def forward(self, z):
            h = torch.relu(self.fc(z)).view(-1, 32, 7, 7)
            return torch.sigmoid(self.up2(F.relu(self.up1(h))))
    return Decoder()
"""),
        "a class taking latent_dim": (True, """
class fn(nn.Module):
    def __init__(self, latent_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent_dim, 32 * 7 * 7), nn.ReLU(inplace=True),
                                 nn.Unflatten(1, (32, 7, 7)),
                                 nn.ConvTranspose2d(32, 16, kernel_size=4, stride=2, padding=1),
                                 nn.ReLU(inplace=True),
                                 nn.ConvTranspose2d(16, 1, kernel_size=4, stride=2, padding=1))

    def forward(self, z):
        return torch.sigmoid(self.net(z))
"""),
        "reshape then permute, done right": (True, """
def fn(d):
    class D(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.up1, self.up2 = nn.Linear(d, 1568), nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ConvTranspose2d(16, 1, 4, 2, 1)
        def forward(self, z):
            h = F.relu(self.fc(z)).reshape(len(z), 32, 49).reshape(len(z), 32, 7, 7)
            return 1 / (1 + torch.exp(-self.up2(F.relu(self.up1(h)))))
    return D()
"""),
        "no hidden ReLU": ("no ReLU after the linear layer", "def fn(d):\n    return mirror(d, hidden=nn.Identity)"),
        "no middle ReLU": ("no ReLU after the first transposed convolution", "def fn(d):\n    return mirror(d, middle=nn.Identity)"),
        "no ReLU at all": ("there is no ReLU in the decoder", "def fn(d):\n    return mirror(d, hidden=nn.Identity, middle=nn.Identity)"),
        "no sigmoid": ("has no sigmoid", "def fn(d):\n    return mirror(d, final=nn.Identity)"),
        "tanh at the end": ("ends with tanh", "def fn(d):\n    return mirror(d, final=nn.Tanh)"),
        "clamp at the end": ("clipped to [0, 1]", "def fn(d):\n    return mirror(d, final=lambda: nn.Hardtanh(0, 1))"),
        "softmax at the end": ("softmax", "def fn(d):\n    return mirror(d, final=lambda: nn.Softmax(dim=-1))"),
        "hardsigmoid at the end": ("hard sigmoid", "def fn(d):\n    return mirror(d, final=nn.Hardsigmoid)"),
        "relu at the end": ("ends with a ReLU", "def fn(d):\n    return mirror(d, final=nn.ReLU)"),
        "two sigmoids": ("squashed twice", "def fn(d):\n    return mirror(d, final=lambda: nn.Sequential(nn.Sigmoid(), nn.Sigmoid()))"),
        "tanh hidden": ("use tanh instead of ReLU", "def fn(d):\n    return mirror(d, hidden=nn.Tanh, middle=nn.Tanh)"),
        "leaky hidden": ("leaky ReLU", "def fn(d):\n    return mirror(d, hidden=nn.LeakyReLU, middle=nn.LeakyReLU)"),
        "ReLU before the linear layer": ("*before* the linear layer", "def fn(d):\n    return nn.Sequential(nn.ReLU(), nn.Linear(d, 1568), nn.Unflatten(1, (32, 7, 7)), nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(16, 1, 4, 2, 1), nn.Sigmoid())"),
        "sigmoid before the last conv": ("sigmoid comes before the last transposed convolution", "def fn(d):\n    return nn.Sequential(nn.Linear(d, 1568), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)), nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.Sigmoid(), nn.ConvTranspose2d(16, 1, 4, 2, 1))"),
        "channels-last reshape, permuted": ("reshaped in the wrong order", """
def fn(d):
    class D(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.up1, self.up2 = nn.Linear(d, 1568), nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ConvTranspose2d(16, 1, 4, 2, 1)
        def forward(self, z):
            h = F.relu(self.fc(z)).view(-1, 7, 7, 32).permute(0, 3, 1, 2)
            return torch.sigmoid(self.up2(F.relu(self.up1(h))))
    return D()
"""),
        "channels-last reshape": ("expects them ((N, 32, 7, 7))", "def fn(d):\n    return nn.Sequential(nn.Linear(d, 1568), nn.ReLU(), nn.Unflatten(1, (7, 7, 32)), nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(16, 1, 4, 2, 1), nn.Sigmoid())"),
        "channels last at the end": ("PyTorch images are channels first", "def fn(d):\n    return nn.Sequential(mirror(d), nn.Flatten(), nn.Unflatten(1, (28, 28, 1)))"),
        "kernel 3, no output_padding": ("Your transposed convolutions: 32 -> 16 channels, kernel 3, stride 2, padding 1, output_padding 0", "def fn(d):\n    return mirror(d, up1=(32, 16, 3, 2, 1), up2=(16, 1, 3, 2, 1))"),
        "kernel 3, output_padding 1": ("should have shape (32, 16, 4, 4)", "def fn(d):\n    return nn.Sequential(nn.Linear(d, 1568), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)), nn.ConvTranspose2d(32, 16, 3, 2, 1, output_padding=1), nn.ReLU(), nn.ConvTranspose2d(16, 1, 3, 2, 1, output_padding=1), nn.Sigmoid())"),
        "padding 0": ("padding 0", "def fn(d):\n    return mirror(d, up1=(32, 16, 4, 2, 0), up2=(16, 1, 4, 2, 0))"),
        "stride 1 then upsample": ("computes other pixels", "def fn(d):\n    return nn.Sequential(nn.Linear(d, 1568), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)), nn.Upsample(scale_factor=2), nn.ConvTranspose2d(32, 16, 4, 1, 2), nn.ReLU(), nn.Upsample(scale_factor=2), nn.ConvTranspose2d(16, 1, 4, 1, 1), nn.Sigmoid(), nn.Upsample(size=(28, 28)))"),
        "ordinary Conv2d instead of transposed": ("ordinary nn.Conv2d with weight (16, 32, 4, 4)", "def fn(d):\n    return nn.Sequential(nn.Linear(d, 1568), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)), nn.Conv2d(32, 16, 4, 1, 1), nn.Upsample(size=(14, 14)), nn.ReLU(), nn.ConvTranspose2d(16, 1, 4, 2, 1), nn.Sigmoid())"),
        "no bias in the linear layer": ("bias=False", "def fn(d):\n    return mirror(d, bias=False)"),
        "wider (64 channels)": ("should have shape (1568, 32)", "def fn(d):\n    return nn.Sequential(nn.Linear(d, 64 * 49), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)), nn.ConvTranspose2d(64, 16, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(16, 1, 4, 2, 1), nn.Sigmoid())"),
        "batch norm added": ("extra parameters", "def fn(d):\n    return mirror(d, middle=lambda: nn.Sequential(nn.BatchNorm2d(16), nn.ReLU()))"),
        "fixed latent size": ("Does the first layer take `latent_dim` inputs", "def fn(d):\n    return mirror(32)"),
        "dense only, wrong shape": ("has no transposed convolution", "def fn(d):\n    return nn.Sequential(nn.Linear(d, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 14, 56)))"),
        "tanh after the linear layer": ("the layer after the linear layer uses tanh", "def fn(d):\n    return mirror(d, hidden=nn.Tanh)"),
        "sigmoid after the first transposed conv": ("is a sigmoid instead of ReLU", "def fn(d):\n    return mirror(d, middle=nn.Sigmoid)"),
        "dense only": ("has no transposed convolution", "def fn(d):\n    return nn.Sequential(nn.Linear(d, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)))"),
        "returns the class": ("the class Sequential itself", "def fn(d):\n    return nn.Sequential"),
        "returns a list of layers": ("wrap them in one model, nn.Sequential", "def fn(d):\n    return [nn.Linear(d, 1568), nn.ReLU()]"),
        "returns (decoder, latent_dim)": ("a tuple of 2 values", "def fn(d):\n    return mirror(d), d"),
        "returns a builder": ("a function", "def fn(d):\n    return lambda: mirror(d)"),
        "an instance passed": ("you passed a model instance (Sequential)", "fn = TORCH_MIRROR_INSTANCE"),
        "forward returns a tuple": ("forward pass returned a tuple of 2 values", """
def fn(d):
    class D(nn.Module):
        def __init__(self):
            super().__init__()
            self.m = mirror(d)
        def forward(self, z):
            return self.m(z), z
    return D()
"""),
        "stub": ("returned None", "def fn(d):\n    return None"),
    },
    "keras": {
        "reference": (True, "from aelab.models.conv_keras import build_decoder as fn"),
        "functional, separate activations": (True, """
def fn(latent_dim):
    z = keras.Input((latent_dim,))
    h = layers.Reshape((7, 7, 32))(layers.ReLU()(layers.Dense(1568)(z)))
    h = layers.Conv2DTranspose(16, 4, strides=2, padding="same")(h)
    h = layers.Activation("relu")(h)
    out = layers.Activation("sigmoid")(layers.Conv2DTranspose(1, 4, strides=2, padding="same")(h))
    return keras.Model(z, out)
"""),
        "valid padding, then cropping": (True, "def fn(d):\n    return keras.Sequential([keras.Input((d,)), layers.Dense(1568, activation='relu'), layers.Reshape((7, 7, 32)), layers.Conv2DTranspose(16, 4, strides=2, activation='relu'), layers.Cropping2D(1), layers.Conv2DTranspose(1, 4, strides=2), layers.Cropping2D(1), layers.Activation('sigmoid')])"),
        "subclassed model": (True, """
class Decoder(keras.Model):
    def __init__(self, latent_dim):
        super().__init__()
        self.dense = layers.Dense(1568, activation="relu")
        self.up1 = layers.Conv2DTranspose(16, 4, strides=2, padding="same", activation="relu")
        self.up2 = layers.Conv2DTranspose(1, 4, strides=2, padding="same")

    def call(self, z):
        return ops.sigmoid(self.up2(self.up1(ops.reshape(self.dense(z), (-1, 7, 7, 32)))))

def fn(latent_dim):
    return Decoder(latent_dim)
"""),
        "no hidden ReLU": ("no ReLU after the linear layer", "def fn(d):\n    return mirror(d, hidden=None)"),
        "no middle ReLU": ("no ReLU after the first transposed convolution", "def fn(d):\n    return mirror(d, middle=None)"),
        "no sigmoid": ("has no sigmoid", "def fn(d):\n    return mirror(d, final=None)"),
        "tanh at the end": ("ends with tanh", "def fn(d):\n    return mirror(d, final='tanh')"),
        "softmax at the end": ("softmax", "def fn(d):\n    return mirror(d, final='softmax')"),
        "hard_sigmoid at the end": ("hard sigmoid", "def fn(d):\n    return mirror(d, final='hard_sigmoid')"),
        "clip at the end": ("clipped to [0, 1]", "def fn(d):\n    return keras.Sequential([mirror(d, final=None), layers.ReLU(max_value=1.0)])"),
        "elu hidden": ("ELU instead of ReLU", "def fn(d):\n    return mirror(d, hidden='elu', middle='elu')"),
        "gelu hidden": ("GELU instead of ReLU", "def fn(d):\n    return mirror(d, hidden='gelu', middle='gelu')"),
        "sigmoid hidden": ("use a sigmoid instead of ReLU", "def fn(d):\n    return mirror(d, hidden='sigmoid', middle='sigmoid')"),
        "channels-first reshape, permuted": ("reshaped in the wrong order", "def fn(d):\n    return mirror(d, reshape=(32, 7, 7), extra=[layers.Permute((2, 3, 1))])"),
        "channels-first reshape": ("your reshape makes (32, 7, 7)", "def fn(d):\n    return mirror(d, reshape=(32, 7, 7))"),
        "valid padding": ("padding=\"valid\"", "def fn(d):\n    return mirror(d, padding='valid')"),
        "kernel 3": ("should have shape (4, 4, 16, 32)", "def fn(d):\n    return mirror(d, k=3)"),
        "channels first output": ("Keras images are channels last", "def fn(d):\n    return keras.Sequential([mirror(d), layers.Permute((3, 1, 2))])"),
        "no bias": ("use_bias=False", "def fn(d):\n    return keras.Sequential([keras.Input((d,)), layers.Dense(1568, activation='relu'), layers.Reshape((7, 7, 32)), layers.Conv2DTranspose(16, 4, strides=2, padding='same', activation='relu', use_bias=False), layers.Conv2DTranspose(1, 4, strides=2, padding='same', activation='sigmoid')])"),
        "upsampling only": ("has no transposed convolution", "def fn(d):\n    return keras.Sequential([keras.Input((d,)), layers.Dense(1568, activation='relu'), layers.Reshape((7, 7, 32)), layers.UpSampling2D(4), layers.Conv2D(1, 3, padding='same', activation='sigmoid')])"),
        "single layer returned": ("a single Keras layer (Dense)", "def fn(d):\n    return layers.Dense(784)"),
        "returns a list of layers": ("wrap them in one model, keras.Sequential", "def fn(d):\n    return [layers.Dense(1568), layers.Reshape((7, 7, 32))]"),
        "returns the class": ("the class Sequential itself", "def fn(d):\n    return keras.Sequential"),
        "an instance passed": ("you passed a model instance (Sequential)", "from aelab.models.conv_keras import build_decoder\nfn = build_decoder(32)"),
        "returns a string": ("a str", "def fn(d):\n    return 'decoder'"),
        "stub": ("returned None", "def fn(d):\n    return None"),
    },
}

RUNNER = """
import json, sys
{prelude}
from aelab import check
variants = json.loads(sys.stdin.read())
verdicts = {{}}
for name, (_, source) in variants.items():
    namespace = {{}}
    exec(compile({prelude!r} + {mirror!r} + "TORCH_MIRROR_INSTANCE = None\\n", "prelude", "exec"), namespace)
    if "{framework}" == "torch":
        namespace["TORCH_MIRROR_INSTANCE"] = namespace["mirror"](32)
    exec(compile(source, name, "exec"), namespace)
    result = check.run("03.build_decoder", namespace["fn"], framework="{framework}", show=False)
    verdicts[name] = [result.passed, str(result)]
print("VERDICTS" + json.dumps(verdicts))
"""


@pytest.fixture(scope="module")
def decoder_verdicts():
    """framework -> {variant name: [passed, message]}, computed once per framework."""
    cache = {}

    def get(framework):
        if framework not in cache:
            prelude = TORCH_PRELUDE if framework == "torch" else KERAS_PRELUDE
            mirror = TORCH_MIRROR if framework == "torch" else KERAS_MIRROR
            script = RUNNER.format(prelude=prelude, mirror=mirror, framework=framework)
            cache[framework] = verdicts_in_subprocess(script, DECODERS[framework])
        return cache[framework]

    return get


DECODER_CASES = [(fw, name, expect) for fw, cases in DECODERS.items()
                 for name, (expect, _) in cases.items()]


@pytest.mark.parametrize("framework, name, expect", DECODER_CASES,
                         ids=[f"{fw}-{name}" for fw, name, _ in DECODER_CASES])
def test_build_decoder(decoder_verdicts, framework, name, expect):
    passed, message = decoder_verdicts(framework)[name]
    if expect is True:
        assert passed, f"{name}: {message}"
    else:
        assert not passed, name
        assert expect in message, message
        assert "check.hint(" in message  # a failed attempt offers the hint


def test_reference_decoder_has_the_documented_shapes():
    code = """
import torch
from aelab.models.conv_torch import build_decoder
decoder = build_decoder(32)
with torch.no_grad():
    out = decoder(torch.randn(3, 32))
assert out.shape == (3, 1, 28, 28) and float(out.min()) >= 0 and float(out.max()) <= 1
assert sum(p.numel() for p in decoder.parameters()) == 60_209
try:
    build_decoder(0)
except ValueError as err:
    assert "latent_dim" in str(err)
else:
    raise AssertionError("build_decoder(0) did not raise")
print("OK")
"""
    assert _python(code).strip().endswith("OK")


def test_reference_keras_decoder_has_the_documented_shapes():
    code = """
import numpy as np
from aelab.models.conv_keras import build_decoder
decoder = build_decoder(32)
out = np.asarray(decoder(np.random.default_rng(0).standard_normal((3, 32)).astype(np.float32)))
assert out.shape == (3, 28, 28, 1) and out.min() >= 0 and out.max() <= 1
assert decoder.count_params() == 60_209
try:
    build_decoder(-1)
except ValueError as err:
    assert "latent_dim" in str(err)
else:
    raise AssertionError("build_decoder(-1) did not raise")
print("OK")
"""
    assert _python(code).strip().endswith("OK")


def _python(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


# --- 03.build_conv_encoder (both frameworks, one process each) -------------------------------

TORCH_CONV = """
def convs(c, k=3, s=2, p=1, mid=16, act=nn.ReLU, final=nn.ReLU, bias=True):
    return nn.Sequential(nn.Conv2d(1, mid, k, stride=s, padding=p, bias=bias), act(),
                         nn.Conv2d(mid, c, k, stride=s, padding=p, bias=bias), final())
"""
KERAS_CONV = """
def convs(c, k=3, s=2, padding="same", mid=16, act="relu", final="relu", bias=True):
    return keras.Sequential([keras.Input((28, 28, 1)),
                             layers.Conv2D(mid, k, strides=s, padding=padding, activation=act, use_bias=bias),
                             layers.Conv2D(c, k, strides=s, padding=padding, activation=final, use_bias=bias)])
"""

# name -> (True for a correct answer, else words its message must contain; source defining fn)
ENCODERS = {
    "torch": {
        "reference": (True, "from aelab.models.conv_torch import build_conv_encoder as fn"),
        "subclassed, functional ReLU": (True, """
class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 2, 1)
        self.conv2 = nn.Conv2d(16, c, 3, 2, 1)
    def forward(self, x):
        return F.relu(self.conv2(F.relu(self.conv1(x))))

def fn(out_channels):
    return Encoder(out_channels)
"""),
        "explicit padding layers": (True, "def fn(c):\n    return nn.Sequential(nn.ZeroPad2d(1), nn.Conv2d(1, 16, 3, 2), nn.ReLU(inplace=True), nn.ZeroPad2d(1), nn.Conv2d(16, c, 3, 2), nn.ReLU(inplace=True))"),
        "stub": ("returned None", "def fn(c):\n    return None"),
        "one stride-2 conv": ("halved once", "def fn(c):\n    return nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1), nn.ReLU(), nn.Conv2d(16, c, 3, 2, 1), nn.ReLU())"),
        "no padding": ("the padding is too small for the kernel", "def fn(c):\n    return convs(c, p=0)"),
        "stride 1": ("still 28 x 28", "def fn(c):\n    return convs(c, s=1)"),
        "kernel 5, padding 1": ("the padding is too small for the kernel", "def fn(c):\n    return convs(c, k=5, p=1)"),
        "kernel 5, padding 2": ("has 13,248 parameters", "def fn(c):\n    return convs(c, k=5, p=2)"),
        "channels last": ("PyTorch layers keep the channels first", """
class ChannelsLast(nn.Module):
    def forward(self, x):
        return x.permute(0, 2, 3, 1)

def fn(c):
    return nn.Sequential(convs(c), ChannelsLast())
"""),
        "fixed channels": ("but you were asked for out_channels=8", "def fn(c):\n    return convs(32)"),
        "flattened": ("a flat vector per image", "def fn(c):\n    return nn.Sequential(convs(c), nn.Flatten())"),
        "dense layer": ("is there a dense (Linear/Dense) layer", "def fn(c):\n    return nn.Sequential(nn.Flatten(), nn.Linear(784, c * 49), nn.ReLU(), nn.Unflatten(1, (c, 7, 7)))"),
        "conv then dense mixing": ("on the far side of the image", "def fn(c):\n    return nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(16 * 196, c * 49), nn.ReLU(), nn.Unflatten(1, (c, 7, 7)))"),
        "same instance": ("the same model object", "MODELS = {}\ndef fn(c):\n    return MODELS.setdefault(c, convs(c))"),
        "shared layers": ("share weights", "FIRST = nn.Conv2d(1, 16, 3, 2, 1)\ndef fn(c):\n    return nn.Sequential(FIRST, nn.ReLU(), nn.Conv2d(16, c, 3, 2, 1), nn.ReLU())"),
        "seeded inside": ("identical weights", "def fn(c):\n    torch.manual_seed(0)\n    return convs(c)"),
        "no final ReLU": ("negative values", "def fn(c):\n    return convs(c, final=nn.Identity)"),
        "sigmoid at the end": ("that is what a sigmoid gives", "def fn(c):\n    return convs(c, final=nn.Sigmoid)"),
        "dead": ("all zero for every test image", "def fn(c):\n    m = convs(c)\n    with torch.no_grad():\n        m[2].bias.fill_(-100.0)\n    return m"),
        "32 middle channels": ("4,800", "def fn(c):\n    return convs(c, mid=32)"),
        "no bias": ("has 4,752 parameters", "def fn(c):\n    return convs(c, bias=False)"),
        "frozen": ("did not change your encoder's weights", "def fn(c):\n    m = convs(c)\n    for p in m.parameters():\n        p.requires_grad_(False)\n    return m"),
        "detached": ("did not change your encoder's weights", """
class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.m = convs(c)
    def forward(self, x):
        return self.m(x).detach()

def fn(c):
    return Encoder(c)
"""),
        "returns a list": ("wrap them in one model", "def fn(c):\n    return list(convs(c))"),
        "returns the class": ("the class Sequential itself", "def fn(c):\n    return nn.Sequential"),
        "an instance passed": ("you passed a model instance (Sequential)", "fn = convs(32)"),
    },
    "keras": {
        "reference": (True, "from aelab.models.conv_keras import build_conv_encoder as fn"),
        "fused activations, no Input": (True, "def fn(c):\n    return keras.Sequential([layers.Conv2D(16, 3, strides=2, padding='same', activation='relu'), layers.Conv2D(c, 3, strides=2, padding='same', activation='relu')])"),
        "functional": (True, """
def fn(out_channels):
    x = keras.Input((28, 28, 1))
    h = layers.ReLU()(layers.Conv2D(16, 3, strides=2, padding="same")(x))
    return keras.Model(x, layers.Activation("relu")(layers.Conv2D(out_channels, 3, strides=2, padding="same")(h)))
"""),
        "stub": ("returned None", "def fn(c):\n    return None"),
        "one stride-2 conv": ("halved once", "def fn(c):\n    return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(16, 3, padding='same', activation='relu'), layers.Conv2D(c, 3, strides=2, padding='same', activation='relu')])"),
        "valid padding": ("the padding is too small for the kernel", "def fn(c):\n    return convs(c, padding='valid')"),
        "stride 1": ("still 28 x 28", "def fn(c):\n    return convs(c, s=1)"),
        "channels first": ("Keras layers keep the channels last", "def fn(c):\n    return keras.Sequential([convs(c), layers.Permute((3, 1, 2))])"),
        "fixed channels": ("but you were asked for out_channels=8", "def fn(c):\n    return convs(32)"),
        "flattened": ("a flat vector per image", "def fn(c):\n    return keras.Sequential([convs(c), layers.Flatten()])"),
        "dense layer": ("is there a dense (Linear/Dense) layer", "def fn(c):\n    return keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(), layers.Dense(c * 49, activation='relu'), layers.Reshape((7, 7, c))])"),
        "same instance": ("the same model object", "MODELS = {}\ndef fn(c):\n    return MODELS.setdefault(c, convs(c))"),
        "shared layers": ("share weights", "FIRST = layers.Conv2D(16, 3, strides=2, padding='same', activation='relu')\ndef fn(c):\n    return keras.Sequential([keras.Input((28, 28, 1)), FIRST, layers.Conv2D(c, 3, strides=2, padding='same', activation='relu')])"),
        "seeded inside": ("identical weights", "def fn(c):\n    keras.utils.set_random_seed(0)\n    return convs(c)"),
        "no final ReLU": ("negative values", "def fn(c):\n    return convs(c, final=None)"),
        "sigmoid at the end": ("that is what a sigmoid gives", "def fn(c):\n    return convs(c, final='sigmoid')"),
        "dead": ("all zero for every test image", "def fn(c):\n    return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(16, 3, strides=2, padding='same', activation='relu'), layers.Conv2D(c, 3, strides=2, padding='same', activation='relu', bias_initializer=keras.initializers.Constant(-100.0))])"),
        "kernel 5": ("13,248 parameters", "def fn(c):\n    return convs(c, k=5)"),
        "frozen": ("did not change your encoder's weights", "def fn(c):\n    m = convs(c)\n    m.trainable = False\n    return m"),
        "returns a list": ("wrap them in one model", "def fn(c):\n    return [layers.Conv2D(16, 3), layers.Conv2D(c, 3)]"),
        "single conv layer, stride 4": ("negative values", "def fn(c):\n    return layers.Conv2D(c, 3, strides=4, padding='same')"),
        "an instance passed": ("you passed a model instance (Sequential)", "fn = convs(32)"),
    },
}

ENCODER_RUNNER = """
import json, sys
{prelude}
from aelab import check
variants = json.loads(sys.stdin.read())
verdicts = {{}}
for name, (_, source) in variants.items():
    namespace = {{}}
    exec(compile({prelude!r} + {convs!r}, "prelude", "exec"), namespace)
    exec(compile(source, name, "exec"), namespace)
    result = check.run("03.build_conv_encoder", namespace["fn"], framework="{framework}", show=False)
    verdicts[name] = [result.passed, str(result)]
print("VERDICTS" + json.dumps(verdicts))
"""


@pytest.fixture(scope="module")
def encoder_verdicts():
    """framework -> {variant name: [passed, message]}, computed once per framework."""
    cache = {}

    def get(framework):
        if framework not in cache:
            prelude = TORCH_PRELUDE if framework == "torch" else KERAS_PRELUDE
            convs = TORCH_CONV if framework == "torch" else KERAS_CONV
            script = ENCODER_RUNNER.format(prelude=prelude, convs=convs, framework=framework)
            cache[framework] = verdicts_in_subprocess(script, ENCODERS[framework])
        return cache[framework]

    return get


ENCODER_CASES = [(fw, name, expect) for fw, cases in ENCODERS.items()
                 for name, (expect, _) in cases.items()]


@pytest.mark.parametrize("framework, name, expect", ENCODER_CASES,
                         ids=[f"{fw}-{name}" for fw, name, _ in ENCODER_CASES])
def test_build_conv_encoder(encoder_verdicts, framework, name, expect):
    passed, message = encoder_verdicts(framework)[name]
    if expect is True:
        assert passed, f"{name}: {message}"
    else:
        assert not passed, name
        assert expect in message, message
        if name != "stub":
            assert "check.hint(" in message  # a failed attempt offers the hint
