"""Autograding: the test cells of the nbgrader course (``make assignments``, docs/grading.md).

Each exercise of an nbgrader assignment is followed by a read-only test cell with points. The
cell does not trust the student's kernel: a student may have redefined ``check``, ``check.run``
or anything else in the ``aelab`` modules the notebook imported, or handed in the course's own
reference. So the cell imports a fresh copy of ``aelab`` from disk (:data:`TEST_CELL`, whose
text is in the cell itself), and this module's :func:`grade` then

1. refuses an answer that is the course's code (the reference from ``check.reference(id)`` or
   from ``result.use()``, a class or function defined anywhere in the ``aelab`` package, or a
   ``functools.partial`` / bound method of one, or a class built on one);
2. runs the exercise's checker on the student's function, in that fresh copy of ``aelab``,
   watching (``sys.setprofile``) for the student's code calling the reference implementation
   itself (``def answer(x): return <the reference>(x)``);
3. raises :class:`AssertionError` with the checker's message unless it passed, so nbgrader gives
   the cell's points exactly when the checker passes, and the feedback shows the message.

What nbgrader itself guarantees (restoring edited test cells before grading, the time limit per
cell) and what this cannot stop (code that rewrites Python itself in the student's kernel) are
in docs/grading.md.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import traceback

from . import check

_AELAB_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")

# The text of a test cell, filled in by tools/build_assignments.py. It imports aelab.grading
# with every aelab module taken out of sys.modules, so that the checker is the one on disk,
# whatever the notebook did to the modules it imported; then it puts the notebook's modules back.
TEST_CELL = '''\
# Autograded test of exercise {exercise_id} ({points:g} point{plural}). Read-only: nbgrader
# restores this cell from the course before grading. It runs the checker on your `{name}`.
import importlib as _il, sys as _sys
_kept = {{_m: _sys.modules.pop(_m) for _m in list(_sys.modules) if _m.split(".")[0] == "aelab"}}
try:
    _il.import_module("aelab.grading").grade({exercise_id!r}, {name}, framework={framework!r})
finally:
    [_sys.modules.pop(_m) for _m in list(_sys.modules) if _m.split(".")[0] == "aelab"]
    _sys.modules.update(_kept)'''


class NotPassed(AssertionError):
    """The answer did not pass its checker: nbgrader records the test cell's points as lost."""


def course_code(obj) -> str:
    """Where in the ``aelab`` package ``obj`` is defined (e.g. ``"aelab/check/lesson00.py"``), or
    '' if it is not course code. Looks through ``functools.partial``, bound methods, wrappers
    (``__wrapped__``) and class instances (their class)."""
    seen = 0
    while seen < 20:
        seen += 1
        if isinstance(obj, functools.partial):
            obj = obj.func
        elif inspect.ismethod(obj):
            obj = obj.__func__
        elif getattr(obj, "__wrapped__", None) is not None and not inspect.isclass(obj):
            inner = obj.__wrapped__
            where = _defined_in(obj)
            if where:
                return where
            obj = inner
        else:
            break
    if not inspect.isclass(obj) and not inspect.isfunction(obj) and not inspect.isbuiltin(obj):
        obj = type(obj)
    if inspect.isclass(obj):
        return next((where for where in map(_defined_in, inspect.getmro(obj)) if where), "")
    return _defined_in(obj)


def _defined_in(obj) -> str:
    module = getattr(obj, "__module__", None) or ""
    if module.split(".")[0] == "aelab":
        return module.replace(".", "/") + ".py"
    code = getattr(obj, "__code__", None)
    filename = getattr(code, "co_filename", "") or ""
    if filename and os.path.realpath(filename).startswith(os.path.realpath(_AELAB_DIR)):
        return os.path.relpath(filename, os.path.dirname(os.path.dirname(_AELAB_DIR)))
    return ""


def _key(code) -> tuple:
    """A code object's identity across two imports of the same file."""
    return os.path.realpath(code.co_filename), code.co_firstlineno, code.co_name


def _code_keys(reference) -> set:
    """The code of a reference implementation: a function's (and the functions nested in it),
    or every method a reference class (and its aelab base classes) defines."""
    codes = []
    if inspect.isclass(reference):
        for cls in inspect.getmro(reference):
            if _defined_in(cls):
                for value in vars(cls).values():
                    value = getattr(value, "__func__", value)  # staticmethod, classmethod
                    value = getattr(value, "fget", value)      # property
                    if getattr(value, "__code__", None) is not None:
                        codes.append(value.__code__)
    elif getattr(reference, "__code__", None) is not None:
        codes.append(reference.__code__)
    keys, stack = set(), codes
    while stack:
        code = stack.pop()
        keys.add(_key(code))
        stack.extend(c for c in code.co_consts if inspect.iscode(c))
    return keys


def grade(exercise_id: str, answer, *, framework: str | None = None) -> check.CheckResult:
    """Grade ``answer`` for ``exercise_id``: print the verdict and return it if it passed, raise
    :class:`NotPassed` (an AssertionError carrying the checker's message) if not.

    ``framework``: the track's ("torch" or "keras"); ignored for numpy exercises. Called by the
    test cells (with a fresh copy of aelab, see :data:`TEST_CELL`), not by students.
    """
    ex = check._get(exercise_id)
    if framework is not None and ex.frameworks == ("numpy",):
        framework = "numpy"
    where = course_code(answer)
    if where:
        message = (f"not your own answer: this is the course's code ({where}), e.g. what "
                   f"`check.reference(...)` or a failed check's `result.use()` return. Write the "
                   f"exercise yourself.")
        print(f"[NOT YET] {exercise_id}: {message}")
        raise NotPassed(f"{exercise_id}: {message}")
    watched = _code_keys(ex.reference(check._resolve_framework(ex, framework)))
    calls = []

    def watch(frame, event, arg):
        if event == "call" and _key(frame.f_code) in watched and frame.f_back is not None \
                and check._is_student_file(frame.f_back.f_code.co_filename):
            calls.append(frame.f_back)

    previous = sys.getprofile()
    sys.setprofile(watch)
    try:
        result = check.run(exercise_id, answer, framework=framework, show=False)
    finally:
        sys.setprofile(previous)
    if calls:
        where = check._where(traceback.FrameSummary(
            calls[0].f_code.co_filename, calls[0].f_lineno, calls[0].f_code.co_name))
        message = (f"not your own answer: your code calls the course's reference implementation "
                   f"({where}). Write the exercise yourself.")
        print(f"[NOT YET] {exercise_id}: {message}")
        raise NotPassed(f"{exercise_id}: {message}")
    print(f"[{result.status.upper()}] {exercise_id}: {result.message}")
    if not result.passed:
        raise NotPassed(f"{exercise_id}: {result.message}")
    return result

