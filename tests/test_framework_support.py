"""The thin adapters turn the same numpy arrays into a DataLoader and a tf.data.Dataset.

Each framework is exercised in its own subprocess: a process never imports both.
"""

import subprocess
import sys
import textwrap

TORCH = textwrap.dedent('''
    import numpy as np, torch, re
    from aelab.data import load_mnist
    from aelab.torch_support import make_dataloader, numpy_function, count_parameters
    x, y = load_mnist("test", size=300, flatten=True)
    loader = make_dataloader(x, y, batch_size=128, seed=1)
    batches = list(loader)
    assert [len(b[0]) for b in batches] == [128, 128, 44]
    assert batches[0][0].dtype == torch.float32 and batches[0][1].dtype == torch.int64
    assert sorted(torch.cat([b[1] for b in batches]).tolist()) == sorted(y.tolist())
    again = list(make_dataloader(x, y, batch_size=128, seed=1))
    assert torch.equal(batches[0][0], again[0][0])  # seeded shuffle
    assert not torch.equal(batches[0][0], torch.from_numpy(x[:128]))
    (only,) = next(iter(make_dataloader(x, batch_size=5, shuffle=False)))
    assert torch.equal(only, torch.from_numpy(x[:5]))
    for bad, err in [((x.tolist(),), TypeError), ((x, y[:10]), ValueError), ((x.astype(str),), TypeError)]:
        try:
            make_dataloader(*bad)
        except err:
            pass
        else:
            raise AssertionError(f"no {err.__name__} for {bad!r:.40}")
    model = torch.nn.Sequential(torch.nn.Linear(784, 2), torch.nn.Linear(2, 784))
    assert count_parameters(model) == 784 * 2 + 2 + 2 * 784 + 784
    out = numpy_function(model)(x[:3])
    assert isinstance(out, np.ndarray) and out.shape == (3, 784)
    # several inputs (a conditional decoder method), integer labels, an output transform
    class Conditional(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(2 + 10, 784), torch.nn.Dropout(0.5))

        def decoder(self, z, labels):
            one_hot = torch.nn.functional.one_hot(labels, 10).float()
            return self.net(torch.cat([z, one_hot], 1)).unflatten(1, (1, 28, 28))

        def encode(self, images):
            return images.flatten(1)[:, :2], images.flatten(1)[:, 2:4]

    cond = Conditional().train()
    z = np.random.default_rng(0).standard_normal((7, 2))            # float64: cast to float32
    labels = np.arange(7) % 10
    decode = numpy_function(cond.decoder, batch_size=3,
                            output=lambda logits: 1 / (1 + np.exp(-logits.reshape(-1, 28, 28))))
    images = decode(z, labels)
    cond.eval()
    with torch.no_grad():
        expected = torch.sigmoid(cond.decoder(torch.tensor(z, dtype=torch.float32),
                                              torch.tensor(labels))).numpy()[:, 0]
    cond.train()
    assert images.shape == (7, 28, 28) and images.dtype == np.float32
    assert np.allclose(images, expected, atol=1e-6)                 # eval mode: no dropout
    assert cond.training                                            # and put back in training
    # a module of another class than the plain layers is run in eval mode (Noisy reads
    # self.training); one made only of layers that compute the same in both modes is left in
    # train mode (no walk over its tree to switch it, twice per call)
    class Noisy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(784, 8)

        def forward(self, images):
            return self.lin(images) + (torch.randn(len(images), 8) if self.training else 0)

    noisy = Noisy().train()
    with torch.no_grad():
        noisy_expected = noisy.lin(torch.from_numpy(x[:4])).numpy()
    assert np.array_equal(numpy_function(noisy)(x[:4]), noisy_expected) and noisy.training
    plain = torch.nn.Sequential(torch.nn.Linear(784, 8), torch.nn.ReLU(), torch.nn.Unflatten(1, (2, 4))).train()
    modes = []
    plain.register_forward_hook(lambda module, inputs, out: modes.append(module.training))
    with torch.no_grad():
        plain_expected = plain(torch.from_numpy(x[:4])).numpy()
    modes.clear()
    assert np.array_equal(numpy_function(plain)(x[:4]), plain_expected) and modes == [True], modes
    mu_and_log_var = numpy_function(cond.encode)(x[:5].reshape(5, 1, 28, 28))
    assert isinstance(mu_and_log_var, tuple) and [a.shape for a in mu_and_log_var] == [(5, 2), (5, 2)]
    mu = numpy_function(cond.encode, output=lambda out: out[0])(x[:5])
    assert np.array_equal(mu, x[:5, :2])
    assert numpy_function(cond.encode, output=lambda out: out[0])(x[:0]).shape == (0, 2)
    for bad, err, words in [((), TypeError, "at least one numpy array"),
                            ((z,), TypeError, "takes the inputs .z, labels., got 1"),
                            ((z, labels[:6]), ValueError, "same number of rows"),
                            ((z, labels.astype(str)), TypeError, "input 2: expected a float or integer"),
                            ((z, labels > 3), TypeError, "dtype bool"),
                            ((None, labels), TypeError, "input 1: expected a numpy array"),
                            ((np.float32(1.0), 1), ValueError, "batch with shape")]:
        try:
            decode(*bad)
        except err as e:
            assert re.search(words, str(e)) and "Conditional.decoder" in str(e), str(e)
        else:
            raise AssertionError(f"no {err.__name__} for {bad!r:.60}")
    for bad_call in (lambda: numpy_function("model"), lambda: numpy_function(model, output=3),
                     lambda: numpy_function(model, batch_size=0)):
        try:
            bad_call()
        except (TypeError, ValueError):
            pass
        else:
            raise AssertionError("numpy_function accepted a bad argument")
    print("torch ok")
''')

KERAS = textwrap.dedent('''
    import numpy as np
    from aelab.data import load_mnist
    from aelab.keras_support import make_dataset, numpy_function, count_parameters
    import keras, tensorflow as tf
    x, y = load_mnist("test", size=300, flatten=True)
    ds = make_dataset(x, y, batch_size=128, seed=1)
    batches = list(ds)
    assert [len(b[0]) for b in batches] == [128, 128, 44]
    assert batches[0][0].dtype == tf.float32 and batches[0][1].dtype == tf.int64
    assert sorted(np.concatenate([b[1].numpy() for b in batches]).tolist()) == sorted(y.tolist())
    only = next(iter(make_dataset(x, batch_size=5, shuffle=False)))
    assert np.array_equal(only.numpy(), x[:5])
    for bad, err in [((x.tolist(),), TypeError), ((x, y[:10]), ValueError)]:
        try:
            make_dataset(*bad)
        except err:
            pass
        else:
            raise AssertionError(f"no {err.__name__}")
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(2), keras.layers.Dense(784)])
    assert count_parameters(model) == 784 * 2 + 2 + 2 * 784 + 784
    out = numpy_function(model)(x[:3])
    assert isinstance(out, np.ndarray) and out.shape == (3, 784)
    # wrapping the same model again reuses its traced graph; new weights are still read
    from aelab.keras_support import _compiled_call
    import gc, weakref
    traced = _compiled_call(model).experimental_get_tracing_count()
    numpy_function(model)(x[3:6])
    assert _compiled_call(model).experimental_get_tracing_count() == traced
    model.layers[-1].bias.assign(np.ones(784, np.float32))
    assert np.allclose(numpy_function(model)(x[:3]), out + 1, atol=1e-5)
    # the cache does not keep a model alive, but a wrapper does
    model_ref = weakref.ref(model)
    del model
    gc.collect()
    assert model_ref() is None
    wrapped = numpy_function(keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)]))
    gc.collect()
    assert wrapped(np.ones((4, 2), np.float32)).shape == (4, 3)

    # several inputs (a conditional decoder: code and integer label), an output transform
    import re
    from keras import layers, ops
    z_in, label_in = keras.Input((2,)), keras.Input((), dtype="int64")
    h = layers.Concatenate()([z_in, ops.one_hot(label_in, 10)])
    decoder = keras.Model([z_in, label_in], layers.Reshape((28, 28, 1))(layers.Dense(784)(h)),
                          name="conditional_decoder")
    z = np.random.default_rng(0).standard_normal((7, 2))            # float64: cast to float32
    labels = np.arange(7) % 10
    decode = numpy_function(decoder, batch_size=3,
                            output=lambda logits: 1 / (1 + np.exp(-logits.reshape(-1, 28, 28))))
    images = decode(z, labels)
    expected = np.asarray(ops.sigmoid(decoder([z.astype(np.float32), labels])))[..., 0]
    assert images.shape == (7, 28, 28) and images.dtype == np.float32
    assert np.allclose(images, expected, atol=1e-6)
    assert np.allclose(numpy_function(decoder, compiled=False)(z, labels)[..., 0],
                       numpy_function(decoder)(z, labels)[..., 0], atol=1e-5)
    traced = _compiled_call(decoder).experimental_get_tracing_count()
    for n in (1, 2, 5):                                              # slider-sized calls
        decode(z[:n], labels[:n])
    assert _compiled_call(decoder).experimental_get_tracing_count() <= traced + 1
    image_in = keras.Input((28, 28, 1))
    flat = layers.Flatten()(image_in)
    encoder = keras.Model(image_in, [layers.Dense(2)(flat), layers.Dense(2)(flat)])
    mu_and_log_var = numpy_function(encoder)(x[:5].reshape(5, 28, 28, 1))
    assert isinstance(mu_and_log_var, tuple) and [a.shape for a in mu_and_log_var] == [(5, 2), (5, 2)]
    mu = numpy_function(encoder, output=lambda out: out[0])(x[:5].reshape(5, 28, 28, 1))
    assert np.allclose(mu, mu_and_log_var[0])
    for bad, err, words in [((), TypeError, "at least one numpy array"),
                            ((z,), TypeError, "takes 2 input"),
                            ((z, labels[:6]), ValueError, "same number of rows"),
                            ((z, labels.astype(str)), TypeError, "input 2: expected a float or integer"),
                            ((z, labels > 3), TypeError, "dtype bool"),
                            ((None, labels), TypeError, "input 1: expected a numpy array"),
                            ((np.float32(1.0), 1), ValueError, "batch with shape")]:
        try:
            decode(*bad)
        except err as e:
            assert re.search(words, str(e)) and "conditional_decoder" in str(e), str(e)
        else:
            raise AssertionError(f"no {err.__name__} for {bad!r:.60}")
    print("keras ok")
''')


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"TF_CPP_MIN_LOG_LEVEL": "2", "AELAB_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_torch_support():
    assert "torch ok" in _run(TORCH)


def test_keras_support():
    assert "keras ok" in _run(KERAS)


KERAS_FIT_QUIET = textwrap.dedent('''
    import warnings
    import numpy as np
    import aelab
    aelab.setup("keras", seed=0, verbose=False)
    import keras
    from aelab.keras_support import make_dataset
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    model.compile("adam", "mse")
    x = np.zeros((64, 4), np.float32)
    with warnings.catch_warnings(record=True) as caught:   # the filters as setup left them
        model.fit(make_dataset(x, x), epochs=1, verbose=0)
        warnings.warn("a warning a student must still see", UserWarning)
    print("after setup", [str(w.message) for w in caught])
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("always")                     # no filters: what Keras itself says
        model.fit(make_dataset(x, x), epochs=1, verbose=0)
    print("without filters", any("shuffle=True" in str(w.message) for w in caught))
''')


def test_keras_setup_hides_only_the_shuffle_warning_of_fit_on_a_dataset():
    """Keras warns on every fit(dataset) that shuffle=True is ignored; make_dataset shuffles itself."""
    out = _run(KERAS_FIT_QUIET)
    assert "after setup ['a warning a student must still see']" in out
    assert "without filters True" in out    # the warning exists in this Keras: the filter matters


KERAS_RETRACING_QUIET = textwrap.dedent('''
    import logging
    import aelab
    aelab.setup("keras", seed=0, verbose=False)
    import tensorflow as tf
    seen = []
    class Catch(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())
    tf.get_logger().addHandler(Catch())
    double = tf.function(lambda x: 2 * x)
    for n in range(1, 12):                  # a new input shape per call: retraced every time
        double(tf.zeros((n,)))
    tf.get_logger().warning("another TensorFlow warning")
    print("retracing shown", any("retracing" in m for m in seen))
    print("others shown", "another TensorFlow warning" in seen)
    tf.get_logger().filters.clear()        # without aelab's filter TensorFlow does log it
    seen.clear()
    again = tf.function(lambda x: 3 * x)
    for n in range(1, 12):
        again(tf.zeros((n,)))
    print("without filter", any("retracing" in m for m in seen))
''')


def test_keras_setup_hides_only_the_retracing_note():
    out = _run(KERAS_RETRACING_QUIET)
    assert "retracing shown False" in out
    assert "others shown True" in out
    assert "without filter True" in out
