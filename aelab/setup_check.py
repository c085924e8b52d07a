"""The environment report of lesson 00: is everything the course needs installed and working?"""

from __future__ import annotations

import html
import importlib
import importlib.metadata as metadata
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import data, runtime

OK, WARN, FAIL = "ok", "warning", "problem"
_MARK = {OK: "&#10004;", WARN: "&#9888;", FAIL: "&#10008;"}
_COLOUR = {OK: "#1a7f37", WARN: "#9a6700", FAIL: "#cf222e"}
_REINSTALL = "Run `make lab` (or `make test`) again in the course folder: it reinstalls the pinned versions."
_COURSE = Path(__file__).resolve().parent.parent
# What to do once the problems are fixed: a kernel keeps the packages it has imported, so only a
# restart sees a reinstalled package (the same advice as the `assert report.ok` cell of lesson 00).
AFTER_FIX = "Fix the problems marked {mark}, then restart the kernel and run the notebook again."


def course_python() -> str:
    """How the README spells this kernel's Python in a command run from the course folder:
    ``.venv/bin/python`` for the course's own environment (``make lab``), else ``python``."""
    try:
        inside = Path(sys.prefix).resolve() == (_COURSE / ".venv").resolve()
    except OSError:
        inside = False
    return ".venv/bin/python" if inside else "python"


def data_fix() -> str:
    """The README's commands that restore the MNIST files, run from the course folder."""
    return f"`git checkout -- data/` or `{course_python()} -m aelab.data download`"


@dataclass
class _Row:
    item: str
    status: str
    detail: str
    fix: str = ""


@dataclass
class _SetupReport:
    """Rows of (item, status, detail, how to fix). ``ok`` is False if any row is a problem."""

    rows: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(row.status != FAIL for row in self.rows)

    def problems(self) -> list:
        return [row for row in self.rows if row.status == FAIL]

    def __str__(self) -> str:
        lines = [f"{row.status.upper():8s} {row.item}: {row.detail}" + (f"  -> {row.fix}" if row.fix else "")
                 for row in self.rows]
        verdict = "Your setup is ready." if self.ok else AFTER_FIX.format(mark="PROBLEM")
        return "\n".join(lines + [verdict])

    def _repr_html_(self) -> str:
        """A table with one header cell per column, every cell left-aligned (JupyterLab centres
        header cells and right-aligns others by default, which set headers off their columns)."""
        left = "text-align:left;vertical-align:top"
        head = "".join(f"<th style='{left}'>{name}</th>" for name in ("", "check", "found", "how to fix"))
        cells = "".join(
            f"<tr><td style='{left};color:{_COLOUR[r.status]}' title='{r.status}'>{_MARK[r.status]}</td>"
            f"<td style='{left}'>{html.escape(r.item)}</td>"
            f"<td style='{left}'>{html.escape(r.detail)}</td>"
            f"<td style='{left}'>{_code(r.fix)}</td></tr>" for r in self.rows)
        verdict = ("<b style='color:#1a7f37'>Your setup is ready.</b>" if self.ok else
                   f"<b style='color:#cf222e'>{AFTER_FIX.format(mark='&#10008;')}</b>")
        return (f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody>"
                f"</table><p>{verdict}</p>")


def _code(text: str) -> str:
    """Escape ``text`` for HTML and show its `backquoted` commands as code, to copy exactly."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts))


def _pinned_requirements() -> list:
    """(name, wanted version) for every pinned run-time requirement of aelab on this platform."""
    from packaging.requirements import Requirement

    pins = []
    for text in metadata.requires("aelab") or []:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        wanted = [spec.version for spec in req.specifier if spec.operator == "=="]
        if wanted:
            pins.append((req.name, wanted[0]))
    return pins


def _versions_row() -> _Row:
    try:
        pins = _pinned_requirements()
    except metadata.PackageNotFoundError:
        return _Row("course packages", FAIL, "the aelab package is not installed in this kernel",
                   "Open the course with `make lab`, or run `pip install -e .` in the course folder.")
    wrong = []
    for name, wanted in pins:
        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} missing (want {wanted})")
            continue
        if found.split("+")[0] != wanted:
            wrong.append(f"{name} {found} (want {wanted})")
    if wrong:
        return _Row("course packages", WARN, "; ".join(wrong), _REINSTALL)
    return _Row("course packages", OK, f"all {len(pins)} pinned packages at the course's versions")


def _framework_row(framework: str) -> _Row:
    module = {"torch": "torch", "keras": "keras"}[framework]
    try:
        mod = importlib.import_module(module)
    except ImportError as err:
        return _Row(f"framework: {runtime.FRAMEWORKS[framework]}", FAIL, f"cannot import {module}: {err}",
                   _REINSTALL)
    detail = f"{module} {mod.__version__}"
    if framework == "torch":
        detail += f", {mod.get_num_threads()} thread(s), CPU"
    else:
        import tensorflow as tf

        detail += f" on TensorFlow {tf.__version__} (backend {mod.backend.backend()})"
    other = "tensorflow" if framework == "torch" else "torch"
    if other in sys.modules:
        return _Row(f"framework: {runtime.FRAMEWORKS[framework]}", WARN,
                   detail + f"; {other} is also imported in this kernel",
                   "Restart the kernel: a notebook should load one framework only.")
    return _Row(f"framework: {runtime.FRAMEWORKS[framework]}", OK, detail)


def check_setup(framework: str | None = None) -> _SetupReport:
    """Check Python, the pinned packages, the framework, the MNIST files and the widgets front end.

    ``framework`` is "torch" or "keras" (default: the one given to ``aelab.setup``).
    """
    framework = framework or runtime.active_framework()
    if framework not in ("torch", "keras"):
        raise ValueError(f'framework must be "torch" or "keras", got {framework!r}')
    report = _SetupReport()
    py = platform.python_version()
    report.rows.append(_Row("Python", OK if sys.version_info >= (3, 11) else FAIL, py,
                           "" if sys.version_info >= (3, 11) else "Install Python 3.11 and run `make lab`."))
    report.rows.append(_versions_row())
    report.rows.append(_framework_row(framework))
    try:
        paths = data.verify_mnist()
        report.rows.append(_Row("MNIST data", OK, f"4 files verified in {data.data_dir()}"
                               if len(paths) == 4 else "incomplete"))
    except data.DataFileError as err:
        report.rows.append(_Row("MNIST data", FAIL, str(err).splitlines()[0],
                               f"In the course folder: {data_fix()}"))
    try:
        widgets_version = metadata.version("jupyterlab_widgets")
        import ipywidgets
        import anywidget  # the latent sliders draw their digits with it

        report.rows.append(_Row("widgets", OK, f"ipywidgets {ipywidgets.__version__}, "
                               f"anywidget {anywidget.__version__}, "
                               f"JupyterLab extension {widgets_version}"))
    except (ImportError, metadata.PackageNotFoundError) as err:
        report.rows.append(_Row("widgets", FAIL, str(err), _REINSTALL))
    mode = "quick (AELAB_QUICK=1: small data, few epochs)" if runtime.quick_mode() else "full"
    report.rows.append(_Row("mode", OK, mode))
    return report
