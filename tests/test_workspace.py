"""The student's working copy (aelab.workspace): copies once, never touches the student's edits,
brings new lessons, and the notebooks there still find aelab and the data."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from aelab import workspace
from conftest import ROOT


def _course(tmp_path, lessons=("00_welcome", "01_linear")):
    """A small course folder: student and solution notebooks of ``lessons`` in both tracks."""
    source = tmp_path / "course"
    for track in workspace.TRACKS:
        (source / track / "solutions").mkdir(parents=True, exist_ok=True)
        for lesson in lessons:
            (source / track / f"{lesson}.ipynb").write_text(f'{{"lesson": "{track} {lesson} v1"}}')
            (source / track / "solutions" / f"{lesson}_solution.ipynb").write_text(
                f'{{"lesson": "{track} {lesson} solution v1"}}')
    return source


def test_first_sync_copies_every_notebook_and_a_readme(tmp_path):
    source, mine = _course(tmp_path), tmp_path / "mine"
    report = workspace.sync(mine, source)
    assert len(report.copied) == 8 and not (report.updated or report.kept or report.foreign)
    assert (mine / "pytorch" / "00_welcome.ipynb").read_text() == '{"lesson": "pytorch 00_welcome v1"}'
    assert (mine / "keras" / "solutions" / "01_linear_solution.ipynb").exists()
    assert "make update-notebooks" in (mine / "README.md").read_text()
    assert "copied from the course: 8 notebooks" in str(report)


def test_edits_are_never_touched_and_new_lessons_arrive(tmp_path):
    source, mine = _course(tmp_path), tmp_path / "mine"
    workspace.sync(mine, source)
    edited = mine / "pytorch" / "00_welcome.ipynb"
    edited.write_text('{"lesson": "my answers"}')
    (mine / "README.md").write_text("my notes")
    # the course changes lesson 00 (edited here) and 01 (untouched here), and adds lesson 02
    for track in workspace.TRACKS:
        for lesson in ("00_welcome", "01_linear"):
            (source / track / f"{lesson}.ipynb").write_text(f'{{"lesson": "{track} {lesson} v2"}}')
    _course(tmp_path, lessons=("02_deep",))
    report = workspace.sync(mine, source)
    assert edited.read_text() == '{"lesson": "my answers"}'
    assert (mine / "README.md").read_text() == "my notes"
    assert report.kept == ["pytorch/00_welcome.ipynb"]
    assert sorted(report.updated) == ["keras/00_welcome.ipynb", "keras/01_linear.ipynb",
                                      "pytorch/01_linear.ipynb"]
    assert (mine / "pytorch" / "01_linear.ipynb").read_text() == '{"lesson": "pytorch 01_linear v2"}'
    assert sorted(report.copied) == ["keras/02_deep.ipynb", "keras/solutions/02_deep_solution.ipynb",
                                     "pytorch/02_deep.ipynb", "pytorch/solutions/02_deep_solution.ipynb"]
    text = str(report)
    assert "kept as you changed them, although the course has a new version" in text
    assert "pytorch/00_welcome.ipynb" in text and "rename yours" in text
    # a third run: nothing new; the edit is still kept and not reported as newer again
    report = workspace.sync(mine, source)
    assert not (report.copied or report.updated) and report.kept == ["pytorch/00_welcome.ipynb"]


def test_an_edit_of_an_unchanged_lesson_is_kept_quietly(tmp_path):
    source, mine = _course(tmp_path), tmp_path / "mine"
    workspace.sync(mine, source)
    (mine / "keras" / "01_linear.ipynb").write_text("mine")
    report = workspace.sync(mine, source)
    assert report.edited == ["keras/01_linear.ipynb"] and not (report.kept or report.copied)
    assert (mine / "keras" / "01_linear.ipynb").read_text() == "mine"
    assert str(report).endswith("nothing new from the course; your changes to 1 notebook(s) are kept")


def test_a_file_the_tool_did_not_write_is_kept_and_said_so(tmp_path):
    source, mine = _course(tmp_path), tmp_path / "mine"
    (mine / "keras").mkdir(parents=True)
    (mine / "keras" / "00_welcome.ipynb").write_text("copied by hand, then edited")
    report = workspace.sync(mine, source)
    assert report.foreign == ["keras/00_welcome.ipynb"]
    assert (mine / "keras" / "00_welcome.ipynb").read_text() == "copied by hand, then edited"
    assert "not copied by this tool" in str(report)


def test_no_course_notebooks_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no course notebooks"):
        workspace.sync(tmp_path / "mine", tmp_path / "nothing")


def test_the_real_course_copies_student_and_solution_notebooks(tmp_path):
    report = workspace.sync(tmp_path / "mine")
    files = workspace.course_files()
    assert sorted(report.copied) == sorted(files) and len(files) == 4 * len(
        list((ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py")))
    assert "pytorch/00_welcome.ipynb" in files and "keras/solutions/00_welcome_solution.ipynb" in files
    assert not any(f.startswith("src/") for f in files)


def test_the_working_copy_is_ignored_by_git():
    out = subprocess.run(["git", "check-ignore", "-q", "my-notebooks/pytorch/00_welcome.ipynb"],
                         cwd=ROOT, capture_output=True)
    assert out.returncode == 0, "my-notebooks/ must be in .gitignore"


def test_module_command_syncs_and_reports(tmp_path):
    out = subprocess.run([sys.executable, "-m", "aelab.workspace", str(tmp_path / "mine")],
                         capture_output=True, text=True, check=True).stdout
    assert "copied from the course" in out and (tmp_path / "mine" / "keras" / "00_welcome.ipynb").exists()
    out = subprocess.run([sys.executable, "-m", "aelab.workspace", str(tmp_path / "mine")],
                         capture_output=True, text=True, check=True).stdout
    assert "nothing new from the course" in out


def test_notebooks_in_the_working_copy_find_aelab_and_the_data(tmp_path, isolated_cache):
    """A kernel started in my-notebooks/pytorch (JupyterLab's working directory for a notebook
    there) imports aelab and loads MNIST from the course's data/, or from $AELAB_DATA."""
    workspace.sync(tmp_path / "mine")
    code = ("import aelab.data as d; x, y = d.load_mnist('test', size=10); "
            "print(d.data_dir(), x.shape)")
    env = {k: v for k, v in os.environ.items() if k != "AELAB_DATA"}
    env["AELAB_CACHE"] = str(isolated_cache)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "mine" / "pytorch", env=env,
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == [str(ROOT / "data"), "(10,", "28,", "28)"]
    # $AELAB_DATA (an absolute path) is honoured from the working copy too
    elsewhere = tmp_path / "data-elsewhere"
    shutil.copytree(ROOT / "data", elsewhere, ignore=shutil.ignore_patterns("README*"))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "mine" / "keras",
                         env=dict(env, AELAB_DATA=str(elsewhere)),
                         capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == str(elsewhere)


def test_manifest_records_what_was_copied(tmp_path):
    source, mine = _course(tmp_path), tmp_path / "mine"
    workspace.sync(mine, source)
    manifest = json.loads((mine / workspace.MANIFEST).read_text())
    assert set(manifest) == set(workspace.course_files(source))
