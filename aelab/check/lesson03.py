"""Checkers for lesson 03 (convolutional autoencoders): size arithmetic, parameter counts, and
the mirror decoder."""

from __future__ import annotations

import numpy as np

from . import NotYet, exercise


def conv_parameter_count_reference(in_channels: int, out_channels: int, kernel_size: int) -> int:
    """Trainable parameters of a 2-D convolution (square kernel, with bias)."""
    return in_channels * out_channels * kernel_size * kernel_size + out_channels


def conv_output_size_reference(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Output width of a convolution: floor((size + 2 padding - kernel_size) / stride) + 1."""
    return (size + 2 * padding - kernel_size) // stride + 1


def conv_transpose_output_size_reference(size: int, kernel_size: int, stride: int = 1,
                                         padding: int = 0, output_padding: int = 0) -> int:
    """Output width of a transposed convolution: (size - 1) stride - 2 padding + kernel + output_padding."""
    return (size - 1) * stride - 2 * padding + kernel_size + output_padding


def _expect_int(got, expected: int, what: str) -> None:
    if got is None:
        raise NotYet(f"{what}: your function returned None (fill in the TODO and `return` the answer).")
    if isinstance(got, bool) or not isinstance(got, (int, np.integer, float, np.floating)):
        raise NotYet(f"{what}: expected a whole number, got {type(got).__name__}.")
    if isinstance(got, (float, np.floating)) and not float(got).is_integer():
        raise NotYet(f"{what}: you returned {got}, which is not a whole number. A layer has a whole "
                     f"number of pixels: use floor division `//`.")
    if int(got) != expected:
        raise NotYet(f"{what}: you returned {int(got)}, expected {expected}.")


@exercise("03.conv_parameter_count", title="count the parameters of a convolution",
          reference=lambda framework: conv_parameter_count_reference,
          hint="Count the weights and the biases separately. A convolution has one small square "
               "filter for every pair of (input channel, output channel); how many numbers are "
               "in one filter? And there is one bias per output channel.",
          answer="`return in_channels * out_channels * kernel_size * kernel_size + out_channels`.")
def _check_conv_parameter_count(fn, framework):
    for cin, cout, k in ((1, 16, 3), (16, 32, 3), (3, 8, 5), (32, 16, 4), (7, 1, 1), (2, 3, 7)):
        _expect_int(fn(cin, cout, k), conv_parameter_count_reference(cin, cout, k),
                    f"conv_parameter_count({cin}, {cout}, {k})")


_CONV_CASES = ((28, 3, 2, 1), (14, 3, 2, 1), (28, 5, 1, 2), (28, 3, 1, 0), (27, 3, 2, 1),
               (10, 4, 3, 0), (32, 7, 2, 3), (9, 2, 2, 0), (13, 5, 3, 1))


@exercise("03.conv_output_size", title="the output size of a convolution",
          reference=lambda framework: conv_output_size_reference,
          hint="Padding adds pixels on both sides. Then count the positions where the whole "
               "kernel fits: the first at 0, the next `stride` pixels further, and so on. A step "
               "that does not fit does not count, so round down, and return a whole number.",
          answer="`return (size + 2 * padding - kernel_size) // stride + 1` (`//` rounds down "
                 "and keeps an int).")
def _check_conv_output_size(fn, framework):
    for n, k, s, p in _CONV_CASES:
        _expect_int(fn(n, k, s, p), conv_output_size_reference(n, k, s, p),
                    f"conv_output_size({n}, kernel_size={k}, stride={s}, padding={p})")
    _expect_int(fn(28, 3), 26, "conv_output_size(28, 3) with the default stride 1 and padding 0")


@exercise("03.conv_transpose_output_size", title="the output size of a transposed convolution",
          reference=lambda framework: conv_transpose_output_size_reference,
          hint="A transposed convolution runs a convolution backwards: every input pixel stamps "
               "a kernel_size-wide patch onto the output, each stamp `stride` pixels after the "
               "previous one. Where does the last stamp end? Then `padding` trims that many "
               "pixels from each side, and `output_padding` adds pixels at the end.",
          answer="`return (size - 1) * stride - 2 * padding + kernel_size + output_padding`.")
def _check_conv_transpose_output_size(fn, framework):
    for n, k, s, p in ((7, 4, 2, 1), (14, 4, 2, 1), (7, 3, 2, 1), (5, 3, 1, 0), (4, 5, 3, 2),
                       (9, 3, 3, 0), (6, 2, 2, 0)):
        _expect_int(fn(n, k, s, p), conv_transpose_output_size_reference(n, k, s, p),
                    f"conv_transpose_output_size({n}, kernel_size={k}, stride={s}, padding={p})")
    for n, k, s, p, op in ((7, 3, 2, 1, 1), (14, 3, 2, 1, 1), (5, 5, 3, 1, 2)):
        _expect_int(fn(n, k, s, p, op), conv_transpose_output_size_reference(n, k, s, p, op),
                    f"conv_transpose_output_size({n}, kernel_size={k}, stride={s}, padding={p}, "
                    f"output_padding={op})")
    _expect_int(fn(5, 3), 7, "conv_transpose_output_size(5, 3) with the defaults")


def _reference_decoder(framework):
    if framework == "torch":
        from ..models.conv_torch import build_decoder
    else:
        from ..models.conv_keras import build_decoder
    return lambda latent_dim: build_decoder(latent_dim)


def _decode(decoder, codes: np.ndarray, framework: str) -> np.ndarray:
    if framework == "torch":
        import torch

        if not isinstance(decoder, torch.nn.Module):
            raise NotYet(f"build_decoder should return a torch.nn.Module (e.g. nn.Sequential), "
                         f"got {type(decoder).__name__}.")
        decoder.eval()
        with torch.no_grad():
            return decoder(torch.from_numpy(codes)).detach().numpy()
    import keras

    if not isinstance(decoder, keras.Model):
        raise NotYet(f"build_decoder should return a keras.Model (e.g. keras.Sequential), "
                     f"got {type(decoder).__name__}.")
    return np.asarray(decoder(codes, training=False))


def _parameter_count(decoder, framework: str) -> int:
    if framework == "torch":
        return sum(p.numel() for p in decoder.parameters() if p.requires_grad)
    return int(sum(np.prod(w.shape) for w in decoder.trainable_weights))


def _layer_kinds(decoder, framework: str) -> set:
    if framework == "torch":
        return {type(m).__name__ for m in decoder.modules()}
    kinds, stack = set(), list(decoder.layers)
    while stack:
        layer = stack.pop()
        kinds.add(type(layer).__name__)
        stack.extend(getattr(layer, "layers", []))
    return kinds


@exercise("03.build_decoder", title="build the mirror decoder", frameworks=("torch", "keras"),
          reference=_reference_decoder,
          hint="Mirror the encoder, from the code back to the image: a dense layer up to as many "
               "numbers as the encoder's last feature maps hold (32 maps of 7 x 7), a reshape "
               "into those maps, then two transposed convolutions that each double the size (7 "
               "-> 14 -> 28). ReLU between layers, and a sigmoid at the end so that pixels are "
               "in [0, 1].",
          answer={"torch": "`nn.Sequential(nn.Linear(latent_dim, 32 * 7 * 7), nn.ReLU(), "
                           "nn.Unflatten(1, (32, 7, 7)), nn.ConvTranspose2d(32, 16, "
                           "kernel_size=4, stride=2, padding=1), nn.ReLU(), "
                           "nn.ConvTranspose2d(16, 1, kernel_size=4, stride=2, padding=1), "
                           "nn.Sigmoid())`.",
                  "keras": "`keras.Sequential([keras.Input((latent_dim,)), layers.Dense(7 * 7 * "
                           "32, activation=\"relu\"), layers.Reshape((7, 7, 32)), "
                           "layers.Conv2DTranspose(16, 4, strides=2, padding=\"same\", "
                           "activation=\"relu\"), layers.Conv2DTranspose(1, 4, strides=2, "
                           "padding=\"same\", activation=\"sigmoid\")])`."})
def _check_build_decoder(fn, framework):
    shape = (1, 28, 28) if framework == "torch" else (28, 28, 1)
    for latent_dim in (32, 2):
        decoder = fn(latent_dim)
        if decoder is None:
            raise NotYet("build_decoder returned None: build the layers and `return` the model.")
        codes = np.random.default_rng(latent_dim).normal(0, 3, (6, latent_dim)).astype(np.float32)
        try:
            out = _decode(decoder, codes, framework)
        except NotYet:
            raise
        except Exception as err:
            raise NotYet(f"build_decoder({latent_dim}) failed on a batch of codes of shape "
                         f"{codes.shape}: {type(err).__name__}: {err}. Does the first layer take "
                         f"`latent_dim` inputs?") from None
        if out.shape != (6, *shape):
            raise NotYet(f"build_decoder({latent_dim}) turns 6 codes into shape {out.shape}, "
                         f"expected {(6, *shape)}. Check the reshape and the transposed "
                         f"convolutions' kernel, stride and padding (7 -> 14 -> 28).")
        if not np.all(np.isfinite(out)):
            raise NotYet("the decoder's output contains NaN or infinity.")
        if out.min() < 0 or out.max() > 1:
            raise NotYet(f"the decoder's outputs range from {out.min():.3g} to {out.max():.3g}; "
                         f"pixels must lie in [0, 1]. End with a sigmoid.")
        if np.ptp(out) < 1e-6:
            raise NotYet("the decoder gives the same constant output for every code.")
        kinds = _layer_kinds(decoder, framework)
        transposed = {"ConvTranspose2d", "Conv2DTranspose"}
        if not kinds & transposed:
            raise NotYet("the decoder has no transposed convolution; the mirror of a strided "
                         "convolution is a transposed convolution.")
        expected = _parameter_count(_reference_decoder(framework)(latent_dim), framework)
        got = _parameter_count(decoder, framework)
        if got != expected:
            raise NotYet(f"build_decoder({latent_dim}) has {got:,} trainable parameters; the mirror "
                         f"decoder has {expected:,}. Check the channel counts (1568 -> 32 maps "
                         f"-> 16 -> 1) and kernel size 4.")
