"""The student's working copy of the course notebooks (``make lab``, ``make update-notebooks``).

The generated notebooks in ``notebooks/`` belong to the course: opening one in JupyterLab changes
its metadata, autosave writes it back, and then ``git pull`` conflicts and the course's own checks
fail. So students work in copies, in a folder git ignores (``my-notebooks/`` in the course folder)::

    my-notebooks/
      README.md                                   what this folder is
      pytorch/NN_name.ipynb                       the student versions, to work in
      pytorch/solutions/NN_name_solution.ipynb    the solution versions
      keras/...                                   the same for TensorFlow/Keras

:func:`sync` copies every course notebook that is not there yet, and never changes a file the
student has edited. It remembers, in ``.aelab-copies.json``, the SHA-256 of each file as it
copied it: a copy still byte-for-byte as copied (never saved by JupyterLab) is replaced by the
course's newer version when there is one; any other difference means the student's work, and
the file is kept and reported. ``make lab`` runs it before every start, ``make update-notebooks``
runs it alone; ``python -m aelab.workspace [FOLDER]`` is the same from a shell.

The notebooks find the MNIST files and ``aelab`` wherever the folder is: ``aelab`` is installed
in the course's environment and :func:`aelab.data.data_dir` is the course's ``data/`` (or
``$AELAB_DATA``), not a path relative to the notebook.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["COURSE_NOTEBOOKS", "DEFAULT_FOLDER", "SyncReport", "course_files", "sync", "main"]

COURSE = Path(__file__).resolve().parent.parent
COURSE_NOTEBOOKS = COURSE / "notebooks"
DEFAULT_FOLDER = COURSE / "my-notebooks"
TRACKS = ("pytorch", "keras")
MANIFEST = ".aelab-copies.json"
README = """\
# Your working copy of the aelab notebooks

Work here: these are your own copies of the course notebooks, and git ignores this folder, so
your answers never clash with updates of the course.

- `pytorch/` or `keras/`: pick one framework. Start with `00_welcome.ipynb`.
- `solutions/` in each holds the solution versions (`NN_name_solution.ipynb`).

When the course gets new lessons (after `git pull`), run `make update-notebooks` in the course
folder: it copies what is new and never touches a notebook you have changed. To get the
course's fresh version of a lesson you have worked in, rename your copy first, then run it.
"""


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def course_files(source: Path = COURSE_NOTEBOOKS) -> list[str]:
    """The notebooks a working copy holds, as paths relative to ``source`` (POSIX style)."""
    found = []
    for track in TRACKS:
        found += sorted(p.relative_to(source).as_posix()
                        for p in (source / track).glob("[0-9][0-9]_*.ipynb"))
        found += sorted(p.relative_to(source).as_posix()
                        for p in (source / track / "solutions").glob("[0-9][0-9]_*.ipynb"))
    return found


@dataclass
class SyncReport:
    """What :func:`sync` did, as relative paths in the working copy."""

    folder: Path
    copied: list = field(default_factory=list)       # were missing: copied from the course
    updated: list = field(default_factory=list)      # unchanged since copied, the course's changed
    kept: list = field(default_factory=list)         # edited here, and the course's changed: kept
    foreign: list = field(default_factory=list)      # not written by sync, differs from the course's
    edited: list = field(default_factory=list)       # edited here, the course's unchanged: kept
    unchanged: list = field(default_factory=list)    # the course's version

    def __str__(self) -> str:
        def names(paths):   # a long list (the first copy) as a count
            return f"{len(paths)} notebooks" if len(paths) > 6 else ", ".join(paths)

        lines = [f"Your working copy of the notebooks: {self.folder}"]
        if self.copied:
            lines.append(f"  copied from the course: {names(self.copied)}")
        if self.updated:
            lines.append(f"  updated to the course's new version (you had not changed them): {names(self.updated)}")
        if self.kept:
            lines.append(f"  kept as you changed them, although the course has a new version (to get it, "
                         f"rename yours and run `make update-notebooks`): {names(self.kept)}")
        if self.foreign:
            lines.append(f"  kept, not copied by this tool and different from the course's version: "
                         f"{names(self.foreign)}")
        if not (self.copied or self.updated or self.kept or self.foreign):
            lines.append("  nothing new from the course"
                         + (f"; your changes to {len(self.edited)} notebook(s) are kept" if self.edited else ""))
        return "\n".join(lines)


def sync(folder: str | Path = DEFAULT_FOLDER, source: str | Path = COURSE_NOTEBOOKS) -> SyncReport:
    """Bring the working copy ``folder`` up to date with the course notebooks in ``source``.

    Copies missing notebooks (and a README), replaces a copy with the course's newer version only
    when the copy is byte-for-byte what an earlier sync wrote, and keeps every other file as it is.
    """
    folder, source = Path(folder), Path(source)
    files = course_files(source)
    if not files:
        raise FileNotFoundError(f"no course notebooks in {source} (expected {source}/pytorch/00_*.ipynb ...)")
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / MANIFEST
    try:
        copied_as = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        copied_as = {}
    report = SyncReport(folder=folder.resolve())
    for rel in files:
        new = (source / rel).read_bytes()
        target = folder / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(new)
            copied_as[rel] = _digest(new)
            report.copied.append(rel)
            continue
        mine = _digest(target.read_bytes())
        if mine == _digest(new):
            copied_as[rel] = mine
            report.unchanged.append(rel)
        elif copied_as.get(rel) == mine:   # not touched since we copied it: take the new version
            target.write_bytes(new)
            copied_as[rel] = _digest(new)
            report.updated.append(rel)
        elif rel not in copied_as:
            report.foreign.append(rel)
        elif copied_as[rel] == _digest(new):
            report.edited.append(rel)
        else:
            report.kept.append(rel)
    readme = folder / "README.md"
    if not readme.exists():
        readme.write_text(README)
    manifest_path.write_text(json.dumps(copied_as, indent=1, sort_keys=True) + "\n")
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aelab.workspace",
        description="Create or update your working copy of the course notebooks (never changes your edits).")
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_FOLDER),
                        help=f"the working copy (default: {DEFAULT_FOLDER})")
    args = parser.parse_args(argv)
    try:
        print(sync(args.folder))
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
