"""hub/jupyterhub_config.py without a hub: its error messages and its pre-spawn hook (fast; the
hub itself is tested by tests/test_hub.py, `make hub-test`)."""

import json
import shutil

import pytest
from traitlets.config.loader import PyFileConfigLoader

from conftest import ROOT

CONFIG = ROOT / "hub" / "jupyterhub_config.py"


def _load(folder):
    return PyFileConfigLoader("jupyterhub_config.py", path=str(folder)).load_config()


@pytest.fixture
def hub_copy(tmp_path, monkeypatch):
    """A copy of the configuration in a folder of its own, its proxy a placeholder file, the
    course's notebooks beside it."""
    folder = tmp_path / "hub"
    (tmp_path / "notebooks").symlink_to(ROOT / "notebooks")
    (folder / "node_modules" / ".bin").mkdir(parents=True)
    shutil.copy(CONFIG, folder)
    (folder / "node_modules" / ".bin" / "configurable-http-proxy").write_text("")
    monkeypatch.setenv("AELAB_HUB_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AELAB_HUB_PASSWORD", "a class password")
    return folder


def test_a_missing_password_is_named(hub_copy, monkeypatch):
    monkeypatch.delenv("AELAB_HUB_PASSWORD")
    with pytest.raises(ValueError, match="set AELAB_HUB_PASSWORD"):
        _load(hub_copy)
    monkeypatch.setenv("AELAB_HUB_PASSWORD", "short")
    with pytest.raises(ValueError, match="8 characters or more"):
        _load(hub_copy)


def test_a_missing_proxy_says_how_to_install_it(hub_copy):
    (hub_copy / "node_modules" / ".bin" / "configurable-http-proxy").unlink()
    with pytest.raises(FileNotFoundError, match="run `npm ci` in .*node and npm needed.*make hub-test"):
        _load(hub_copy)


def test_first_start_copies_the_student_lessons_and_keeps_a_students_work(hub_copy, tmp_path):
    from aelab.lab_server import SERVER_FLAGS

    config = _load(hub_copy)
    assert config.JupyterHub.ip == "127.0.0.1"
    assert all(flag in config.Spawner.args for flag in SERVER_FLAGS)
    assert (tmp_path / "state" / "exchange").stat().st_mode & 0o777 == 0o777

    class Spawner:   # what the hook reads of JupyterHub's spawner
        home_dir = str(tmp_path / "home" / "alice")

    edited = tmp_path / "home" / "alice" / "pytorch" / "00_welcome.ipynb"
    edited.parent.mkdir(parents=True)
    edited.write_text(json.dumps({"my": "work"}))
    config.Spawner.pre_spawn_hook(Spawner())
    for track in ("pytorch", "keras"):
        course = sorted(p.name for p in (ROOT / "notebooks" / track).glob("*.ipynb"))
        got = sorted(p.name for p in (tmp_path / "home" / "alice" / track).iterdir())
        assert got == course and len(course) >= 7, (track, got)
        assert not (tmp_path / "home" / "alice" / track / "solutions").exists()
    assert json.loads(edited.read_text()) == {"my": "work"}
    lesson = tmp_path / "home" / "alice" / "keras" / "01_linear_autoencoder.ipynb"
    assert lesson.read_bytes() == (ROOT / "notebooks" / "keras" / lesson.name).read_bytes()
