"""Every public name of aelab is used by a lesson, a tool, a documented command or another module
of the package, not by the tests alone (tools/public_names.py reads the sources; no import of
torch or tensorflow)."""

import importlib.util
import sys

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("public_names", ROOT / "tools" / "public_names.py")
public_names = importlib.util.module_from_spec(spec)
sys.modules["public_names"] = public_names
spec.loader.exec_module(public_names)

# Public names that nothing but the tests may use, each with the reason. Empty: keep it so.
ALLOWED = {}


def test_no_public_name_is_used_by_the_tests_alone():
    unused = [name for name in public_names.unused() if name not in ALLOWED]
    assert not unused, ("public names of aelab that only tests use; make them private, move them "
                        f"to tests/fixtures, or delete them: {unused}")


def test_allow_list_entries_are_still_needed():
    assert set(ALLOWED) <= set(public_names.unused())


@pytest.fixture
def tiny_tree(tmp_path, monkeypatch):
    """A course tree with one package module: a lesson uses ``used``, which calls ``helper``;
    ``documented`` is named in the README; ``dead`` is used by nothing."""
    (tmp_path / "aelab").mkdir()
    (tmp_path / "aelab" / "__init__.py").write_text("")
    (tmp_path / "aelab" / "mod.py").write_text(
        "def helper():\n    return 1\n\n\ndef used():\n    return helper()\n\n\n"
        "def documented():\n    pass\n\n\ndef dead():\n    pass\n")
    (tmp_path / "notebooks" / "src").mkdir(parents=True)
    (tmp_path / "notebooks" / "src" / "01_x.py").write_text("from aelab import mod\nmod.used()\n")
    (tmp_path / "README.md").write_text("Call `aelab.mod.documented()`.\n")
    monkeypatch.setattr(public_names, "ROOT", tmp_path)
    monkeypatch.setattr(public_names, "PACKAGE", tmp_path / "aelab")
    return tmp_path


def test_the_scan_tells_used_from_unused_names(tiny_tree):
    table = public_names.usage()
    assert table["aelab.mod", "used"] == {"lesson: 01_x"}
    assert table["aelab.mod", "helper"] == {"own module"}
    assert any(w.startswith("command: documented in README.md") for w in table["aelab.mod", "documented"])
    assert public_names.unused() == ["aelab.mod.dead"]
