"""aelab.data: the bundled MNIST loads correctly, and bad files fail loudly with a how-to-fix."""

import gzip
import hashlib
import shutil

import numpy as np
import pytest

from aelab import data
from aelab.data import MNIST_FILES, DataFileError, load_mnist


@pytest.fixture
def data_copy(tmp_path, monkeypatch, isolated_cache):
    """A private copy of the MNIST folder that a test may damage; AELAB_DATA points at it."""
    folder = tmp_path / "mnist"
    shutil.copytree(data.data_dir(), folder, ignore=shutil.ignore_patterns("*.md"))
    monkeypatch.setenv("AELAB_DATA", str(folder))
    return folder


def test_bundled_files_match_published_checksums():
    for spec in MNIST_FILES.values():
        path = data.data_dir() / f"{spec.name}.gz"
        with gzip.open(path, "rb") as f:
            raw = f.read()
        assert len(raw) == spec.size
        assert hashlib.sha256(raw).hexdigest() == spec.sha256
        assert hashlib.md5(raw).hexdigest() == spec.md5


@pytest.mark.parametrize("split, n", [("train", 60_000), ("test", 10_000)])
def test_load_full_split(split, n):
    images, labels = load_mnist(split)
    assert images.shape == (n, 28, 28) and images.dtype == np.float32
    assert labels.shape == (n,) and labels.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    assert set(np.unique(labels)) == set(range(10))


def test_known_first_labels_and_pixels():
    # The first training digits of MNIST are 5, 0, 4, 1, 9, 2, 1, 3, 1, 4; the first test digit is a 7.
    _, train_labels = load_mnist("train")
    assert train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    raw, test_labels = load_mnist("test", raw=True)
    assert test_labels[0] == 7
    assert raw.dtype == np.uint8 and raw.max() == 255
    # raw and float agree pixel for pixel
    images, _ = load_mnist("test")
    np.testing.assert_allclose(images[:50], raw[:50] / 255.0, atol=1e-7)


def test_flatten_and_subset():
    images, labels = load_mnist("test", size=500, seed=3, flatten=True)
    assert images.shape == (500, 784) and labels.shape == (500,)
    again, labels_again = load_mnist("test", size=500, seed=3, flatten=True)
    np.testing.assert_array_equal(images, again)
    np.testing.assert_array_equal(labels, labels_again)
    other, _ = load_mnist("test", size=500, seed=4, flatten=True)
    assert not np.array_equal(images, other)


def test_stratified_subset_keeps_label_proportions():
    _, all_labels = load_mnist("train")
    _, labels = load_mnist("train", size=1000, seed=0)
    expected = np.bincount(all_labels) / len(all_labels) * 1000
    counts = np.bincount(labels, minlength=10)
    assert counts.sum() == 1000
    assert np.all(np.abs(counts - expected) < 1.0)


def test_unstratified_subset_is_a_plain_sample():
    index = data._subset_indices(np.arange(100) % 10, 30, seed=1, stratified=False)
    assert len(index) == 30 and len(set(index.tolist())) == 30 and np.all(np.diff(index) > 0)


def test_returned_arrays_are_independent_copies():
    images, labels = load_mnist("test", size=10)
    images[:] = 0.5
    labels[:] = 0
    fresh, fresh_labels = load_mnist("test", size=10)
    assert fresh.max() == 1.0 and fresh_labels.any()


@pytest.mark.parametrize("kwargs, error", [
    ({"split": "validation"}, ValueError),
    ({"split": "train", "size": 0}, ValueError),
    ({"split": "test", "size": 10_001}, ValueError),
    ({"split": "test", "size": 2.5}, TypeError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        load_mnist(**kwargs)


def test_missing_file_names_file_and_fix(data_copy):
    (data_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataFileError) as info:
        load_mnist("test")
    message = str(info.value)
    assert "t10k-labels-idx1-ubyte.gz" in message and "missing" in message
    assert MNIST_FILES["test-labels"].sha256 in message
    assert "git checkout -- data/" in message and "python -m aelab.data download" in message


def test_truncated_file_is_rejected(data_copy):
    path = data_copy / "t10k-images-idx3-ubyte.gz"
    payload = path.read_bytes()
    path.write_bytes(payload[: len(payload) // 2])
    with pytest.raises(DataFileError) as info:
        load_mnist("test")
    assert str(path) in str(info.value) and "git checkout" in str(info.value)


def test_corrupt_content_reports_expected_and_found(data_copy):
    # A valid gzip file whose content differs by one pixel: gzip's CRC is happy, the checksum is not.
    path = data_copy / "t10k-images-idx3-ubyte.gz"
    with gzip.open(path, "rb") as f:
        raw = bytearray(f.read())
    raw[5000] ^= 0xFF
    with gzip.open(path, "wb") as f:
        f.write(bytes(raw))
    with pytest.raises(DataFileError) as info:
        load_mnist("test")
    message = str(info.value)
    spec = MNIST_FILES["test-images"]
    assert spec.sha256 in message
    assert hashlib.sha256(bytes(raw)).hexdigest() in message
    assert f"{spec.size:,}" in message


def test_swapped_files_are_not_silently_accepted(data_copy):
    # train labels put in place of the test labels: a valid IDX file, the wrong dataset.
    shutil.copy(data_copy / "train-labels-idx1-ubyte.gz", data_copy / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(DataFileError, match="t10k-labels"):
        load_mnist("test")


def test_uncompressed_files_are_accepted(data_copy):
    for spec in MNIST_FILES.values():
        gz = data_copy / f"{spec.name}.gz"
        with gzip.open(gz, "rb") as f:
            (data_copy / spec.name).write_bytes(f.read())
        gz.unlink()
    images, labels = load_mnist("test")
    assert images.shape == (10_000, 28, 28) and labels[0] == 7


def test_verified_arrays_are_cached_and_a_changed_file_is_checked_again(data_copy, monkeypatch):
    calls = []
    real_check = data._verified_bytes
    monkeypatch.setattr(data, "_verified_bytes", lambda path, spec, **k: calls.append(path.name)
                        or real_check(path, spec, **k))
    load_mnist("test")  # first load: both files read and checksummed
    assert sorted(calls) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    calls.clear()
    load_mnist("test", size=100)
    assert calls == [], "an unchanged, verified file should not be read again in the same process"
    # Rewriting a file (new mtime) forces a fresh check, which catches the corruption.
    path = data_copy / "t10k-labels-idx1-ubyte.gz"
    with gzip.open(path, "rb") as f:
        raw = bytearray(f.read())
    raw[-1] = (raw[-1] + 1) % 10
    with gzip.open(path, "wb") as f:
        f.write(bytes(raw))
    with pytest.raises(DataFileError):
        load_mnist("test")
    assert "t10k-labels-idx1-ubyte.gz" in calls, "a changed file must be checksummed again"


def test_verify_mnist_cli(data_copy, capsys):
    assert data._main(["verify"]) == 0
    assert capsys.readouterr().out.count("ok") == 4
    (data_copy / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    assert data._main(["verify"]) == 1
    assert "train-images-idx3-ubyte.gz" in capsys.readouterr().err
