"""aelab.runtime: quick mode, threads, setup."""

import sys

import numpy as np
import pytest

import aelab
from aelab import runtime


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("YES", True),
                                             ("0", False), ("", False), ("no", False)])
def test_quick_mode_reads_environment(monkeypatch, value, expected):
    monkeypatch.setenv("AELAB_QUICK", value)
    assert aelab.quick_mode() is expected


def test_quick_mode_off_by_default():
    assert aelab.quick_mode() is False


def test_num_threads(monkeypatch):
    monkeypatch.setenv("AELAB_THREADS", "1")
    assert runtime._num_threads() == 1
    for bad in ("0", "two", "-3"):
        monkeypatch.setenv("AELAB_THREADS", bad)
        with pytest.raises(ValueError, match="AELAB_THREADS"):
            runtime._num_threads()


def test_setup_numpy_seeds_and_reports(capsys):
    settings = aelab.setup("numpy", seed=7)
    first = np.random.rand(3)
    aelab.setup("numpy", seed=7, verbose=False)
    np.testing.assert_array_equal(first, np.random.rand(3))
    assert settings["framework"] == "numpy" and settings["seed"] == 7
    assert "seed 7" in capsys.readouterr().out
    assert runtime.active_framework() == "numpy"


@pytest.mark.parametrize("framework, seed, error", [("jax", 0, ValueError), ("torch", "0", TypeError),
                                                    ("torch", 1.5, TypeError)])
def test_setup_rejects_bad_arguments(framework, seed, error):
    with pytest.raises(error):
        aelab.setup(framework, seed=seed)


def test_setup_refuses_a_second_framework(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", object())
    with pytest.raises(RuntimeError, match="one framework"):
        aelab.setup("torch")
