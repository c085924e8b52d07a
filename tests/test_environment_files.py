"""pyproject.toml, environment.yml, the lock file, the README and .ci/run agree with each other."""

import re
import tomllib

import yaml
from packaging.requirements import Requirement

from conftest import ROOT


def _pyproject_requirements() -> set:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    return {str(Requirement(r)) for r in reqs}


def _environment_requirements() -> set:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return {str(Requirement(r)) for r in pip_section if not r.startswith("-")}


def test_pyproject_and_environment_list_the_same_pins():
    assert _pyproject_requirements() == _environment_requirements()


def test_every_requirement_is_pinned_exactly():
    for text in _pyproject_requirements():
        req = Requirement(text)
        assert [s.operator for s in req.specifier] == ["=="], f"{text} is not pinned with =="


def test_torch_is_the_pinned_cpu_version_and_no_torchvision():
    names = {Requirement(r).name: Requirement(r) for r in _pyproject_requirements()}
    assert str(names["torch"].specifier) == "==2.13.0"
    assert "torchvision" not in names


def test_lock_file_agrees_with_the_pins():
    lock = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            lock[name.lower().replace("_", "-")] = version
    for text in _pyproject_requirements():
        req = Requirement(text)
        if req.marker and not req.marker.evaluate({"sys_platform": "linux", "extra": ""}):
            continue
        pinned = next(iter(req.specifier)).version
        assert lock.get(req.name.lower().replace("_", "-")) == pinned, text


def test_environment_uses_python_311():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


def _readme_quick_start_commands() -> list:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", section, re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_readme_quick_start_has_exactly_two_commands():
    commands = _readme_quick_start_commands()
    assert commands == ["make lab", "make test"], commands


def test_ci_runs_exactly_the_readme_test_command():
    test_command = _readme_quick_start_commands()[1]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.strip().startswith("#")]
    assert test_command in ci_lines
