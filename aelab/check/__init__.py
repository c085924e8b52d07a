"""Exercise checkers: one entry point for every exercise of the course.

In a notebook::

    result = check.run("00.flatten_images", flatten_images)   # shows the verdict
    flatten_images = result.use()   # yours if it passed, else the reference (with a visible note)

The verdict comes in tiers, so that help never arrives before it is asked for:

1. the **diagnosis**: "passed", "not yet" with what is wrong (a wrong shape, a wrong axis...),
   or "not attempted yet" for an untouched stub (it returns None or raises NotImplementedError);
2. a **hint**: the idea, without the code (folded under "Show a hint" in a notebook);
3. the **answer**: the full recipe (folded under "Show the answer"; never shown for an untouched
   stub).

Outside a notebook (a console, a grader) ``str(result)`` is plain text with the diagnosis only;
``check.hint(id)`` and ``check.answer(id)`` give the other two tiers. After a pass, the verdict
says to re-run the cells below when an earlier ``use()`` in this kernel handed them the reference.

``check.exercises()`` lists every exercise id in lesson order; ``python -m aelab.check`` prints
them with their titles, notebooks and frameworks. Each lesson's checkers live in
``aelab/check/lessonNN.py`` and register themselves with :func:`exercise`.

A checker calls the student's function on several inputs and compares with the reference
implementation. It must reject plausible wrong answers (wrong axis, missing term, returning the
input, wrong sign) and accept any correct one; ``tests/test_check_*.py`` hold both kinds.
"""

from __future__ import annotations

import contextlib
import functools
import html
import importlib
import inspect
import pkgutil
import random
import re
import sys
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._compare import (NotAttempted, NotYet, answer_array, call_unchanged, expect_array,  # noqa: F401
                       expect_close, kind_of, to_numpy)  # (re-exported for the lesson checkers)

__all__ = ["CheckResult", "NotAttempted", "NotYet", "answer", "describe", "exercise", "exercises",
           "hint", "listing", "reference", "run"]

# The lessons: each notebook (notebooks/src/<name>.py) and its exercises in the order the
# notebook asks them. tests/test_check.py compares it with the notebooks and the registry.
SYLLABUS = {
    "00_welcome": ("00.flatten_images", "00.mean_image"),
    "01_linear_autoencoder": ("01.pca_components", "01.pca_reconstruct", "01.linear_autoencoder",
                              "01.principal_angles"),
    "02_deep_autoencoder": ("02.dead_code_units", "02.l1_code_penalty", "02.contractive_penalty"),
    "03_conv_autoencoder": ("03.conv_parameter_count", "03.conv_output_size",
                            "03.conv_transpose_output_size", "03.build_decoder"),
    "04_denoising_autoencoder": ("04.add_gaussian_noise", "04.add_salt_and_pepper",
                                 "04.mask_blocks", "04.compute_psnr", "04.make_denoising_pair"),
    "05_variational_autoencoder": ("05.reparameterize", "05.kl_divergence", "05.vae_loss"),
    "06_applications": ("06.reconstruction_error", "06.roc_auc", "06.threshold_from_training",
                        "06.sample_per_class"),
}
_POSITION = {exercise_id: i for i, exercise_id in
             enumerate(e for ids in SYLLABUS.values() for e in ids)}


@dataclass(frozen=True)
class Exercise:
    """A registered exercise: how to check an answer, where its reference implementation is, and
    the two tiers of help after the diagnosis.

    ``hint`` teaches the idea without giving the code away; ``answer`` is the full recipe. Either
    is one string for every framework or a dict ``{"torch": ..., "keras": ...}``. Text in
    backticks is code (rendered as ``<code>`` in a notebook).
    """

    id: str
    title: str
    checker: Callable  # checker(fn, framework) -> None; raises NotYet with a diagnosis
    reference: Callable  # reference(framework) -> the reference implementation
    frameworks: tuple = ("numpy",)
    hint: str | dict = ""
    answer: str | dict = ""
    order: int = 0  # registration order, for exercises missing from SYLLABUS

    @property
    def notebook(self) -> str:
        """The lesson notebook that asks this exercise, e.g. ``"03_conv_autoencoder"``."""
        lesson = self.id.split(".")[0]
        for name, ids in SYLLABUS.items():
            if self.id in ids:
                return name
        return next((name for name in SYLLABUS if name.split("_")[0] == lesson), "?")


_REGISTRY: dict[str, Exercise] = {}
_LOADED = False


def exercise(exercise_id: str, *, title: str, reference: Callable,
             frameworks: tuple = ("numpy",), hint: str | dict = "", answer: str | dict = ""):
    """Decorator registering ``checker(fn, framework)`` as the checker of ``exercise_id``.

    ``hint``: the idea, no code that is the answer; ``answer``: the full recipe (see
    :class:`Exercise`). The registered checker reports an untouched stub as not attempted.
    """

    def register(checker):
        if exercise_id in _REGISTRY:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        _REGISTRY[exercise_id] = Exercise(exercise_id, title, _stub_aware(checker), reference,
                                          tuple(frameworks), hint, answer, len(_REGISTRY))
        return checker

    return register


def _stub_aware(checker: Callable) -> Callable:
    """``checker``, with "not attempted" decided by what the student's function returned: a "not
    yet" becomes :class:`NotAttempted` when every call the checker made returned None (the
    stubs' ``return None``), whatever the checker's wording, and a NotAttempted becomes a plain
    "not yet" when an earlier call returned something else. Only plain functions are watched; a
    class (a model exercise) is passed as is."""

    @functools.wraps(checker)
    def check(fn, framework):
        if not (inspect.isfunction(fn) or inspect.ismethod(fn)):
            return checker(fn, framework)
        returned_none = []

        @functools.wraps(fn)
        def watched(*args, **kwargs):
            out = fn(*args, **kwargs)
            returned_none.append(out is None)
            return out

        try:
            return checker(watched, framework)
        except NotYet as why:
            stub = bool(returned_none) and all(returned_none)
            if stub and not isinstance(why, NotAttempted):
                raise NotAttempted(str(why)) from why
            if not stub and isinstance(why, NotAttempted) and returned_none:
                raise NotYet(str(why)) from why  # it returned something else before: attempted
            raise

    return check


def _load_all() -> None:
    global _LOADED
    if not _LOADED:
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if info.name.startswith("lesson"):
                importlib.import_module(f"{__name__}.{info.name}")
        _LOADED = True


def _lesson_order(ex: Exercise):
    return ex.id.split(".")[0], _POSITION.get(ex.id, len(_POSITION)), ex.order


def exercises() -> list[str]:
    """Every exercise id of the course (e.g. ``"01.pca_reconstruct"``), in lesson order: by
    lesson, then in the order the lesson's notebook asks them (:data:`SYLLABUS`)."""
    _load_all()
    return [ex.id for ex in sorted(_REGISTRY.values(), key=_lesson_order)]


def listing() -> str:
    """A table for instructors: every exercise in lesson order with its title, notebook and
    frameworks ("numpy" exercises are the same in both tracks). ``python -m aelab.check``."""
    rows = [("id", "notebook", "frameworks", "title")]
    for exercise_id in exercises():
        ex = _REGISTRY[exercise_id]
        tracks = "both (numpy)" if ex.frameworks == ("numpy",) else ", ".join(ex.frameworks)
        rows.append((ex.id, ex.notebook, tracks, ex.title))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths)) + "  " + row[3]
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * len("title"))
    return "\n".join(lines)


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
    """The title, notebook and hint of an exercise (plain text; not the answer)."""
    ex = _get(exercise_id)
    text = _tier(ex, "hint", None)
    return f"{ex.id}: {ex.title} ({ex.notebook})" + (f"\nHint: {text}" if text else "")


def _tier(ex: Exercise, which: str, framework: str | None) -> str:
    """The ``hint`` or ``answer`` of ``ex`` for ``framework``; for a per-framework text and no
    framework known, every framework's, one per line."""
    text = getattr(ex, which)
    if not isinstance(text, dict):
        return text
    if framework is None:
        try:
            framework = _resolve_framework(ex, None)
        except ValueError:
            framework = None
    if framework in text:
        return text[framework]
    names = {"torch": "PyTorch", "keras": "Keras"}
    return "\n".join(f"{names.get(fw, fw)}: {t}" for fw, t in text.items())


def hint(exercise_id: str, framework: str | None = None) -> "Text":
    """The hint of an exercise: the idea, without the code. Shows as formatted text in a
    notebook, plain text in a console (``print(check.hint(id))`` or ``str(...)``)."""
    ex = _get(exercise_id)
    return Text(_tier(ex, "hint", framework) or "no hint for this exercise.", title="Hint")


def answer(exercise_id: str, framework: str | None = None) -> "Text":
    """The answer of an exercise: the full recipe (see :func:`hint` for how it shows)."""
    ex = _get(exercise_id)
    return Text(_tier(ex, "answer", framework) or "no written answer for this exercise; "
                "see the solution notebook.", title="Answer")


# ---------------------------------------------------------------- rendering messages

_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?![\s*])([^*\n]+?)(?<![\s*])\*(?![\w*])")


def to_html(text: str) -> str:
    """A message as HTML: everything escaped, `code spans` as ``<code>``, *words* as ``<em>``,
    newlines as ``<br>``."""
    parts = _CODE_SPAN.split(text)  # even indices: prose, odd: code
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"<code>{html.escape(part)}</code>")
        else:
            out.append(_EMPHASIS.sub(r"<em>\1</em>", html.escape(part)))
    return "".join(out).replace("\n", "<br>")


class Text:
    """A short message (a hint, an answer, a note) that renders as formatted HTML in a notebook
    and as its plain text everywhere else (``str``, ``repr``, a console)."""

    def __init__(self, text: str, *, title: str = ""):
        self.text, self.title = text, title

    def __str__(self) -> str:
        return f"{self.title}: {self.text}" if self.title else self.text

    __repr__ = __str__

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def _repr_html_(self) -> str:
        head = f"<b>{html.escape(self.title)}:</b> " if self.title else ""
        return (f'<div class="aelab-text" style="white-space:normal;overflow-wrap:normal;'
                f'word-break:normal">{head}{to_html(self.text)}</div>')


def _display(obj) -> None:
    """Display ``obj`` as rich output in IPython, else print its plain text."""
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(obj)
            return
    except ImportError:
        pass
    print(obj)


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


# Exercises whose use() handed the notebook the reference implementation, in this kernel: when
# one of them passes later, the verdict says to re-run the cells below it.
_USED_REFERENCE: set[str] = set()

_COLOURS = {"passed": "#1a7f37", "not yet": "#b35900", "not attempted yet": "#57606a"}
_MARKS = {"passed": "&#10004; passed", "not yet": "&#10008; not yet",
          "not attempted yet": "&#9675; not attempted yet"}
RERUN_NOTE = ("Re-run the cells below this one: they used the reference implementation "
              "while this exercise was not solved.")


@dataclass
class CheckResult:
    """The verdict on one attempt.

    ``passed``; ``message``: the diagnosis (what is wrong, or "well done"), never the hint or the
    answer; ``attempted``: False for an untouched stub; ``hint`` / ``answer``: the two folded
    tiers of help; ``rerun``: True when this pass follows a ``use()`` that fell back to the
    reference in this kernel. ``str(result)`` is plain text, ``_repr_html_`` the notebook box.
    """

    exercise_id: str
    passed: bool
    message: str
    framework: str
    fn: Callable | None = field(default=None, repr=False)
    attempted: bool = True
    hint: str = field(default="", repr=False)
    answer: str = field(default="", repr=False)
    rerun: bool = False

    def use(self, *, verbose: bool = True):
        """Your function if it passed, otherwise the reference implementation (with a note)."""
        if self.passed:
            return self.fn
        _USED_REFERENCE.add(self.exercise_id)
        if verbose:
            _display(Text(f"exercise `{self.exercise_id}` is not solved yet, so the rest of this "
                          f"notebook uses the course's reference implementation. Come back to it!",
                          title="Note"))
        return reference(self.exercise_id, self.framework)

    def __bool__(self) -> bool:
        return self.passed

    @property
    def status(self) -> str:
        """"passed", "not yet" or "not attempted yet"."""
        return "passed" if self.passed else "not yet" if self.attempted else "not attempted yet"

    def __str__(self) -> str:
        lines = [f"[{self.status.upper()}] {self.exercise_id}: {self.message}"]
        quoted = f'"{self.exercise_id}"'
        if not self.passed and not self.attempted:
            lines.append(f"Write your answer where the TODO is, then run this cell again."
                         + (f" A hint: check.hint({quoted})." if self.hint else ""))
        elif not self.passed:
            more = [f"check.hint({quoted}) gives a hint"] if self.hint else []
            more += [f"check.answer({quoted}) the answer"] if self.answer else []
            if more:
                lines.append("Stuck? " + ", ".join(more) + ".")
        if self.passed and self.rerun:
            lines.append(RERUN_NOTE)
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython in a terminal: the plain text
        printer.text(str(self))

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.status]
        parts = [f'<div class="aelab-verdict" data-status="{self.status}" style="border-left:4px '
                 f'solid {colour};padding:4px 10px;margin:4px 0;white-space:normal;'
                 f'overflow-wrap:normal;word-break:normal">',
                 f'<b style="color:{colour}">{_MARKS[self.status]}</b> '
                 f"<code>{html.escape(self.exercise_id)}</code>",
                 f'<div class="aelab-diagnosis">{to_html(self.message)}</div>']
        if not self.passed and self.hint:
            parts.append(_folded("aelab-hint", "Show a hint", self.hint))
        if not self.passed and self.attempted and self.answer:
            parts.append(_folded("aelab-answer", "Show the answer", self.answer))
        if self.passed and self.rerun:
            parts.append(f'<div class="aelab-rerun"><b>{to_html(RERUN_NOTE)}</b></div>')
        parts.append("</div>")
        return "".join(parts)


def _folded(css_class: str, summary: str, text: str) -> str:
    return (f'<details class="{css_class}" style="margin-top:4px"><summary style="cursor:pointer">'
            f"{summary}</summary><div>{to_html(text)}</div></details>")


def _show(result: CheckResult) -> None:
    _display(result)


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
            result = CheckResult(ex.id, False, str(why), framework, fn,
                                 attempted=not isinstance(why, NotAttempted))
        except NotImplementedError:
            result = CheckResult(ex.id, False, "not implemented yet: replace the `raise "
                                 "NotImplementedError` with your code.", framework, fn,
                                 attempted=False)
        except Exception as err:  # the student's code raised: report it, do not crash
            where = traceback.extract_tb(err.__traceback__)[-1]
            result = CheckResult(ex.id, False, f"your function raised {type(err).__name__}: {err} "
                                 f"(line {where.lineno}: {where.line})", framework, fn)
        else:
            result = CheckResult(ex.id, True, f"well done: {ex.title}.", framework, fn)
    if not result.passed:
        result.hint, result.answer = _tier(ex, "hint", framework), _tier(ex, "answer", framework)
    elif ex.id in _USED_REFERENCE:
        result.rerun = True
        _USED_REFERENCE.discard(ex.id)
    if show:
        _show(result)
    return result
