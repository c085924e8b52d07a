"""The environment report of lesson 00: is everything the course needs installed and working?"""

from __future__ import annotations

import html
import importlib
import importlib.metadata as metadata
import platform
import sys
from dataclasses import dataclass, field

from . import data, runtime

OK, WARN, FAIL = "ok", "warning", "problem"
_MARK = {OK: "&#10004;", WARN: "&#9888;", FAIL: "&#10008;"}
_COLOUR = {OK: "#1a7f37", WARN: "#9a6700", FAIL: "#cf222e"}
_REINSTALL = "Run `make lab` (or `make test`) again in the course folder: it reinstalls the pinned versions."


@dataclass
class Row:
    item: str
    status: str
    detail: str
    fix: str = ""


@dataclass
class SetupReport:
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
        verdict = "Your setup is ready." if self.ok else "Fix the problems above, then run this cell again."
        return "\n".join(lines + [verdict])

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><td style='color:{_COLOUR[r.status]}'>{_MARK[r.status]}</td>"
            f"<td style='text-align:left'>{html.escape(r.item)}</td>"
            f"<td style='text-align:left'>{html.escape(r.detail)}</td>"
            f"<td style='text-align:left'>{html.escape(r.fix)}</td></tr>" for r in self.rows)
        verdict = ("<b style='color:#1a7f37'>Your setup is ready.</b>" if self.ok else
                   "<b style='color:#cf222e'>Fix the problems marked &#10008;, then run this cell again.</b>")
        return (f"<table><tr><th></th><th>check</th><th>found</th><th>how to fix</th></tr>{cells}"
                f"</table><p>{verdict}</p>")


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


def _versions_row() -> Row:
    try:
        pins = _pinned_requirements()
    except metadata.PackageNotFoundError:
        return Row("course packages", FAIL, "the aelab package is not installed in this kernel",
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
        return Row("course packages", WARN, "; ".join(wrong), _REINSTALL)
    return Row("course packages", OK, f"all {len(pins)} pinned packages at the course's versions")


def _framework_row(framework: str) -> Row:
    module = {"torch": "torch", "keras": "keras"}[framework]
    try:
        mod = importlib.import_module(module)
    except ImportError as err:
        return Row(f"framework: {runtime.FRAMEWORKS[framework]}", FAIL, f"cannot import {module}: {err}",
                   _REINSTALL)
    detail = f"{module} {mod.__version__}"
    if framework == "torch":
        detail += f", {mod.get_num_threads()} thread(s), CPU"
    else:
        import tensorflow as tf

        detail += f" on TensorFlow {tf.__version__} (backend {mod.backend.backend()})"
    other = "tensorflow" if framework == "torch" else "torch"
    if other in sys.modules:
        return Row(f"framework: {runtime.FRAMEWORKS[framework]}", WARN,
                   detail + f"; {other} is also imported in this kernel",
                   "Restart the kernel: a notebook should load one framework only.")
    return Row(f"framework: {runtime.FRAMEWORKS[framework]}", OK, detail)


def check_setup(framework: str | None = None) -> SetupReport:
    """Check Python, the pinned packages, the framework, the MNIST files and the widgets front end.

    ``framework`` is "torch" or "keras" (default: the one given to ``aelab.setup``).
    """
    framework = framework or runtime.active_framework()
    if framework not in ("torch", "keras"):
        raise ValueError(f'framework must be "torch" or "keras", got {framework!r}')
    report = SetupReport()
    py = platform.python_version()
    report.rows.append(Row("Python", OK if sys.version_info >= (3, 11) else FAIL, py,
                           "" if sys.version_info >= (3, 11) else "Install Python 3.11 and run `make lab`."))
    report.rows.append(_versions_row())
    report.rows.append(_framework_row(framework))
    try:
        paths = data.verify_mnist()
        report.rows.append(Row("MNIST data", OK, f"4 files verified in {data.data_dir()}"
                               if len(paths) == 4 else "incomplete"))
    except data.DataFileError as err:
        report.rows.append(Row("MNIST data", FAIL, str(err).splitlines()[0],
                               "`git checkout -- data/` or `python -m aelab.data download`"))
    try:
        widgets_version = metadata.version("jupyterlab_widgets")
        import ipywidgets
        import anywidget  # the latent sliders draw their digits with it

        report.rows.append(Row("widgets", OK, f"ipywidgets {ipywidgets.__version__}, "
                               f"anywidget {anywidget.__version__}, "
                               f"JupyterLab extension {widgets_version}"))
    except (ImportError, metadata.PackageNotFoundError) as err:
        report.rows.append(Row("widgets", FAIL, str(err), _REINSTALL))
    mode = "quick (AELAB_QUICK=1: small data, few epochs)" if runtime.quick_mode() else "full"
    report.rows.append(Row("mode", OK, mode))
    return report
