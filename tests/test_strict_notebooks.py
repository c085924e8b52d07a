"""A solution notebook whose exercise no longer passes its checker fails `make notebook-tests`.

The notebooks run with the Makefile's own command line (read with `make -n`), on small
synthetic notebooks: a broken and a working solution notebook in a `solutions/` folder, and
the broken one as a student notebook, where an unsolved exercise falls back to the reference.
"""

import os
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import nbformat
import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

ANSWER = {
    "broken": "def flatten_images(images):\n    return images.reshape(len(images), 28, 28)\n",
    "working": "def flatten_images(images):\n    return images.reshape(len(images), -1)\n",
}


# In a real kernel: the verdict quotes the student's line by its line in the cell, and the
# time limit stops an endless loop (cells run in the kernel's main thread).
KERNEL_CHECKS = [
    "def bad(images):\n    return images.reshape(3, 3)\n"
    'message = check.run("00.flatten_images", bad, show=False).message\n'
    'assert message.startswith("your function raised ValueError"), message\n'
    'assert "(in bad, line 2: `return images.reshape(3, 3)`)" in message, message',
    "def endless(images):\n    while True:\n        pass\n"
    'message = check.run("00.flatten_images", endless, show=False, timeout=0.3).message\n'
    'assert message.startswith("your function did not finish within 0.3 s"), message\n'
    'assert "It was running in endless, line" in message, message',
]


def _notebook(answer: str, extra=()) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("from aelab import check"),
        nbformat.v4.new_code_cell(answer + 'result = check.run("00.flatten_images", flatten_images)\n'
                                  "flatten_images = result.use()"),
        nbformat.v4.new_code_cell("import numpy as np\n"
                                  "assert flatten_images(np.zeros((2, 28, 28))).shape == (2, 784)"),
        *map(nbformat.v4.new_code_cell, extra),
    ]
    return nb


def _makefile_command() -> tuple[dict, list[str]]:
    """The environment and arguments of `make notebook-tests`, without the notebook folders."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    printed = subprocess.run(
        ["make", "-s", "--no-print-directory", "-n", "-o", ".venv/.aelab-installed",
         "notebook-tests", f"PY={sys.executable}"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    words = shlex.split(printed.replace("\\\n", " "))
    env = {}
    while "=" in words[0] and not words[0].startswith("-"):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    args = [w for w in words if not w.startswith("notebooks/")]
    assert words[:3] == [sys.executable, "-m", "pytest"] and len(args) == len(words) - 2, words
    return env, args


def test_a_broken_solution_fails_the_notebook_tests_and_a_working_one_passes(tmp_path):
    env, args = _makefile_command()
    (tmp_path / "solutions").mkdir()
    paths = {
        "solutions/broken.ipynb": ANSWER["broken"],
        "solutions/working.ipynb": ANSWER["working"],
        "student.ipynb": ANSWER["broken"],  # a student notebook falls back to the reference
    }
    for name, answer in paths.items():
        nbformat.write(_notebook(answer, KERNEL_CHECKS if name == "student.ipynb" else ()),
                       tmp_path / name)
    report = tmp_path / "report.xml"
    run_env = {**os.environ, **env,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([*args, f"--junitxml={report}", *(str(tmp_path / p) for p in paths)],
                          cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output

    cases = list(ET.parse(report).iter("testcase"))
    for case in cases:  # the notebook's path below tmp_path (the rest depends on where the clone is)
        case.set("classname", case.get("classname").split(f"{tmp_path.name}.", 1)[-1])
    failed = {}
    for case in cases:
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            failed[(case.get("classname"), case.get("name"))] = problem.text or ""
    # the exercise cell fails (and the cell after it, which used the broken function)
    assert {notebook for notebook, _ in failed} == {"solutions.broken.ipynb"}, output
    text = failed[("solutions.broken.ipynb", "Cell 1")]
    assert "ExerciseNotPassed" in text and "exercise 00.flatten_images did not pass its check" in text
    assert "has shape (1, 28, 28), expected (1, 784)" in text
    ran = {case.get("classname") for case in cases}
    assert {"solutions.working.ipynb", "student.ipynb"} <= ran, ran
    assert sum(case.get("classname") == "student.ipynb" for case in cases) == 5
