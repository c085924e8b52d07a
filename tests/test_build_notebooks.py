"""The one-source notebook generator: markup rules, and committed notebooks up to date."""

import importlib.util
import json
import re
import textwrap

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("build_notebooks", ROOT / "tools" / "build_notebooks.py")
build_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_notebooks)

SOURCE = textwrap.dedent('''\
    # %% [markdown]
    # # 99 · A test lesson
    #
    # Shared narrative for {{framework}}.

    # %% tags=["torch"]
    import torch

    # %% tags=["keras"]
    import keras

    # %%
    def double(x):
        ### BEGIN SOLUTION
        return 2 * x
        ### END SOLUTION
        ### BEGIN STUB
        # TODO
        return None
        ### END STUB

    # %% [markdown] tags=["hint"]
    # Think of addition.

    # %% [markdown] tags=["hint"]
    # x + x is one way.

    # %% [markdown] tags=["answer"]
    # Because two is twice one.

    # %% tags=["solution"]
    print("only in solutions")
    ''')


def _build(tmp_path, text=SOURCE):
    source = tmp_path / "99_test.py"
    source.write_text(text)
    return {(track, variant): build_notebooks.build(source, track, variant)
            for track in build_notebooks.TRACKS for variant in build_notebooks.VARIANTS}


def _code(nb):
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def test_framework_cells_go_to_their_track(tmp_path):
    nbs = _build(tmp_path)
    for variant in build_notebooks.VARIANTS:
        assert "import torch" in _code(nbs["pytorch", variant])
        assert "import keras" not in _code(nbs["pytorch", variant])
        assert "import keras" in _code(nbs["keras", variant])
        assert "import torch" not in _code(nbs["keras", variant])


def test_narrative_exists_once_with_substitution(tmp_path):
    nbs = _build(tmp_path)
    assert "Shared narrative for PyTorch." in nbs["pytorch", "student"].cells[1].source
    assert "Shared narrative for TensorFlow/Keras." in nbs["keras", "student"].cells[1].source


def test_student_gets_stub_solution_gets_solution(tmp_path):
    nbs = _build(tmp_path)
    student, solution = _code(nbs["pytorch", "student"]), _code(nbs["pytorch", "solution"])
    assert "return None" in student and "return 2 * x" not in student
    assert "return 2 * x" in solution and "return None" not in solution
    assert "###" not in student + solution
    assert "only in solutions" in solution and "only in solutions" not in student


def test_answers_are_folded_for_students(tmp_path):
    nbs = _build(tmp_path)
    answer = [c.source for c in nbs["keras", "student"].cells if "twice one" in c.source][0]
    assert answer.startswith("<details>")
    shown = [c.source for c in nbs["keras", "solution"].cells if "twice one" in c.source][0]
    assert not shown.startswith("<details>")


def test_hints_are_folded_and_numbered_in_every_version(tmp_path):
    nbs = _build(tmp_path)
    for nb in nbs.values():
        first = [c.source for c in nb.cells if "Think of addition" in c.source][0]
        second = [c.source for c in nb.cells if "x + x" in c.source][0]
        assert first.startswith("<details><summary><b>Show hint 1</b>")
        assert second.startswith("<details><summary><b>Show hint 2</b>")
        assert all("tags" not in c.metadata for c in nb.cells if "x + x" in c.source)


def test_a_cell_cannot_be_hint_and_answer(tmp_path):
    with pytest.raises(build_notebooks.SourceError, match="not both"):
        _build(tmp_path, SOURCE.replace('tags=["answer"]', 'tags=["answer", "hint"]'))


def test_header_says_track_and_variant(tmp_path):
    header = _build(tmp_path)["keras", "solution"].cells[0].source
    assert "TensorFlow/Keras track" in header and "solution version" in header


def test_banner_tells_students_what_to_do_not_how_the_file_is_made(tmp_path):
    nbs = _build(tmp_path)
    student, solution = nbs["pytorch", "student"].cells[0].source, nbs["pytorch", "solution"].cells[0].source
    assert "your version" in student and "TODO" in student
    assert "(solutions/99_test_solution.ipynb)" in student     # the link to the solution works
    assert "(../99_test.ipynb)" in solution
    for banner in (student, solution):
        assert "edit the source" not in banner and "not this file" not in banner
        assert "make notebooks" not in banner and "notebooks/src" not in banner


def test_solution_file_names_say_solution():
    """JupyterLab titles tabs with the file name: student and solution tabs must differ."""
    for source in build_notebooks.sources():
        for track in build_notebooks.TRACKS:
            student = build_notebooks.output_path(source, track, "student")
            solution = build_notebooks.output_path(source, track, "solution")
            assert solution.name == f"{source.stem}_solution.ipynb" and solution.parent.name == "solutions"
            assert student.name == f"{source.stem}.ipynb" and student.name != solution.name


@pytest.mark.parametrize("broken, message", [
    (SOURCE.replace("    ### END STUB\n", ""), "never closed"),
    (SOURCE.replace("    ### BEGIN SOLUTION\n", ""), "without BEGIN"),
    (SOURCE.replace('tags=["keras"]', 'tags=["keras", "torch"]'), "contradict"),
    ("# %%\nprint('no title')\n", "markdown title"),
    # a missing "# %% [markdown]": the next section's heading and text end up as comments in code
    (SOURCE.replace('# %% [markdown] tags=["hint"]\n# Think', "#\n# ## 2. Next section\n# Think", 1),
     "'# ## 2. Next section' is a comment in a code cell"),
])
def test_bad_markup_is_an_error(tmp_path, broken, message):
    with pytest.raises(build_notebooks.SourceError, match=message):
        _build(tmp_path, broken)


def test_committed_notebooks_are_up_to_date():
    problems = build_notebooks.stale()
    assert problems == [], "run `make notebooks` and commit:\n" + "\n".join(problems)


def test_every_lesson_has_four_notebooks_without_outputs():
    sources = build_notebooks.sources()
    assert sources, "no lesson sources found"
    for source in sources:
        for track in build_notebooks.TRACKS:
            for variant in build_notebooks.VARIANTS:
                path = build_notebooks.output_path(source, track, variant)
                nb = json.loads(path.read_text())
                for cell in nb["cells"]:
                    if cell["cell_type"] == "code":
                        assert cell["outputs"] == [] and cell["execution_count"] is None, path


def test_generated_notebooks_use_one_framework_each():
    torch_import = re.compile(r"^\s*(import torch|from torch)", re.M)
    tf_import = re.compile(r"^\s*(import (tensorflow|keras)|from (tensorflow|keras))", re.M)
    for path in (ROOT / "notebooks" / "pytorch").rglob("*.ipynb"):
        code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        assert not tf_import.search(code), f"{path} imports TensorFlow/Keras"
        assert "keras_support" not in code, path
    for path in (ROOT / "notebooks" / "keras").rglob("*.ipynb"):
        code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        assert not torch_import.search(code), f"{path} imports torch"
        assert "torch_support" not in code, path


def test_student_notebooks_have_no_solution_markers():
    for path in (ROOT / "notebooks").glob("*/[0-9][0-9]_*.ipynb"):
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "END STUB" not in text, path


def test_check_mode_reports_a_stale_notebook(tmp_path, monkeypatch):
    monkeypatch.setattr(build_notebooks, "SOURCE_DIR", tmp_path / "src")
    monkeypatch.setattr(build_notebooks, "NOTEBOOK_DIR", tmp_path)
    monkeypatch.setattr(build_notebooks, "ROOT", tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "99_test.py").write_text(SOURCE)
    assert build_notebooks.main(["--check"]) == 1
    assert build_notebooks.main([]) == 0
    assert build_notebooks.main(["--check"]) == 0
    path = tmp_path / "keras" / "99_test.ipynb"
    path.write_text(path.read_text().replace("Shared narrative", "Edited by hand"))
    assert build_notebooks.stale() == ["out of date: keras/99_test.ipynb"]


def test_sections_and_exercises_are_numbered_in_order_in_every_notebook():
    # a heading lost into a code cell (or a section renumbered in one place only) leaves a gap
    paths = [build_notebooks.output_path(source, track, variant) for source in build_notebooks.sources()
             for track in build_notebooks.TRACKS for variant in build_notebooks.VARIANTS]
    assert paths, "no lesson sources found"
    for path in paths:
        sections, exercises = [], []
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            for line in "".join(cell["source"]).splitlines():
                if match := re.match(r"## (\d+)\. ", line):
                    sections.append(int(match.group(1)))
                if match := re.match(r"#{2,4} .*\bExercise (\d+)\b", line):
                    exercises.append(int(match.group(1)))
        assert sections == list(range(1, len(sections) + 1)), f"{path.name}: sections {sections}"
        assert exercises == list(range(1, len(exercises) + 1)), f"{path.name}: exercises {exercises}"
