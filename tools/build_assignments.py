#!/usr/bin/env python
"""Generate the nbgrader course of each track from the lesson sources (``make assignments``).

One nbgrader course per framework (a kernel runs one framework), each with its config::

    course/pytorch/nbgrader_config.py
    course/pytorch/source/<lesson>/<lesson>.ipynb      one assignment per lesson with exercises
    course/keras/...                                   the same for TensorFlow/Keras

The notebooks are the lesson's own cells, from :func:`build_notebooks.variant_cells` (no second
copy of any lesson text): the solution version's text in the source, the student version's in
the release. Per lesson:

- a read-only cell at the top sets ``AELAB_RELEASE=1`` (:func:`aelab.check.release_mode`: no
  reference, no answer, no fallback to the reference in the student's kernel);
- each code cell with ``### BEGIN SOLUTION`` markers is an nbgrader solution cell; its release
  text is the student version's (the course's stub and TODO text), kept in the cell's metadata
  ``aelab.release`` and put in place by :class:`CourseStubs`, the course's ClearSolutions;
- after each ``check.run("id", name)`` an autograded, read-only test cell
  (:data:`aelab.grading.TEST_CELL`) worth 1 point, or 3 for a build-it exercise (its
  ``check.run`` is in a cell of its own, after the stub cell and its hints);
- each ``answer`` cell of "check your understanding" becomes a manually graded written answer
  (1 point), "YOUR ANSWER HERE" in the release; the course's answer stays in the source for the
  grader. Hint cells stay as they are.

Then, in ``course/<track>``: ``nbgrader generate_assignment 00_welcome``, release, collect,
``nbgrader autograde 00_welcome``, ``nbgrader generate_feedback 00_welcome`` (docs/grading.md).

Usage: ``python tools/build_assignments.py [--out course] [--lesson 00] [--track pytorch]``.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_notebooks as bn  # noqa: E402

ROOT = bn.ROOT
POINTS = 1            # an exercise
BUILD_IT_POINTS = 3   # a build-it exercise
WRITTEN_POINTS = 1    # a written answer to a "check your understanding" question
CELL_TIMEOUT = 1800   # seconds per cell when autograding (full mode trains for minutes)
RELEASE_CELL = ('# A graded assignment: the course\'s reference answers are switched off here.\n'
                'import os\n'
                'os.environ["AELAB_RELEASE"] = "1"')
WRITTEN_STUB = "YOUR ANSWER HERE"


def _nbgrader(cell, grade_id: str, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def _banner(track: str, source: Path) -> str:
    framework = bn.TRACKS[track]["framework"]
    return (f"<small>aelab · {framework} track · **graded assignment** `{source.stem}`: fill in "
            f"the exercises marked `TODO` and answer the questions where it says "
            f"{WRITTEN_STUB}. The read-only cell after each exercise is its autograded test; "
            f"`check.run` tells you the verdict as you go. Submit the notebook as it is, "
            f"with your answers in place.</small>")


def build_assignment(source: Path, track: str) -> tuple[nbformat.NotebookNode, list[dict]]:
    """The nbgrader source notebook of one lesson and track, and its points table: one row
    ``{"grade_id", "exercise", "kind", "points"}`` per graded cell, in notebook order."""
    solution = bn.variant_cells(source, track, "solution", keep_markers=True)
    student = {index: cell for index, _, cell in bn.variant_cells(source, track, "student")}
    fw = bn.TRACKS[track]["fw"]
    cells, table, used = [], [], set()
    first_code = True
    pending_stub = False  # a solution cell whose check.run is still to come: a build-it exercise

    def unique(name: str) -> str:
        grade_id, n = name, 1
        while grade_id in used:
            n += 1
            grade_id = f"{name}_{n}"
        used.add(grade_id)
        return grade_id

    for index, tags, cell in solution:
        release = student.get(index)
        if release is None:  # a cell only the solution version has
            continue
        if cell.cell_type == "code" and first_code:
            cells.append(_nbgrader(nbformat.v4.new_code_cell(RELEASE_CELL), "release_mode",
                                   locked=True))
            first_code = False
        if "answer" in tags and cell.cell_type == "markdown":
            grade_id = unique(f"written_{len([r for r in table if r['kind'] == 'written']) + 1:02d}")
            _nbgrader(cell, grade_id, grade=True, solution=True, points=WRITTEN_POINTS)
            cell.metadata["aelab"] = {"release": WRITTEN_STUB}
            table.append({"grade_id": grade_id, "exercise": "", "kind": "written",
                          "points": WRITTEN_POINTS})
            cells.append(cell)
            continue
        has_solution = cell.cell_type == "code" and cell.source != release.source
        if has_solution:
            number = len([c for c in cells if c.metadata.get("nbgrader", {}).get("solution")
                          and c.cell_type == "code"]) + 1
            _nbgrader(cell, unique(f"solution_{number:02d}"), solution=True)
            cell.metadata["aelab"] = {"release": release.source}
        cells.append(cell)
        runs = bn.CHECK_RUN.findall(cell.source) if cell.cell_type == "code" else []
        build_it = pending_stub and not has_solution
        if cell.cell_type == "code":  # hints (markdown) may stand between the stub and its check
            pending_stub = has_solution and not runs
        for exercise_id, name in runs:
            points = BUILD_IT_POINTS if build_it else POINTS
            grade_id = unique("test_" + exercise_id.replace(".", "_"))
            text = _test_cell_text(exercise_id, name, points, fw)
            cells.append(_nbgrader(nbformat.v4.new_code_cell(text), grade_id, grade=True,
                                   locked=True, points=points))
            table.append({"grade_id": grade_id, "exercise": exercise_id,
                          "kind": "build-it" if build_it else "exercise", "points": points})
    cells += bn.progress_cells(source)
    nb = bn.finish(source, cells, _banner(track, source), "assignment", track)
    return nb, table


def _test_cell_text(exercise_id: str, name: str, points: float, fw: str) -> str:
    from aelab.grading import TEST_CELL

    return TEST_CELL.format(exercise_id=exercise_id, name=name, points=points,
                            plural="" if points == 1 else "s", framework=fw)


CONFIG = '''\
# nbgrader configuration of the aelab {framework} course, written by `make assignments`
# (tools/build_assignments.py); docs/grading.md explains each setting.
import os
import sys

c = get_config()  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "aelab-{track}"

# The course's own stubs: the release shows the student version's stub and TODO text.
sys.path.insert(0, {tools!r})
from build_assignments import course_preprocessors  # noqa: E402

c.GenerateAssignment.preprocessors = course_preprocessors()

# Seconds per cell when autograding; full-mode lessons train for minutes in one cell.
c.Execute.timeout = int(os.environ.get("AELAB_GRADE_CELL_TIMEOUT", {timeout}))
# A test cell the student deleted is put back before grading (it then scores 0 or its points).
c.OverwriteCells.add_missing_cells = True
'''


def course_preprocessors() -> list:
    """nbgrader's generate_assignment preprocessors with :class:`CourseStubs` in place of
    ClearSolutions (for the course's nbgrader_config.py)."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import ClearSolutions

    return [_course_stubs_class() if p is ClearSolutions else p
            for p in GenerateAssignment.class_traits()["preprocessors"].default()]


@functools.lru_cache(maxsize=1)
def _course_stubs_class():
    from nbgrader.preprocessors import ClearSolutions

    class CourseStubs(ClearSolutions):
        """ClearSolutions that gives a cell the course's own release text (its
        ``aelab.release`` metadata: the student version's stub and TODO) instead of nbgrader's
        "YOUR CODE HERE" stub; cells without it are handled as nbgrader does."""

        def preprocess_cell(self, cell, resources, cell_index):
            release = cell.metadata.get("aelab", {}).get("release")
            if release is None:
                return super().preprocess_cell(cell, resources, cell_index)
            cell.source = release
            del cell.metadata["aelab"]
            return cell, resources

    return CourseStubs


def __getattr__(name):
    if name == "CourseStubs":  # built on first use: nbgrader is the instructor extra
        return _course_stubs_class()
    raise AttributeError(name)


def write_course(out: Path, tracks=None, prefix: str | None = None) -> dict:
    """Write the course folders under ``out``; returns {(track, lesson): points table}."""
    tables = {}
    for track in tracks or bn.TRACKS:
        course = out / track
        course.mkdir(parents=True, exist_ok=True)
        (course / "nbgrader_config.py").write_text(CONFIG.format(
            framework=bn.TRACKS[track]["framework"], track=track,
            tools=str(Path(__file__).resolve().parent), timeout=CELL_TIMEOUT))
        for source in bn.sources(prefix):
            nb, table = build_assignment(source, track)
            if not table:
                continue
            folder = course / "source" / source.stem
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{source.stem}.ipynb").write_text(bn.render(nb))
            tables[track, source.stem] = table
    return tables


def points_table(tables: dict) -> str:
    """A markdown table: per lesson, its graded cells and points (both tracks agree)."""
    lines = ["| lesson | autograded exercises | written answers (graded by hand) | points |",
             "|---|---|---|---|"]
    for (track, lesson), table in tables.items():
        if track != "pytorch":
            continue
        auto = [f"`{r['exercise']}` {r['points']:g}" for r in table if r["kind"] != "written"]
        written = [r for r in table if r["kind"] == "written"]
        total = sum(r["points"] for r in table)
        lines.append(f"| {lesson} | {', '.join(auto)} | {len(written)} × {WRITTEN_POINTS} | "
                     f"{total:g} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "course"), help="folder for the courses")
    parser.add_argument("--lesson", help="only lessons whose file name starts with this")
    parser.add_argument("--track", choices=sorted(bn.TRACKS), help="only this track")
    parser.add_argument("--points", action="store_true", help="print the points table")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    try:
        tables = write_course(Path(args.out), [args.track] if args.track else None, args.lesson)
    except bn.SourceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for (track, lesson), table in tables.items():
        total = sum(r["points"] for r in table)
        print(f"wrote {Path(args.out) / track / 'source' / lesson}: {len(table)} graded cells, "
              f"{total:g} points")
    if args.points:
        print(points_table(tables))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
