#!/usr/bin/env python
"""Generate the course notebooks from their one source each.

Each lesson is written once, as a jupytext "percent" script ``notebooks/src/NN_name.py``, and
generated into four notebooks::

    notebooks/pytorch/NN_name.ipynb                       PyTorch, student version (exercises open)
    notebooks/pytorch/solutions/NN_name_solution.ipynb    PyTorch, solution version
    notebooks/keras/NN_name.ipynb                         TensorFlow/Keras, student version
    notebooks/keras/solutions/NN_name_solution.ipynb      TensorFlow/Keras, solution version

(The solution's file name says so: JupyterLab titles a tab with the file name, and a student often
has both versions open.) Students work in copies of these (``make lab``, ``aelab.workspace``),
so the generated files stay as generated.

Markup in the source
--------------------
Cell tags (``# %% tags=["torch"]``):
  torch / keras        the cell exists only in that framework's notebooks
  solution / student   the cell exists only in that variant
  answer               (markdown) an answer to a question: folded in a <details> in the student
                       version, shown in the solution version
  hint                 (markdown) one tier of help for an exercise: folded in a <details> in
                       every version, numbered "hint 1", "hint 2", ... within a run of hint cells
Inside a code cell, line markers:
  ### BEGIN SOLUTION ... ### END SOLUTION   kept only in the solution version
  ### BEGIN STUB ... ### END STUB           kept only in the student version
Text substitutions anywhere: {{framework}} -> "PyTorch" / "TensorFlow/Keras",
{{fw}} -> "torch" / "keras", {{track}} -> "pytorch" / "keras".

Every lesson with exercises ends with a "Your progress" cell, ``check.summary("NN")``.
The nbgrader course (``make assignments``, ``tools/build_assignments.py``) is built from the
same cells (:func:`variant_cells`).

Usage: ``python tools/build_notebooks.py`` (write all), ``--check`` (exit 1 if any committed
notebook differs from what its source generates), ``--lesson 01`` (only lessons starting "01").
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "notebooks" / "src"
NOTEBOOK_DIR = ROOT / "notebooks"

TRACKS = {
    "pytorch": {"fw": "torch", "framework": "PyTorch"},
    "keras": {"fw": "keras", "framework": "TensorFlow/Keras"},
}
VARIANTS = ("student", "solution")
FRAMEWORK_TAGS = {"torch", "keras"}
VARIANT_TAGS = {"student", "solution"}
BUILD_TAGS = FRAMEWORK_TAGS | VARIANT_TAGS | {"answer", "hint"}
MARKER = re.compile(r"^\s*### (BEGIN|END) (SOLUTION|STUB)\s*$")
# a markdown heading written as a comment ("# ## 4. ..."): a "# %% [markdown]" line is missing above it
HEADING_COMMENT = re.compile(r"^# #{2,4} \S.*$", re.M)


class SourceError(ValueError):
    """The lesson source breaks the markup rules."""


def output_path(source: Path, track: str, variant: str) -> Path:
    if variant == "solution":
        return NOTEBOOK_DIR / track / "solutions" / f"{source.stem}_solution.ipynb"
    return NOTEBOOK_DIR / track / f"{source.stem}.ipynb"


def _strip_blocks(text: str, variant: str, where: str, keep_markers: bool = False) -> str:
    """Keep the SOLUTION or the STUB blocks of a code cell, drop the markers (``keep_markers``:
    keep the kept block's markers, as nbgrader's source notebooks have them)."""
    keep_kind = "SOLUTION" if variant == "solution" else "STUB"
    out, open_block = [], None
    for number, line in enumerate(text.splitlines(), 1):
        match = MARKER.match(line)
        if match:
            edge, kind = match.groups()
            if edge == "BEGIN":
                if open_block:
                    raise SourceError(f"{where}, line {number}: BEGIN {kind} inside {open_block}")
                open_block = kind
            else:
                if open_block != kind:
                    raise SourceError(f"{where}, line {number}: END {kind} without BEGIN {kind}")
                open_block = None
            if keep_markers and kind == keep_kind:
                out.append(line)
            continue
        if open_block is None or open_block == keep_kind:
            out.append(line)
    if open_block:
        raise SourceError(f"{where}: BEGIN {open_block} is never closed")
    return "\n".join(out).strip("\n")


def _substitute(text: str, track: str, variant: str) -> str:
    values = dict(TRACKS[track], track=track, variant=variant)
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values.get(m.group(1), m.group(0)), text)


def _header(source: Path, track: str, variant: str, title: str) -> str:
    """The banner: which track and version this is, and what the student does with it. (How
    the notebooks are made is for maintainers: CONTRIBUTING.md, not the banner.)"""
    framework = TRACKS[track]["framework"]
    solution = f"{source.stem}_solution.ipynb"
    if variant == "student":
        return (f"<small>aelab · {framework} track · **your version**: run the cells in order and "
                f"fill in the exercises marked `TODO`; the cell after each one checks your answer. "
                f"Stuck? The solutions are in [`solutions/{solution}`](solutions/{solution}).</small>")
    return (f"<small>aelab · {framework} track · **solution version**: every exercise solved, to "
            f"compare with your own. To do the exercises yourself, open "
            f"[`../{source.stem}.ipynb`](../{source.stem}.ipynb).</small>")


CHECK_RUN = re.compile(r"""check\.run\(\s*["']([\w.]+)["']\s*,\s*([A-Za-z_]\w*)""")


def variant_cells(source: Path, track: str, variant: str, keep_markers: bool = False) -> list:
    """The cells of one (source, track, variant), each as ``(index in the source, source tags,
    cell)``, before the banner and the progress cell are added."""
    src = jupytext.read(source, fmt="py:percent")
    fw = TRACKS[track]["fw"]
    cells = []
    hint_number = 0
    for index, cell in enumerate(src.cells):
        tags = set(cell.metadata.get("tags", []))
        where = f"{source.name}, cell {index + 1}"
        if tags & FRAMEWORK_TAGS == FRAMEWORK_TAGS or tags & VARIANT_TAGS == VARIANT_TAGS:
            raise SourceError(f"{where}: tags {sorted(tags)} contradict each other")
        if tags & FRAMEWORK_TAGS and fw not in tags:
            continue
        if tags & VARIANT_TAGS and variant not in tags:
            continue
        text = _substitute(cell.source, track, variant)
        if cell.cell_type == "code":
            heading = HEADING_COMMENT.search(text)
            if heading:
                raise SourceError(f"{where}: the heading {heading.group(0).strip()!r} is a comment in a "
                                  "code cell; start a markdown cell before it with '# %% [markdown]'")
            text = _strip_blocks(text, variant, where, keep_markers)
            new = nbformat.v4.new_code_cell(text)
        elif cell.cell_type == "markdown":
            if MARKER.search(text):
                raise SourceError(f"{where}: SOLUTION/STUB markers belong in code cells")
            if "answer" in tags and "hint" in tags:
                raise SourceError(f"{where}: a cell is a hint or an answer, not both")
            if "answer" in tags and variant == "student":
                text = f"<details><summary><b>Show the answer</b></summary>\n\n{text}\n\n</details>"
            if "hint" in tags:
                hint_number += 1
                text = f"<details><summary><b>Show hint {hint_number}</b></summary>\n\n{text}\n\n</details>"
            new = nbformat.v4.new_markdown_cell(text)
        else:
            new = nbformat.v4.new_raw_cell(text)
        if "hint" not in tags:
            hint_number = 0
        kept = [t for t in cell.metadata.get("tags", []) if t not in BUILD_TAGS]
        if kept:
            new.metadata["tags"] = kept
        cells.append((index, tags, new))
    return cells


def progress_cells(source: Path) -> list:
    """The closing "Your progress" cells of a lesson with exercises (none without)."""
    text = source.read_text()
    if not CHECK_RUN.search(text):
        return []
    lesson = source.stem.split("_")[0]
    return [nbformat.v4.new_markdown_cell(
                "## Your progress\n\nWhich exercises of this lesson passed, which fell back to "
                "the reference, and which you have not run yet (in this session of the notebook):"),
            nbformat.v4.new_code_cell(f'check.summary("{lesson}")')]


def finish(source: Path, cells: list, banner: str, variant: str, track: str) -> nbformat.NotebookNode:
    """Add the banner, number the cells, set the metadata, validate."""
    cells = list(cells)
    if not cells or cells[0].cell_type != "markdown" or not cells[0].source.startswith("# "):
        raise SourceError(f"{source.name}: the first cell must be a markdown title ('# ...')")
    cells.insert(0, nbformat.v4.new_markdown_cell(banner))
    for number, cell in enumerate(cells):
        cell["id"] = f"c{number:03d}"
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (aelab)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "aelab": {"lesson": source.stem, "track": track, "variant": variant,
                  "source": f"notebooks/src/{source.name}"},
    }
    nbformat.validate(nb)
    return nb


def build(source: Path, track: str, variant: str) -> nbformat.NotebookNode:
    """The notebook for one (source, track, variant)."""
    cells = [cell for _, _, cell in variant_cells(source, track, variant)]
    if cells and cells[0].cell_type == "markdown":
        title = cells[0].source.splitlines()[0][2:].strip() if cells[0].source else ""
    else:
        title = ""
    banner = _header(source, track, variant, title)
    return finish(source, cells + progress_cells(source), banner, variant, track)


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb, version=4) + "\n"


def sources(prefix: str | None = None) -> list[Path]:
    found = sorted(SOURCE_DIR.glob("[0-9][0-9]_*.py"))
    return [s for s in found if prefix is None or s.stem.startswith(prefix)]


def expected_outputs(prefix: str | None = None) -> dict[Path, str]:
    """Every generated notebook path and its text."""
    return {output_path(s, track, variant): render(build(s, track, variant))
            for s in sources(prefix) for track in TRACKS for variant in VARIANTS}


def stale(prefix: str | None = None) -> list[str]:
    """Problems that --check reports: notebooks missing, out of date, or without a source."""
    expected = expected_outputs(prefix)
    problems = []
    for path, text in expected.items():
        rel = path.relative_to(ROOT)
        if not path.exists():
            problems.append(f"missing: {rel}")
        elif path.read_text() != text:
            problems.append(f"out of date: {rel}")
    if prefix is None:
        for track in TRACKS:
            for path in sorted((NOTEBOOK_DIR / track).rglob("*.ipynb")):
                if path not in expected and ".ipynb_checkpoints" not in path.parts:
                    problems.append(f"no source for: {path.relative_to(ROOT)}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    parser.add_argument("--lesson", help="only lessons whose file name starts with this")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = stale(args.lesson)
            for line in problems:
                print(line)
            if problems:
                print("Run `make notebooks` and commit the result.", file=sys.stderr)
                return 1
            print(f"all notebooks up to date ({len(sources(args.lesson))} lessons)")
            return 0
        for path, text in expected_outputs(args.lesson).items():
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
                print(f"wrote {path.relative_to(ROOT)}")
    except SourceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
