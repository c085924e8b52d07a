"""The pure parts of benchmarks/notebook_resources.py: per-section aggregation of nbclient's cell
timings, the reading estimate, the sizing arithmetic and the merge of results. Nothing is run."""

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("notebook_resources",
                                               ROOT / "benchmarks" / "notebook_resources.py")
nr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nr)


def _timed(source, start, end, rss=None, cpu=None):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["execution"] = {"iopub.execute_input": f"2026-01-01T10:00:{start:06.3f}Z",
                                  "shell.execute_reply": f"2026-01-01T10:00:{end:06.3f}Z"}
    if rss is not None:
        cell.metadata["peak_rss_mb"] = rss
    if cpu is not None:
        cell.metadata["cpu_s"] = cpu
    return cell


def _notebook():
    md = nbformat.v4.new_markdown_cell
    return [
        md("# 07 · Title\n\nfour words of intro"),                       # (introduction): 7 words
        _timed("import x", 0, 1.5),
        md("## 1. First\n\none two three"),                                # 5 words
        _timed("a = 1", 2, 4, rss=700.0, cpu=1.5),
        _timed("b = 2", 4, 9.25, rss=900.5, cpu=5.0),
        md("### Exercise 1: sub\n\nword <details><summary>Hint</summary>hidden words here</details>"),
        _timed("c = 3", 10, 10.5, rss=650.0, cpu=0.25),
        md("## 2. Second\n\nsix words in the second section\n\n## 3. Third\n\nthree more here"),
        nbformat.v4.new_code_cell("never run"),                            # no timing: counts 0
    ]


def test_sections_sum_cell_times_per_heading_and_subheading():
    secs = nr.sections(_notebook())
    assert [s["title"] for s in secs] == ["(introduction)", "1. First", "2. Second", "3. Third"]
    top, first, second, third = secs
    assert top["run_s"] == 1.5 and top["code_cells"] == 1
    assert first["run_s"] == pytest.approx(2 + 5.25 + 0.5)
    assert first["longest_cell_s"] == 5.25
    assert first["code_cells"] == 3
    [sub] = first["subsections"]
    assert sub["title"] == "Exercise 1: sub" and sub["run_s"] == 0.5 and sub["code_cells"] == 1
    assert second["run_s"] == 0 and second["code_cells"] == 0
    assert third["run_s"] == 0 and third["code_cells"] == 1
    # the largest per-cell peak RSS of the section; None where no cell recorded one
    assert first["peak_rss_mb"] == 900.5 and sub["peak_rss_mb"] == 650.0
    assert top["peak_rss_mb"] is None and third["peak_rss_mb"] is None
    # the kernel's CPU seconds, summed like the run times; None where no cell recorded any
    assert first["cpu_s"] == pytest.approx(6.75) and sub["cpu_s"] == 0.25 and top["cpu_s"] is None


def test_section_cpu_measured_or_scaled_from_wall():
    secs = nr.sections(_notebook())
    run = {"cpu_s": 4.0, "sections": secs}   # the cells' wall times add up to 9.25 s
    assert nr.section_cpu(run, secs[1]) == pytest.approx(6.75)             # measured per cell
    assert nr.section_cpu(run, secs[0]) == pytest.approx(1.5 * 4.0 / 9.25)  # scaled from wall


def test_reading_estimate_leaves_out_folded_details():
    assert nr.reading_words("one two <details><summary>Hint 1</summary>a b c d</details> three") == 3
    first = nr.sections(_notebook())[1]
    # words: "1. First one two three" (5) + "Exercise 1: sub word" (4, the hint folded away)
    assert first["words"] == 9
    assert first["read_min"] == round(9 / nr.READ_WORDS_PER_MIN + 3 * nr.READ_MIN_PER_CODE_CELL, 1)
    # two headings in one cell: each gets the words below it ("2. Second" + 6, "3. Third" + 3)
    second, third = nr.sections(_notebook())[2:]
    assert second["words"] == 2 + 6 and third["words"] == 2 + 3


def test_students_per_core_and_per_gb_arithmetic():
    # 90 min = 5400 s; half of a core for a notebook of 270 CPU-seconds: 10 students
    assert nr.students_per_core(270, sessions=1, class_minutes=90, utilisation=0.5) == pytest.approx(10)
    assert nr.students_per_core(270, sessions=2, class_minutes=90, utilisation=0.5) == pytest.approx(20)
    # 1 GiB over 400 MB peak with a 1.25 margin: 1024 / 500
    assert nr.students_per_gb(400, margin=1.25) == pytest.approx(2.048)
    assert nr.students_per_gb(400, margin=1.0, server_mb=112) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="cpu_s"):
        nr.students_per_core(0)
    with pytest.raises(ValueError, match="utilisation"):
        nr.students_per_core(10, utilisation=1.5)
    with pytest.raises(ValueError, match="peak_rss_mb"):
        nr.students_per_gb(-1)


def test_merge_replaces_only_the_remeasured_runs():
    old = {"machine": {"cpus": 2}, "runs": {"a|full": {"cpu_s": 1}, "b|full": {"cpu_s": 2}}}
    new = {"machine": {"cpus": 4}, "runs": {"b|full": {"cpu_s": 3}, "c|quick": {"cpu_s": 4}}}
    merged = nr.merge(old, new)
    assert merged["runs"] == {"a|full": {"cpu_s": 1}, "b|full": {"cpu_s": 3}, "c|quick": {"cpu_s": 4}}
    assert merged["machine"] == {"cpus": 4}
    assert old["runs"]["b|full"] == {"cpu_s": 2}   # the input is not changed


def test_lesson_and_framework_from_the_path():
    p = "notebooks/keras/solutions/05_variational_autoencoder_solution.ipynb"
    assert nr.lesson_of(p) == "05" and nr.framework_of(p) == "keras"
    with pytest.raises(ValueError, match="NN_name"):
        nr.lesson_of("notebooks/keras/welcome.ipynb")
    with pytest.raises(ValueError, match="pytorch or notebooks/keras"):
        nr.framework_of("elsewhere/00_welcome.ipynb")


def test_stored_results_give_the_tables():
    """The committed results file is consistent (each run's lesson, framework and mode match its
    notebook and key) and the guide's tables regenerate from it."""
    path = ROOT / "benchmarks" / "results" / "notebook_resources.json"
    results = json.loads(path.read_text())
    assert results["runs"], "no runs stored"
    for key, run in results["runs"].items():
        assert key == f"{run['notebook']}|{run['mode']}"
        assert run["lesson"] == nr.lesson_of(run["notebook"])
        assert run["framework"] == nr.framework_of(run["notebook"])
        assert run["peak_rss_mb"] > 0 and run["cpu_s"] > 0 and run["wall_s"] > 0
        assert run["sections"] and run["commit"]
    keys = {(r["lesson"], r["framework"], r["mode"]) for r in results["runs"].values()}
    expected = {(nr.lesson_of(str(p)), nr.framework_of(str(p)), mode) for p in nr.default_notebooks()
                for mode in ("quick", "full")}
    assert len(expected) == 32 and keys == expected, "every solution notebook (lessons 00-07), both modes"
    table = nr.sizing_table(results)
    assert len(table.splitlines()) == 2 + len(results["runs"])
    for lesson in {r["lesson"] for r in results["runs"].values()}:
        assert "whole notebook" in nr.section_table(results, lesson)


def test_framework_table_ratios_and_running_totals():
    def run(lesson, framework, wall, mode="full", threads=2, measured="2026-12-01 03:30 UTC"):
        notebook = f"notebooks/{framework}/solutions/{lesson}_x_solution.ipynb"
        return f"{notebook}|{mode}", {"notebook": notebook, "lesson": lesson, "framework": framework,
                                      "mode": mode, "wall_s": wall, "threads": threads, "measured": measured}

    results = {"runs": dict([run("01", "pytorch", 40.0), run("01", "keras", 50.0, measured="2026-12-01 03:31 UTC"),
                             run("02", "keras", 90.0), run("02", "pytorch", 100.0),
                             run("03", "pytorch", 7.0),                       # one track only: left out
                             run("01", "keras", 5.0, mode="quick")])}
    table = nr.framework_table(results, "full")
    rows = [line for line in table.splitlines() if line.startswith("| 0")]
    assert rows == ["| 01 | 40.0 | 50.0 | 1.25 | 40 | 50 |", "| 02 | 100.0 | 90.0 | 0.90 | 140 | 140 |"]
    assert "threads: 2; measured 2026-12-01 03:30 UTC to 2026-12-01 03:31 UTC" in table
    assert nr.framework_table(results, "quick") is None      # no lesson with both tracks in quick mode
