"""Checkers for lesson 01 (the linear autoencoder is PCA).

Exercises
---------
01.pca_components       mean and top-k principal directions of a data matrix, with an SVD
01.pca_reconstruct      project images onto the principal subspace and back
01.linear_autoencoder   the linear autoencoder model (PyTorch or Keras)
01.principal_angles     angles between two subspaces, from scratch (QR + SVD)
"""

from __future__ import annotations

import numpy as np

from . import NotAttempted, NotYet, answer_array, call_unchanged, exercise, expect_array, kind_of, to_numpy

# ---------------------------------------------------------------------------------------------
# Reference implementations (numpy)


def pca_components_reference(data: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """data (N, D) -> (mean (D,), components (k, D)): orthonormal rows, largest variance first."""
    mean = data.mean(axis=0)
    _, _, vt = np.linalg.svd(data - mean, full_matrices=False)
    return mean, vt[:k]


def pca_reconstruct_reference(images: np.ndarray, mean: np.ndarray,
                              components: np.ndarray) -> np.ndarray:
    """images (N, D), mean (D,), components (k, D) orthonormal rows -> reconstructions (N, D)."""
    codes = (images - mean) @ components.T
    return mean + codes @ components


def principal_angles_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a (D, k), b (D, k) -> the k principal angles between their column spaces, degrees, largest first."""
    from scipy.linalg import subspace_angles

    return np.degrees(subspace_angles(a, b))


# ---------------------------------------------------------------------------------------------
# Test inputs


def _data(n: int, d: int, seed: int) -> np.ndarray:
    """(n, d) data with a non-zero mean and clearly different variances along rotated directions."""
    rng = np.random.default_rng(seed)
    scales = np.geomspace(5.0, 0.2, d)                     # distinct variances: a unique PCA
    rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))    # directions not along the axes
    return (rng.normal(size=(n, d)) * scales) @ rotation.T + rng.uniform(1.0, 3.0, size=d)


# ---------------------------------------------------------------------------------------------
# 01.pca_components


@exercise("01.pca_components", title="PCA with an SVD: the mean and the top-k principal directions",
          reference=pca_components_reference,
          hint="PCA describes how the data spreads around its mean, so remove the mean first. "
               "The singular value decomposition of the centred data matrix then gives the "
               "principal directions directly, ordered by how much variance each explains. Mind "
               "whether they come out as rows or as columns.",
          answer="`mean = data.mean(axis=0)`, then `U, S, Vt = np.linalg.svd(data - mean, "
                 "full_matrices=False)`: the rows of `Vt` are the principal directions, largest "
                 "singular value first. `return mean, Vt[:k]`.")
def _check_pca_components(fn, framework):
    # the notebook asks for all the directions (k = D) once; float32 data like the images
    for n, d, k, seed in ((200, 12, 3, 0), (60, 30, 5, 1), (40, 8, 1, 2), (50, 10, 10, 7)):
        data = _data(n, d, seed).astype(np.float32 if seed == 7 else np.float64)
        out = call_unchanged(fn, data, k, what="pca_components")
        if out is None:
            raise NotYet("pca_components returned None: fill in the TODO and `return mean, components`.")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise NotYet(f"pca_components should return two things, `(mean, components)`; "
                         f"it returned {kind_of(out)}.")
        mean, components = out
        ref_mean, ref_components = pca_components_reference(data.astype(np.float64), k)
        tol = dict(rtol=1e-6, atol=1e-8) if data.dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
        expect_array(mean, ref_mean, name=f"the mean (data {n}x{d})", **tol,
                     shape_hint="The mean image has one value per pixel: average over axis 0.")
        components = answer_array(components, name="components",
                                  returns="`mean, components` with components a (k, D) array")
        if components.shape == (d, k) and k != d:
            raise NotYet(f"components has shape {components.shape}: the directions are in its "
                         f"columns. Return them as rows, shape ({k}, {d}) (the rows of Vt).")
        if components.shape != (k, d):
            raise NotYet(f"components has shape {components.shape}, expected ({k}, {d}): "
                         f"k directions, one per row, each with one entry per pixel. (The rows "
                         f"of Vt live in pixel space; the columns of U live in image-index space.)")
        if not np.all(np.isfinite(components)):
            raise NotYet("components contains NaN or infinity.")
        components = components.astype(np.float64)
        close = 1e-5 if data.dtype == np.float64 else 1e-3
        gram = components @ components.T
        if not np.allclose(gram, np.eye(k), atol=close):
            raise NotYet("the components are not orthonormal (unit length, at right angles to "
                         "each other). The rows of Vt from np.linalg.svd are; did you scale them "
                         "(by the singular values?) or mix rows and columns?")
        overlap = np.abs(np.sum(components * ref_components, axis=1))  # |cos| per direction
        if np.all(overlap > 1 - close):
            continue
        uncentred = np.linalg.svd(data, full_matrices=False)[2][:k]
        if np.all(np.abs(np.sum(components * uncentred, axis=1)) > 1 - 1e-5):
            raise NotYet("your directions come from the data without its mean removed. "
                         "PCA looks at the spread around the mean: take the SVD of `data - mean`.")
        full = np.linalg.svd(data - ref_mean, full_matrices=False)[2]
        matches = np.abs(components @ full.T) > 1 - 1e-5
        if matches.sum() == k and not np.array_equal(np.argmax(matches, axis=1), np.arange(k)):
            raise NotYet("these are principal directions, but not the top k in order. "
                         "np.linalg.svd sorts singular values from largest to smallest, so take "
                         "the first k rows of Vt (np.linalg.eigh sorts the other way round).")
        worst = int(np.argmin(overlap))
        raise NotYet(f"component {worst} points in the wrong direction: its |cosine| with the "
                     f"true principal direction is {overlap[worst]:.3f}, expected 1 (either sign "
                     f"is fine).")


# ---------------------------------------------------------------------------------------------
# 01.pca_reconstruct


@exercise("01.pca_reconstruct", title="reconstruct images from their top-k principal components",
          reference=pca_reconstruct_reference,
          hint="A reconstruction goes down to k numbers per image and back up: measure each "
               "image from the mean, take its coordinate along each principal direction (one dot "
               "product per direction), rebuild the image from those k coordinates, and undo the "
               "first step.",
          answer="`codes = (images - mean) @ components.T` (shape (N, k)), then `return mean + "
                 "codes @ components` (shape (N, D)).")
def _check_pca_reconstruct(fn, framework):
    for n, d, k, seed in ((20, 12, 3, 3), (7, 30, 5, 4), (5, 8, 8, 5)):
        data = _data(n + 50, d, seed)
        mean, components = pca_components_reference(data[n:], k)
        images = data[:n]
        out = call_unchanged(fn, images, mean, components, what="pca_reconstruct")
        expected = pca_reconstruct_reference(images, mean, components)
        got = answer_array(out, name="pca_reconstruct's result", returns="the reconstructions")
        if got.shape == (n, k) and k != d:
            raise NotYet(f"you returned an array of shape {got.shape}: those are the codes. "
                         f"Map them back to pixel space with `codes @ components` (and add the mean).")
        if got.shape == expected.shape and np.all(np.isfinite(got)):
            wrongs = {
                "you forgot to add the mean back at the end: the reconstruction of a centred "
                "image is centred too.": expected - mean,
                "you projected the images without subtracting the mean first. Centre, "
                "project, map back, then add the mean.": images @ components.T @ components,
                "you projected without centring and then added the mean: subtract it first.":
                    images @ components.T @ components + mean,
                "you returned the input unchanged.": images,
            }
            if k < d:  # at k == d PCA reconstructs exactly, so these coincide with the answer
                for message, wrong in wrongs.items():
                    if np.allclose(got, wrong, rtol=1e-6, atol=1e-8):
                        raise NotYet(message)
        expect_array(out, expected, name=f"the reconstruction of {n} images (k={k})", rtol=1e-5,
                     atol=1e-7, shape_hint="One reconstruction per image, with as many pixels "
                                           "as the image.")


# ---------------------------------------------------------------------------------------------
# 01.principal_angles


@exercise("01.principal_angles", title="principal angles between two subspaces (QR + SVD)",
          reference=principal_angles_reference,
          hint="The angles between two subspaces do not depend on the bases you were given, so "
               "first replace each basis by an orthonormal one. The cosines of the principal "
               "angles are then the singular values of the matrix of dot products between the "
               "two orthonormal bases. Round-off can push a cosine just above 1.",
          answer="`Qa, _ = np.linalg.qr(a)` and `Qb, _ = np.linalg.qr(b)`; `cosines = "
                 "np.linalg.svd(Qa.T @ Qb, compute_uv=False)`; `angles = "
                 "np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0)))`; `return "
                 "np.sort(angles)[::-1]` (largest first).")
def _check_principal_angles(fn, framework):
    rng = np.random.default_rng(6)
    d, k = 20, 3
    a = rng.normal(size=(d, k))
    near = a + 0.3 * rng.normal(size=(d, k))       # a nearby subspace: small, distinct angles
    cases = [
        ("two random 3-D subspaces of R^20", a, rng.normal(size=(d, k))),
        ("two nearby subspaces, columns of very different lengths", a * [1.0, 40.0, 0.02], near),
        ("the same subspace in two different bases", a, a @ rng.normal(size=(k, k))),
        ("span(e1, e2) and span(e2, e3)", np.eye(5)[:, :2], np.eye(5)[:, 1:3]),
    ]
    for what, x, y in cases:
        out = call_unchanged(fn, x, y, what="principal_angles")
        expected = principal_angles_reference(x, y)
        got = answer_array(out, name="principal_angles' result", returns="the angles")
        if (got.shape == expected.shape and np.all(np.isfinite(got))
                and np.allclose(got, expected, rtol=1e-4, atol=1e-3)):
            continue
        if got.shape == expected.shape and np.all(np.isfinite(got)) and len(got) > 1:
            if np.allclose(np.degrees(got), expected, atol=1e-3):
                raise NotYet(f"for {what}: your angles look like radians. Convert with np.degrees.")
            if np.allclose(got[::-1], expected, atol=1e-3):
                raise NotYet(f"for {what}: right angles, wrong order. Sort them from largest "
                             f"to smallest, as scipy.linalg.subspace_angles does.")
        if got.shape == expected.shape and np.any(np.isnan(got)):
            raise NotYet(f"for {what}: you got NaN. A cosine slightly above 1 from round-off "
                         f"makes np.arccos return NaN: `np.clip(cosines, -1.0, 1.0)` first.")
        expect_array(got, expected, name=f"the angles for {what}", rtol=1e-4, atol=1e-3,
                     shape_hint=f"Two {k}-dimensional subspaces have {k} principal angles "
                                f"(one per singular value of Qa.T @ Qb).")


# ---------------------------------------------------------------------------------------------
# 01.linear_autoencoder (framework-specific)
#
# The notebook passes the class and builds models with LinearAutoencoder(784, k); later cells
# read model.encoder / model.decoder (one layer each, their weights and biases), call
# model.encoder on a batch, train with Adam (PyTorch: glorot_init_ over every nn.Linear; Keras:
# compile, fit, evaluate, predict). The check builds the student's model for a few (input_dim,
# latent_dim), loads the same seeded weights as a reference model into its encoder and decoder,
# and compares what it computes with decoder(encoder(x)) on random batches; then it checks that
# gradients reach both layers. A mismatch is compared with known mistakes to name the one made.


def _affine_violation(f, x1: np.ndarray, x2: np.ndarray) -> float:
    """Largest |f(a x1 + (1-a) x2) - (a f(x1) + (1-a) f(x2))|, relative: 0 for affine maps."""
    a = -1.7  # outside [0, 1], so a ReLU or a sigmoid cannot hide
    left = f(a * x1 + (1 - a) * x2)
    right = a * f(x1) + (1 - a) * f(x2)
    return float(np.max(np.abs(left - right)) / (np.max(np.abs(right)) + 1e-6))


def _reference_weights(d: int, k: int, seed: int):
    """Encoder (k, d), (k,) and decoder (d, k), (d,) weights in PyTorch's layout, float32."""
    rng = np.random.default_rng(seed)
    return (rng.normal(0, 1 / np.sqrt(d), (k, d)).astype(np.float32),
            rng.normal(0, 0.5, k).astype(np.float32),
            rng.normal(0, 1 / np.sqrt(k), (d, k)).astype(np.float32),
            rng.normal(0, 0.5, d).astype(np.float32))


class _TorchModel:
    """The student's PyTorch model behind the interface the shared check uses."""

    layer_name = "nn.Linear"
    sizes_from_first_call = False   # nn.Linear has its sizes from the constructor

    def __init__(self, model, d, k):
        from torch import nn

        if not isinstance(model, nn.Module):
            raise NotYet(f"LinearAutoencoder({d}, {k}) should give an nn.Module (subclass "
                         f"nn.Module and call super().__init__()), but it gave {kind_of(model)}.")
        self.model, self.d, self.k = model, d, k
        self.enc, self.dec = getattr(model, "encoder", None), getattr(model, "decoder", None)

    def layer_sizes(self, layer):
        from torch import nn

        return (layer.in_features, layer.out_features) if isinstance(layer, nn.Linear) else None

    def has_bias(self, layer):
        return layer.bias is not None

    def describe(self, layer):
        from torch import nn

        sizes = self.layer_sizes(layer) if layer is not None else None
        return (f"it maps {sizes[0]} numbers to {sizes[1]}" if sizes else
                f"it is {'a ' + type(layer).__name__ if isinstance(layer, nn.Module) else kind_of(layer)}")

    def activation(self, layer):
        return None

    def forward(self, x):
        import torch

        # the notebook passes torch.from_numpy(centred): an in-place change would alter its data
        with torch.no_grad():
            return call_unchanged(self.model.forward, torch.tensor(np.asarray(x, np.float32)),
                                  what="the forward pass")

    def apply(self, layer, x):
        import torch

        with torch.no_grad():
            return layer(torch.as_tensor(np.asarray(x, np.float32))).numpy().astype(np.float64)

    def load(self, we, be, wd, bd):
        import torch

        with torch.no_grad():
            for param, value in ((self.enc.weight, we), (self.enc.bias, be),
                                 (self.dec.weight, wd), (self.dec.bias, bd)):
                param.copy_(torch.from_numpy(value))
        return [p.detach().numpy() for p in (self.enc.weight, self.enc.bias, self.dec.weight,
                                             self.dec.bias)]

    def parameter_count(self):
        return sum(p.numel() for p in self.model.parameters() if p.requires_grad)

    def gradients(self, x):
        import torch

        self.model.zero_grad()
        out = self.model(torch.as_tensor(np.asarray(x, np.float32)))
        if not isinstance(out, torch.Tensor) or not out.requires_grad:
            return {"self.encoder": None, "self.decoder": None}
        (out ** 2).sum().backward()
        return {"self.encoder": self.enc.weight.grad, "self.decoder": self.dec.weight.grad}

    def compiled_forward(self, x):
        return None   # PyTorch runs the forward pass as written


class _KerasModel:
    """The student's Keras model behind the interface the shared check uses."""

    layer_name = "keras.layers.Dense"
    sizes_from_first_call = True    # Dense(units) gets its input size when first called

    def __init__(self, model, d, k):
        import keras

        if not isinstance(model, keras.Model):
            raise NotYet(f"LinearAutoencoder({d}, {k}) should give a keras.Model (subclass "
                         f"keras.Model and call super().__init__()), but it gave {kind_of(model)}.")
        self.model, self.d, self.k = model, d, k
        if getattr(model, "encoder", None) is None and getattr(model, "decoder", None) is None:
            raise NotAttempted("`self.encoder` and `self.decoder` are still None: replace them "
                               "with the two layers.")
        try:
            model(np.zeros((1, d), np.float32))  # builds the layers
        except Exception as err:
            raise NotYet(f"calling the model on a batch of shape (1, {d}) raised "
                         f"{type(err).__name__}: {err}") from None
        self.enc, self.dec = getattr(model, "encoder", None), getattr(model, "decoder", None)

    def layer_sizes(self, layer):
        import keras

        if not isinstance(layer, keras.layers.Dense) or not layer.built:
            return None
        return tuple(layer.kernel.shape)

    def has_bias(self, layer):
        return layer.bias is not None

    def describe(self, layer):
        import keras

        if isinstance(layer, keras.layers.Dense) and not layer.built:
            return ("it is a Dense layer that call() never uses (calling the model did not "
                    "create its weights)")
        sizes = self.layer_sizes(layer) if layer is not None else None
        what = ("a " + type(layer).__name__ if isinstance(layer, keras.layers.Layer)
                else kind_of(layer))
        return f"it maps {sizes[0]} numbers to {sizes[1]}" if sizes else f"it is {what}"

    def activation(self, layer):
        import keras

        name = getattr(layer.activation, "__name__", str(layer.activation))
        return None if layer.activation is keras.activations.linear or name == "linear" else name

    def forward(self, x):
        return self.model(np.asarray(x, np.float32))

    def apply(self, layer, x):
        return np.asarray(layer(np.asarray(x, np.float32)), dtype=np.float64)

    def load(self, we, be, wd, bd):
        for var, value in ((self.enc.kernel, we.T), (self.enc.bias, be), (self.dec.kernel, wd.T),
                           (self.dec.bias, bd)):
            var.assign(value)
        return [self.enc.kernel.numpy().T, self.enc.bias.numpy(), self.dec.kernel.numpy().T,
                self.dec.bias.numpy()]

    def parameter_count(self):
        return int(sum(np.prod(v.shape) for v in self.model.trainable_variables))

    def gradients(self, x):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            out = self.model(np.asarray(x, np.float32))
            loss = tf.reduce_sum(tf.square(out)) if tf.is_tensor(out) else None
        if loss is None:
            return {"self.encoder": None, "self.decoder": None}
        grads = tape.gradient(loss, [self.enc.kernel, self.dec.kernel])
        return {"self.encoder": grads[0], "self.decoder": grads[1]}

    def compiled_forward(self, x):
        return self.model.predict(np.asarray(x, np.float32), verbose=0)


def _as_batch(out, what: str, shape) -> np.ndarray:
    """The model's output as a float64 array; NotYet naming None, tuples and the like."""
    if out is None:
        raise NotYet("the model's forward pass returned None: `return` the reconstruction.")
    if isinstance(out, (tuple, list, dict)) or not hasattr(out, "shape"):
        raise NotYet(f"{what} returned {kind_of(out)}; it should return only the "
                     f"reconstruction, one tensor of shape {shape}.")
    return to_numpy(out).astype(np.float64)


def _check_one_model(m, d: int, k: int, seed: int, compiled: bool) -> None:
    name = m.layer_name
    enc_sizes = m.layer_sizes(m.enc) if m.enc is not None else None
    dec_sizes = m.layer_sizes(m.dec) if m.dec is not None else None
    enc_ok, dec_ok = enc_sizes == (d, k), dec_sizes == (k, d)
    if m.enc is None and m.dec is None:   # the notebook's stub, untouched
        raise NotAttempted("`self.encoder` and `self.decoder` are still None: replace them with "
                           "the two layers.")
    if enc_sizes == (k, d) and dec_sizes == (d, k):
        raise NotYet(f"in LinearAutoencoder({d}, {k}) `self.encoder` maps {k} numbers to {d} and "
                     f"`self.decoder` {d} to {k}: the roles are swapped (or input_dim and "
                     f"latent_dim are). The notebook calls LinearAutoencoder(784, k): the "
                     f"encoder goes from input_dim to latent_dim.")
    if enc_ok and dec_sizes == (d, d) and m.sizes_from_first_call:
        raise NotYet(f"`self.decoder` was first called on {d} numbers (its weights are "
                     f"{d}x{d}), not on the {k}-number code: the forward pass must encode first "
                     f"and return self.decoder(self.encoder(x)).")
    if not enc_ok:
        raise NotYet(f"`self.encoder` should be one {name} layer from {d} inputs to a code of "
                     f"{k} numbers (later cells read its weights); {m.describe(m.enc)}.")
    if not dec_ok:
        raise NotYet(f"`self.decoder` should be one {name} layer from the {k}-number code back "
                     f"to {d} outputs (later cells read its weight matrix); {m.describe(m.dec)}.")
    for attr, layer in (("self.encoder", m.enc), ("self.decoder", m.dec)):
        if not m.has_bias(layer):
            raise NotYet(f"`{attr}` has no bias (bias=False / use_bias=False). The lesson's "
                         f"linear autoencoder keeps both biases: a reconstruction is "
                         f"decoder_bias + W_d z. Leave the default on.")
    we, be, wd, bd = _reference_weights(d, k, seed)
    read_back = m.load(we, be, wd, bd)
    if not all(np.array_equal(got, want) for got, want in zip(read_back, (we, be, wd, bd))):
        raise NotYet("after setting the encoder's and the decoder's weights one after the other, "
                     "they no longer hold what was set: the two layers share their weights "
                     "(tied weights). The lesson's model has two independent layers.")
    expected_count = 2 * d * k + d + k
    if m.parameter_count() != expected_count:
        raise NotYet(f"LinearAutoencoder({d}, {k}) has {m.parameter_count()} trainable numbers; "
                     f"the linear autoencoder has {expected_count}: an encoder ({k}x{d} weights "
                     f"+ {k} biases) and a decoder ({d}x{k} + {d}) and nothing else.")
    rng = np.random.default_rng(seed + 100)
    x1 = rng.normal(0, 1, (6, d)).astype(np.float32)
    x2 = rng.normal(0, 1, (6, d)).astype(np.float32)
    x64 = x1.astype(np.float64)
    code = x64 @ we.T + be
    expected = code @ wd.T + bd
    try:
        raw = m.forward(x1)
    except Exception as err:
        try:   # decoder first? A batch of codes gets through encoder(decoder(z))
            z = rng.normal(0, 1, (6, k)).astype(np.float32)
            wrong = _as_batch(m.forward(z), "x", (6, k))
            if np.allclose(wrong, (z @ wd.T + bd) @ we.T + be, rtol=1e-4, atol=1e-4):
                raise NotYet("the forward pass applies the decoder first and the encoder "
                             "second: return self.decoder(self.encoder(x)).") from None
        except NotYet:
            raise
        except Exception:
            pass
        raise NotYet(f"calling the model on a batch of shape {x1.shape} raised "
                     f"{type(err).__name__}: {err}") from None
    out = _as_batch(raw, "the forward pass", (6, d))
    if out.shape == (6, k) and k != d and np.allclose(out, code, rtol=1e-4, atol=1e-4):
        raise NotYet(f"the model returns shape {out.shape}: that is the code. The forward pass "
                     f"should also decode it back to {d} numbers.")
    if out.shape != (6, d):
        raise NotYet(f"the model maps a batch of shape {x1.shape} to shape {out.shape}; "
                     f"an autoencoder's output has the shape of its input, (6, {d}).")
    encoded = m.apply(m.enc, x1)
    activation = {attr: m.activation(layer) for attr, layer in (("self.encoder", m.enc),
                                                                 ("self.decoder", m.dec))}
    if not np.allclose(encoded, code, rtol=1e-4, atol=1e-4):
        raise NotYet("`self.encoder(x)` is not x W + b" + (
            f": the layer has the activation {activation['self.encoder']}. A linear autoencoder "
            f"has no activation anywhere." if activation["self.encoder"] else "."))
    if not np.allclose(out, expected, rtol=1e-4, atol=1e-4):
        relu = np.maximum(code, 0)
        mistakes = {
            "there is a ReLU between the encoder and the decoder: the model is not linear. "
            "A linear autoencoder has no activation anywhere.": relu @ wd.T + bd,
            "the output goes through a sigmoid: the model is not linear. A linear "
            "autoencoder has no activation anywhere.": 1 / (1 + np.exp(-expected)),
            "the output goes through a ReLU: the model is not linear. A linear autoencoder "
            "has no activation anywhere.": np.maximum(expected, 0),
            "the output goes through a tanh: the model is not linear. A linear autoencoder "
            "has no activation anywhere.": np.tanh(expected),
            "the decoding uses the encoder's weight matrix (transposed), not the decoder's: "
            "those are tied weights, a different model. Return self.decoder(self.encoder(x)).":
                code @ we + bd,
            "the decoding uses the encoder's weight matrix (transposed) and no bias: tied "
            "weights, a different model. Return self.decoder(self.encoder(x)).": code @ we,
            "the decoder's bias is left out of the forward pass: return "
            "self.decoder(self.encoder(x)).": code @ wd.T,
            "the encoder's bias is left out of the forward pass: return "
            "self.decoder(self.encoder(x)).": (x64 @ we.T) @ wd.T + bd,
            "the forward pass returns its input unchanged: return "
            "self.decoder(self.encoder(x)).": x64,
            "the forward pass adds the input to the reconstruction (a skip connection): "
            "return only self.decoder(self.encoder(x)).": expected + x64,
        }
        for message, wrong in mistakes.items():
            if np.allclose(out, wrong, rtol=1e-4, atol=1e-4):
                raise NotYet(message)
        if activation["self.decoder"]:
            raise NotYet(f"`self.decoder` has the activation {activation['self.decoder']}: a "
                         f"linear autoencoder has no activation anywhere.")
        if _affine_violation(lambda v: _as_batch(m.forward(v), "the forward pass", (6, d)),
                             x1, x2) > 1e-4:
            raise NotYet("the model is not linear: leave out every activation function "
                         "(no ReLU, no sigmoid on the output). A linear autoencoder has none.")
        worst = np.unravel_index(np.argmax(np.abs(out - expected)), out.shape)
        raise NotYet(f"with the same weights loaded into self.encoder and self.decoder, your "
                     f"model computes something else than decoder(encoder(x)): at index "
                     f"{tuple(map(int, worst))} you have {out[worst]:.5g}, expected "
                     f"{expected[worst]:.5g}.")
    grads = m.gradients(x1)
    for attr, grad in grads.items():
        if grad is None or not np.any(to_numpy(grad)):
            raise NotYet(f"no gradient reaches `{attr}`'s weights, so training would not change "
                         f"them: the forward pass must not use torch.no_grad(), .detach(), "
                         f".numpy() or numpy functions.")
    compiled = m.compiled_forward(x1) if compiled else None
    if compiled is not None and not np.allclose(np.asarray(compiled, np.float64), expected,
                                                rtol=1e-4, atol=1e-4):
        raise NotYet("model.predict (which runs call() compiled, as fit and evaluate do) gives "
                     "other numbers than calling the model directly.")


@exercise("01.linear_autoencoder", title="the linear autoencoder: encoder, decoder, forward pass",
          reference="linear.LinearAutoencoder", frameworks=("torch", "keras"),
          hint="A linear autoencoder is one layer that squeezes input_dim numbers into "
               "latent_dim and one layer that expands them back, with nothing in between: no "
               "activation function anywhere, so the whole model stays linear.",
          answer={"torch": "In `__init__`: `self.encoder = nn.Linear(input_dim, latent_dim)` and "
                           "`self.decoder = nn.Linear(latent_dim, input_dim)`. In `forward`: "
                           "`return self.decoder(self.encoder(x))`.",
                  "keras": "In `__init__`: `self.encoder = keras.layers.Dense(latent_dim)` and "
                           "`self.decoder = keras.layers.Dense(input_dim)` (no activation). In "
                           "`call`: `return self.decoder(self.encoder(x))`."})
def _check_linear_autoencoder(fn, framework):
    import warnings

    # (a model instance passed instead of the class is named by check.run itself)
    wrapper = _TorchModel if framework == "torch" else _KerasModel
    for seed, (d, k) in enumerate(((12, 3), (784, 10), (30, 1))):
        with warnings.catch_warnings():  # Keras warns about unbuilt layers of wrong models
            warnings.simplefilter("ignore", UserWarning)
            model = fn(d, k)   # positional, as the notebook calls it
            m = wrapper(model, d, k)
            _check_one_model(m, d, k, seed, compiled=seed == 0)   # model.predict once is enough
