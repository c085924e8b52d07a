"""Checkers for lesson 03 (convolutional autoencoders): size arithmetic, parameter counts, and
the mirror decoder.

The size and count exercises are called as the notebook calls them: positional arguments, and
with the defaults left out. A wrong answer is compared with a list of plausible mistakes (on
every case, not one), so the message names the mistake.

``03.build_decoder`` is checked on what the decoder computes, not on its structure: the
student's decoder gets the same seeded random weights as the course's mirror decoder (their
parameters are matched by shape, which is unambiguous for this architecture), and both decode
the same codes, small and large. A decoder with a different computation (a missing or different
activation, a different final squashing, another layer order or reshape order, other transposed
convolution settings) gives other pixels; the message then names the difference when it is one
of the plausible ones, computed with the same weights.
"""

from __future__ import annotations

import inspect

import numpy as np

from . import NotYet, exercise, kind_of
from ._compare import _is_model


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


def _whole_number(got, what: str) -> int:
    """The student's answer as an int, or NotYet saying what it is instead."""
    if got is None:
        raise NotYet(f"{what}: your function returned None (fill in the TODO and `return` the answer).")
    if hasattr(got, "shape") and np.size(got) == 1 and not isinstance(got, np.ndarray):
        got = got.item() if hasattr(got, "item") else got   # a 0-d tensor
    if isinstance(got, np.ndarray) and got.size == 1:
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (int, np.integer, float, np.floating)):
        raise NotYet(f"{what}: expected one whole number, but your function returned "
                     f"{kind_of(got)}.")
    if isinstance(got, (float, np.floating)) and not float(got).is_integer():
        raise NotYet(f"{what}: you returned {got}, which is not a whole number. A layer has a whole "
                     f"number of pixels: use floor division `//`.")
    return int(got)


def _check_formula(fn, name: str, cases, reference, mistakes) -> None:
    """Call ``fn(*case)`` for every case (positional, as the notebook calls it); on a wrong
    value, name the first mistake in ``mistakes`` [(formula, why)] that gives the student's
    values on *every* case."""
    got = {case: _whole_number(fn(*case), f"{name}{case}") for case in cases}
    wrong = [case for case in cases if got[case] != reference(*case)]
    if not wrong:
        return
    case = wrong[0]
    example = f"{name}{case}: you returned {got[case]}, expected {reference(*case)}."
    for formula, why in mistakes:
        try:
            if all(formula(*c) == got[c] for c in cases):
                raise NotYet(f"{why} For example {example}")
        except ArithmeticError:
            continue
    raise NotYet(example)


def _check_defaults(fn, name: str, calls, reference, defaults: str) -> None:
    """Call ``fn`` with the trailing arguments left out, as the notebook's examples do."""
    for args in calls:
        what = f"{name}{args} (the other arguments left at their defaults)"
        try:
            inspect.signature(fn).bind(*args)
        except TypeError:
            raise NotYet(f"{name}{args} fails: give the optional arguments their defaults "
                         f"({defaults}), as in the exercise's signature.") from None
        except ValueError:
            pass  # no signature to read: the call says
        got = _whole_number(fn(*args), what)
        if got != reference(*args):
            raise NotYet(f"{what}: you returned {got}, expected {reference(*args)}. Check the "
                         f"defaults: {defaults}.")


_COUNT_CASES = ((1, 16, 3), (16, 32, 3), (3, 8, 5), (32, 16, 4), (7, 1, 1), (2, 3, 7))
_COUNT_MISTAKES = [
    (lambda i, o, k: i * o * k * k, "you forgot the biases: one per output channel."),
    (lambda i, o, k: i * o * k * k + i, "you count one bias per *input* channel; there is one "
                                        "per output channel (one per filter)."),
    (lambda i, o, k: i * o * k * k + 1, "you count one bias for the whole layer; there is one per "
                                        "output channel (one per filter)."),
    (lambda i, o, k: i * o * k * k + o * k * k, "you count a bias per weight of a filter; there "
                                                "is one bias per output channel."),
    (lambda i, o, k: i * o * k + o, "a filter has kernel_size x kernel_size weights per input "
                                    "channel: k * k, not k."),
    (lambda i, o, k: (i + o) * k * k + o, "the weights multiply the channel counts: one "
                                          "k x k filter per (input, output) pair."),
    (lambda i, o, k: o * k * k + o, "every output channel's filter spans *all* input channels: "
                                    "multiply by in_channels too."),
    (lambda i, o, k: i * k * k + o, "every output channel has its own filter over all input "
                                    "channels: multiply by out_channels too."),
]


@exercise("03.conv_parameter_count", title="count the parameters of a convolution",
          reference=conv_parameter_count_reference,
          hint="Count the weights and the biases separately. A convolution has one small square "
               "filter for every pair of (input channel, output channel); how many numbers are "
               "in one filter? And there is one bias per output channel.",
          answer="`return in_channels * out_channels * kernel_size * kernel_size + out_channels`.")
def _check_conv_parameter_count(fn, framework):
    _check_formula(fn, "conv_parameter_count", _COUNT_CASES, conv_parameter_count_reference,
                   _COUNT_MISTAKES)


_CONV_CASES = ((28, 3, 2, 1), (14, 3, 2, 1), (28, 5, 1, 2), (28, 3, 1, 0), (27, 3, 2, 1),
               (10, 4, 3, 0), (32, 7, 2, 3), (9, 2, 2, 0), (13, 5, 3, 1))
_CONV_MISTAKES = [
    (lambda n, k, s, p: (n + p - k) // s + 1, "you add the padding once; it is added on both "
                                              "sides: + 2 * padding."),
    (lambda n, k, s, p: (n + 2 * p - k) // s, "you forgot the + 1 (the first position of the "
                                              "kernel counts too)."),
    (lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1, "you round up; the division rounds "
                                                      "*down* (floor division `//`)."),
    (lambda n, k, s, p: round((n + 2 * p - k) / s) + 1, "you round to the nearest whole number; "
                                                        "the division rounds *down* (`//`)."),
    (lambda n, k, s, p: (n + 2 * p - k + 1) // s + 1, "there is an off-by-one in the numerator: "
                                                      "(size + 2 * padding - kernel_size)."),
    (lambda n, k, s, p: (n + 2 * p - k) // s + 1 + 1, "you are one too high."),
    (lambda n, k, s, p: -(-n // s), "that is Keras' padding=\"same\" size, ceil(size / stride); "
                                    "here padding is a number of pixels."),
    (lambda n, k, s, p: n // s, "you divide the size by the stride only; the kernel and the "
                                "padding change the size too."),
    (lambda n, k, s, p: (n - 1) * s - 2 * p + k, "that is the *transposed* convolution's formula."),
    (lambda n, k, s, p: (n - 2 * p + k) // s + 1, "the signs are swapped: padding adds pixels, "
                                                  "the kernel removes some."),
]


@exercise("03.conv_output_size", title="the output size of a convolution",
          reference=conv_output_size_reference,
          hint="Padding adds pixels on both sides. Then count the positions where the whole "
               "kernel fits: the first at 0, the next `stride` pixels further, and so on. A step "
               "that does not fit does not count, so round down, and return a whole number.",
          answer="`return (size + 2 * padding - kernel_size) // stride + 1` (`//` rounds down "
                 "and keeps an int).")
def _check_conv_output_size(fn, framework):
    _check_formula(fn, "conv_output_size", _CONV_CASES, conv_output_size_reference,
                   _CONV_MISTAKES)
    _check_defaults(fn, "conv_output_size", ((28, 3), (9, 3), (28, 3, 2), (13, 4, 3)),
                    conv_output_size_reference, "stride=1, padding=0")


_TRANSPOSE_CASES = ((7, 4, 2, 1, 0), (14, 4, 2, 1, 0), (7, 3, 2, 1, 0), (5, 3, 1, 0, 0),
                    (4, 5, 3, 2, 0), (9, 3, 3, 0, 0), (6, 2, 2, 0, 0), (7, 3, 2, 1, 1),
                    (14, 3, 2, 1, 1), (5, 5, 3, 1, 2))
_TRANSPOSE_MISTAKES = [
    (lambda n, k, s, p, op: (n - 1) * s + k + op, "you forgot the padding: - 2 * padding."),
    (lambda n, k, s, p, op: (n - 1) * s - p + k + op, "you subtract the padding once; it is "
                                                      "removed on both sides: - 2 * padding."),
    (lambda n, k, s, p, op: (n - 1) * s - 2 * p + k, "you forgot output_padding (added once, "
                                                     "on one side)."),
    (lambda n, k, s, p, op: (n - 1) * s - 2 * p + k + 2 * op, "output_padding is added once, on "
                                                              "one side only, not twice."),
    (lambda n, k, s, p, op: (n - 1) * s - 2 * p + k - op, "output_padding *adds* rows: "
                                                          "+ output_padding."),
    (lambda n, k, s, p, op: (n - 1) * s - 2 * p + k + op * s, "output_padding is a number of "
                                                              "pixels, not of strides: add it "
                                                              "as it is."),
    (lambda n, k, s, p, op: n * s - 2 * p + k + op, "it is (size - 1) * stride: the first input "
                                                    "pixel's stamp does not move."),
    (lambda n, k, s, p, op: (n - 1) * s - 2 * p + k + op + 1, "you are one too high."),
    (lambda n, k, s, p, op: (n - 1) * s - 2 * p + k + op - 1, "you are one too low."),
    (lambda n, k, s, p, op: n * s + op, "that is the size for Keras' padding=\"same\" (size * "
                                        "stride); here padding is a number of pixels."),
    (lambda n, k, s, p, op: n * s, "that is the size for Keras' padding=\"same\" (size * "
                                   "stride); here padding is a number of pixels."),
    (lambda n, k, s, p, op: (n + 2 * p - k) // s + 1, "that is the (forward) convolution's "
                                                      "formula."),
]


@exercise("03.conv_transpose_output_size", title="the output size of a transposed convolution",
          reference=conv_transpose_output_size_reference,
          hint="A transposed convolution runs a convolution backwards: every input pixel stamps "
               "a kernel_size-wide patch onto the output, each stamp `stride` pixels after the "
               "previous one. Where does the last stamp end? Then `padding` trims that many "
               "pixels from each side, and `output_padding` adds pixels at the end.",
          answer="`return (size - 1) * stride - 2 * padding + kernel_size + output_padding`.")
def _check_conv_transpose_output_size(fn, framework):
    _check_formula(fn, "conv_transpose_output_size", _TRANSPOSE_CASES,
                   conv_transpose_output_size_reference, _TRANSPOSE_MISTAKES)
    _check_defaults(fn, "conv_transpose_output_size",
                    ((5, 3), (7, 4, 2), (7, 4, 2, 1), (4, 5, 3, 2)),
                    conv_transpose_output_size_reference,
                    "stride=1, padding=0, output_padding=0")


# --------------------------------------------------------------------------- the mirror decoder

_CHANNELS, _SIDE = 32, 7                      # the reshape: 32 maps of 7 x 7 = 1568 numbers
_CODE_SCALES = (0.3, 1.0, 1.0, 3.0, 10.0, 30.0)   # one code per scale: small and large codes


def _codes(latent_dim: int) -> np.ndarray:
    """Six codes (6, latent_dim), float32: standard normal rows scaled by ``_CODE_SCALES``."""
    rng = np.random.default_rng(1000 + latent_dim)
    return (rng.standard_normal((len(_CODE_SCALES), latent_dim))
            * np.array(_CODE_SCALES)[:, None]).astype(np.float32)


def _reference_shapes(latent_dim: int, framework: str) -> list[tuple[str, tuple]]:
    """(description, shape) of every parameter of the mirror decoder, in order."""
    c, c1 = _CHANNELS, 16
    if framework == "torch":
        return [("the linear layer's weight", (c * 49, latent_dim)),
                ("the linear layer's bias", (c * 49,)),
                ("the first transposed convolution's weight (32 -> 16 channels, kernel 4)",
                 (c, c1, 4, 4)),
                ("the first transposed convolution's bias", (c1,)),
                ("the second transposed convolution's weight (16 -> 1 channel, kernel 4)",
                 (c1, 1, 4, 4)),
                ("the second transposed convolution's bias", (1,))]
    return [("the dense layer's kernel", (latent_dim, c * 49)),
            ("the dense layer's bias", (c * 49,)),
            ("the first transposed convolution's kernel (32 -> 16 channels, kernel 4)",
             (4, 4, c1, c)),
            ("the first transposed convolution's bias", (c1,)),
            ("the second transposed convolution's kernel (16 -> 1 channel, kernel 4)",
             (4, 4, 1, c1)),
            ("the second transposed convolution's bias", (1,))]


def _test_weights(latent_dim: int, framework: str) -> list[np.ndarray]:
    """Seeded random values for the mirror decoder's parameters, in the order of
    :func:`_reference_shapes`: weights with a spread of 1.5 / sqrt(inputs per output value),
    biases with a spread of 0.1 (not 0, so that a misplaced bias shows)."""
    rng = np.random.default_rng(2000 + latent_dim)
    weights = []
    for _, shape in _reference_shapes(latent_dim, framework):
        if len(shape) == 1:
            scale = 0.1
        elif len(shape) == 2:
            scale = 1.5 / np.sqrt(latent_dim)
        else:  # stride 2, kernel 4: each output value sees 2 x 2 taps of every input channel
            in_channels = shape[0] if framework == "torch" else shape[3]
            scale = 1.5 / np.sqrt(4 * in_channels)
        weights.append((rng.standard_normal(shape) * scale).astype(np.float32))
    return weights


def _expect_decoder(decoder, latent_dim: int, framework: str):
    what = "an nn.Module (e.g. nn.Sequential)" if framework == "torch" else \
        "a keras.Model (e.g. keras.Sequential)"
    call = f"build_decoder({latent_dim})"
    if decoder is None:
        raise NotYet(f"{call} returned None: build the layers and `return` the model.")
    if inspect.isclass(decoder):
        raise NotYet(f"{call} returned {kind_of(decoder)}: create the model and return it "
                     f"(e.g. `return {decoder.__name__}(...)`), the notebook calls "
                     f"build_decoder(LATENT_DIM) and uses what it returns as the decoder.")
    if isinstance(decoder, (list, tuple)) and decoder and all(
            _is_model(layer) for layer in decoder):
        wrap = "nn.Sequential(...)" if framework == "torch" else "keras.Sequential([...])"
        raise NotYet(f"{call} returned {kind_of(decoder)} (layers); wrap them in one model, "
                     f"{wrap}, and return that.")
    if framework == "torch":
        ok = _is_model(decoder)
    else:
        import keras

        ok = isinstance(decoder, keras.Model)
        if not ok and _is_model(decoder):
            raise NotYet(f"{call} returned a single Keras layer ({type(decoder).__name__}); "
                         f"return {what} that holds all the layers.")
    if not ok:
        raise NotYet(f"{call} should return {what}, but returned {kind_of(decoder)}.")
    return decoder


def _decode(decoder, codes: np.ndarray, framework: str) -> np.ndarray:
    if framework == "torch":
        import torch

        decoder.eval()
        with torch.no_grad():
            out = decoder(torch.from_numpy(codes))
    else:
        out = decoder(codes, training=False)
    if isinstance(out, (tuple, list)) or not hasattr(out, "shape"):
        raise NotYet(f"the decoder's forward pass returned {kind_of(out)}; it should return "
                     f"one batch of images.")
    return np.asarray(out.detach().numpy() if hasattr(out, "detach") else out)


def _parameters(decoder, framework: str) -> list:
    """The decoder's parameters (torch Parameters / keras Variables), trainable or not."""
    if framework == "torch":
        return list(decoder.parameters()) + [b for b in decoder.buffers() if b.is_floating_point()]
    return list(decoder.weights)


def _transposed_settings(decoder, framework: str) -> list[str]:
    """A description of every transposed convolution of the decoder, in order."""
    found = []
    if framework == "torch":
        from torch import nn

        for module in decoder.modules():
            if isinstance(module, nn.ConvTranspose2d):
                found.append(f"{module.in_channels} -> {module.out_channels} channels, kernel "
                             f"{module.kernel_size[0]}, stride {module.stride[0]}, padding "
                             f"{module.padding[0]}, output_padding {module.output_padding[0]}")
        return found
    import keras

    stack = list(reversed(decoder.layers))
    while stack:
        layer = stack.pop()
        if isinstance(layer, keras.layers.Conv2DTranspose):
            found.append(f"{layer.filters} filters, kernel {layer.kernel_size[0]}, strides "
                         f"{layer.strides[0]}, padding=\"{layer.padding}\""
                         + (f", output_padding {layer.output_padding[0]}"
                            if layer.output_padding else ""))
        stack.extend(reversed(getattr(layer, "layers", [])))
    return found


def _expected_settings(framework: str) -> str:
    return ("kernel 4, stride 2, padding 1, output_padding 0" if framework == "torch" else
            "kernel 4, strides 2, padding=\"same\"")


def _reshape_targets(decoder, framework: str) -> list[tuple]:
    """The target shapes of the decoder's reshape layers (nn.Unflatten / layers.Reshape)."""
    if framework == "torch":
        from torch import nn

        return [tuple(m.unflattened_size) for m in decoder.modules()
                if isinstance(m, nn.Unflatten)]
    import keras

    found, stack = [], list(decoder.layers)
    while stack:
        layer = stack.pop()
        if isinstance(layer, keras.layers.Reshape):
            found.append(tuple(layer.target_shape))
        stack.extend(getattr(layer, "layers", []))
    return found


def _shape_message(out_shape, latent_dim, decoder, framework) -> str:
    expected = (6, 1, 28, 28) if framework == "torch" else (6, 28, 28, 1)
    call = f"build_decoder({latent_dim})"
    wrong_order = (7, 7, 32) if framework == "torch" else (32, 7, 7)
    if wrong_order in _reshape_targets(decoder, framework):
        right = ("(32, 7, 7), channels first" if framework == "torch" else
                 "(7, 7, 32), channels last")
        return (f"{call} turns 6 codes into shape {out_shape}, expected {expected}: your reshape "
                f"makes {wrong_order}, but {'PyTorch' if framework == 'torch' else 'Keras'} "
                f"layers expect {right}.")
    if out_shape == ((6, 28, 28, 1) if framework == "torch" else (6, 1, 28, 28)):
        order = ("PyTorch images are channels first, (N, 1, 28, 28): keep the channel axis "
                 "second (reshape to (32, 7, 7) and do not move the channels)"
                 if framework == "torch" else
                 "Keras images are channels last, (N, 28, 28, 1): keep the channel axis last "
                 "(reshape to (7, 7, 32) and do not move the channels)")
        return f"{call} turns 6 codes into shape {out_shape}, expected {expected}: {order}."
    settings = _transposed_settings(decoder, framework)
    if not settings:
        return (f"{call} turns 6 codes into shape {out_shape}, expected {expected}, and has no "
                f"transposed convolution; the mirror of a strided convolution is a transposed "
                f"convolution (7 -> 14 -> 28).")
    return (f"{call} turns 6 codes into shape {out_shape}, expected {expected}. Your transposed "
            f"convolutions: {'; '.join(settings)}. Each must double the size (7 -> 14 -> 28): "
            f"{_expected_settings(framework)}.")


def _parameter_message(decoder, latent_dim: int, framework: str) -> str | None:
    """None when the decoder's parameters have the mirror decoder's shapes (in any order),
    else a message naming the first that differs."""
    got = [tuple(p.shape) for p in _parameters(decoder, framework)]
    expected = _reference_shapes(latent_dim, framework)
    if sorted(got) == sorted(shape for _, shape in expected):
        return None
    call = f"build_decoder({latent_dim})"
    if not _transposed_settings(decoder, framework):
        layer = "nn.ConvTranspose2d" if framework == "torch" else "layers.Conv2DTranspose"
        return (f"{call} has no transposed convolution; the mirror of a strided convolution is "
                f"a transposed convolution ({layer}), two of them: 7 -> 14 -> 28.")
    extra = list(got)
    missing = []
    for description, shape in expected:
        if shape in extra:
            extra.remove(shape)
        else:
            missing.append((description, shape))
    if not missing:
        return (f"{call} has extra parameters of shapes {extra} (e.g. a normalisation layer or "
                f"an extra layer); the mirror decoder has only the linear layer and the two "
                f"transposed convolutions.")
    description, shape = missing[0]
    hint = ""
    if framework == "torch" and len(shape) == 4 and _ordinary_conv(decoder, shape):
        hint = (f" (yours has an ordinary nn.Conv2d with weight {_ordinary_conv(decoder, shape)}; "
                f"the mirror of a strided convolution is a transposed convolution, "
                f"nn.ConvTranspose2d)")
    elif len(shape) == 1 and not any(len(s) == 1 and s == shape for s in got):
        hint = " (is a layer built with bias=False / use_bias=False?)"
    elif len(shape) == 4:
        kernels = [s for s in got if len(s) == 4]
        if kernels:
            hint = (f" (your transposed convolutions' weights: "
                    f"{', '.join(str(s) for s in kernels)}; expected "
                    f"{_expected_settings(framework)})")
    instead = f"; instead it has parameters of shapes {extra}" if extra else ""
    return (f"{call}: {description} should have shape {shape}, but your decoder has no "
            f"parameter of that shape{hint}{instead}. The mirror decoder has "
            f"{sum(int(np.prod(s)) for _, s in expected):,} parameters, yours "
            f"{sum(int(np.prod(s)) for s in got):,}.")


def _ordinary_conv(decoder, shape: tuple) -> tuple | None:
    """The weight shape of a torch nn.Conv2d with the channels of the transposed convolution
    whose weight has ``shape`` (in, out, k, k), if the decoder has one."""
    from torch import nn

    for module in decoder.modules():
        if isinstance(module, nn.Conv2d) and (module.in_channels, module.out_channels) == shape[:2]:
            return tuple(module.weight.shape)
    return None


def _load(decoder, weights: list[np.ndarray], framework: str) -> None:
    """Give every parameter of the student's decoder the test value of the same shape."""
    by_shape = {w.shape: w for w in weights}
    if framework == "torch":
        import torch

        with torch.no_grad():
            for p in _parameters(decoder, framework):
                p.copy_(torch.from_numpy(by_shape[tuple(p.shape)]))
        return
    for variable in _parameters(decoder, framework):
        variable.assign(by_shape[tuple(variable.shape)])


# Plausible decoders with the mirror's parameters, for the message: (what differs, settings)
_MIRROR = dict(pre="none", hidden="relu", middle="relu", final="sigmoid", order="right")
_VARIANTS = [
    ("there is no ReLU after the linear layer (before the reshape).", dict(hidden="none")),
    ("there is no ReLU after the first transposed convolution.", dict(middle="none")),
    ("there is no ReLU in the decoder: one after the linear layer and one after the first "
     "transposed convolution.", dict(hidden="none", middle="none")),
    ("the output has no sigmoid: pixels must be squashed into [0, 1] by a sigmoid.",
     dict(final="none")),
    ("the output ends with tanh, which gives values in [-1, 1]; pixels are in [0, 1]: end "
     "with a sigmoid.", dict(final="tanh")),
    ("the output ends with a ReLU, which is not bounded by 1: end with a sigmoid.",
     dict(final="relu")),
    ("the output is clipped to [0, 1] instead of squashed by a sigmoid: clipping has no "
     "gradient outside [0, 1], so those pixels stop learning. End with a sigmoid.",
     dict(final="clip")),
    ("the output ends with a hard sigmoid (piecewise linear); the lesson uses the sigmoid.",
     dict(final="hard_sigmoid")),
    ("the output ends with a softmax over the last axis, which makes values sum to 1 along "
     "that axis instead of squashing each pixel: end with a sigmoid.", dict(final="softmax")),
    ("the output is squashed twice (two sigmoids at the end).", dict(final="sigmoid2")),
    ("the hidden layers use tanh instead of ReLU.", dict(hidden="tanh", middle="tanh")),
    ("the hidden layers use a sigmoid instead of ReLU.", dict(hidden="sigmoid", middle="sigmoid")),
    ("the hidden layers use a leaky ReLU instead of ReLU.", dict(hidden="leaky_relu",
                                                                 middle="leaky_relu")),
    ("the hidden layers use ELU instead of ReLU.", dict(hidden="elu", middle="elu")),
    ("the hidden layers use GELU instead of ReLU.", dict(hidden="gelu", middle="gelu")),
    ("the layer after the linear layer uses tanh instead of ReLU.", dict(hidden="tanh")),
    ("the activation after the first transposed convolution is a sigmoid instead of ReLU.",
     dict(middle="sigmoid")),
    ("a ReLU is applied to the codes *before* the linear layer; it belongs after it (layer, "
     "then activation).", dict(pre="relu", hidden="none")),
    ("the sigmoid comes before the last transposed convolution; the order is transposed "
     "convolution, then sigmoid.", dict(middle="sigmoid", final="none")),
    ("the 1568 numbers are reshaped in the wrong order: channels last, then moved to the front. "
     "Reshape straight to (32, 7, 7) (nn.Unflatten(1, (32, 7, 7)) or .view(-1, 32, 7, 7)).",
     dict(order="channels_last_then_permuted")),
    ("the 1568 numbers are reshaped in the wrong order: to (32, 7, 7), then the channels moved "
     "to the end. Reshape straight to (7, 7, 32) with layers.Reshape((7, 7, 32)).",
     dict(order="channels_first_then_permuted")),
]


def _forward(weights: list[np.ndarray], codes: np.ndarray, framework: str, pre: str,
             hidden: str, middle: str, final: str, order: str) -> np.ndarray:
    """The mirror decoder's computation with the given weights and activations."""
    n = len(codes)
    if framework == "torch":
        import torch
        import torch.nn.functional as F

        acts = {"none": lambda t: t, "relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                "leaky_relu": F.leaky_relu, "elu": F.elu, "gelu": F.gelu,
                "clip": lambda t: t.clamp(0, 1), "hard_sigmoid": F.hardsigmoid,
                "softmax": lambda t: F.softmax(t, dim=-1),
                "sigmoid2": lambda t: torch.sigmoid(torch.sigmoid(t))}
        w = [torch.from_numpy(v) for v in weights]
        with torch.no_grad():
            h = acts[hidden](F.linear(acts[pre](torch.from_numpy(codes)), w[0], w[1]))
            if order == "channels_last_then_permuted":
                h = h.reshape(n, _SIDE, _SIDE, _CHANNELS).permute(0, 3, 1, 2)
            elif order == "right":
                h = h.reshape(n, _CHANNELS, _SIDE, _SIDE)
            else:
                return None
            h = acts[middle](F.conv_transpose2d(h, w[2], w[3], stride=2, padding=1))
            return acts[final](F.conv_transpose2d(h, w[4], w[5], stride=2, padding=1)).numpy()
    import keras
    from keras import ops

    get = keras.activations.get
    acts = {"none": lambda t: t, "relu": get("relu"), "sigmoid": get("sigmoid"),
            "tanh": get("tanh"), "leaky_relu": lambda t: keras.layers.LeakyReLU()(t),
            "elu": get("elu"), "gelu": get("gelu"), "clip": lambda t: ops.clip(t, 0.0, 1.0),
            "hard_sigmoid": get("hard_sigmoid"), "softmax": get("softmax"),
            "sigmoid2": lambda t: ops.sigmoid(ops.sigmoid(t))}
    h = acts[hidden](ops.matmul(acts[pre](codes), weights[0]) + weights[1])
    if order == "channels_first_then_permuted":
        h = ops.transpose(ops.reshape(h, (n, _CHANNELS, _SIDE, _SIDE)), (0, 2, 3, 1))
    elif order == "right":
        h = ops.reshape(h, (n, _SIDE, _SIDE, _CHANNELS))
    else:
        return None
    h = acts[middle](ops.conv_transpose(h, weights[2], strides=2, padding="same") + weights[3])
    out = acts[final](ops.conv_transpose(h, weights[4], strides=2, padding="same") + weights[5])
    return np.asarray(out)


@exercise("03.build_decoder", title="build the mirror decoder", frameworks=("torch", "keras"),
          reference="conv.build_decoder",
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
    # (a model instance passed instead of the builder is named by check.run itself)
    for latent_dim in (32, 2):
        decoder = _expect_decoder(fn(latent_dim), latent_dim, framework)
        codes = _codes(latent_dim)
        try:
            out = _decode(decoder, codes, framework)
        except NotYet:
            raise
        except Exception as err:
            where = ("PyTorch expects them ((N, 32, 7, 7))" if framework == "torch" else
                     "Keras expects them ((N, 7, 7, 32))")
            raise NotYet(f"build_decoder({latent_dim}) failed on a batch of codes of shape "
                         f"{codes.shape}: {type(err).__name__}: {err}. Does the first layer take "
                         f"`latent_dim` inputs, and does the reshape keep the batch axis and "
                         f"put the 32 channels where {where}?") from None
        shape = (1, 28, 28) if framework == "torch" else (28, 28, 1)
        if out.shape != (len(codes), *shape):
            raise NotYet(_shape_message(out.shape, latent_dim, decoder, framework))
        message = _parameter_message(decoder, latent_dim, framework)
        if message:
            raise NotYet(message)
        weights = _test_weights(latent_dim, framework)
        _load(decoder, weights, framework)
        out = _decode(decoder, codes, framework)
        expected = _forward(weights, codes, framework, **_MIRROR)
        if out.shape == expected.shape and np.allclose(out, expected, rtol=1e-4, atol=2e-5):
            continue
        for why, change in _VARIANTS:
            variant = _forward(weights, codes, framework, **{**_MIRROR, **change})
            if variant is not None and np.allclose(out, variant, rtol=1e-4, atol=2e-5):
                raise NotYet(f"build_decoder({latent_dim}) has the mirror decoder's parameters, "
                             f"but computes something else: {why}")
        worst = np.unravel_index(np.argmax(np.abs(out - expected)), out.shape)
        settings = _transposed_settings(decoder, framework)
        raise NotYet(f"build_decoder({latent_dim}) has the mirror decoder's parameters, but with "
                     f"the same weights it computes other pixels (e.g. {out[worst]:.4g} where "
                     f"the mirror decoder gives {expected[worst]:.4g}). Check the order of the "
                     f"layers, the reshape, the activations (ReLU after the linear layer and "
                     f"after the first transposed convolution, a sigmoid at the end) and the "
                     f"transposed convolutions' settings"
                     + (f" (yours: {'; '.join(settings)}; expected {_expected_settings(framework)})"
                        if settings else "") + ".")


# --------------------------------------------------------------------------- the conv encoder
#
# ``03.build_conv_encoder`` (the "build it" exercise) is judged on what the student's encoder
# does, in this order: it is a model; its output has the shape (N, out_channels, 7, 7) (PyTorch)
# or (N, 7, 7, out_channels) (Keras) for several batch sizes and two channel counts; every call
# builds a new model with its own random weights; it is local (one pixel changed near a corner
# leaves the feature maps on the far side unchanged: true of any stack of small convolutions,
# false of a dense layer); its output is a ReLU's (non-negative, not all zero, not a sigmoid's);
# it has the lesson's parameter count (the lesson's later cells count and measure those layers);
# and it trains: with a linear layer and the course's decoder attached, a few Adam steps on tiny
# synthetic images change the encoder's weights and lower the loss.

def _conv_parameters(out_channels: int) -> int:
    """Trainable parameters of the lesson's conv encoder: 1 -> 16 -> out_channels, 3 x 3."""
    return conv_parameter_count_reference(1, 16, 3) + conv_parameter_count_reference(
        16, out_channels, 3)


def _expect_encoder(encoder, call: str, framework: str):
    what = "an nn.Module (e.g. nn.Sequential)" if framework == "torch" else \
        "a keras.Model (e.g. keras.Sequential)"
    if encoder is None:
        raise NotYet(f"{call} returned None: build the layers and `return` the model.")
    if inspect.isclass(encoder):
        raise NotYet(f"{call} returned {kind_of(encoder)}: create the model and return it "
                     f"(e.g. `return {encoder.__name__}(...)`).")
    if isinstance(encoder, (list, tuple)) and encoder and all(
            _is_model(layer) for layer in encoder):
        wrap = "nn.Sequential(...)" if framework == "torch" else "keras.Sequential([...])"
        raise NotYet(f"{call} returned {kind_of(encoder)} (layers); wrap them in one model, "
                     f"{wrap}, and return that.")
    if not _is_model(encoder):
        raise NotYet(f"{call} should return {what}, but returned {kind_of(encoder)}.")
    return encoder


def _digit_like(n: int, seed: int) -> np.ndarray:
    """(n, 28, 28) float32 in [0, 1]: a few bright strokes (bars) on a black background."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), np.float32)
    for image in images:
        for _ in range(3):
            r, c = rng.integers(4, 20, size=2)
            h, w = (rng.integers(2, 4), rng.integers(6, 12))[::rng.choice([1, -1])]
            image[r:r + h, c:c + w] = rng.uniform(0.6, 1.0)
    return images


def _layout(images: np.ndarray, framework: str) -> np.ndarray:
    """(N, 28, 28) -> the framework's image layout."""
    return np.ascontiguousarray(images[:, None] if framework == "torch" else images[..., None])


def _encode(encoder, images: np.ndarray, call: str, framework: str) -> np.ndarray:
    try:
        if framework == "torch":
            import torch

            with torch.no_grad():
                out = encoder(torch.from_numpy(images))
        else:
            out = encoder(images, training=False)
    except Exception as err:
        layout = "(N, 1, 28, 28)" if framework == "torch" else "(N, 28, 28, 1)"
        raise NotYet(f"{call} failed on a batch of images of shape {images.shape} (the "
                     f"{'PyTorch' if framework == 'torch' else 'Keras'} layout {layout}): "
                     f"{type(err).__name__}: {err}") from None
    if isinstance(out, (tuple, list)) or not hasattr(out, "shape"):
        raise NotYet(f"{call}'s model returned {kind_of(out)} for a batch of images; it should "
                     f"return one batch of feature maps.")
    return np.asarray(out.detach().numpy() if hasattr(out, "detach") else out, dtype=np.float64)


def _encoder_shape_message(shape: tuple, n: int, c: int, call: str, framework: str) -> str:
    expected = (n, c, 7, 7) if framework == "torch" else (n, 7, 7, c)
    head = f"{call} turns {n} images into shape {shape}, expected {expected}"
    if len(shape) == 2:
        return (f"{head}: a flat vector per image. Stop at the feature maps: no flattening and "
                f"no dense layer (the lesson adds the linear layer that makes the code).")
    if len(shape) != 4 or shape[0] != n:
        return f"{head}: one {c} x 7 x 7 stack of feature maps per image."
    if framework == "torch" and shape[1:] == (7, 7, c):
        return (f"{head}: that is channels last. PyTorch layers keep the channels first, "
                f"(N, C, H, W): do not move the channel axis.")
    if framework == "keras" and shape[1:] == (c, 7, 7):
        return (f"{head}: that is channels first. Keras layers keep the channels last, "
                f"(N, H, W, C): do not move the channel axis.")
    side, channels = (shape[2:], shape[1]) if framework == "torch" else (shape[1:3], shape[3])
    padding = "padding=1" if framework == "torch" else 'padding="same"'
    if side == (14, 14):
        return (f"{head}: your maps are 14 x 14, so the image was halved once. Two stride-2 "
                f"convolutions halve it twice: 28 -> 14 -> 7.")
    if side == (6, 6):
        return (f"{head}: your maps are 6 x 6, so the padding is too small for the kernel "
                f"(kernel 3 and stride 2 without padding give 28 -> 13 -> 6). With 3 x 3 "
                f"kernels, one pixel of padding on each side ({padding}) gives 28 -> 14 -> 7.")
    if side == (28, 28):
        return (f"{head}: your maps are still 28 x 28; with stride 1 a convolution keeps the "
                f"size. Stride 2 halves it: 28 -> 14 -> 7.")
    if side == (7, 7) and channels != c:
        return (f"{head}: your maps have {channels} channels, but you were asked for "
                f"out_channels={c}. Give the second convolution `out_channels` filters.")
    return (f"{head}: your maps are {side[0]} x {side[1]}, expected 7 x 7. Kernel 3, stride 2 "
            f"and {padding} give 28 -> 14 -> 7.")


def _weights_of(model, framework: str) -> list:
    if framework == "torch":
        return list(model.parameters())
    return list(model.weights)


def _parameter_count(model, framework: str) -> int:
    """Every parameter, trainable or frozen (frozen ones are named by the training test)."""
    return int(sum(np.prod(tuple(v.shape)) for v in _weights_of(model, framework)))


def _snapshot_weights(model, framework: str) -> list[np.ndarray]:
    return [np.array(v.detach().numpy() if hasattr(v, "detach") else v, copy=True)
            for v in _weights_of(model, framework)]


_PROBE_PIXELS = ((2, 2), (25, 25), (2, 25))   # near three corners
_LOCAL_REACH = 12.0   # pixels from a pixel to the centre of a feature-map position it may change


def _far_change(encoder, call: str, framework: str):
    """(pixel, position) where changing one pixel changed the feature maps far from it, or None."""
    base = _digit_like(1, 7) * 0.5 + 0.25
    before = _encode(encoder, _layout(base, framework), call, framework)
    for r, c in _PROBE_PIXELS:
        changed = base.copy()
        changed[0, r, c] = 1.0 - changed[0, r, c] + 0.5
        after = _encode(encoder, _layout(changed, framework), call, framework)
        delta = np.abs(after - before)[0]
        delta = delta.max(axis=0) if framework == "torch" else delta.max(axis=-1)   # (7, 7)
        if delta.max() == 0:
            continue
        centres = 4 * np.arange(7) + 1.5   # a 7 x 7 map position covers 4 x 4 pixels
        far = ((np.abs(centres[:, None] - r) > _LOCAL_REACH)
               | (np.abs(centres[None, :] - c) > _LOCAL_REACH))
        big = far & (delta > 1e-3 * delta.max())
        if big.any():
            i, j = np.argwhere(big)[0]
            return (r, c), (int(i), int(j))
    return None


def _train_with_decoder(encoder, out_channels: int, framework: str) -> tuple[float, float]:
    """Attach a linear layer and the course's decoder, train 10 Adam steps on 32 synthetic
    images; (loss before, loss after)."""
    images = _layout(_digit_like(32, 11), framework)
    latent = 16
    if framework == "torch":
        import torch
        from torch import nn

        from ..models.conv_torch import build_decoder

        model = nn.Sequential(encoder, nn.Flatten(), nn.Linear(out_channels * 49, latent),
                              build_decoder(latent))
        model.train()
        x = torch.from_numpy(images)
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
        losses = []
        for _ in range(10):
            loss = nn.functional.mse_loss(model(x), x)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            final = float(nn.functional.mse_loss(model(x), x))
        return losses[0], final
    import keras

    from ..models.conv_keras import build_decoder

    model = keras.Sequential([keras.Input((28, 28, 1)), encoder, keras.layers.Flatten(),
                              keras.layers.Dense(latent), build_decoder(latent)])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse", run_eagerly=True)
    first = float(keras.ops.mean((model(images) - images) ** 2))
    model.fit(images, images, batch_size=32, epochs=10, verbose=0, shuffle=False)
    return first, float(keras.ops.mean((model(images) - images) ** 2))


@exercise("03.build_conv_encoder", title="build the convolutional encoder",
          frameworks=("torch", "keras"), reference="conv.build_conv_encoder",
          hint="Two convolutions with 3 x 3 kernels and stride 2, each followed by a ReLU: the "
               "first from 1 channel (grey) to 16, the second from 16 to `out_channels`. A "
               "stride-2, 3 x 3 convolution halves the size only with one pixel of padding on "
               "each side. Build the layers inside the function, so that every call returns a "
               "new model, and keep the framework's channel order.",
          answer={"torch": "`return nn.Sequential(nn.Conv2d(1, 16, kernel_size=3, stride=2, "
                           "padding=1), nn.ReLU(), nn.Conv2d(16, out_channels, kernel_size=3, "
                           "stride=2, padding=1), nn.ReLU())`.",
                  "keras": "`return keras.Sequential([keras.Input((28, 28, 1)), "
                           "layers.Conv2D(16, 3, strides=2, padding=\"same\"), layers.ReLU(), "
                           "layers.Conv2D(out_channels, 3, strides=2, padding=\"same\"), "
                           "layers.ReLU()])`."})
def _check_build_conv_encoder(fn, framework):
    # (a model instance passed instead of the builder is named by check.run itself)
    encoders = {}
    for c in (32, 8):
        call = f"build_conv_encoder({c})"
        encoder = _expect_encoder(fn(c), call, framework)
        for n in (3, 1, 5):
            images = _layout(np.random.default_rng(n).random((n, 28, 28), dtype=np.float32),
                             framework)
            out = _encode(encoder, images, call, framework)
            expected = (n, c, 7, 7) if framework == "torch" else (n, 7, 7, c)
            if out.shape != expected:
                raise NotYet(_encoder_shape_message(out.shape, n, c, call, framework))
        encoders[c] = encoder
    call = "build_conv_encoder(32)"
    first, second = encoders[32], _expect_encoder(fn(32), call, framework)
    if second is first:
        raise NotYet(f"two calls of {call} returned the same model object: every call should "
                     f"build a new model (create the layers inside the function).")
    first_ids = {id(v) for v in _weights_of(first, framework)}
    if any(id(v) in first_ids for v in _weights_of(second, framework)):
        raise NotYet(f"two calls of {call} returned models that share weights (the same layer "
                     f"objects): create the layers inside the function, so that every call "
                     f"builds new ones.")
    weights = [_snapshot_weights(model, framework) for model in (first, second)]
    if len(weights[0]) == len(weights[1]) and all(
            a.shape == b.shape and np.array_equal(a, b) for a, b in zip(*weights)):
        raise NotYet(f"two calls of {call} returned models with identical weights: each call "
                     f"should start from new random weights (is a random seed set inside the "
                     f"function?).")
    far = _far_change(first, call, framework)
    if far is not None:
        (r, c), (i, j) = far
        raise NotYet(f"changing one pixel (row {r}, column {c}) of an image changed the output "
                     f"of {call} at feature-map position (row {i}, column {j}), on the far side "
                     f"of the image. A convolution's output at a position depends only on the "
                     f"pixels near it: is there a dense (Linear/Dense) layer, or a reshape that "
                     f"mixes positions?")
    images = _layout(np.concatenate([_digit_like(8, 5),
                                     np.random.default_rng(9).random((8, 28, 28),
                                                                     dtype=np.float32)]),
                     framework)
    out = _encode(first, images, call, framework)
    if out.min() < 0:
        raise NotYet(f"the feature maps of {call} have negative values (as low as "
                     f"{out.min():.3g}): the lesson's encoder ends with a ReLU after the second "
                     f"convolution.")
    if out.max() == 0:
        raise NotYet(f"the feature maps of {call} are all zero for every test image: nothing "
                     f"would reach the code. Is the ReLU applied to something that is never "
                     f"positive?")
    if out.min() > 0 and out.max() < 1:
        raise NotYet(f"the feature maps of {call} all lie strictly between 0 and 1 and none is "
                     f"exactly 0: that is what a sigmoid gives. The lesson's encoder uses a ReLU "
                     f"after each convolution.")
    for c, encoder in encoders.items():
        got, expected = _parameter_count(encoder, framework), _conv_parameters(c)
        if got != expected:
            raise NotYet(f"build_conv_encoder({c}) has {got:,} parameters, the "
                         f"lesson's {expected:,}: two convolutions with 3 x 3 kernels and a "
                         f"bias, 1 -> 16 channels ({conv_parameter_count_reference(1, 16, 3)}) "
                         f"and 16 -> {c} ({conv_parameter_count_reference(16, c, 3):,}). The "
                         f"lesson's next cells count and measure these layers.")
    trained = _expect_encoder(fn(32), call, framework)
    _encode(trained, images[:1], call, framework)   # builds a Keras model made without an Input
    before = _snapshot_weights(trained, framework)
    try:
        first_loss, last_loss = _train_with_decoder(trained, 32, framework)
    except NotYet:
        raise
    except Exception as err:
        raise NotYet(f"training an autoencoder made of {call}, a linear layer and the course's "
                     f"decoder failed: {type(err).__name__}: {err}") from None
    after = _snapshot_weights(trained, framework)
    if all(np.array_equal(a, b) for a, b in zip(before, after)):
        raise NotYet(f"training an autoencoder built on {call} did not change your encoder's "
                     f"weights: are they frozen (requires_grad=False / trainable=False), or is "
                     f"the output cut off from the gradient (.detach(), stop_gradient)?")
    if not last_loss < 0.9 * first_loss:
        raise NotYet(f"an autoencoder built on {call} (with a linear layer and the course's "
                     f"decoder) did not learn: 10 Adam steps took its loss from "
                     f"{first_loss:.4g} to {last_loss:.4g}.")
