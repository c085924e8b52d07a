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

Whose fault is an error? :func:`run` hands the checker a thin wrapper around the student's
function that records every exception escaping from it. An exception is the student's when it
escaped from that wrapper or its traceback passes through the student's own code (any frame
outside the ``aelab`` package, the Python installation and its site-packages: notebook cells,
the student's helper functions and classes); the verdict quotes the deepest such line. Anything
else is a bug in the checker and is reported as one, never as the student's fault. (Checkers
call the wrapper, read its signature or name; a class answer arrives wrapped too, so judge the
instances it builds, not ``issubclass(fn, ...)``.)

``check.summary()`` (the last cell of every student notebook) tables this kernel's progress:
which exercises passed, which fell back to the reference, which were never run.

Environment variables: ``AELAB_CHECK_TIMEOUT`` (seconds per check, default 60; 0 for none),
``AELAB_STRICT`` (``CheckResult.use()`` raises instead of falling back to the reference; see
:func:`strict_mode`) and ``AELAB_RELEASE`` (a graded assignment: no reference, no answer; see
:func:`release_mode`).
"""

from __future__ import annotations

import contextlib
import functools
import html
import importlib
import inspect
import os
import pkgutil
import random
import re
import signal
import site
import sys
import sysconfig
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._compare import (NotAttempted, NotYet, answer_array, answer_number,  # noqa: F401
                       call_unchanged, expect_array, expect_close, kind_of,
                       to_numpy)  # (re-exported for the lesson checkers)

__all__ = ["CheckResult", "NotAttempted", "NotYet", "answer", "exercise", "exercises",
           "hint", "listing", "reference", "release_mode", "run", "summary"]

# The lessons: each notebook (notebooks/src/<name>.py) and its exercises in the order the
# notebook asks them. tests/test_check.py compares it with the notebooks and the registry.
SYLLABUS = {
    "00_welcome": ("00.flatten_images", "00.mean_image"),
    "01_linear_autoencoder": ("01.pca_components", "01.pca_reconstruct", "01.linear_autoencoder",
                              "01.principal_angles"),
    "02_deep_autoencoder": ("02.train_autoencoder", "02.dead_code_units", "02.l1_code_penalty",
                            "02.contractive_penalty"),
    "03_conv_autoencoder": ("03.build_conv_encoder", "03.conv_parameter_count",
                            "03.conv_output_size", "03.conv_transpose_output_size",
                            "03.build_decoder"),
    "04_denoising_autoencoder": ("04.add_gaussian_noise", "04.add_salt_and_pepper",
                                 "04.mask_blocks", "04.compute_psnr", "04.make_denoising_pair",
                                 "04.train_denoiser"),
    "05_variational_autoencoder": ("05.reparameterize", "05.kl_divergence", "05.vae_loss",
                                   "05.vae_train_step"),
    "06_applications": ("06.reconstruction_error", "06.roc_auc", "06.fit_anomaly_detector",
                        "06.sample_per_class"),
    "07_adversarial_autoencoder": ("07.sample_mixture_prior", "07.discriminator_loss",
                                   "07.encoder_adversarial_loss", "07.aae_train_step"),
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
    reference: Callable  # reference(framework) -> the reference implementation (see exercise)
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


def exercise(exercise_id: str, *, title: str, reference: Callable | str,
             frameworks: tuple = ("numpy",), hint: str | dict = "", answer: str | dict = ""):
    """Decorator registering ``checker(fn, framework)`` as the checker of ``exercise_id``.

    ``reference``: the course's answer. A numpy exercise (the same in both tracks) passes the
    function itself; a framework exercise names it ``"<topic>.<name>"``, the attribute ``name``
    of ``aelab.models.<topic>_<framework>``, imported only when asked for (so registering an
    exercise never imports a framework). ``hint``: the idea, no code that is the answer;
    ``answer``: the full recipe (see :class:`Exercise`). The registered checker reports an
    untouched stub as not attempted.
    """
    lookup = _reference_lookup(exercise_id, reference, tuple(frameworks))

    def register(checker):
        if exercise_id in _REGISTRY:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        _REGISTRY[exercise_id] = Exercise(exercise_id, title, checker, lookup,
                                          tuple(frameworks), hint, answer, len(_REGISTRY))
        return checker

    return register


def _reference_lookup(exercise_id: str, reference, frameworks: tuple) -> Callable:
    """``reference`` of :func:`exercise` as a function of the framework."""
    if frameworks == ("numpy",):
        try:
            parameters = list(inspect.signature(reference).parameters)
        except (TypeError, ValueError):
            parameters = None
        if isinstance(reference, str) or not callable(reference) or parameters == ["framework"]:
            raise TypeError(f"exercise {exercise_id!r}: a numpy exercise's reference is the "
                            f"reference function itself, got {reference!r}")
        return lambda framework: reference
    if not (isinstance(reference, str) and re.fullmatch(r"\w+\.\w+", reference)):
        raise TypeError(f"exercise {exercise_id!r} exists for {frameworks}: name its reference "
                        f"'<topic>.<name>', for aelab.models.<topic>_<framework>.<name>; got "
                        f"{reference!r}")
    topic, name = reference.split(".")
    package = __name__.rpartition(".")[0]
    return lambda framework: getattr(
        importlib.import_module(f"{package}.models.{topic}_{framework}"), name)


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
    """The answer of an exercise: the full recipe (see :func:`hint` for how it shows).
    Not available in a graded assignment (:func:`release_mode`)."""
    ex = _get(exercise_id)
    _refuse_in_release(f"check.answer({exercise_id!r})")
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
    """The course's reference implementation of an exercise (for the active framework).
    Not available in a graded assignment (:func:`release_mode`)."""
    ex = _get(exercise_id)
    _refuse_in_release(f"check.reference({exercise_id!r})")
    return ex.reference(_resolve_framework(ex, framework))


class NotInThisAssignment(RuntimeError):
    """Raised by :func:`reference` and :func:`answer` in a graded assignment (:func:`release_mode`)."""


def release_mode() -> bool:
    """True in a graded assignment: ``AELAB_RELEASE=1`` (or true/yes/on), which the first cell
    of every nbgrader release notebook sets (``make assignments``; docs/grading.md).

    Then the answers stay out of the notebook: :func:`reference` and :func:`answer` raise
    :class:`NotInThisAssignment`, a verdict shows the hint but not the answer, and
    :meth:`CheckResult.use` returns the student's own function instead of falling back to the
    reference. Self-study notebooks (the variable unset) keep all of them. This keeps answers
    out of sight, not out of reach (aelab's source is on the student's disk); grading does not
    rely on it (:mod:`aelab.grading`).
    """
    return os.environ.get("AELAB_RELEASE", "").strip().lower() in _TRUE


def _refuse_in_release(what: str) -> None:
    if release_mode():
        raise NotInThisAssignment(f"{what} is not available in a graded assignment: the course's "
                                  f"answers come back with your feedback. check.hint(...) still "
                                  f"gives a hint.")


# Exercises whose use() handed the notebook the reference implementation, in this kernel: when
# one of them passes later, the verdict says to re-run the cells below it.
_USED_REFERENCE: set[str] = set()
# The last verdict per exercise id in this kernel, for summary().
_RESULTS: dict[str, "CheckResult"] = {}

_COLOURS = {"passed": "#1a7f37", "not yet": "#b35900", "not attempted yet": "#57606a"}
_MARKS = {"passed": "&#10004; passed", "not yet": "&#10008; not yet",
          "not attempted yet": "&#9675; not attempted yet"}
RERUN_NOTE = ("Re-run the cells below this one: they used the reference implementation "
              "while this exercise was not solved.")


class ExerciseNotPassed(AssertionError):
    """Raised by :meth:`CheckResult.use` in strict mode when the exercise did not pass its check."""


_TRUE = {"1", "true", "yes", "on"}


def strict_mode() -> bool:
    """True when ``AELAB_STRICT`` asks :meth:`CheckResult.use` to raise instead of falling back.

    ``AELAB_STRICT=1`` (or true/yes/on): always strict. ``AELAB_STRICT=solutions``: strict only
    when the kernel runs in a folder named ``solutions`` (nbval and ``tools/run_notebook.py``
    start each notebook's kernel in the notebook's folder), so one test run can hold the solution
    notebooks to their checkers while the student notebooks' unsolved stubs fall back to the
    reference as they do for students.
    """
    value = os.environ.get("AELAB_STRICT", "").strip().lower()
    if value == "solutions":
        return os.path.basename(os.getcwd()) == "solutions"
    return value in _TRUE


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
        """Your function if it passed, otherwise the reference implementation (with a note).

        In strict mode (``AELAB_STRICT``, see :func:`strict_mode`), a check that did not pass
        raises :class:`ExerciseNotPassed` instead: the test suite runs the solution notebooks so,
        and a solution that stops passing its own checker fails the tests.
        """
        if self.passed:
            return self.fn
        if release_mode():
            if verbose:
                _display(Text(f"exercise `{self.exercise_id}` is not solved yet. This is a graded "
                              f"assignment, so there is no reference implementation to go on "
                              f"with: the cells below use your function as it is.", title="Note"))
            return self.fn
        if strict_mode():
            raise ExerciseNotPassed(f"exercise {self.exercise_id} did not pass its check, and "
                                    f"strict mode (AELAB_STRICT) does not fall back to the "
                                    f"reference: {self.message}")
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


_CHECK_SEED = 0  # every check draws the same random numbers, whatever the notebook did before


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
    random.seed(_CHECK_SEED)
    np.random.seed(_CHECK_SEED)
    try:
        with contextlib.ExitStack() as stack:
            if framework == "torch":
                import torch

                stack.enter_context(torch.random.fork_rng(devices=[]))
                torch.manual_seed(_CHECK_SEED)
            elif framework == "keras":
                stack.enter_context(_keras_global_seed_generator(_CHECK_SEED))
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


# ---------------------------------------------------------------- time limit

DEFAULT_TIMEOUT = 60.0  # seconds per check.run; AELAB_CHECK_TIMEOUT or run(timeout=...) change it


class _TimeUp(BaseException):
    """Raised by the alarm inside a check that ran out of time. A BaseException, so that neither
    the checker's nor the student's ``except Exception`` swallows it."""


def _timeout_seconds(timeout) -> float:
    if timeout is None:
        value = os.environ.get("AELAB_CHECK_TIMEOUT", "").strip()
        if not value:
            return DEFAULT_TIMEOUT
        try:
            timeout = float(value)
        except ValueError:
            raise ValueError(f"AELAB_CHECK_TIMEOUT must be a number of seconds (0 for no limit), "
                             f"got {value!r}") from None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, "
                        f"got {type(timeout).__name__}")
    if not timeout >= 0:
        raise ValueError(f"timeout must be >= 0 seconds (0 for no limit), got {timeout}")
    return float(timeout)


def _can_time_limit() -> bool:
    """SIGALRM interrupts Python code only in the main thread, and only where setitimer exists
    (Linux, macOS). A handler installed from C (getsignal() is None) cannot be put back."""
    return (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGALRM) is not None)


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise :class:`_TimeUp` in the main thread if the block runs longer than ``seconds``.

    A real-time interval timer (``setitimer(ITIMER_REAL)``) delivers SIGALRM; the handler raises
    between two Python bytecodes, so an endless Python loop stops, while one long call into C
    (a huge matrix product) stops when it returns. The alarm repeats every second until the
    block ends, so code that catches the first one (a bare ``except:``) still stops. The
    previous handler and any running timer (with its remaining time) are restored afterwards.
    Without a limit (0), outside the main thread or on Windows the block runs unlimited.
    """
    if not seconds or not _can_time_limit():
        yield
        return
    armed = True

    def on_alarm(signum, frame):
        if armed:
            raise _TimeUp(seconds)

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    start = time.monotonic()
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay > 0:
            left = previous_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), previous_interval)


# ---------------------------------------------------------------- whose fault is an error

_AELAB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _library_dirs() -> tuple[str, ...]:
    """Folders whose code is not the student's: the aelab package, the Python installation and
    its site-packages (numpy, torch, tensorflow, keras, IPython, ...)."""
    dirs = {_AELAB_DIR}
    paths = sysconfig.get_paths()
    dirs.update(paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths)
    with contextlib.suppress(Exception):
        dirs.update(site.getsitepackages())
    with contextlib.suppress(Exception):
        dirs.add(site.getusersitepackages())
    return tuple(os.path.join(os.path.realpath(d), "") for d in dirs if d)


@functools.lru_cache(maxsize=1024)
def _is_student_file(filename: str) -> bool:
    if filename.startswith("<"):  # "<ipython-input-3-...>" is a cell; "<frozen ...>" is not
        return filename.startswith("<ipython-input")
    return not os.path.realpath(filename).startswith(_LIBRARY_DIRS)


_LIBRARY_DIRS = _library_dirs()


def _student_frames(err: BaseException, checker: Callable) -> list:
    """The traceback frames of ``err`` that run the student's code, outermost first."""
    checker_code = getattr(checker, "__code__", None)
    frames = []
    for frame, lineno in traceback.walk_tb(err.__traceback__):
        if frame.f_code is not checker_code and _is_student_file(frame.f_code.co_filename):
            frames.append(traceback.FrameSummary(frame.f_code.co_filename, lineno,
                                                 frame.f_code.co_name))
    return frames


def _where(frame: traceback.FrameSummary) -> str:
    """ "in flatten_images, line 3: `return images.reshape(3, 3)`" (a file's name is added
    unless the code is a notebook cell)."""
    name = frame.name if frame.name != "<module>" else "the cell"
    cell = "ipykernel_" in frame.filename or frame.filename.startswith("<ipython-input")
    place = f"line {frame.lineno}"
    if not cell:
        place = f"{os.path.basename(frame.filename)}, {place}"
    code = (frame.line or "").strip()
    return f"in {name}, {place}" + (f": `{code}`" if code else "")


class _Answer:
    """The student's function as the checker sees it: a transparent wrapper (same name, same
    signature via ``__wrapped__``, classes still build their instances) that records what escapes
    from the student's code and the last call, for the verdict."""

    def __init__(self, fn: Callable):
        self.fn = fn
        self.raised: list[BaseException] = []
        self.last_call = None  # (args, kwargs, returned value) of the last call that returned
        self.returned_none: list[bool] = []  # per call that returned: was it None (a stub)?

        def answer(*args, **kwargs):
            try:
                out = fn(*args, **kwargs)
            except BaseException as err:
                self.raised.append(err)
                raise
            self.last_call = (args, kwargs, out)
            self.returned_none.append(out is None)
            return out

        self.proxy = functools.update_wrapper(answer, fn, updated=())

    def raised_here(self, err: BaseException) -> bool:
        while err is not None:  # the error itself, or one the checker explicitly raised `from` it
            if any(err is e for e in self.raised):
                return True
            err = err.__cause__
        return False


def _exception_text(err: BaseException) -> str:
    text = str(err)
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _student_error(err: BaseException, quote: str, yours: str) -> str:
    where = f" ({quote})" if quote else ""
    if isinstance(err, NotImplementedError):
        return ("not implemented yet: replace the `raise NotImplementedError` with your code."
                + (f" (Raised {quote}.)" if quote else ""))
    if isinstance(err, SystemExit):
        return (f"{yours} raised SystemExit{where}: `exit()`, `quit()` and `sys.exit()` "
                f"would end the whole program. Inside a function, `return` the answer instead.")
    if isinstance(err, GeneratorExit):
        return (f"{yours} raised GeneratorExit{where}; that exception is Python's signal "
                f"to close a generator, not a way to end a function: `return` the answer instead.")
    if not isinstance(err, Exception):
        return (f"{yours} raised {_exception_text(err)}{where}, an exception meant to stop "
                f"the whole program; `return` the answer, or raise an ordinary Exception.")
    return f"{yours} raised {_exception_text(err)}{where}"


def _timeout_message(err: _TimeUp, frames: list) -> str:
    seconds = err.args[0] if err.args else DEFAULT_TIMEOUT
    larger = "pass a larger limit: check.run(..., timeout=...) (seconds)"
    if frames:
        return (f"your function did not finish within {seconds:g} s (an endless loop? e.g. a "
                f"`while` whose condition never becomes false). "
                f"It was running {_where(frames[-1])}. "
                f"If it is just slow, {larger}.")
    return (f"the check did not finish within {seconds:g} s while working with your answer: is "
            f"it much slower than it needs to be (a far larger model or input than asked)? If "
            f"you expected it to take this long, {larger}.")


def _shape_of(value) -> tuple:
    """What a checker may rely on in a returned value: its kind; for an array its library
    (numpy, torch, tensorflow), shape and dtype (for numpy only the kind of number: float32 and
    float64 mix freely there, not in torch)."""
    from ._compare import _is_model

    if value is None:
        return ("none",)
    if isinstance(value, (bool, int, float, complex, np.generic)):
        return ("number",)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, len(value))
    if inspect.isclass(value):
        return ("class",)
    if inspect.isgenerator(value) or isinstance(value, (str, dict, set)):
        return (type(value).__name__,)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        library = type(value).__module__.split(".")[0]
        dtype = value.dtype.kind if isinstance(value, np.ndarray) else str(value.dtype)
        return ("array", library, tuple(value.shape), dtype)

    if _is_model(value):
        return ("model",)
    if callable(value):
        return ("function",)
    return (type(value).__name__,)


def _describe(value) -> str:
    text = kind_of(value)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        text += f" and dtype {value.dtype}"
    return text


def _wrong_kind_of_result(ex: Exercise, framework: str, answer: _Answer, seconds: float) -> str:
    """When a checker failed, whether the student's last result differs in kind (a tuple, a
    generator, a model instead of an array, another shape or dtype) from what the reference
    returns for the same arguments: then that, not the checker, is the cause."""
    if answer.last_call is None:
        return ""
    args, kwargs, got = answer.last_call
    try:
        with _time_limit(seconds):
            expected = ex.reference(framework)(*args, **kwargs)
    except (Exception, _TimeUp):
        return ""
    if _shape_of(got) == _shape_of(expected):
        return ""
    return (f"your function returned {_describe(got)}, where the check expects "
            f"{_describe(expected)} (what the course's reference returns for the same input).")


def _checker_error(err: BaseException, checker: Callable) -> str:
    """The verdict for an error in the checker itself, naming the checker's deepest line: in the
    checker's file or elsewhere in aelab (not this module's machinery, not numpy's internals)."""
    checker_file = getattr(getattr(checker, "__code__", None), "co_filename", "")
    aelab = os.path.join(os.path.realpath(_AELAB_DIR), "")
    here = os.path.realpath(__file__)
    frames = traceback.extract_tb(err.__traceback__)
    ours = [f for f in frames if f.filename == checker_file or (
        os.path.realpath(f.filename).startswith(aelab) and os.path.realpath(f.filename) != here)]
    frame = (ours or frames or [None])[-1]
    where = (f" at {os.path.basename(frame.filename)} line {frame.lineno}, in {frame.name}"
             if frame else "")
    return (f"the checker itself failed ({_exception_text(err)}{where}); this is a bug in aelab, "
            f"please report it with this message. It does not mean your answer is wrong.")


def _model_instead_of(ex: Exercise, fn, framework: str) -> str:
    """The verdict when a failed answer is a model instance (callable, so the checker tried to
    call it) where the exercise asks for a class or a function, or ''."""
    from ._compare import _is_model

    if not _is_model(fn):
        return ""
    name = type(fn).__name__
    if inspect.isclass(ex.reference(framework)):
        return (f"you passed a model instance ({name}); this exercise checks the class itself "
                f"and builds its own models from it. Pass the class without parentheses: "
                f"check.run({ex.id!r}, {name}).")
    return (f"expected a function, but you passed a model instance ({name}): pass the function "
            f"itself, not what it returned (no parentheses).")


def _verdict(ex: Exercise, fn, framework: str, seconds: float) -> tuple[bool, str, bool]:
    """(passed, message, attempted) for ``fn`` as the answer to ``ex``; raises only
    KeyboardInterrupt. ``attempted`` is False for an untouched stub (it returned None, or raised
    NotImplementedError)."""
    passed, message = _judge(ex, fn, framework, seconds)
    return passed, str(message), not isinstance(message, _NotAttemptedMessage)


class _NotAttemptedMessage(str):
    """A verdict message for an untouched stub."""


def _untouched(why: NotYet, fn, returned_none: list[bool]) -> bool:
    """Is this "not yet" about an untouched stub? A function that returned None on every call
    is one, whatever the checker's wording; one that returned something else on some call is
    attempted, even if the checker then raised :class:`NotAttempted`. Classes (model exercises),
    and functions that never returned, are judged by the checker's own NotAttempted."""
    if inspect.isclass(fn) or not returned_none:
        return isinstance(why, NotAttempted)
    return all(returned_none)


def _judge(ex: Exercise, fn, framework: str, seconds: float) -> tuple[bool, str]:
    if not callable(fn):
        return False, (f"expected a function, got {kind_of(fn)}. Pass the function itself "
                       f"(no parentheses).")
    answer = _Answer(fn)
    try:
        with _own_random_state(framework):
            try:
                with _time_limit(seconds):
                    ex.checker(answer.proxy, framework)
            except NotYet as why:
                if _untouched(why, fn, answer.returned_none):
                    return False, _NotAttemptedMessage(why)
                message = str(why)
                if inspect.isclass(ex.reference(framework)):
                    message = _model_instead_of(ex, fn, framework) or message
                return False, message
            except KeyboardInterrupt:
                raise
            except BaseException as err:
                frames = _student_frames(err, ex.checker)
                if isinstance(err, _TimeUp):
                    return False, _timeout_message(err, frames)
                if answer.raised_here(err) or frames:
                    # a model passed for a function failed to be called (no frame of its code
                    # ran); a model passed for a class can never be right
                    instead = (_model_instead_of(ex, fn, framework)
                               if not frames or inspect.isclass(ex.reference(framework)) else "")
                    if instead:
                        return False, instead
                    yours = "your class" if inspect.isclass(fn) else "your function"
                    message = _student_error(err, _where(frames[-1]) if frames else "", yours)
                    stub = isinstance(err, NotImplementedError)   # the stub's `raise`, untouched
                    return False, _NotAttemptedMessage(message) if stub else message
                return False, (_wrong_kind_of_result(ex, framework, answer, seconds)
                               or _checker_error(err, ex.checker))
            return True, f"well done: {ex.title}."
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # the random generators, or the reference, failed
        return False, _checker_error(err, ex.checker)
    finally:
        answer.raised.clear()
        answer.returned_none.clear()
        answer.last_call = None


def run(exercise_id: str, fn: Callable, *, framework: str | None = None,
        show: bool = True, timeout: float | None = None) -> CheckResult:
    """Check ``fn`` as the answer to ``exercise_id`` and return a :class:`CheckResult`.

    Never raises because of the student's code: an exception raised in ``fn`` (even
    ``SystemExit`` or another ``BaseException``) becomes a "not yet" that names it and quotes
    the student's line where it happened; an error in the checker itself is reported as a bug in
    aelab, not as the student's fault. Only ``KeyboardInterrupt`` (the stop button) goes through.

    ``timeout``: seconds the whole check may take, default ``AELAB_CHECK_TIMEOUT`` or 60; 0 for
    no limit. A function that never returns becomes a "not yet" naming the line it was running.
    The limit uses SIGALRM, so it applies in the main thread on Linux and macOS (where Jupyter
    runs notebook cells); elsewhere (Windows, other threads) checks run without a limit.

    The check draws its own seeded random numbers and leaves the notebook's random generators as
    they were. ``show=True`` displays the verdict right away.
    """
    ex = _get(exercise_id)
    framework = _resolve_framework(ex, framework)
    passed, message, attempted = _verdict(ex, fn, framework, _timeout_seconds(timeout))
    result = CheckResult(ex.id, passed, message, framework, fn, attempted=attempted)
    if not result.passed:
        result.hint = _tier(ex, "hint", framework)
        result.answer = "" if release_mode() else _tier(ex, "answer", framework)
    elif ex.id in _USED_REFERENCE:
        result.rerun = True
        _USED_REFERENCE.discard(ex.id)
    _RESULTS[ex.id] = result
    if show:
        _show(result)
    return result


SUMMARY_STATES = ("passed", "using the reference", "not yet", "not attempted yet", "never run")


class Summary:
    """This kernel's progress on a lesson's exercises (see :func:`summary`): ``rows`` is a list
    of ``(exercise_id, title, state)`` with ``state`` one of :data:`SUMMARY_STATES`. Renders as
    a table in a notebook, as plain text elsewhere."""

    def __init__(self, rows: list[tuple[str, str, str]]):
        self.rows = rows

    def counts(self) -> dict[str, int]:
        return {state: sum(row[2] == state for row in self.rows) for state in SUMMARY_STATES}

    def _tally(self) -> str:
        return ", ".join(f"{n} {state}" for state, n in self.counts().items() if n)

    def __str__(self) -> str:
        width = max([len(row[0]) for row in self.rows] + [8])
        lines = [f"{exercise_id.ljust(width)}  {state.ljust(19)}  {title}"
                 for exercise_id, title, state in self.rows]
        return "\n".join(lines + [f"{len(self.rows)} exercises: {self._tally()}"])

    __repr__ = __str__

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        marks = {"passed": _MARKS["passed"], "not yet": _MARKS["not yet"],
                 "not attempted yet": _MARKS["not attempted yet"],
                 "using the reference": "&#8618; using the reference", "never run": "&#8212; never run"}
        colours = dict(_COLOURS, **{"using the reference": "#b35900", "never run": "#57606a"})
        rows = "".join(f'<tr data-status="{state}"><td><code>{html.escape(exercise_id)}</code></td>'
                       f"<td>{html.escape(title)}</td>"
                       f'<td style="color:{colours[state]}"><b>{marks[state]}</b></td></tr>'
                       for exercise_id, title, state in self.rows)
        return (f'<table class="aelab-summary"><thead><tr><th>exercise</th><th>what</th>'
                f"<th>status</th></tr></thead><tbody>{rows}</tbody></table>"
                f"<p>{len(self.rows)} exercises: {html.escape(self._tally())}. "
                f"<i>Using the reference</i>: the exercise did not pass, and the cells after it "
                f"ran on the course's reference implementation.</p>")


def summary(lesson: str | None = None) -> Summary:
    """The state of every exercise of ``lesson`` (e.g. ``"00"`` or ``"00_welcome"``; None: every
    lesson with an exercise checked in this kernel), in lesson order, as this kernel saw it:

    - "passed": its last check passed;
    - "using the reference": its last check failed and ``result.use()`` handed the notebook the
      course's reference;
    - "not yet" / "not attempted yet": its last check failed (an attempt / the untouched stub);
    - "never run": no ``check.run`` for it in this kernel.

    The build puts ``check.summary("NN")`` at the end of every lesson with exercises.
    """
    if lesson is not None and not isinstance(lesson, str):
        raise TypeError(f"lesson must be a string like '00' or '00_welcome', got "
                        f"{type(lesson).__name__}")
    ids = exercises()
    if lesson is None:
        lessons = {r.split(".")[0] for r in _RESULTS}
    else:
        lessons = {lesson.split("_")[0]}
        if not any(e.split(".")[0] in lessons for e in ids):
            known = sorted({e.split(".")[0] for e in ids})
            raise ValueError(f"no exercises in lesson {lesson!r}; lessons with exercises: "
                             f"{', '.join(known)}")
    rows = []
    for exercise_id in ids:
        if exercise_id.split(".")[0] not in lessons:
            continue
        result = _RESULTS.get(exercise_id)
        if result is None:
            state = "never run"
        elif result.passed:
            state = "passed"
        elif exercise_id in _USED_REFERENCE:
            state = "using the reference"
        else:
            state = result.status
        rows.append((exercise_id, _REGISTRY[exercise_id].title, state))
    return Summary(rows)
