"""The pretrained models of lessons 05 and 07: files, checksums, errors, and the numpy network
against the lessons' own PyTorch and Keras models (each framework in its own subprocess)."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from aelab import pretrained
from aelab.data import DataFileError
from conftest import ROOT

SHIPPED = ROOT / "data" / "pretrained"


@pytest.fixture(scope="module")
def quick_weights(tmp_path_factory):
    """Weights written by tools/train_pretrained.py in quick mode (2,000 images, the lessons'
    quick epochs: seconds), lesson 05's and then lesson 07's into the same folder: the real
    script, the real file format, untrained-quality models."""
    out = tmp_path_factory.mktemp("pretrained")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AELAB_THREADS": "1", "OMP_NUM_THREADS": "1"}
    printed = ""
    for lesson in ("05", "07"):
        done = subprocess.run([sys.executable, "tools/train_pretrained.py", "--lesson", lesson, "--quick",
                               "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        printed += done.stdout
    manifest = json.loads((out / "pretrained.json").read_text())
    sums = {name: entry["sha256"] for name, entry in manifest["models"].items()}
    for name, sha in sums.items():   # the script prints the lines for PRETRAINED_FILES
        assert f'"{name}": "{sha}",' in printed
    return out, sums, manifest


@pytest.fixture
def weights(quick_weights, monkeypatch, tmp_path):
    """A private copy of the quick weights, with their checksums as the course's."""
    folder, sums, manifest = quick_weights
    for path in folder.iterdir():
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setenv("AELAB_PRETRAINED", str(tmp_path))
    monkeypatch.setattr(pretrained, "PRETRAINED_FILES", dict(sums))
    return tmp_path, manifest


def test_the_script_records_what_it_did(weights):
    folder, manifest = weights
    assert manifest["quick"] is True and manifest["seed"] == 0 and manifest["dtype"] == "float16"
    assert manifest["command"].startswith("AELAB_THREADS=1 python tools/train_pretrained.py")
    assert set(manifest["models"]) == set(pretrained.MODELS)   # both lessons' runs, merged
    for name, entry in manifest["models"].items():
        assert (folder / entry["file"]).stat().st_size == entry["bytes"]
        assert f"--lesson {'07' if name.startswith('aae') else '05'} --quick --out " in entry["command"]
        assert pretrained.model_info(name)["latent_dim"] == (16 if name == "vae_16d" else 2)
        assert pretrained.model_info(name)["activation"] == ("relu" if name == "cvae_2d" else "silu")
        history = pretrained.training_history(name)
        if name.startswith("aae"):
            continue
        assert set(entry["test_nats_per_image"]) == {"loss", "reconstruction", "kl"}
        assert len(history["val_loss"]) == len(history["seconds"]) == entry["epochs"]
        assert history["val_loss"][-1] == pytest.approx(entry["last_epoch_val_loss"], abs=0.01)


def test_the_script_records_the_aae_numbers_and_every_batch(weights):
    """Lesson 07's AAEs: the test numbers the lesson prints, and the history train_aae returned,
    per-batch losses included (section 4's plot of the adversarial losses needs them)."""
    from safetensors.numpy import load_file

    folder, manifest = weights
    steps_per_epoch = -(-2_000 // 128)   # quick mode: 2,000 training images in batches of 128
    for name, labelled in (("aae_ring", False), ("aae_labelled", True)):
        entry = manifest["models"][name]
        assert entry["lesson"] == "notebooks/src/07_adversarial_autoencoder.py" and entry["epochs"] == 2
        expected = {"reconstruction", "energy_distance"} | ({"own_component_share"} if labelled else set())
        assert set(entry["test"]) == expected
        assert entry["test"]["reconstruction"] > 0 and entry["test"]["energy_distance"] > 0
        history = pretrained.training_history(name)
        assert history["batch_losses"].shape == (2 * steps_per_epoch, 3)
        assert history["batch_losses"].dtype == np.float32 and np.isfinite(history["batch_losses"]).all()
        assert len(history["val_reconstruction"]) == len(history["val_energy"]) == len(history["seconds"]) == 2
        # encoder and decoder only: the discriminator is needed only while training
        keys = set(load_file(str(folder / entry["file"])))
        assert {k.split(".")[0] for k in keys} == {"encoder", "decoder"} and "encoder.7.weight" in keys
        assert pretrained.model_info(name)["kind"] == "conv_aae"


def test_weights_are_stored_as_float16_and_load_as_float32(weights):
    from safetensors.numpy import load_file

    folder, _ = weights
    stored = load_file(str(folder / "vae_2d.safetensors"))
    assert all(v.dtype == np.float16 for v in stored.values())
    loaded = pretrained.load_weights("vae_2d")
    assert loaded.keys() == stored.keys() and all(v.dtype == np.float32 for v in loaded.values())
    assert np.array_equal(loaded["decoder.5.weight"], stored["decoder.5.weight"].astype(np.float32))


@pytest.mark.parametrize("name", ["vae_16d", "aae_labelled"])
def test_missing_file_names_the_file(weights, name):
    folder, _ = weights
    (folder / f"{name}.safetensors").unlink()
    with pytest.raises(DataFileError, match=f"missing.*{name}.safetensors"):
        pretrained.numpy_model(name)
    assert pretrained.numpy_model("vae_2d").latent_dim == 2   # the others still load
    assert pretrained.numpy_model("aae_ring").latent_dim == 2


@pytest.mark.parametrize("name", ["cvae_2d", "aae_ring"])
@pytest.mark.parametrize("damage", ["flip one byte", "truncate"])
def test_corrupt_file_names_the_file(weights, damage, name):
    path = weights[0] / f"{name}.safetensors"
    raw = bytearray(path.read_bytes())
    if damage == "flip one byte":
        raw[len(raw) // 2] ^= 1
    else:
        raw = raw[:1000]
    path.write_bytes(bytes(raw))
    with pytest.raises(DataFileError, match=rf"corrupt: .*{name}.safetensors[\s\S]*Expected: sha256"):
        pretrained.load_weights(name)


@pytest.mark.parametrize("name", ["vae_2d", "aae_ring"])
def test_weights_without_a_checksum_are_not_loaded(weights, monkeypatch, name):
    monkeypatch.setattr(pretrained, "PRETRAINED_FILES", {})
    with pytest.raises(DataFileError, match=rf"not shipped.*{name}.safetensors[\s\S]*train_pretrained.py"):
        pretrained.numpy_model(name)


def test_bad_arguments_say_what_was_expected(weights):
    with pytest.raises(ValueError, match="vae_2d, vae_16d, cvae_2d, aae_ring, aae_labelled"):
        pretrained.numpy_model("vae_3d")
    with pytest.raises(TypeError, match="takes no labels"):
        pretrained.numpy_model("aae_labelled").decode(np.zeros((1, 2), np.float32), np.array([3]))
    vae, cvae = pretrained.numpy_model("vae_2d"), pretrained.numpy_model("cvae_2d")
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        vae.decode(np.zeros((1, 3), np.float32))
    with pytest.raises(TypeError, match="pass labels"):
        cvae.decode(np.zeros((1, 2), np.float32))
    with pytest.raises(TypeError, match="takes no labels"):
        vae.decode(np.zeros((1, 2), np.float32), np.array([3]))
    with pytest.raises(ValueError, match="integers 0-9"):
        cvae.decode(np.zeros((2, 2), np.float32), np.array([3, 10]))
    with pytest.raises(ValueError, match="784 pixels"):
        vae.encode(np.zeros((2, 27, 27), np.float32))


def test_numpy_transposed_convolution_is_the_stamp_sum():
    """The numpy layer against its definition, written out with loops on a small example."""
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 3, 3, 3)), rng.normal(size=(3, 2, 4, 4)), rng.normal(size=2)
    full = np.zeros((2, 2, 8, 8))
    for i in range(3):
        for j in range(3):
            full[:, :, 2 * i:2 * i + 4, 2 * j:2 * j + 4] += np.einsum("nc,cokl->nokl", x[:, :, i, j], w)
    expected = full[:, :, 1:-1, 1:-1] + b[:, None, None]
    assert np.allclose(pretrained._conv_transpose(x, w, b), expected)


def test_numpy_convolution_is_the_window_sum():
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(4, 3, 4, 4)), rng.normal(size=4)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.zeros((2, 4, 3, 3))
    for i in range(3):
        for j in range(3):
            expected[:, :, i, j] = np.einsum("nckl,ockl->no", padded[:, :, 2 * i:2 * i + 4, 2 * j:2 * j + 4], w) + b
    assert np.allclose(pretrained._conv(x, w, b), expected)


@pytest.fixture
def map_codes(weights, monkeypatch):
    """The quick weights' latent map codes (the script writes them beside the weights), with
    their checksum as the course's."""
    import hashlib

    folder, _ = weights
    path = folder / "vae_2d_map_codes.safetensors"
    monkeypatch.setattr(pretrained, "MAP_CODES_FILES", {"vae_2d": hashlib.sha256(path.read_bytes()).hexdigest()})
    return path


def test_the_script_writes_the_latent_map_codes_of_the_stored_weights(map_codes):
    from aelab.data import load_mnist

    codes = pretrained.latent_map_codes("vae_2d")
    images = load_mnist("test", size=1_000)[0]   # quick mode: the first 1,000 test images
    assert codes.shape == (1_000, 2) and codes.dtype == np.float32
    np.testing.assert_allclose(codes, pretrained.numpy_model("vae_2d").encode(images), atol=1e-6)
    assert not (map_codes.parent / "vae_16d_map_codes.safetensors").exists()   # only the 2-D map


def test_latent_map_codes_errors_name_the_file(map_codes, monkeypatch):
    raw = map_codes.read_bytes()
    map_codes.write_bytes(raw[:-8] + bytes(8))
    with pytest.raises(DataFileError, match=r"corrupt: .*vae_2d_map_codes.safetensors"):
        pretrained.latent_map_codes("vae_2d")
    map_codes.unlink()
    with pytest.raises(DataFileError, match=r"missing: .*vae_2d_map_codes.safetensors"):
        pretrained.latent_map_codes("vae_2d")
    with pytest.raises(DataFileError, match=r"not shipped: .*vae_16d_map_codes.safetensors"):
        pretrained.latent_map_codes("vae_16d")
    map_codes.write_bytes(raw)
    # weights retrained, codes not rewritten: the codes were computed from other weights
    monkeypatch.setitem(pretrained.PRETRAINED_FILES, "vae_2d", "0" * 64)
    with pytest.raises(DataFileError, match=r"out of date: .*vae_2d_map_codes[\s\S]*--map-codes"):
        pretrained.latent_map_codes("vae_2d")


# --- the weights the course ships (data/pretrained), once trained ----------------------------

def _shipped():
    if not pretrained.PRETRAINED_FILES:
        pytest.skip("no pretrained weights shipped yet: train them with `python tools/train_pretrained.py` "
                    "and put the sha256 lines it prints into aelab.pretrained.PRETRAINED_FILES")
    return json.loads((SHIPPED / "pretrained.json").read_text())


def test_shipped_files_manifest_and_checksums_agree():
    manifest = _shipped()
    assert manifest["quick"] is False and manifest["seed"] == 0
    assert set(manifest["models"]) == set(pretrained.PRETRAINED_FILES) == set(pretrained.MODELS)
    for name, entry in manifest["models"].items():
        assert entry["sha256"] == pretrained.PRETRAINED_FILES[name]
        assert (SHIPPED / entry["file"]).stat().st_size == entry["bytes"]
        pretrained.load_weights(name)   # verifies the checksum
    total = sum(path.stat().st_size for path in SHIPPED.iterdir())   # weights, codes, records
    assert total <= 10e6, f"data/pretrained holds {total / 1e6:.2f} MB, the budget is 10 MB"


def test_shipped_latent_map_codes_are_the_numpy_encoders_codes_of_the_test_set():
    from aelab.data import load_mnist

    _shipped()
    codes = pretrained.latent_map_codes("vae_2d")   # verifies both checksums
    images = load_mnist("test")[0]
    assert codes.shape == (10_000, 2)
    np.testing.assert_allclose(codes, pretrained.numpy_model("vae_2d").encode(images), atol=1e-6)


def test_decoder_layers_are_the_stored_weights_in_the_order_decode_runs_them():
    """What the latent explorer sends the browser: every op, shape and dtype, checked from the
    code (plus the one-hot label of the conditional model) to the 784 pixels."""
    _shipped()

    def conv(act):
        return ["dense", act, "dense", act, "reshape", "conv_transpose", act, "conv_transpose", "sigmoid"]

    expected_ops = {"conditional_vae": ["dense", "relu", "dense", "relu", "dense", "sigmoid"]}
    activations = {}
    for name in pretrained.MODELS:
        model, info = pretrained.numpy_model(name), pretrained.model_info(name)
        activations[name] = info["activation"]
        layers = model.decoder_layers()
        # lesson 07's AAEs have lesson 05's 2-D decoder; all conv models use SiLU, the conditional VAE ReLU
        expected = expected_ops.get(info["kind"]) or conv(info["activation"])
        assert [layer[0] for layer in layers] == expected, name
        size = model.latent_dim + (10 if model.conditional else 0)
        x = np.zeros((1, size), np.float32)
        for op, *args in layers:
            if op == "dense":
                weight, bias = args
                assert weight.dtype == bias.dtype == np.float32 and weight.shape == (x.shape[1], len(bias))
                assert any(np.shares_memory(weight, w) for w in model.weights.values()), "not the stored weights"
                x = x @ weight + bias
            elif op == "reshape":
                x = x.reshape(1, *args[0])
            elif op == "conv_transpose":
                weight, bias = args
                assert weight.dtype == np.float32 and weight.shape == (x.shape[1], len(bias), 4, 4)
                x = pretrained._conv_transpose(x, weight, bias)
            else:
                assert args == [], op
        assert x.size == 784, name
    assert activations == {"vae_2d": "silu", "vae_16d": "silu", "cvae_2d": "relu", "aae_ring": "silu",
                           "aae_labelled": "silu"}


def test_numpy_model_rejects_an_unknown_activation():
    with pytest.raises(ValueError, match="activation: expected one of relu, silu, got 'gelu'"):
        pretrained.NumpyVAE("vae_2d", 2, False, {}, activation="gelu")


def test_shipped_models_meet_the_lesson_targets():
    """The full-mode targets lessons 05 and 07 assert, measured on the stored (float16) weights."""
    models = _shipped()["models"]
    assert models["vae_2d"]["test_nats_per_image"]["loss"] <= 150
    assert models["vae_16d"]["test_nats_per_image"]["loss"] <= 96
    # lesson 07, section 5: most test codes at their own digit's component
    assert models["aae_labelled"]["test"]["own_component_share"] > 0.8
    from aelab.data import load_mnist

    x, y = load_mnist("test", size=500)
    # and they draw digits: reconstructions close to the originals. The AAEs' deterministic 2-D
    # codes, also shaped by a discriminator, reconstruct less closely than the VAEs: for them,
    # clearly closer than the test set's mean image is to each digit
    mean_image_error = np.abs(x.mean(axis=0) - x).mean()
    for name in pretrained.MODELS:
        model = pretrained.numpy_model(name)
        labels = y if model.conditional else None
        error = np.abs(model.decode(model.encode(x, labels), labels) - x).mean()
        bound = 0.8 * mean_image_error if name.startswith("aae") else 0.1
        assert error < bound, f"{name}: mean absolute reconstruction error {error:.3f}, not below {bound:.3f}"


FRAMEWORK_CHECK = textwrap.dedent('''
    import json, sys
    import numpy as np
    import aelab
    from aelab import pretrained
    from aelab.data import load_mnist
    FW = sys.argv[1]
    pretrained.PRETRAINED_FILES.update(json.loads(sys.argv[2]))
    aelab.setup(FW, seed=0)
    sys.path.insert(0, "tools")
    import train_pretrained
    lesson = train_pretrained.lesson_definitions(FW)   # lesson 05's own model classes
    x, y = load_mnist("test", size=100)
    rng = np.random.default_rng(1)
    if FW == "torch":
        import torch
        from aelab.torch_support import load_pretrained, numpy_function
        images = x[:, None]
    else:
        from aelab.keras_support import load_pretrained, numpy_function
        images = x[..., None]
    for name in ("vae_2d", "vae_16d", "cvae_2d"):
        reference = pretrained.numpy_model(name)
        model = load_pretrained(train_pretrained.build_model(lesson, FW, name), name)
        z = (2 * rng.standard_normal((64, reference.latent_dim))).astype(np.float32)
        labels = (np.arange(64) % 10) if reference.conditional else None
        extra = (labels,) if reference.conditional else ()
        decoded = lesson["numpy_decoder"](model.decoder)(z, *extra)
        gap = np.abs(decoded - reference.decode(z, labels)).max()
        assert gap < 1 / 255, f"{FW} {name}: decoder differs from numpy by {gap}"
        encoder = model.encode if FW == "torch" else model.encoder
        mu = numpy_function(encoder, output=lesson["means"])(images, *((y,) if reference.conditional else ()))
        gap_mu = np.abs(mu - reference.encode(x, y if reference.conditional else None)).max()
        assert gap_mu < 1e-4, f"{FW} {name}: encoder means differ from numpy by {gap_mu}"
        print(name, "decoder gap", gap, "encoder gap", gap_mu)
    # lesson 07's AAEs, into the lesson's own AAE (its discriminator is not in the file)
    lesson07 = train_pretrained.lesson_definitions(FW, train_pretrained.LESSON_07, keep=train_pretrained.LESSON_07_KEEP,
                                                   given={"QUICK": True})
    for name in ("aae_ring", "aae_labelled"):
        reference = pretrained.numpy_model(name)
        model = train_pretrained.build_aae(lesson07, name)
        discriminator = [np.array(w) for w in (model.discriminator.state_dict().values() if FW == "torch"
                                               else model.discriminator.get_weights())]
        assert load_pretrained(model, name) is model
        after = (model.discriminator.state_dict().values() if FW == "torch" else model.discriminator.get_weights())
        assert all(np.array_equal(a, np.array(b)) for a, b in zip(discriminator, after)), "discriminator changed"
        z = (4 * rng.standard_normal((64, 2))).astype(np.float32)
        gap = np.abs(lesson07["numpy_decoder"](model)(z) - reference.decode(z)).max()
        assert gap < 1 / 255, f"{FW} {name}: decoder differs from numpy by {gap}"
        codes = lesson07["codes_and_logits"](model)[0](images)
        gap_z = np.abs(codes - reference.encode(x)).max()
        assert gap_z < 1e-4, f"{FW} {name}: encoder codes differ from numpy by {gap_z}"
        print(name, "decoder gap", gap, "encoder gap", gap_z)
    for wrong, name in ((lesson07["AAE"](latent_dim=3), "aae_ring"), (lesson07["AAE"](), "vae_2d")):
        try:
            load_pretrained(wrong, name)
        except ValueError as err:
            assert f"{name}.safetensors does not fit" in str(err), err
        else:
            raise AssertionError(f"no ValueError for {name} in a model of another shape")
    # a model of another shape: a clear error naming the file
    try:
        load_pretrained(lesson["VAE"](latent_dim=3) if FW == "torch"
                        else lesson["VAE"](lesson["build_encoder"](3), lesson["build_decoder"](3)), "vae_2d")
    except ValueError as err:
        assert "vae_2d.safetensors does not fit" in str(err), err
    else:
        raise AssertionError("no ValueError for a 3-D model")
    # the same shapes with the other activation: the weights would load and draw nonsense
    for activation, name in (("relu", "vae_16d"), ("relu", "vae_2d")):
        size = dict(latent_dim=16, channels=(24, 48)) if name == "vae_16d" else dict(latent_dim=2)
        wrong = (lesson["VAE"](**size, activation=activation) if FW == "torch" else
                 lesson["VAE"](lesson["build_encoder"](**size, activation=activation),
                               lesson["build_decoder"](**size, activation=activation)))
        try:
            load_pretrained(wrong, name)
        except ValueError as err:
            assert f"{name}.safetensors does not fit" in str(err) and f"this one {activation}" in str(err), err
        else:
            raise AssertionError(f"no ValueError for {name} with {activation}")
    print("ok")
''')


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_lesson_model_loads_and_matches_the_numpy_network(quick_weights, framework):
    folder, sums, _ = quick_weights
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AELAB_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
           "AELAB_PRETRAINED": str(folder)}
    done = subprocess.run([sys.executable, "-c", FRAMEWORK_CHECK, framework, json.dumps(sums)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stdout + done.stderr
