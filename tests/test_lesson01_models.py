"""The lesson-01 reference linear autoencoders (PyTorch and Keras)."""

import numpy as np
import pytest


def test_torch_linear_autoencoder_shapes_linearity_and_init():
    torch = pytest.importorskip("torch")
    from aelab.models.linear_torch import LinearAutoencoder, glorot_init_

    torch.manual_seed(0)
    model = glorot_init_(LinearAutoencoder(784, 10))
    assert model.encoder.weight.shape == (10, 784) and model.decoder.weight.shape == (784, 10)
    assert torch.count_nonzero(model.encoder.bias) == 0 and torch.count_nonzero(model.decoder.bias) == 0
    bound = np.sqrt(6 / (784 + 10))                     # Glorot-uniform limit
    assert float(model.decoder.weight.detach().abs().max()) <= bound
    assert float(model.decoder.weight.detach().abs().max()) > 0.9 * bound
    x, y = torch.randn(4, 784), torch.randn(4, 784)
    with torch.no_grad():
        out = model(2 * x - y)
        assert out.shape == (4, 784)
        torch.testing.assert_close(out, 2 * model(x) - model(y), rtol=1e-4, atol=1e-4)
        # the map factors through a 10-number code: rank 10
        jac = model(torch.eye(784)) - model(torch.zeros(1, 784))
    assert torch.linalg.matrix_rank(jac) == 10


@pytest.mark.parametrize("dims", [(0, 3), (784, -1), (784.0, 3), (True, 3)])
def test_torch_linear_autoencoder_rejects_bad_sizes(dims):
    pytest.importorskip("torch")
    from aelab.models.linear_torch import LinearAutoencoder

    with pytest.raises(ValueError, match="positive int"):
        LinearAutoencoder(*dims)


def test_keras_linear_autoencoder_shapes_and_linearity():
    pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    from aelab.models.linear_keras import LinearAutoencoder

    keras.utils.set_random_seed(0)
    model = LinearAutoencoder(20, 3)
    x = np.random.default_rng(0).normal(size=(5, 20)).astype(np.float32)
    y = np.random.default_rng(1).normal(size=(5, 20)).astype(np.float32)
    out = np.asarray(model(2 * x - y))
    assert out.shape == (5, 20)
    np.testing.assert_allclose(out, 2 * np.asarray(model(x)) - np.asarray(model(y)), rtol=1e-4, atol=1e-4)
    assert tuple(model.encoder.kernel.shape) == (20, 3) and tuple(model.decoder.kernel.shape) == (3, 20)
    with pytest.raises(ValueError, match="positive int"):
        LinearAutoencoder(20, 0)
