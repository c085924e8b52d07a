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
