"""The lesson-00 setup report finds real problems and says how to fix them."""

import pytest

from aelab import setup_check


def test_report_on_this_machine_is_ok(isolated_cache):
    report = setup_check.check_setup("torch")
    items = [row.item for row in report.rows]
    assert items[0] == "Python" and "MNIST data" in items and "widgets" in items
    assert report.ok, str(report)
    assert "Your setup is ready." in str(report) and "<table>" in report._repr_html_()


def test_corrupt_data_is_a_problem_with_a_fix(tmp_path, monkeypatch, isolated_cache):
    monkeypatch.setenv("AELAB_DATA", str(tmp_path))
    report = setup_check.check_setup("torch")
    assert not report.ok
    (row,) = report.problems()
    assert row.item == "MNIST data" and "download" in row.fix


def test_version_drift_is_reported(monkeypatch):
    real = setup_check.metadata.version
    monkeypatch.setattr(setup_check.metadata, "version",
                        lambda name: "0.0.1" if name == "numpy" else real(name))
    row = setup_check._versions_row()
    assert row.status == setup_check.WARN and "numpy 0.0.1 (want 2.4.6)" in row.detail


def test_missing_anywidget_is_a_problem_with_a_fix(monkeypatch, isolated_cache):
    import sys

    monkeypatch.setitem(sys.modules, "anywidget", None)   # `import anywidget` now fails
    report = setup_check.check_setup("torch")
    (row,) = report.problems()
    assert row.item == "widgets" and "anywidget" in row.detail and "install" in row.fix


def test_framework_must_be_named():
    with pytest.raises(ValueError, match="framework"):
        setup_check.check_setup("jax")


# --- the HTML report: columns line up, fixes match the README, one piece of advice ----------

from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class _Table(HTMLParser):
    """Rows of (tag, style, text) cells of the first table, and the text after it."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell, self.after, self.done = [], None, "", False

    def handle_starttag(self, tag, attrs):
        if tag == "tr" and not self.done:
            self.rows.append([])
        elif tag in ("th", "td") and not self.done:
            self.cell = [tag, dict(attrs).get("style", ""), ""]
            self.rows[-1].append(self.cell)

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self.cell = None
        elif tag == "table":
            self.done = True

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[2] += data
        elif self.done:
            self.after += data


def _parse(report):
    table = _Table()
    table.feed(report._repr_html_())
    return table


def _broken_report(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_DATA", str(tmp_path))
    return setup_check.check_setup("torch")


def test_html_headers_line_up_with_their_columns(tmp_path, monkeypatch, isolated_cache):
    table = _parse(_broken_report(monkeypatch, tmp_path))
    header, *rows = table.rows
    assert [c[2] for c in header] == ["", "check", "found", "how to fix"]
    assert all(tag == "th" for tag, _, _ in header) and all(tag == "td" for r in rows for tag, _, _ in r)
    assert rows and all(len(r) == len(header) for r in rows)
    # one alignment for headers and cells, so that each header sits over its column
    assert all("text-align:left" in style for r in table.rows for _, style, _ in r)
    data_row = [r for r in rows if r[1][2] == "MNIST data"][0]
    assert data_row[0][2] == "\u2718" and "download" in data_row[3][2]


def test_fix_commands_are_the_readmes(tmp_path, monkeypatch, isolated_cache):
    readme = (ROOT / "README.md").read_text()
    monkeypatch.setattr(setup_check.sys, "prefix", str(ROOT / ".venv"))   # the kernel of `make lab`
    fix = _broken_report(monkeypatch, tmp_path).problems()[0].fix
    commands = fix.split("`")[1::2]
    assert commands == ["git checkout -- data/", ".venv/bin/python -m aelab.data download"]
    for command in commands:
        assert command in readme, f"{command!r} is not the README's command"
    # another environment (conda, Binder, Colab): its own python, not the course's .venv
    monkeypatch.setattr(setup_check.sys, "prefix", str(tmp_path / "conda-env"))
    assert "`python -m aelab.data download`" in setup_check.data_fix()


def test_one_piece_of_advice_after_a_fix_restart_the_kernel(tmp_path, monkeypatch, isolated_cache):
    report = _broken_report(monkeypatch, tmp_path)
    advice = "then restart the kernel and run the notebook again"
    assert advice in _parse(report).after and advice in str(report)
    assert "run this cell again" not in report._repr_html_() + str(report)
    lesson = (ROOT / "notebooks" / "src" / "00_welcome.py").read_text()
    assert advice in lesson and "run this cell again" not in lesson
