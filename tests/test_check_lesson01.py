"""The lesson-01 checkers accept every correct answer and reject plausible wrong ones."""

import numpy as np
import pytest

from aelab import check

# ---------------------------------------------------------------------------------------------
# helpers


def verdict(exercise_id, fn, framework=None):
    result = check.run(exercise_id, fn, framework=framework, show=False)
    return result.passed, result.message


def assert_passes(exercise_id, fn, framework=None):
    passed, message = verdict(exercise_id, fn, framework)
    assert passed, message


def assert_rejected(exercise_id, fn, *words, framework=None):
    passed, message = verdict(exercise_id, fn, framework)
    assert not passed, "a wrong answer passed"
    for word in words:
        assert word.lower() in message.lower(), f"hint should mention {word!r}: {message}"


def test_lesson01_exercises_are_registered():
    ids = check.exercises()
    for name in ("pca_components", "pca_reconstruct", "linear_autoencoder", "principal_angles"):
        assert f"01.{name}" in ids


# ---------------------------------------------------------------------------------------------
# 01.pca_components


def pca_svd(data, k):
    mean = data.mean(axis=0)
    _, _, vt = np.linalg.svd(data - mean, full_matrices=False)
    return mean, vt[:k]


def pca_eigh(data, k):
    """Another correct answer: eigenvectors of the covariance, re-sorted, signs flipped."""
    mean = np.mean(data, axis=0)
    centred = data - mean
    values, vectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(values)[::-1][:k]
    return mean, -vectors[:, order].T


def pca_sklearn(data, k):
    from sklearn.decomposition import PCA

    pca = PCA(n_components=k, svd_solver="full").fit(data)
    return pca.mean_, pca.components_


@pytest.mark.parametrize("fn", [pca_svd, pca_eigh, pca_sklearn])
def test_pca_components_accepts_correct_answers(fn):
    assert_passes("01.pca_components", fn)


def test_pca_components_reference_passes():
    assert_passes("01.pca_components", check.reference("01.pca_components"))


@pytest.mark.parametrize("fn, words", [
    (lambda data, k: None, ["None"]),
    (lambda data, k: (data.mean(axis=0), np.linalg.svd(data, full_matrices=False)[2][:k]),
     ["mean removed"]),
    (lambda data, k: (data.mean(axis=1), pca_svd(data, k)[1]), ["mean"]),
    (lambda data, k: (data.mean(axis=0),
                      np.linalg.svd(data - data.mean(axis=0), full_matrices=False)[0][:, :k]),
     ["shape"]),
    (lambda data, k: (data.mean(axis=0), pca_svd(data, k)[1].T), ["rows"]),
    (lambda data, k: (data.mean(axis=0),
                      np.linalg.svd(data - data.mean(axis=0), full_matrices=False)[2][-k:]),
     ["top k"]),
    (lambda data, k: (data.mean(axis=0),
                      np.linalg.eigh(np.cov(data.T))[1][:, -k:].T), ["order"]),
    (lambda data, k: (data.mean(axis=0), np.linalg.svd(data - data.mean(axis=0),
                      full_matrices=False)[1][:k, None] * pca_svd(data, k)[1]), ["orthonormal"]),
    (lambda data, k: data.mean(axis=0), ["two things"]),
])
def test_pca_components_rejects_wrong_answers(fn, words):
    assert_rejected("01.pca_components", fn, *words)


def test_pca_components_rejects_in_place_centring():
    def centre_in_place(data, k):
        mean = data.mean(axis=0)
        data -= mean
        return mean, np.linalg.svd(data, full_matrices=False)[2][:k]

    assert_rejected("01.pca_components", centre_in_place, "changed `data` in place")


@pytest.mark.parametrize("fn, words", [
    (lambda data, k: (*pca_svd(data, k), None), "it returned a tuple of 3 values"),
    (lambda data, k: (x for x in pca_svd(data, k)), "it returned a generator"),
    (lambda data, k: (pca_svd(data, k)[0], list(pca_svd(data, k)[1])), "a list of 3 values"),
    (lambda data, k: {"mean": pca_svd(data, k)[0], "components": pca_svd(data, k)[1]}, "a dict"),
])
def test_pca_components_names_what_was_returned(fn, words):
    assert_rejected("01.pca_components", fn, words)


def test_pca_components_all_directions_of_float32_data():
    """The notebook asks for all 784 directions of float32 images: k = D must work."""
    def drops_last_direction(data, k):
        mean, components = pca_svd(data, k)
        return mean, components[: min(k, data.shape[1] - 1)]

    assert_rejected("01.pca_components", drops_last_direction, "expected (10, 10)")


# ---------------------------------------------------------------------------------------------
# 01.pca_reconstruct


def reconstruct(images, mean, components):
    return mean + (images - mean) @ components.T @ components


def reconstruct_einsum(images, mean, components):
    projector = np.einsum("ki,kj->ij", components, components)
    return (images - mean[None, :]).dot(projector) + mean


@pytest.mark.parametrize("fn", [reconstruct, reconstruct_einsum,
                                check.reference("01.pca_reconstruct")])
def test_pca_reconstruct_accepts_correct_answers(fn):
    assert_passes("01.pca_reconstruct", fn)


@pytest.mark.parametrize("fn, words", [
    (lambda x, m, c: None, ["None"]),
    (lambda x, m, c: (x - m) @ c.T @ c, ["add the mean back"]),
    (lambda x, m, c: x @ c.T @ c, ["without subtracting the mean"]),
    (lambda x, m, c: x @ c.T @ c + m, ["without centring"]),
    (lambda x, m, c: (x - m) @ c.T, ["codes"]),
    (lambda x, m, c: x.copy(), ["unchanged"]),
    (lambda x, m, c: m + (x - m) @ c.T @ c * 0.5, ["wrong values"]),
    (lambda x, m, c: m + (x - m) @ c @ c.T, ["raised"]),
])
def test_pca_reconstruct_rejects_wrong_answers(fn, words):
    assert_rejected("01.pca_reconstruct", fn, *words)


def centre_images_in_place(images, mean, components):
    images -= mean
    return mean + images @ components.T @ components


@pytest.mark.parametrize("fn, words", [
    (lambda x, m, c: (reconstruct(x, m, c), (x - m) @ c.T), "a tuple of 2 values"),
    (centre_images_in_place, "changed `images` in place"),
])
def test_pca_reconstruct_names_tuples_and_in_place_changes(fn, words):
    assert_rejected("01.pca_reconstruct", fn, words)


# ---------------------------------------------------------------------------------------------
# 01.principal_angles


def angles_qr_svd(a, b):
    qa, _ = np.linalg.qr(a)
    qb, _ = np.linalg.qr(b)
    cosines = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return np.sort(np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0))))[::-1]


def angles_orthonormalised_by_svd(a, b):
    ua = np.linalg.svd(a, full_matrices=False)[0]
    ub = np.linalg.svd(b, full_matrices=False)[0]
    cosines = np.clip(np.linalg.svd(ua.T @ ub)[1], -1, 1)
    return np.rad2deg(np.arccos(cosines))[np.argsort(-np.arccos(cosines))]


def angles_metrics(a, b):
    from aelab.metrics import principal_angles

    return principal_angles(a, b)


@pytest.mark.parametrize("fn", [angles_qr_svd, angles_orthonormalised_by_svd, angles_metrics,
                                check.reference("01.principal_angles")])
def test_principal_angles_accepts_correct_answers(fn):
    assert_passes("01.principal_angles", fn)


def angles_without_qr(a, b):
    """Wrong: uses the raw bases, whose columns are neither unit length nor orthogonal."""
    cosines = np.linalg.svd(a.T @ b, compute_uv=False)
    return np.sort(np.degrees(np.arccos(np.clip(cosines, -1, 1))))[::-1]


def angles_normalised_columns_only(a, b):
    """Wrong: unit-length columns are not enough, they must be orthogonal too."""
    a = a / np.linalg.norm(a, axis=0)
    b = b / np.linalg.norm(b, axis=0)
    cosines = np.linalg.svd(a.T @ b, compute_uv=False)
    return np.sort(np.degrees(np.arccos(np.clip(cosines, -1, 1))))[::-1]


def angles_per_column(a, b):
    """Wrong: angles between matching columns, not between the subspaces."""
    cos = np.sum(a * b, axis=0) / (np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0))
    return np.sort(np.degrees(np.arccos(np.clip(np.abs(cos), -1, 1))))[::-1]


@pytest.mark.parametrize("fn, words", [
    (lambda a, b: None, ["None"]),
    (lambda a, b: np.radians(angles_qr_svd(a, b)), ["radians"]),
    (lambda a, b: angles_qr_svd(a, b)[::-1], ["order"]),
    (angles_without_qr, ["wrong values"]),
    (angles_normalised_columns_only, ["wrong values"]),
    (angles_per_column, ["wrong values"]),
    (lambda a, b: np.linalg.svd(np.linalg.qr(a)[0].T @ np.linalg.qr(b)[0], compute_uv=False),
     ["wrong values"]),
])
def test_principal_angles_rejects_wrong_answers(fn, words):
    assert_rejected("01.principal_angles", fn, *words)


def normalise_in_place(a, b):
    a /= np.linalg.norm(a, axis=0)
    return angles_qr_svd(a, b)


@pytest.mark.parametrize("fn, words", [
    (lambda a, b: list(angles_qr_svd(a, b)), "a list of 3 values"),
    (lambda a, b: (angles_qr_svd(a, b), "degrees"), "a tuple of 2 values"),
    (normalise_in_place, "changed `a` in place"),
])
def test_principal_angles_names_lists_tuples_and_in_place_changes(fn, words):
    assert_rejected("01.principal_angles", fn, words)


def test_principal_angles_nan_hint():
    def unclipped_nan(a, b):
        angles = angles_qr_svd(a, b)
        angles[-1] = np.nan  # what np.arccos(1.0000001) gives
        return angles

    assert_rejected("01.principal_angles", unclipped_nan, "clip")


# ---------------------------------------------------------------------------------------------
# 01.linear_autoencoder, PyTorch


@pytest.fixture(scope="module")
def torch_nn():
    torch = pytest.importorskip("torch")
    return torch.nn


def torch_variants(nn):
    import torch
    import torch.nn.functional as F

    class Reference(nn.Module):
        def __init__(self, input_dim, latent_dim):
            super().__init__()
            self.encoder = nn.Linear(input_dim, latent_dim)
            self.decoder = nn.Linear(latent_dim, input_dim)

        def forward(self, x):
            return self.decoder(self.encoder(x))

    class Rewritten(nn.Module):
        """Correct, written differently: keyword sizes, an extra defaulted argument, F.linear."""

        def __init__(self, input_dim, latent_dim, name="ae"):
            super().__init__()
            self.name = name
            self.encoder = nn.Linear(in_features=input_dim, out_features=latent_dim)
            self.decoder = nn.Linear(in_features=latent_dim, out_features=input_dim, bias=True)

        def forward(self, inputs):
            code = self.encoder.forward(inputs)
            return F.linear(code, self.decoder.weight, self.decoder.bias)

    class NoBias(nn.Module):
        def __init__(self, input_dim, latent_dim):
            super().__init__()
            self.encoder = nn.Linear(input_dim, latent_dim, bias=False)
            self.decoder = nn.Linear(latent_dim, input_dim, bias=False)

        def forward(self, x):
            return self.decoder(self.encoder(x))

    class NoDecoderBias(Reference):
        def __init__(self, input_dim, latent_dim):
            super().__init__(input_dim, latent_dim)
            self.decoder = nn.Linear(latent_dim, input_dim, bias=False)

    class Relu(Reference):
        def forward(self, x):
            return self.decoder(torch.relu(self.encoder(x)))

    class ReluLayer(Reference):
        def __init__(self, input_dim, latent_dim):
            super().__init__(input_dim, latent_dim)
            self.encoder = nn.Sequential(nn.Linear(input_dim, latent_dim), nn.ReLU())

    class SigmoidOut(Reference):
        def forward(self, x):
            return torch.sigmoid(self.decoder(self.encoder(x)))

    class TanhOut(Reference):
        def forward(self, x):
            return torch.tanh(self.decoder(self.encoder(x)))

    class LeakyOut(Reference):
        def forward(self, x):
            return F.leaky_relu(self.decoder(self.encoder(x)), 0.1)

    class CodeOnly(Reference):
        def forward(self, x):
            return self.encoder(x)

    class Identity(Reference):
        def forward(self, x):
            return x

    class Skip(Reference):
        def forward(self, x):
            return self.decoder(self.encoder(x)) + x

    class Swapped(Reference):
        def __init__(self, input_dim, latent_dim):
            super().__init__(input_dim, latent_dim)
            self.encoder = nn.Linear(input_dim, input_dim)
            self.decoder = nn.Linear(input_dim, input_dim)

    class ArgumentsSwapped(Reference):
        def __init__(self, latent_dim, input_dim):
            super().__init__(input_dim, latent_dim)

        def forward(self, x):
            return self.encoder(self.decoder(x))

    class DecoderFirst(Reference):
        def forward(self, x):
            return self.encoder(self.decoder(x))

    class TiedInForward(Reference):
        def forward(self, x):
            return F.linear(self.encoder(x), self.encoder.weight.t(), self.decoder.bias)

    class TiedNoBias(Reference):
        def forward(self, x):
            return self.encoder(x) @ self.encoder.weight

    class SharedWeights(Reference):
        def __init__(self, input_dim, latent_dim):
            super().__init__(input_dim, latent_dim)
            self.decoder.weight = nn.Parameter(self.encoder.weight.t())

    class DecoderBiasLeftOut(Reference):
        def forward(self, x):
            return self.encoder(x) @ self.decoder.weight.T

    class ReturnsCodeToo(Reference):
        def forward(self, x):
            code = self.encoder(x)
            return self.decoder(code), code

    class NoGrad(Reference):
        def forward(self, x):
            with torch.no_grad():
                return self.decoder(self.encoder(x))

    class ExtraScale(Reference):
        def __init__(self, input_dim, latent_dim):
            super().__init__(input_dim, latent_dim)
            self.scale = nn.Parameter(torch.ones(1))

        def forward(self, x):
            return self.scale * self.decoder(self.encoder(x))

    class NoDecoder(nn.Module):
        def __init__(self, input_dim, latent_dim):
            super().__init__()
            self.encoder = nn.Linear(input_dim, latent_dim)

        def forward(self, x):
            return self.encoder(x)

    class FlattensTo784(Reference):
        def forward(self, x):
            return self.decoder(self.encoder(x.view(-1, 784)))

    class ForgetsReturn(Reference):
        def forward(self, x):
            self.decoder(self.encoder(x))

    class DropsAPixel(Reference):
        def forward(self, x):
            return self.decoder(self.encoder(x))[:, :-1]

    class ShiftedLinear(nn.Linear):
        def forward(self, x):
            return super().forward(x) + 1.0

    class ShiftedEncoder(Reference):
        def __init__(self, input_dim, latent_dim):
            super().__init__(input_dim, latent_dim)
            self.encoder = ShiftedLinear(input_dim, latent_dim)

    class ReluOut(Reference):
        def forward(self, x):
            return torch.relu(self.decoder(self.encoder(x)))

    class EncoderBiasLeftOut(Reference):
        def forward(self, x):
            return self.decoder(F.linear(x, self.encoder.weight))

    class SquareDecoder(Reference):
        def __init__(self, input_dim, latent_dim):
            super().__init__(input_dim, latent_dim)
            self.decoder = nn.Linear(input_dim, input_dim)

    class CentresInPlace(Reference):
        def forward(self, x):
            x -= x.mean(dim=0)
            return self.decoder(self.encoder(x))

    class Doubled(Reference):
        def forward(self, x):
            return 2 * self.decoder(self.encoder(x))

    class Stub(nn.Module):
        def __init__(self, input_dim, latent_dim):
            super().__init__()
            self.encoder = None
            self.decoder = None

        def forward(self, x):
            return None

    return {name: value for name, value in locals().items() if isinstance(value, type)}


TORCH_WRONG = [
    ("NoBias", "`self.encoder` has no bias"),
    ("NoDecoderBias", "`self.decoder` has no bias"),
    ("Relu", "a ReLU between the encoder and the decoder"),
    ("ReluLayer", "it is a Sequential"),
    ("SigmoidOut", "through a sigmoid"),
    ("TanhOut", "through a tanh"),
    ("LeakyOut", "the model is not linear"),
    ("CodeOnly", "that is the code"),
    ("Identity", "returns its input unchanged"),
    ("Skip", "skip connection"),
    ("Swapped", "it maps 12 numbers to 12"),
    ("ArgumentsSwapped", "the roles are swapped"),
    ("DecoderFirst", "applies the decoder first"),
    ("TiedInForward", "the encoder's weight matrix (transposed), not the decoder's"),
    ("TiedNoBias", "the encoder's weight matrix (transposed) and no bias"),
    ("SharedWeights", "share their weights"),
    ("DecoderBiasLeftOut", "the decoder's bias is left out"),
    ("ReturnsCodeToo", "returned a tuple of 2 values"),
    ("NoGrad", "no gradient reaches `self.encoder`"),
    ("ExtraScale", "has 88 trainable numbers; the linear autoencoder has 87"),
    ("NoDecoder", "`self.decoder` should be one nn.Linear layer from the 3-number code back to 12 outputs"),
    ("Stub", "`self.encoder` and `self.decoder` are still None"),
    ("FlattensTo784", "calling the model on a batch of shape (6, 12) raised RuntimeError"),
    ("ForgetsReturn", "the model's forward pass returned None"),
    ("DropsAPixel", "maps a batch of shape (6, 12) to shape (6, 11)"),
    ("ShiftedEncoder", "`self.encoder(x)` is not x W + b."),
    ("ReluOut", "the output goes through a ReLU"),
    ("EncoderBiasLeftOut", "the encoder's bias is left out"),
    ("Doubled", "your model computes something else than decoder(encoder(x))"),
    ("CentresInPlace", "the forward pass changed `x` in place"),
    ("SquareDecoder", "`self.decoder` should be one nn.Linear layer from the 3-number code back to 12 "
                      "outputs (later cells read its weight matrix); it maps 12 numbers to 12"),
]


def test_torch_model_accepts_correct_answers(torch_nn):
    v = torch_variants(torch_nn)
    for cls in (v["Reference"], v["Rewritten"], lambda d, k: v["Reference"](d, k),
                check.reference("01.linear_autoencoder", "torch")):
        assert_passes("01.linear_autoencoder", cls, framework="torch")


@pytest.mark.parametrize("name, words", TORCH_WRONG)
def test_torch_model_rejects_wrong_answers(torch_nn, name, words):
    assert_rejected("01.linear_autoencoder", torch_variants(torch_nn)[name], words,
                    framework="torch")


def test_torch_model_instance_or_class_confusion(torch_nn):
    reference = torch_variants(torch_nn)["Reference"]
    assert_rejected("01.linear_autoencoder", reference(784, 10),
                    "you passed a model instance (Reference); this exercise checks the class itself", framework="torch")
    assert_rejected("01.linear_autoencoder", lambda d, k: reference,
                    "but it gave the class Reference itself", framework="torch")


def test_torch_model_check_leaves_the_random_generators_alone(torch_nn):
    import random

    import torch

    torch.manual_seed(123)
    np.random.seed(123)
    random.seed(123)
    expected = (torch.rand(3), np.random.rand(3), random.random())
    torch.manual_seed(123)
    np.random.seed(123)
    random.seed(123)
    assert_passes("01.linear_autoencoder", torch_variants(torch_nn)["Reference"], framework="torch")
    assert torch.equal(torch.rand(3), expected[0])
    assert np.array_equal(np.random.rand(3), expected[1]) and random.random() == expected[2]


def test_torch_model_rejects_non_module(torch_nn):
    assert_rejected("01.linear_autoencoder", lambda d, k: None, "nn.Module", framework="torch")


# ---------------------------------------------------------------------------------------------
# 01.linear_autoencoder, Keras


@pytest.fixture(scope="module")
def keras_mod():
    pytest.importorskip("tensorflow")
    return pytest.importorskip("keras")


def keras_variants(keras):
    import tensorflow as tf

    layers = keras.layers

    class Reference(keras.Model):
        def __init__(self, input_dim, latent_dim, **kwargs):
            super().__init__(**kwargs)
            self.encoder = layers.Dense(latent_dim)
            self.decoder = layers.Dense(input_dim)

        def call(self, x):
            return self.decoder(self.encoder(x))

    class Rewritten(keras.Model):
        """Correct, written differently: explicit linear activation, keyword arguments."""

        def __init__(self, input_dim, latent_dim):
            super().__init__()
            self.encoder = layers.Dense(units=latent_dim, activation="linear", use_bias=True)
            self.decoder = layers.Dense(units=input_dim, activation=None)

        def call(self, inputs, training=False):
            code = self.encoder(inputs)
            return self.decoder(code)

    class NoBias(keras.Model):
        def __init__(self, input_dim, latent_dim):
            super().__init__()
            self.encoder = layers.Dense(latent_dim, use_bias=False)
            self.decoder = layers.Dense(input_dim, use_bias=False)

        def call(self, inputs):
            return self.decoder(self.encoder(inputs))

    class NoDecoderBias(Reference):
        def __init__(self, input_dim, latent_dim):
            super().__init__(input_dim, latent_dim)
            self.decoder = layers.Dense(input_dim, use_bias=False)

    class ReluActivation(Reference):
        def __init__(self, input_dim, latent_dim):
            super().__init__(input_dim, latent_dim)
            self.encoder = layers.Dense(latent_dim, activation="relu")

    class ReluBetween(Reference):
        def call(self, x):
            return self.decoder(keras.ops.relu(self.encoder(x)))

    class SigmoidOut(Reference):
        def __init__(self, input_dim, latent_dim):
            super().__init__(input_dim, latent_dim)
            self.decoder = layers.Dense(input_dim, activation="sigmoid")

    class EluOut(Reference):
        def __init__(self, input_dim, latent_dim):
            super().__init__(input_dim, latent_dim)
            self.decoder = layers.Dense(input_dim, activation="elu")

    class CodeOnly(Reference):
        def call(self, x):
            return self.encoder(x)

    class Identity(Reference):
        def call(self, x):
            return x

    class Swapped(Reference):
        def __init__(self, input_dim, latent_dim):
            super().__init__(input_dim, latent_dim)
            self.encoder = layers.Dense(input_dim)

    class DecoderFirst(Reference):
        def call(self, x):
            return self.encoder(self.decoder(x))

    class ReturnsCodeToo(Reference):
        def call(self, x):
            code = self.encoder(x)
            return self.decoder(code), code

    class StopGradient(Reference):
        def call(self, x):
            return tf.stop_gradient(self.decoder(self.encoder(x)))

    class ExtraScale(Reference):
        def __init__(self, input_dim, latent_dim):
            super().__init__(input_dim, latent_dim)
            self.scale = self.add_weight(shape=(), initializer="ones")

        def call(self, x):
            return self.scale * self.decoder(self.encoder(x))

    class NoDecoder(keras.Model):
        def __init__(self, input_dim, latent_dim):
            super().__init__()
            self.encoder = layers.Dense(latent_dim)

        def call(self, x):
            return self.encoder(x)

    class CallRaises(Reference):
        def call(self, x):
            return self.decoder(self.encoder(keras.ops.reshape(x, (-1, 784))))

    class EagerOnly(Reference):
        def call(self, x):
            out = self.decoder(self.encoder(x))
            return out if tf.executing_eagerly() else 2 * out

    return {name: value for name, value in locals().items()
            if isinstance(value, type) and issubclass(value, keras.Model)}


KERAS_WRONG = [
    ("NoBias", "`self.encoder` has no bias"),
    ("NoDecoderBias", "`self.decoder` has no bias"),
    ("ReluActivation", "`self.encoder(x)` is not x W + b: the layer has the activation relu"),
    ("ReluBetween", "a ReLU between the encoder and the decoder"),
    ("SigmoidOut", "through a sigmoid"),
    ("EluOut", "`self.decoder` has the activation elu"),
    ("CodeOnly", "call() never uses"),
    ("Identity", "call() never uses"),
    ("Swapped", "it maps 12 numbers to 12"),
    ("DecoderFirst", "`self.decoder` was first called on 12 numbers"),
    ("ReturnsCodeToo", "returned a tuple of 2 values"),
    ("StopGradient", "no gradient reaches `self.encoder`"),
    ("ExtraScale", "has 88 trainable numbers; the linear autoencoder has 87"),
    ("NoDecoder", "it is None"),
    ("CallRaises", "calling the model on a batch of shape (1, 12) raised"),
    ("EagerOnly", "model.predict"),
]


def test_keras_model_accepts_correct_answers(keras_mod):
    v = keras_variants(keras_mod)
    for cls in (v["Reference"], v["Rewritten"], check.reference("01.linear_autoencoder", "keras")):
        assert_passes("01.linear_autoencoder", cls, framework="keras")


@pytest.mark.parametrize("name, words", KERAS_WRONG)
def test_keras_model_rejects_wrong_answers(keras_mod, name, words):
    assert_rejected("01.linear_autoencoder", keras_variants(keras_mod)[name], words,
                    framework="keras")


def test_keras_model_instance_passed(keras_mod):
    reference = keras_variants(keras_mod)["Reference"]
    assert_rejected("01.linear_autoencoder", reference(784, 10),
                    "you passed a model instance (Reference); this exercise checks the class itself", framework="keras")


def test_keras_model_check_does_not_reseed(keras_mod):
    # numpy's and Python's global streams continue where they were: the check builds models
    # (Keras seeds new layers from Python's `random`) on its own random numbers.
    import random

    np.random.seed(123)
    random.seed(123)
    expected = (np.random.rand(3), random.random())
    np.random.seed(123)
    random.seed(123)
    assert_passes("01.linear_autoencoder", keras_variants(keras_mod)["Reference"], framework="keras")
    assert np.array_equal(np.random.rand(3), expected[0]) and random.random() == expected[1]


def test_keras_model_rejects_non_model(keras_mod):
    assert_rejected("01.linear_autoencoder", lambda d, k: None, "keras.Model", framework="keras")
    assert_rejected("01.linear_autoencoder", lambda d, k: keras_mod.layers.Dense(d),
                    "should give a keras.Model", framework="keras")
