"""Exercise checkers: one entry point for every exercise of the course.

In a notebook::

    result = check.run("00.flatten_images", flatten_images)   # shows "passed" or "not yet" + hint
    flatten_images = result.use()   # yours if it passed, else the reference (with a visible note)

``check.exercises()`` lists every exercise id. Each lesson's checkers live in
``aelab/check/lessonNN.py`` and register themselves with :func:`exercise`.

A checker calls the student's function on several inputs and compares with the reference
implementation. It must reject plausible wrong answers (wrong axis, missing term, returning the
input, wrong sign) and accept any correct one; ``tests/test_check_*.py`` hold both kinds.
"""

from __future__ import annotations

import contextlib
import html
import importlib
import pkgutil
import random
import sys
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._compare import (NotYet, answer_array, call_unchanged, expect_array, expect_close,  # noqa: F401
                       kind_of, to_numpy)  # (re-exported for the lesson checkers)

__all__ = ["CheckResult", "NotYet", "exercise", "exercises", "reference", "run", "describe"]


@dataclass(frozen=True)
class Exercise:
    """A registered exercise: how to check an answer and where its reference implementation is."""

    id: str
    title: str
    checker: Callable  # checker(fn, framework) -> None; raises NotYet with a hint
    reference: Callable  # reference(framework) -> the reference implementation
    frameworks: tuple = ("numpy",)
    hint: str = ""


_REGISTRY: dict[str, Exercise] = {}
_LOADED = False


def exercise(exercise_id: str, *, title: str, reference: Callable,
             frameworks: tuple = ("numpy",), hint: str = ""):
    """Decorator registering ``checker(fn, framework)`` as the checker of ``exercise_id``."""

    def register(checker):
        if exercise_id in _REGISTRY:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        _REGISTRY[exercise_id] = Exercise(exercise_id, title, checker, reference,
                                          tuple(frameworks), hint)
        return checker

    return register


def _load_all() -> None:
    global _LOADED
    if not _LOADED:
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if info.name.startswith("lesson"):
                importlib.import_module(f"{__name__}.{info.name}")
        _LOADED = True


def exercises() -> list[str]:
    """Every exercise id of the course, in lesson order (e.g. ``"01.pca_reconstruct"``)."""
    _load_all()
    return sorted(_REGISTRY)


def _get(exercise_id: str) -> Exercise:
    _load_all()
    if not isinstance(exercise_id, str):
        raise TypeError(f"exercise id must be a string like '00.flatten_images', "
                        f"got {type(exercise_id).__name__}")
    try:
        return _REGISTRY[exercise_id]
    except KeyError:
        raise ValueError(f"unknown exercise {exercise_id!r}; known ids: "
                         f"{', '.join(sorted(_REGISTRY))}") from None


def describe(exercise_id: str) -> str:
    """The title and general hint of an exercise."""
    ex = _get(exercise_id)
    return f"{ex.id}: {ex.title}" + (f"\nHint: {ex.hint}" if ex.hint else "")


def _resolve_framework(ex: Exercise, framework: str | None) -> str:
    if framework is None:
        if ex.frameworks == ("numpy",):
            return "numpy"
        from ..runtime import active_framework

        framework = active_framework()
        if framework is None:
            loaded = [f for f, mod in (("torch", "torch"), ("keras", "keras")) if mod in sys.modules]
            framework = loaded[0] if len(loaded) == 1 else None
        if framework is None:
            raise ValueError(f"exercise {ex.id} exists for {ex.frameworks}; say which with "
                             f"framework=..., or call aelab.setup(framework) first")
    if framework not in ex.frameworks:
        raise ValueError(f"exercise {ex.id} exists for {ex.frameworks}, not {framework!r}")
    return framework


def reference(exercise_id: str, framework: str | None = None):
    """The course's reference implementation of an exercise (for the active framework)."""
    ex = _get(exercise_id)
    return ex.reference(_resolve_framework(ex, framework))


@dataclass
class CheckResult:
    """The verdict on one attempt: ``passed``, a ``message`` (with a hint when not passed)."""

    exercise_id: str
    passed: bool
    message: str
    framework: str
    fn: Callable | None = field(default=None, repr=False)

    def use(self, *, verbose: bool = True):
        """Your function if it passed, otherwise the reference implementation (with a note)."""
        if self.passed:
            return self.fn
        if verbose:
            print(f"Note: exercise {self.exercise_id} is not solved yet, so the rest of this "
                  f"notebook uses the course's reference implementation. Come back to it!")
        return reference(self.exercise_id, self.framework)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = "PASSED" if self.passed else "NOT YET"
        return f"[{mark}] {self.exercise_id}: {self.message}"

    def _repr_html_(self) -> str:
        colour, mark = ("#1a7f37", "&#10004; passed") if self.passed else ("#b35900", "&#10008; not yet")
        body = html.escape(self.message).replace("\n", "<br>")
        return (f'<div style="border-left:4px solid {colour};padding:4px 10px;margin:4px 0">'
                f'<b style="color:{colour}">{mark}</b> <code>{html.escape(self.exercise_id)}</code>'
                f"<br>{body}</div>")


def _show(result: CheckResult) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(result)
            return
    except ImportError:
        pass
    print(result)


CHECK_SEED = 0  # every check draws the same random numbers, whatever the notebook did before


@contextlib.contextmanager
def _own_random_state(framework: str):
    """Run a check on its own seeded random numbers and leave the notebook's generators as they were.

    A check that calls the student's function may draw random numbers (a sampling step, a
    freshly built model). Without this, passing or failing an exercise would shift every later
    random draw of the notebook, and a student's numbers would differ from the solution's.
    Covers Python's ``random``, numpy's global generator, PyTorch's CPU generator and Keras'
    global seed generator (``keras.random.*`` called without a seed); not TensorFlow's own
    ``tf.random.*`` op seeds.
    """
    python_state, numpy_state = random.getstate(), np.random.get_state()
    random.seed(CHECK_SEED)
    np.random.seed(CHECK_SEED)
    try:
        with contextlib.ExitStack() as stack:
            if framework == "torch":
                import torch

                stack.enter_context(torch.random.fork_rng(devices=[]))
                torch.manual_seed(CHECK_SEED)
            elif framework == "keras":
                stack.enter_context(_keras_global_seed_generator(CHECK_SEED))
            yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


@contextlib.contextmanager
def _keras_global_seed_generator(seed: int):
    """Swap Keras' global seed generator for a seeded one, then put the notebook's back."""
    import keras
    from keras.src.backend.common import global_state
    from keras.src.random.seed_generator import GLOBAL_SEED_GENERATOR

    saved = global_state.get_global_attribute(GLOBAL_SEED_GENERATOR)
    global_state.set_global_attribute(GLOBAL_SEED_GENERATOR, keras.random.SeedGenerator(seed))
    try:
        yield
    finally:
        global_state.set_global_attribute(GLOBAL_SEED_GENERATOR, saved)


def run(exercise_id: str, fn: Callable, *, framework: str | None = None,
        show: bool = True) -> CheckResult:
    """Check ``fn`` as the answer to ``exercise_id`` and return a :class:`CheckResult`.

    Never raises because of the student's code: an exception inside ``fn`` becomes a "not yet"
    with the error named. The check draws its own seeded random numbers and leaves the
    notebook's random generators as they were. ``show=True`` displays the verdict right away.
    """
    ex = _get(exercise_id)
    framework = _resolve_framework(ex, framework)
    if not callable(fn):
        result = CheckResult(ex.id, False, f"expected a function, got {type(fn).__name__}. "
                             f"Pass the function itself (no parentheses).", framework, fn)
    else:
        try:
            with _own_random_state(framework):
                ex.checker(fn, framework)
        except NotYet as why:
            result = CheckResult(ex.id, False, str(why), framework, fn)
        except NotImplementedError:
            result = CheckResult(ex.id, False, "not implemented yet: replace the `raise "
                                 "NotImplementedError` with your code.", framework, fn)
        except Exception as err:  # the student's code raised: report it, do not crash
            where = traceback.extract_tb(err.__traceback__)[-1]
            result = CheckResult(ex.id, False, f"your function raised {type(err).__name__}: {err} "
                                 f"(line {where.lineno}: {where.line})", framework, fn)
        else:
            result = CheckResult(ex.id, True, f"well done: {ex.title}.", framework, fn)
    if not result.passed and ex.hint:
        result.message += f"\nHint: {ex.hint}"
    if show:
        _show(result)
    return result
