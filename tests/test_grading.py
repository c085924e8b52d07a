"""check.summary(), the release setting (AELAB_RELEASE) and aelab.grading, without nbgrader
(tests/test_nbgrader.py runs the whole nbgrader workflow)."""

import functools
import importlib.util
import sys

import nbformat
import numpy as np
import pytest

from aelab import check, grading
from conftest import ROOT


@pytest.fixture(autouse=True)
def _fresh_kernel_state(monkeypatch):
    """Each test starts as a fresh kernel: no verdicts, no reference handed out."""
    monkeypatch.setattr(check, "_RESULTS", {})
    monkeypatch.setattr(check, "_USED_REFERENCE", set())
    monkeypatch.delenv("AELAB_RELEASE", raising=False)


def flatten_ok(images):
    return images.reshape(len(images), 784)


def mean_wrong(images):
    return images.mean(axis=1)


def stub(images):
    return None


# ------------------------------------------------------------------ check.summary

def _states(lesson="00"):
    return {exercise_id: state for exercise_id, _, state in check.summary(lesson).rows}


def test_summary_lists_every_exercise_of_the_lesson_never_run_at_first():
    assert _states() == {"00.flatten_images": "never run", "00.mean_image": "never run"}
    assert list(_states("01_linear_autoencoder")) == list(check.SYLLABUS["01_linear_autoencoder"])


def test_summary_passed_not_yet_not_attempted_and_using_the_reference():
    check.run("00.flatten_images", flatten_ok, show=False)
    check.run("00.mean_image", stub, show=False)
    assert _states() == {"00.flatten_images": "passed", "00.mean_image": "not attempted yet"}
    result = check.run("00.mean_image", mean_wrong, show=False)
    assert _states()["00.mean_image"] == "not yet"
    assert result.use(verbose=False) is check.reference("00.mean_image")
    assert _states()["00.mean_image"] == "using the reference"
    check.run("00.mean_image", lambda images: images.mean(axis=0), show=False)
    assert _states()["00.mean_image"] == "passed"
    summary = check.summary("00")
    assert summary.counts()["passed"] == 2
    assert "2 exercises: 2 passed" in str(summary)
    assert 'data-status="passed"' in summary._repr_html_()


def test_summary_without_a_lesson_covers_the_lessons_run_and_rejects_unknown_lessons():
    assert check.summary().rows == []
    check.run("00.flatten_images", flatten_ok, show=False)
    assert [row[0] for row in check.summary().rows] == ["00.flatten_images", "00.mean_image"]
    with pytest.raises(ValueError, match="no exercises in lesson '99'"):
        check.summary("99")
    with pytest.raises(TypeError, match="lesson must be a string"):
        check.summary(0)


# ------------------------------------------------------------------ the release setting

def test_release_mode_hides_reference_and_answer_and_use_keeps_the_students_function(monkeypatch):
    monkeypatch.setenv("AELAB_RELEASE", "1")
    assert check.release_mode()
    with pytest.raises(check.NotInThisAssignment, match="not available in a graded assignment"):
        check.reference("00.mean_image")
    with pytest.raises(check.NotInThisAssignment):
        check.answer("00.mean_image")
    assert "average" in str(check.hint("00.mean_image"))
    result = check.run("00.mean_image", mean_wrong, show=False)
    assert result.hint and not result.answer
    assert "check.answer" not in str(result) and "Show the answer" not in result._repr_html_()
    assert result.use(verbose=False) is mean_wrong
    assert _states()["00.mean_image"] == "not yet"


def test_self_study_keeps_reference_and_answer():
    assert not check.release_mode()
    result = check.run("00.mean_image", mean_wrong, show=False)
    assert result.answer and "Show the answer" in result._repr_html_()
    assert result.use(verbose=False) is check.reference("00.mean_image")


# ------------------------------------------------------------------ aelab.grading

def test_grade_passes_a_correct_answer_and_raises_the_checkers_message():
    assert grading.grade("00.flatten_images", flatten_ok).passed
    expected = check.run("00.mean_image", mean_wrong, show=False).message
    with pytest.raises(AssertionError, match=r"00\.mean_image: .*expected \(28, 28\)") as err:
        grading.grade("00.mean_image", mean_wrong, framework="torch")
    assert expected in str(err.value)


@pytest.mark.parametrize("cheat", [
    lambda: check.reference("00.flatten_images"),
    lambda: check.run("00.flatten_images", stub, show=False).use(verbose=False),
    lambda: functools.partial(check.reference("00.flatten_images")),
    lambda: sys.modules["aelab.check.lesson00"].flatten_images_reference,
], ids=["reference", "use-fallback", "partial", "module-attribute"])
def test_grade_refuses_the_courses_own_code(cheat):
    with pytest.raises(AssertionError, match="not your own answer: this is the course's code "
                                             r"\(aelab/check/lesson00\.py\)"):
        grading.grade("00.flatten_images", cheat())


def _sneaky(images):
    reference = sys.modules["aelab.check.lesson00"].flatten_images_reference
    return reference(images)


def test_grade_refuses_an_answer_that_calls_the_reference():
    with pytest.raises(AssertionError, match=r"not your own answer: your code calls the course's "
                                             r"reference implementation \(in _sneaky, "):
        grading.grade("00.flatten_images", _sneaky)
    with pytest.raises(AssertionError, match="calls the course's reference"):
        grading.grade("00.flatten_images", lambda images: _sneaky(images) + 0)
    assert sys.getprofile() is None
    assert check.run("00.flatten_images", _sneaky, show=False).passed  # (check.run cannot tell)


def test_grade_watches_the_methods_of_a_reference_class():
    torch = pytest.importorskip("torch")
    reference = check.reference("01.linear_autoencoder", framework="torch")
    keys = grading._code_keys(reference)
    assert grading._key(reference.forward.__code__) in keys
    assert grading._key(reference.__init__.__code__) in keys
    assert not any(key[0].startswith(torch.__path__[0]) for key in keys)


def test_course_code_sees_through_classes_built_on_the_reference():
    pytest.importorskip("torch")
    from aelab.check import lesson01

    reference = check.reference("01.linear_autoencoder", framework="torch")

    class Mine(reference):
        pass

    assert grading.course_code(Mine).startswith("aelab/")
    assert grading.course_code(flatten_ok) == ""
    assert grading.course_code(lesson01) == ""  # a module is not an answer


def test_test_cell_grades_with_a_fresh_checker_whatever_the_kernel_redefined(monkeypatch):
    """The generated test cell, run as a cell would be, after a student patched aelab."""
    namespace = {"flatten_images": stub}
    monkeypatch.setattr(check, "run", lambda *args, **kwargs: None)
    monkeypatch.setattr(check, "_judge", lambda *args, **kwargs: (True, "well done"))
    monkeypatch.setattr(grading, "grade", lambda *args, **kwargs: None)
    cell = grading.TEST_CELL.format(exercise_id="00.flatten_images", name="flatten_images",
                                    points=1, plural="", framework="torch")
    before = sys.modules["aelab.check"]
    with pytest.raises(AssertionError, match="00.flatten_images: .*None"):
        exec(cell, namespace)
    assert sys.modules["aelab.check"] is before  # the kernel's modules are put back
    namespace["flatten_images"] = flatten_ok
    exec(cell, namespace)


# ------------------------------------------------------------------ the course generator

spec = importlib.util.spec_from_file_location("build_assignments", ROOT / "tools" / "build_assignments.py")
build_assignments = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_assignments)


def test_every_lesson_with_exercises_gets_a_test_cell_per_check_and_written_answers(tmp_path):
    tables = build_assignments.write_course(tmp_path, ["pytorch", "keras"])
    for (track, lesson), table in tables.items():
        ids = [r["exercise"] for r in table if r["kind"] != "written"]
        assert ids == list(check.SYLLABUS[lesson]), (track, lesson)
        nb = nbformat.read(tmp_path / track / "source" / lesson / f"{lesson}.ipynb", as_version=4)
        meta = [c.metadata.get("nbgrader") for c in nb.cells]
        graded = [m for m in meta if m and m["grade"]]
        assert [m["grade_id"] for m in graded] == [r["grade_id"] for r in table]
        assert all(m["locked"] and not m["solution"] for m in graded if m["grade_id"].startswith("test_"))
        written = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("written")]
        assert all(c.cell_type == "markdown" and c.metadata.aelab.release == "YOUR ANSWER HERE"
                   for c in written)
        assert nb.cells[-1].source == f'check.summary("{lesson[:2]}")'
    assert sum(r["kind"] == "written" for r in tables["pytorch", "01_linear_autoencoder"]) == 5


def test_a_build_it_exercise_is_worth_more_points(tmp_path, monkeypatch):
    source = tmp_path / "99_test.py"
    source.write_text('''# %% [markdown]
# # 99 · A test lesson

# %%
from aelab import check

# %%
def small(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
    ### BEGIN STUB
    return None  # TODO
    ### END STUB
result = check.run("00.flatten_images", small)

# %%
def pipeline(x):
    ### BEGIN SOLUTION
    return 3 * x
    ### END SOLUTION
    ### BEGIN STUB
    return None  # TODO: the whole pipeline
    ### END STUB

# %% [markdown] tags=["hint"]
# The idea.

# %%
result = check.run("00.mean_image", pipeline)
''')
    nb, table = build_assignments.build_assignment(source, "pytorch")
    assert [(r["exercise"], r["kind"], r["points"]) for r in table] == [
        ("00.flatten_images", "exercise", 1), ("00.mean_image", "build-it", 3)]
    solutions = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert [c.metadata.aelab.release for c in solutions] == [
        'def small(x):\n    return None  # TODO\nresult = check.run("00.flatten_images", small)',
        "def pipeline(x):\n    return None  # TODO: the whole pipeline"]
    assert "### BEGIN SOLUTION" in solutions[0].source and "STUB" not in solutions[0].source


def test_the_build_ends_only_lessons_with_exercises_with_the_progress_cell(tmp_path):
    build_notebooks = build_assignments.bn
    plain = tmp_path / "98_plain.py"
    plain.write_text("# %% [markdown]\n# # 98 · No exercises\n\n# %%\nx = 1\n")
    for variant in build_notebooks.VARIANTS:
        assert build_notebooks.build(plain, "pytorch", variant).cells[-1].source == "x = 1"
    nb = build_notebooks.build(build_notebooks.SOURCE_DIR / "00_welcome.py", "keras", "student")
    assert nb.cells[-2].source.startswith("## Your progress")
    assert nb.cells[-1].source == 'check.summary("00")'
