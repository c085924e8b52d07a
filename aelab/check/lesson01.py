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

from . import NotYet, exercise, expect_array
from ._compare import to_numpy

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


def _call(fn, *args):
    """Call fn on copies of the numpy arguments; complain if it changes them in place."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    out = fn(*copies)
    for given, original in zip(copies, args):
        if isinstance(original, np.ndarray) and not np.array_equal(given, original):
            raise NotYet("your function changed one of its input arrays in place; "
                         "compute new arrays instead (e.g. `centred = data - mean`).")
    return out


# ---------------------------------------------------------------------------------------------
# 01.pca_components


@exercise("01.pca_components", title="PCA with an SVD: the mean and the top-k principal directions",
          reference=lambda framework: pca_components_reference,
          hint="PCA describes how the data spreads around its mean, so remove the mean first. "
               "The singular value decomposition of the centred data matrix then gives the "
               "principal directions directly, ordered by how much variance each explains. Mind "
               "whether they come out as rows or as columns.",
          answer="`mean = data.mean(axis=0)`, then `U, S, Vt = np.linalg.svd(data - mean, "
                 "full_matrices=False)`: the rows of `Vt` are the principal directions, largest "
                 "singular value first. `return mean, Vt[:k]`.")
def _check_pca_components(fn, framework):
    for n, d, k, seed in ((200, 12, 3, 0), (60, 30, 5, 1), (40, 8, 1, 2)):
        data = _data(n, d, seed)
        out = _call(fn, data, k)
        if out is None:
            raise NotYet("pca_components returned None: fill in the TODO and `return mean, components`.")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise NotYet(f"pca_components should return two things, `(mean, components)`; "
                         f"got {type(out).__name__}.")
        mean, components = out
        ref_mean, ref_components = pca_components_reference(data, k)
        expect_array(mean, ref_mean, name=f"the mean (data {n}x{d})", rtol=1e-6, atol=1e-8,
                     shape_hint="The mean image has one value per pixel: average over axis 0.")
        components = to_numpy(components) if components is not None else None
        if components is None:
            raise NotYet("components is None.")
        if components.shape == (d, k) and k != d:
            raise NotYet(f"components has shape {components.shape}: the directions are in its "
                         f"columns. Return them as rows, shape ({k}, {d}) (the rows of Vt).")
        if components.shape != (k, d):
            raise NotYet(f"components has shape {components.shape}, expected ({k}, {d}): "
                         f"k directions, one per row, each with one entry per pixel. (The rows "
                         f"of Vt live in pixel space; the columns of U live in image-index space.)")
        if not np.all(np.isfinite(components)):
            raise NotYet("components contains NaN or infinity.")
        gram = components @ components.T
        if not np.allclose(gram, np.eye(k), atol=1e-5):
            raise NotYet("the components are not orthonormal (unit length, at right angles to "
                         "each other). The rows of Vt from np.linalg.svd are; did you scale them "
                         "(by the singular values?) or mix rows and columns?")
        overlap = np.abs(np.sum(components * ref_components, axis=1))  # |cos| per direction
        if np.all(overlap > 1 - 1e-5):
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
          reference=lambda framework: pca_reconstruct_reference,
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
        out = _call(fn, images, mean, components)
        expected = pca_reconstruct_reference(images, mean, components)
        if out is None:
            raise NotYet("pca_reconstruct returned None: fill in the TODO and return the "
                         "reconstructions.")
        got = to_numpy(out)
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
          reference=lambda framework: principal_angles_reference,
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
        out = _call(fn, x, y)
        expected = principal_angles_reference(x, y)
        if out is None:
            raise NotYet("principal_angles returned None: fill in the TODO and return the angles.")
        got = to_numpy(out)
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


def _model_reference(framework: str):
    if framework == "torch":
        from ..models.linear_torch import LinearAutoencoder
    else:
        from ..models.linear_keras import LinearAutoencoder
    return LinearAutoencoder


def _affine_violation(f, x1: np.ndarray, x2: np.ndarray) -> float:
    """Largest |f(a x1 + (1-a) x2) - (a f(x1) + (1-a) f(x2))|, relative: 0 for affine maps."""
    a = -1.7  # outside [0, 1], so a ReLU or a sigmoid cannot hide
    left = f(a * x1 + (1 - a) * x2)
    right = a * f(x1) + (1 - a) * f(x2)
    return float(np.max(np.abs(left - right)) / (np.max(np.abs(right)) + 1e-6))


def _check_model_parts(model, enc_fn, dec_fn, forward, d, k, encoder_ok, decoder_ok, layer_name):
    rng = np.random.default_rng(7)
    x1 = rng.normal(size=(6, d)).astype(np.float32) * 3.0
    x2 = rng.normal(size=(6, d)).astype(np.float32) * 3.0
    if not encoder_ok:
        raise NotYet(f"`self.encoder` should be one {layer_name} layer from {d} inputs to a "
                     f"code of {k} numbers (later cells read its weights).")
    if not decoder_ok:
        raise NotYet(f"`self.decoder` should be one {layer_name} layer from the {k}-number code "
                     f"back to {d} outputs (later cells read its weight matrix).")
    try:
        out = forward(x1)
    except Exception as err:
        raise NotYet(f"calling the model on a batch of shape {x1.shape} raised "
                     f"{type(err).__name__}: {err}") from None
    if out is None:
        raise NotYet("the model's forward pass returned None: `return` the reconstruction.")
    if out.shape == (6, k) and k != d:
        raise NotYet(f"the model returns shape {out.shape}: that is the code. The forward pass "
                     f"should also decode it back to {d} numbers.")
    if out.shape != (6, d):
        raise NotYet(f"the model maps a batch of shape {x1.shape} to shape {out.shape}; "
                     f"an autoencoder's output has the shape of its input, ({6}, {d}).")
    code = enc_fn(x1)
    if code.shape != (6, k):
        raise NotYet(f"the encoder maps a batch of shape {x1.shape} to {code.shape}, "
                     f"expected a code of shape (6, {k}).")
    if _affine_violation(enc_fn, x1, x2) > 1e-4:
        raise NotYet("the encoder is not linear: leave out the activation function "
                     "(no ReLU, no sigmoid). A linear autoencoder has none anywhere.")
    if _affine_violation(forward, x1, x2) > 1e-4:
        raise NotYet("the model is not linear: leave out every activation function "
                     "(no ReLU, no sigmoid on the output). A linear autoencoder has none.")
    composed = dec_fn(code)
    if not np.allclose(out, composed, rtol=1e-4, atol=1e-5):
        raise NotYet("the forward pass should return `decoder(encoder(x))`, with nothing else "
                     "(it returned something different for a random batch).")


def _check_torch_model(cls, d, k):
    import torch
    from torch import nn

    model = cls(d, k)   # on the check's own random numbers (check.run), not the notebook's
    if not isinstance(model, nn.Module):
        raise NotYet(f"LinearAutoencoder({d}, {k}) should be an nn.Module (subclass nn.Module "
                     f"and call super().__init__()), got {type(model).__name__}.")
    enc, dec = getattr(model, "encoder", None), getattr(model, "decoder", None)
    encoder_ok = isinstance(enc, nn.Linear) and (enc.in_features, enc.out_features) == (d, k)
    decoder_ok = isinstance(dec, nn.Linear) and (dec.in_features, dec.out_features) == (k, d)

    def numpy_of(module):
        def apply(x):
            with torch.no_grad():
                y = module(torch.as_tensor(np.asarray(x, dtype=np.float32)))
            return None if y is None else y.detach().numpy().astype(np.float64)
        return apply

    _check_model_parts(model, numpy_of(enc) if encoder_ok else None,
                       numpy_of(dec) if decoder_ok else None, numpy_of(model), d, k,
                       encoder_ok, decoder_ok, "nn.Linear")


def _check_keras_model(cls, d, k):
    import keras

    model = cls(d, k)   # on the check's own random numbers (check.run), not the notebook's
    if not isinstance(model, keras.Model):
        raise NotYet(f"LinearAutoencoder({d}, {k}) should be a keras.Model (subclass "
                     f"keras.Model and call super().__init__()), got {type(model).__name__}.")

    def numpy_of(layer):
        def apply(x):
            y = layer(np.asarray(x, dtype=np.float32))
            return None if y is None else np.asarray(y, dtype=np.float64)
        return apply

    forward = numpy_of(model)
    try:
        forward(np.zeros((1, d), np.float32))  # builds the layers
    except Exception as err:
        raise NotYet(f"calling the model on a batch of shape (1, {d}) raised "
                     f"{type(err).__name__}: {err}") from None
    enc, dec = getattr(model, "encoder", None), getattr(model, "decoder", None)
    dense = keras.layers.Dense
    encoder_ok = isinstance(enc, dense) and enc.units == k
    decoder_ok = isinstance(dec, dense) and dec.units == d
    _check_model_parts(model, numpy_of(enc) if encoder_ok else None,
                       numpy_of(dec) if decoder_ok else None, forward, d, k,
                       encoder_ok, decoder_ok, "keras.layers.Dense")


@exercise("01.linear_autoencoder", title="the linear autoencoder: encoder, decoder, forward pass",
          reference=_model_reference, frameworks=("torch", "keras"),
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

    for d, k in ((12, 3), (784, 10), (30, 1)):
        if framework == "torch":
            _check_torch_model(fn, d, k)
        else:
            with warnings.catch_warnings():  # Keras warns about unbuilt layers of wrong models
                warnings.simplefilter("ignore", UserWarning)
                _check_keras_model(fn, d, k)
