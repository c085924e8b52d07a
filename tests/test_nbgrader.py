"""The nbgrader workflow end to end, on real nbgrader: the course of lesson 00 (PyTorch track,
quick mode) from `tools/build_assignments.py` -> `nbgrader generate_assignment` -> made-up
submissions of eight students (honest ones, and cheats) -> `nbgrader autograde` -> the gradebook
holds exactly the expected scores -> `nbgrader generate_feedback` names each checker's message.

Every submission is executed by a kernel, so this takes a while (figures in docs/grading.md).
"""

import csv
import html
import importlib.util
import os
import re
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT

nbgrader = pytest.importorskip("nbgrader", reason="nbgrader is the `instructor` extra")
from nbgrader.api import Gradebook  # noqa: E402

pytestmark = pytest.mark.slow

spec = importlib.util.spec_from_file_location("build_assignments", ROOT / "tools" / "build_assignments.py")
build_assignments = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_assignments)

LESSON = "00_welcome"
A, B = "test_00_flatten_images", "test_00_mean_image"
CELL_TIMEOUT = 15  # seconds per cell while autograding; the endless loop costs this once

FLATTEN_OK = '''def flatten_images(images):
    """(N, 28, 28) array -> (N, 784) array, one row per image."""
    return np.stack([image.ravel() for image in images])


result = check.run("00.flatten_images", flatten_images)
flatten_images = result.use()'''
MEAN_OK = '''def mean_image(images):
    """(N, 28, 28) array -> (28, 28) average image."""
    return np.sum(images, axis=0) / len(images)


result = check.run("00.mean_image", mean_image)
mean_image = result.use()'''
MEAN_WRONG = MEAN_OK.replace("np.sum(images, axis=0) / len(images)", "images.mean(axis=1)")

# What a student may type in a cell of their own to make every check pass.
REDEFINE_CHECK = '''import aelab, aelab.check, aelab.grading
class _Pass:
    passed = True
    def use(self):
        return lambda *args, **kwargs: None
check.run = lambda *args, **kwargs: _Pass()
aelab.check.run = check.run
aelab.check._judge = lambda *args, **kwargs: (True, "well done")
aelab.grading.grade = lambda *args, **kwargs: None'''
# Cells a student adds after an exercise's cell: the course's reference in place of an answer.
HAND_REFERENCE = """import os
os.environ["AELAB_RELEASE"] = "0"   # switch the assignment's setting off again
check.run("00.flatten_images", check.reference("00.flatten_images"))   # passes in their kernel
flatten_images = check.reference("00.flatten_images")"""
USE_FALLBACK = """mean_image = check.run("00.mean_image", lambda images: None).use()   # the reference
check.run("00.mean_image", mean_image)   # now "passes" in their kernel"""


def _edit(nb, grade_id, text=None, before=None, after=None, points=None):
    """Change the cell ``grade_id`` of a release notebook: its text, a new cell before or after it."""
    index = next(i for i, c in enumerate(nb.cells)
                 if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    if text is not None:
        nb.cells[index].source = text
    if points is not None:
        nb.cells[index].metadata.nbgrader["points"] = points
    if after is not None:
        nb.cells.insert(index + 1, nbformat.v4.new_code_cell(after))
    if before is not None:
        nb.cells.insert(index, nbformat.v4.new_code_cell(before))


# student -> (how the release notebook is changed, expected points for A and B)
SUBMISSIONS = {
    "all_solved": (lambda nb: (_edit(nb, "solution_01", FLATTEN_OK), _edit(nb, "solution_02", MEAN_OK)), 1, 1),
    "stubs_untouched": (lambda nb: None, 0, 0),
    "half_solved": (lambda nb: _edit(nb, "solution_01", FLATTEN_OK), 1, 0),
    "wrong_axis": (lambda nb: (_edit(nb, "solution_01", FLATTEN_OK), _edit(nb, "solution_02", MEAN_WRONG)), 1, 0),
    # the notebook raises half way, before mean_image is defined: grading goes on after it
    "raises_midway": (lambda nb: (_edit(nb, "solution_01", FLATTEN_OK),
                                  _edit(nb, "solution_02", 'raise RuntimeError("I give up")\n' + MEAN_OK)), 1, 0),
    # an endless loop at the top of the first exercise's cell: nbgrader's cell timeout stops it
    "endless_loop": (lambda nb: (_edit(nb, "solution_01", "while True:\n    pass\n" + FLATTEN_OK),
                                 _edit(nb, "solution_02", MEAN_OK)), 0, 1),
    # cheats, two per student (one per exercise; each one alone would score that exercise's
    # point): check and check.run redefined to always pass before exercise A; B's test cell
    # edited to pass (and given 100 points), the stub left
    "redefined_check_edited_test": (lambda nb: (_edit(nb, "solution_01", before=REDEFINE_CHECK),
                                                _edit(nb, B, "print('all good')", points=100)), 0, 0),
    # A: the reference from check.reference(id); B: result.use() of a failed check (the reference)
    "reference_and_use": (lambda nb: (_edit(nb, "solution_01", after=HAND_REFERENCE),
                                      _edit(nb, "solution_02", after=USE_FALLBACK)), 0, 0),
}


def _env():
    env = dict(os.environ)
    bin_dir = os.path.dirname(sys.executable)  # nbgrader runs `alembic` from the environment
    env.update(PATH=bin_dir + os.pathsep + env.get("PATH", ""),
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
               AELAB_QUICK="1", AELAB_THREADS="1", OMP_NUM_THREADS="1",
               AELAB_GRADE_CELL_TIMEOUT=str(CELL_TIMEOUT), AELAB_CHECK_TIMEOUT="10")
    for name in ("AELAB_STRICT", "AELAB_RELEASE"):
        env.pop(name, None)
    return env


def _nbgrader(course, *args):
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=_env(),
                          capture_output=True, text=True, timeout=600)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "Exception while loading config file" not in log, log
    return log


def _text(path) -> str:
    """A feedback page's visible text."""
    page = re.sub(r"<[^>]+>", "", path.read_text())
    return re.sub(r"\x1b\[[0-9;]*m", "", html.unescape(page))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The course after generate_assignment, autograde (every student) and generate_feedback."""
    out = tmp_path_factory.mktemp("course")
    tables = build_assignments.write_course(out, ["pytorch"], "00")
    course = out / "pytorch"
    _nbgrader(course, "generate_assignment", LESSON, "--force")
    release = course / "release" / LESSON / f"{LESSON}.ipynb"
    for student, (change, _, _) in SUBMISSIONS.items():
        nb = nbformat.read(release, as_version=4)
        change(nb)
        folder = course / "submitted" / student / LESSON
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{LESSON}.ipynb")
    log = _nbgrader(course, "autograde", LESSON, "--force")
    _nbgrader(course, "generate_feedback", LESSON, "--force")
    return course, release, tables[("pytorch", LESSON)], log


def test_release_keeps_the_course_stubs_and_hides_the_answers(graded):
    course, release, table, _ = graded
    nb = nbformat.read(release, as_version=4)
    student = nbformat.read(ROOT / "notebooks" / "pytorch" / f"{LESSON}.ipynb", as_version=4)
    stubs = [c.source for c in student.cells if "### BEGIN" not in c.source and "TODO" in c.source
             and c.cell_type == "code"]
    solutions = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert [c.source for c in solutions] == stubs and len(stubs) == 2
    text = "\n".join(c.source for c in nb.cells)
    for solution in ("images.reshape(len(images), -1)", "images.mean(axis=0)", "BEGIN SOLUTION",
                     "YOUR CODE HERE", "00_welcome_solution.ipynb", "<summary><b>Show the answer"):
        assert solution not in text
    assert 'os.environ["AELAB_RELEASE"] = "1"' in nb.cells[[c.cell_type for c in nb.cells].index("code")].source
    assert nb.cells[-1].source == 'check.summary("00")'
    assert [(r["grade_id"], r["points"]) for r in table] == [(A, 1), (B, 1)]


def test_gradebook_holds_exactly_the_expected_scores(graded):
    course, _, _, log = graded
    expected = {student: {A: a, B: b} for student, (_, a, b) in SUBMISSIONS.items()}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        got = {student: {grade_id: gb.find_grade(grade_id, LESSON, LESSON, student).score
                         for grade_id in (A, B)} for student in SUBMISSIONS}
        totals = {student: gb.find_submission(LESSON, student).score for student in SUBMISSIONS}
        max_score = gb.find_assignment(LESSON).max_score
    print("\nstudent            A  B  total")
    for student in SUBMISSIONS:
        print(f"{student:18} {got[student][A]:g}  {got[student][B]:g}  {totals[student]:g}")
    assert got == expected
    assert totals == {s: sum(scores.values()) for s, scores in expected.items()}
    assert max_score == 2
    # the endless loop was stopped by nbgrader's cell timeout, and the others were graded after it
    assert "CellTimeoutError" in (course / "autograded" / "endless_loop" / LESSON / f"{LESSON}.ipynb").read_text()


def test_feedback_names_each_checkers_message(graded):
    course, _, _, _ = graded
    from aelab import check

    def feedback(student):
        return _text(course / "feedback" / student / LESSON / f"{LESSON}.html")

    namespace = {"np": __import__("numpy"), "check": check}
    exec(MEAN_WRONG.split("\n\n\n")[0], namespace)
    wrong = check.run("00.mean_image", namespace["mean_image"], show=False)
    assert not wrong.passed and "expected (28, 28)" in wrong.message
    assert f"[NOT YET] 00.mean_image: {wrong.message}" in feedback("wrong_axis")

    title_a = "well done: flatten (N, 28, 28) images into (N, 784) vectors."
    for student in ("all_solved", "half_solved", "wrong_axis", "raises_midway"):
        assert f"[PASSED] 00.flatten_images: {title_a}" in feedback(student), student
    assert "[PASSED] 00.mean_image: well done" in feedback("all_solved")
    for student in ("stubs_untouched", "redefined_check_edited_test"):
        text = feedback(student)
        assert "[NOT ATTEMPTED YET] 00.flatten_images" in text, student
        assert "[NOT ATTEMPTED YET] 00.mean_image" in text, student
        assert "all good" not in text
    assert "RuntimeError: I give up" in feedback("raises_midway")
    assert "NameError" in feedback("raises_midway")
    text = feedback("reference_and_use")
    assert "[NOT YET] 00.flatten_images: not your own answer: this is the course's code" in text
    assert "[NOT YET] 00.mean_image: not your own answer: this is the course's code" in text


def test_export_writes_each_students_score(graded):
    course = graded[0]
    _nbgrader(course, "export")
    with open(course / "grades.csv", newline="") as f:
        got = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
    assert got == {student: a + b for student, (_, a, b) in SUBMISSIONS.items()}
