"""aelab.check: the uniform entry point, verdicts, hints and the reference fallback."""

import re

import numpy as np
import pytest

from aelab import check
from aelab.check import NotYet


def test_exercises_lists_every_registered_id_in_order():
    ids = check.exercises()
    assert "00.flatten_images" in ids and "00.mean_image" in ids
    assert [i[:2] for i in ids] == sorted(i[:2] for i in ids)  # lesson by lesson
    assert sorted(ids) == sorted(check._REGISTRY) and len(set(ids)) == len(ids)
    assert all(len(i.split(".")) == 2 and i[:2].isdigit() for i in ids)


def test_every_exercise_accepts_its_own_reference():
    """The reference must pass its own checker (for each framework it exists in)."""
    for exercise_id in check.exercises():
        ex = check._get(exercise_id)
        for framework in ex.frameworks:
            if framework != "numpy":
                continue  # framework exercises are tested in their lesson's test module
            result = check.run(exercise_id, check.reference(exercise_id), show=False)
            assert result.passed, f"{exercise_id}: {result.message}"


def test_run_returns_result_with_passed_and_message():
    result = check.run("00.flatten_images", lambda x: x.reshape(len(x), 784), show=False)
    assert result.passed and bool(result) is True
    assert "flatten" in result.message
    assert "passed" in result._repr_html_()


def test_failed_result_has_hint_and_falls_back_to_reference(capsys):
    result = check.run("00.mean_image", lambda x: None, show=False)
    assert not result.passed and not result.attempted
    assert "None" in result.message and result.hint and "check.hint(" in str(result)
    fn = result.use()
    assert fn is check.reference("00.mean_image")
    assert "reference implementation" in capsys.readouterr().out


def test_passed_result_uses_the_students_function():
    def mine(images):
        return np.mean(images, axis=0)

    assert check.run("00.mean_image", mine, show=False).use() is mine


def test_exception_in_student_code_is_reported_not_raised():
    def broken(images):
        return images.reshape(3, 3)

    result = check.run("00.flatten_images", broken, show=False)
    assert not result.passed and "ValueError" in result.message


def test_not_implemented_stub_is_a_friendly_not_yet():
    def stub(images):
        raise NotImplementedError

    result = check.run("00.flatten_images", stub, show=False)
    assert not result.passed and "not implemented yet" in result.message
    assert not result.attempted and result.status == "not attempted yet"


def test_in_place_modification_is_rejected():
    def sneaky(images):
        images *= 2
        return images.reshape(len(images), -1)

    result = check.run("00.flatten_images", sneaky, show=False)
    assert not result.passed and "in place" in result.message


def test_show_prints_outside_ipython(capsys):
    check.run("00.flatten_images", lambda x: x, show=True)
    assert "NOT YET" in capsys.readouterr().out


@pytest.mark.parametrize("bad_id, error", [("99.nothing", ValueError), (1, TypeError)])
def test_unknown_exercise(bad_id, error):
    with pytest.raises(error):
        check.run(bad_id, lambda x: x)


def test_non_callable_answer_is_not_yet():
    result = check.run("00.flatten_images", np.zeros((3, 784)), show=False)
    assert not result.passed and "function" in result.message


# ---------------------------------------------------------------- the checker kit

def _add_one_in_place(images):
    images += 1
    return images


@pytest.mark.parametrize("framework", ["numpy", "torch", "keras"])
def test_call_unchanged_names_the_parameter_changed_in_place(framework):
    from aelab.check import call_unchanged

    values = np.zeros((2, 3), np.float32)
    if framework == "torch":
        import torch

        values = torch.zeros(2, 3)

        def bump(images, scale=1.0):
            images.add_(scale)
            return images
    elif framework == "keras":
        import tensorflow as tf

        values = tf.Variable(np.zeros((2, 3), np.float32))

        def bump(images, scale=1.0):
            images.assign_add(tf.ones_like(images) * scale)
            return images
    else:
        def bump(images, scale=1.0):
            images += scale
            return images
    with pytest.raises(NotYet, match=r"changed `images` in place"):
        call_unchanged(bump, values, scale=2.0)


def test_call_unchanged_returns_the_result_of_a_clean_function():
    from aelab.check import call_unchanged

    values = np.arange(6.0)
    out = call_unchanged(lambda x, k=2: x * k, values, k=3)
    np.testing.assert_array_equal(out, values * 3)
    np.testing.assert_array_equal(values, np.arange(6.0))


@pytest.mark.parametrize("got, says", [
    ((np.zeros(2), np.zeros(2)), "a tuple of 2 values"),
    ([np.zeros(2)], "a list of 1 values"),
    ((x for x in range(3)), "a generator"),
    (np.ndarray, "the class ndarray itself"),
    (len, "a function"),
])
def test_answer_array_says_what_was_returned_instead_of_an_array(got, says):
    from aelab.check import answer_array

    with pytest.raises(NotYet, match=re.escape(says)):
        answer_array(got)


# ---------------------------------------------------------------- tiers, rendering, re-run note, listing
# (issue #13 items 3, 4, 5 and 11)

import html  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK_STUBS = [(i, fw) for i in check.exercises() for fw in check._get(i).frameworks]


@pytest.fixture
def fresh_kernel(monkeypatch):
    """No exercise has fallen back to the reference yet (as in a new kernel)."""
    monkeypatch.setattr(check, "_USED_REFERENCE", set())


def _code_spans(text) -> list[str]:
    texts = text.values() if isinstance(text, dict) else [text]
    return [span for t in texts for span in re.findall(r"`([^`]+)`", t)]


def test_every_exercise_has_a_hint_and_an_answer_and_the_hint_gives_no_code_away():
    for exercise_id in check.exercises():
        ex = check._get(exercise_id)
        assert ex.hint and ex.answer, exercise_id
        hints = ex.hint.values() if isinstance(ex.hint, dict) else [ex.hint]
        for span in _code_spans(ex.answer):
            if len(span) > 12:  # the answer's code lines are not in the hint
                assert all(span not in h for h in hints), (exercise_id, span)


def _untouched_model_stub(framework):
    """lesson 01's LinearAutoencoder stub as the notebook has it: both layers still None."""
    if framework == "torch":
        from torch import nn

        class LinearAutoencoder(nn.Module):
            def __init__(self, input_dim, latent_dim):
                super().__init__()
                self.encoder = None
                self.decoder = None

            def forward(self, x):
                return self.decoder(self.encoder(x))
    else:
        import keras

        class LinearAutoencoder(keras.Model):
            def __init__(self, input_dim, latent_dim, **kwargs):
                super().__init__(**kwargs)
                self.encoder = None
                self.decoder = None

            def call(self, x):
                return self.decoder(self.encoder(x))
    return LinearAutoencoder


@pytest.mark.parametrize("exercise_id, framework", FRAMEWORK_STUBS,
                         ids=[f"{i}-{fw}" for i, fw in FRAMEWORK_STUBS])
@pytest.mark.parametrize("stub", ["return None", "raise NotImplementedError"])
def test_an_untouched_stub_is_not_attempted_and_gets_no_answer(exercise_id, framework, stub):
    def returns_none(*args, **kwargs):
        return None

    def not_implemented(*args, **kwargs):
        raise NotImplementedError

    fn = returns_none if stub == "return None" else not_implemented
    if isinstance(check.reference(exercise_id, framework), type):
        fn = _untouched_model_stub(framework)   # the lesson's stub: a class with None layers
    result = check.run(exercise_id, fn, framework=framework, show=False)
    assert not result.passed and not result.attempted, result.message
    assert result.status == "not attempted yet"
    answer = check._tier(check._get(exercise_id), "answer", framework)
    assert result.answer == answer  # still there for check.answer(), but never shown
    text, page = str(result), result._repr_html_()
    assert text.startswith(f"[NOT ATTEMPTED YET] {exercise_id}: ")
    assert "check.answer(" not in text and 'class="aelab-answer"' not in page
    for span in _code_spans(answer):
        assert span not in result.message and span not in text
        assert html.escape(span) not in page
    assert 'class="aelab-hint"' in page and "<details" in page  # a hint, folded
    assert f'check.hint("{exercise_id}")' in text


def test_a_function_that_returns_none_only_sometimes_is_attempted():
    def half_done(images):
        return None if len(images) == 5 else images.reshape(len(images), -1)

    result = check.run("00.flatten_images", half_done, show=False)
    assert not result.passed and result.attempted and result.status == "not yet"


def test_a_wrong_answer_shows_the_diagnosis_then_folded_hint_then_folded_answer():
    result = check.run("00.mean_image", lambda images: images.mean(axis=1), show=False)
    ex = check._get("00.mean_image")
    assert result.attempted and result.hint == ex.hint and result.answer == ex.answer
    assert ex.hint not in result.message and "axis=0" not in result.message
    page = result._repr_html_()
    diagnosis = page.index('class="aelab-diagnosis"')
    hint_at, answer_at = page.index('class="aelab-hint"'), page.index('class="aelab-answer"')
    assert diagnosis < hint_at < answer_at
    assert "<summary" in page[hint_at:answer_at] and "Show a hint" in page[hint_at:answer_at]
    assert "Show the answer" in page[answer_at:]
    assert "<details" in page[hint_at - 40:hint_at] and " open" not in page  # folded
    assert "<code>return images.mean(axis=0)</code>" in page[answer_at:]
    text = str(result)
    assert text.splitlines()[0] == f"[NOT YET] 00.mean_image: {result.message.splitlines()[0]}"
    assert 'check.hint("00.mean_image")' in text and 'check.answer("00.mean_image")' in text
    assert ex.hint not in text and ex.answer not in text


def test_html_escapes_everything_and_renders_code_spans_and_emphasis():
    result = check.CheckResult("00.mean_image", False, "a < b & `x<y>` is *not* <script>\nline 2",
                               "numpy", hint="use `a & b`", answer="`return <b>`")
    page = result._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "a &lt; b &amp; <code>x&lt;y&gt;</code> is <em>not</em>" in page
    assert "line 2" in page and "<br>line 2" in page
    assert "<code>a &amp; b</code>" in page and "<code>return &lt;b&gt;</code>" in page
    assert "`" not in page
    # arithmetic is not emphasis, and code spans keep their asterisks
    assert check.to_html("2 * 3 * 4 and `a * b`") == "2 * 3 * 4 and <code>a * b</code>"


def test_plain_text_form_has_no_markup():
    result = check.CheckResult("00.mean_image", False, "the mean image has shape (28,), "
                               "expected (28, 28).", "numpy", hint="h", answer="a")
    assert str(result) == ('[NOT YET] 00.mean_image: the mean image has shape (28,), expected '
                           '(28, 28).\nStuck? check.hint("00.mean_image") gives a hint, '
                           'check.answer("00.mean_image") the answer.')
    passed = check.run("00.mean_image", check.reference("00.mean_image"), show=False)
    assert str(passed) == "[PASSED] 00.mean_image: well done: the average image of a stack of images."


def test_hint_and_answer_functions_give_plain_text_and_html():
    ex = check._get("00.flatten_images")
    assert str(check.hint("00.flatten_images")) == f"Hint: {ex.hint}"
    assert str(check.answer("00.flatten_images")) == f"Answer: {ex.answer}"
    assert repr(check.answer("00.flatten_images")) == f"Answer: {ex.answer}"
    assert "<code>return images.reshape(len(images), -1)</code>" in \
        check.answer("00.flatten_images")._repr_html_()
    assert "torch.sum" in str(check.answer("05.kl_divergence", framework="torch"))
    assert "ops.sum" in str(check.answer("05.kl_divergence", framework="keras"))
    with pytest.raises(ValueError, match="unknown exercise"):
        check.hint("00.nothing")


def test_after_a_pass_the_verdict_says_to_rerun_the_cells_that_used_the_reference(
        fresh_kernel, capsys):
    wrong, right = (lambda images: images.sum(axis=0)), check.reference("00.mean_image")
    # passing without an earlier fallback: no note
    assert not check.run("00.mean_image", right, show=False).rerun
    # failing without use(): nothing fell back, so no note either
    check.run("00.mean_image", wrong, show=False)
    passed = check.run("00.mean_image", right, show=False)
    assert not passed.rerun and check.RERUN_NOTE not in str(passed)
    assert "aelab-rerun" not in passed._repr_html_()
    # failing, going on with the reference, then passing: the note
    check.run("00.mean_image", wrong, show=False).use()
    assert "reference implementation" in capsys.readouterr().out
    passed = check.run("00.mean_image", right, show=False)
    assert passed.rerun and check.RERUN_NOTE in str(passed)
    assert "aelab-rerun" in passed._repr_html_() and "re-run the cells below" in passed._repr_html_().lower()
    # it is said once; another exercise's fallback does not make this one's note appear
    check.run("00.flatten_images", wrong, show=False).use()
    assert not check.run("00.mean_image", right, show=False).rerun


def test_fallback_note_is_plain_text_in_a_console_and_html_in_a_notebook(capsys):
    check.run("00.mean_image", lambda images: None, show=False).use()
    out = capsys.readouterr().out
    assert out.startswith("Note: exercise `00.mean_image` is not solved yet") and "<" not in out
    note = check.Text("exercise `00.mean_image` is not solved yet, so ...", title="Note")
    page = note._repr_html_()
    assert "<code>00.mean_image</code>" in page and "word-break:normal" in page


def _notebook_exercise_order(name: str) -> tuple:
    source = (ROOT / "notebooks" / "src" / f"{name}.py").read_text()
    return tuple(dict.fromkeys(re.findall(r'check\.run\("([^"]+)"', source)))


def test_syllabus_is_the_order_the_notebooks_ask_the_exercises():
    sources = sorted(p.stem for p in (ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py"))
    assert list(check.SYLLABUS) == sources
    for name, ids in check.SYLLABUS.items():
        assert ids == _notebook_exercise_order(name), name
        assert all(check._get(i).notebook == name for i in ids)
    assert check.exercises() == [i for ids in check.SYLLABUS.values() for i in ids]


def test_instructor_listing_runs_from_any_folder(tmp_path):
    out = subprocess.run([sys.executable, "-m", "aelab.check"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["id", "notebook", "frameworks", "title"]
    rows = lines[2:]
    assert [row.split()[0] for row in rows] == check.exercises()
    for row, exercise_id in zip(rows, check.exercises()):
        ex = check._get(exercise_id)
        assert row.split()[1] == ex.notebook and row.endswith(ex.title)
    assert re.search(r"03\.conv_output_size +03_conv_autoencoder +both \(numpy\) +the output size", out)
    assert re.search(r"05\.vae_loss +05_variational_autoencoder +torch, keras +the VAE loss", out)


def test_ipython_shows_the_plain_text_verdict_in_a_terminal():
    from IPython.lib.pretty import pretty

    result = check.run("00.mean_image", lambda images: images.sum(axis=0), show=False)
    assert pretty(result) == str(result)


# ---------------------------------------------------------------- whose fault: the student's or the checker's

@pytest.fixture
def dummy_exercise():
    """Register throw-away exercises (reference: flatten), removed again after the test."""
    from aelab.check import exercise

    check.exercises()  # load the course's exercises first
    added = []

    def register(checker, *, reference=None, exercise_id="99.dummy"):
        ref = reference or (lambda images: images.reshape(len(images), -1))
        exercise(exercise_id, title="a test exercise", reference=ref)(checker)
        added.append(exercise_id)
        return exercise_id

    yield register
    for exercise_id in added:
        check._REGISTRY.pop(exercise_id)


def test_student_error_quotes_the_students_line_not_a_library_frame():
    def helper(images):  # the error is raised inside numpy, called from the student's helper
        return images.reshape(-1, 5)

    def flatten_images(images):
        return helper(images)

    result = check.run("00.flatten_images", flatten_images, show=False)
    assert not result.passed
    assert result.message.startswith("your function raised ValueError: cannot reshape")
    assert "in helper, test_check.py, line" in result.message
    assert "`return images.reshape(-1, 5)`" in result.message


def test_wrong_number_of_parameters_is_the_students_fault():
    """The TypeError is raised at the checker's call, with no frame of the student's: the
    wrapper around the student's function still knows it escaped from that call."""
    result = check.run("00.flatten_images", lambda images, size: images, show=False)
    assert not result.passed
    assert result.message.startswith("your function raised TypeError:")
    assert "missing 1 required positional argument: 'size'" in result.message


def test_a_library_function_passed_as_the_answer_is_blamed_not_the_checker():
    result = check.run("00.flatten_images", np.reshape, show=False)
    assert result.message.startswith("your function raised TypeError:")


def test_error_in_a_students_method_called_by_the_checker_is_the_students(dummy_exercise):
    """Methods of a student's class run outside the wrapped call (the checker calls them on the
    instance); the traceback through the student's code still makes the error the student's."""
    class Model:
        def __init__(self, size):
            self.size = size

        def forward(self, x):  # the shapes do not match
            return x @ np.ones((self.size + 1, 2))

    def checker(cls, framework):
        model = cls(3)
        model.forward(np.ones((4, 3)))

    result = check.run(dummy_exercise(checker, reference=Model), Model, show=False)
    assert not result.passed
    assert result.message.startswith("your class raised ValueError: matmul")
    assert "in forward, test_check.py, line" in result.message
    assert "`return x @ np.ones((self.size + 1, 2))`" in result.message


def test_a_bug_in_the_checker_is_reported_as_a_checker_error(dummy_exercise):
    def buggy_checker(fn, framework):
        out = fn(np.zeros((2, 28, 28)))
        return out[5]   # the checker's bug: the result has only 2 rows

    result = check.run(dummy_exercise(buggy_checker), lambda x: x.reshape(len(x), -1), show=False)
    assert not result.passed
    assert result.message.startswith("the checker itself failed (IndexError: index 5 is out of "
                                     "bounds")
    assert "at test_check.py line" in result.message and "in buggy_checker)" in result.message
    assert "this is a bug in aelab, please report it with this message" in result.message
    assert "your function" not in result.message


def test_a_bug_in_a_course_checker_names_the_aelab_line(dummy_exercise):
    from aelab.check import expect_array

    def checker(fn, framework):
        expect_array(fn(np.zeros((2, 28, 28))), np.zeros((2, 784)), rtol="tight")

    result = check.run(dummy_exercise(checker), lambda x: x.reshape(len(x), -1), show=False)
    assert result.message.startswith("the checker itself failed (")
    assert "at _compare.py line" in result.message


def test_a_result_of_the_wrong_kind_that_crashes_the_checker_is_named(dummy_exercise):
    """The checker fails on the student's tuple; the verdict names the tuple, not the checker's
    ValueError ("setting an array element with a sequence")."""
    def fragile_checker(fn, framework):
        images = np.random.default_rng(0).random((3, 28, 28))
        np.asarray(fn(images), dtype=float)

    exercise_id = dummy_exercise(fragile_checker)
    result = check.run(exercise_id, lambda x: (x.reshape(3, -1), x.shape), show=False)
    assert not result.passed
    assert result.message.startswith("your function returned a tuple of 2 values, where the check "
                                     "expects ndarray of shape (3, 784)")
    assert "sequence" not in result.message

    def gen(images):
        yield images.reshape(3, -1)

    assert check.run(exercise_id, gen, show=False).message.startswith(
        "your function returned a generator")


def test_an_error_the_checker_raises_from_the_students_is_the_students(dummy_exercise):
    def checker(fn, framework):
        try:
            fn(np.zeros((2, 28, 28)))
        except ValueError as err:
            raise RuntimeError("while calling the answer") from err

    def flatten(images):
        return images.reshape(5, -1)

    result = check.run(dummy_exercise(checker), flatten, show=False)
    assert result.message.startswith("your function raised RuntimeError: while calling the answer")


@pytest.mark.parametrize("exc, says", [
    (SystemExit(1), "raised SystemExit (in"),
    (GeneratorExit(), "raised GeneratorExit (in"),
    (BaseException("odd"), "raised BaseException: odd (in"),
])
def test_base_exceptions_from_the_student_become_not_yet(exc, says):
    def answer(images):
        raise exc

    result = check.run("00.flatten_images", answer, show=False)
    assert not result.passed and says in result.message
    assert "`raise exc`" in result.message


def test_system_exit_says_to_return_instead():
    import sys

    result = check.run("00.flatten_images", lambda images: sys.exit(), show=False)
    assert "would end the whole program" in result.message and "`return`" in result.message


def test_keyboard_interrupt_still_stops_the_cell():
    def answer(images):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check.run("00.flatten_images", answer, show=False)


def test_not_implemented_in_the_checker_is_not_a_stub(dummy_exercise):
    def checker(fn, framework):
        fn(np.zeros((2, 28, 28)))
        raise NotImplementedError("checker unfinished")

    result = check.run(dummy_exercise(checker), lambda x: x.reshape(len(x), -1), show=False)
    assert result.message.startswith("the checker itself failed (NotImplementedError")


def test_the_checker_sees_the_students_name_and_signature(dummy_exercise):
    import inspect

    seen = {}

    def checker(fn, framework):
        seen["name"], seen["signature"] = fn.__name__, str(inspect.signature(fn))
        seen["out"] = fn(images=np.zeros((2, 28, 28)), scale=2)

    def flatten_images(images, *, scale=1):
        return images.reshape(len(images), -1) * scale

    assert check.run(dummy_exercise(checker), flatten_images, show=False).passed
    assert seen["name"] == "flatten_images" and seen["signature"] == "(images, *, scale=1)"
    assert seen["out"].shape == (2, 784)


# ---------------------------------------------------------------- the kind of answer

@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_a_model_instance_instead_of_the_class_is_named(framework):
    model_class = check.reference("01.linear_autoencoder", framework)
    result = check.run("01.linear_autoencoder", model_class(12, 3), framework=framework, show=False)
    assert not result.passed
    assert result.message.startswith(f"you passed a model instance ({model_class.__name__}); "
                                     f"this exercise checks the class itself")


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_a_built_model_instead_of_the_builder_function_is_named(framework):
    decoder = check.reference("03.build_decoder", framework)(2)
    result = check.run("03.build_decoder", decoder, framework=framework, show=False)
    assert not result.passed
    assert result.message.startswith("expected a function, but you passed a model instance (")


def test_a_class_that_builds_the_answer_is_judged_by_what_it_does(dummy_exercise):
    """Only behaviour counts: a class is a fine answer when calling it gives the right result."""
    class Flattened(np.ndarray):
        def __new__(cls, images):
            return np.asarray(images).reshape(len(images), -1).view(cls)

    def checker(fn, framework):
        images = np.random.default_rng(0).random((3, 28, 28))
        check.expect_array(fn(images), images.reshape(3, -1))

    assert check.run(dummy_exercise(checker), Flattened, show=False).passed


# ---------------------------------------------------------------- the time limit

def _endless(images):
    while True:
        pass


def test_a_function_that_never_returns_is_stopped_by_the_time_limit():
    import time

    start = time.monotonic()
    result = check.run("00.flatten_images", _endless, show=False, timeout=0.3)
    elapsed = time.monotonic() - start
    assert not result.passed and elapsed < 2
    assert result.message.startswith("your function did not finish within 0.3 s (an endless loop?")
    assert "It was running in _endless, test_check.py, line" in result.message
    assert re.search(r"line \d+: `(while True:|pass)`", result.message)
    assert "timeout=" in result.message


def test_the_time_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("AELAB_CHECK_TIMEOUT", "0.2")
    result = check.run("00.flatten_images", _endless, show=False)
    assert "did not finish within 0.2 s" in result.message
    monkeypatch.setenv("AELAB_CHECK_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="AELAB_CHECK_TIMEOUT must be a number of seconds"):
        check.run("00.flatten_images", _endless, show=False)


def test_a_student_who_catches_the_alarm_is_stopped_by_the_next_one():
    import time

    caught = []

    def stubborn(images):
        try:
            while True:
                time.sleep(0.01)
        except BaseException as err:
            caught.append(err)
        while True:
            time.sleep(0.01)

    start = time.monotonic()
    result = check.run("00.flatten_images", stubborn, show=False, timeout=0.1)
    assert len(caught) == 1 and time.monotonic() - start < 2
    assert "did not finish within 0.1 s" in result.message


def test_a_slow_checker_is_not_blamed_on_a_line_of_the_student(dummy_exercise):
    def slow_checker(fn, framework):
        fn(np.zeros((2, 28, 28)))
        while True:
            pass

    result = check.run(dummy_exercise(slow_checker), lambda x: x.reshape(2, -1), show=False,
                       timeout=0.2)
    assert result.message.startswith("the check did not finish within 0.2 s while working with "
                                     "your answer")


def test_the_time_limit_restores_the_previous_alarm_handler_and_timer():
    import signal

    def previous(signum, frame):
        raise AssertionError("the earlier alarm must not fire during this test")

    old = signal.signal(signal.SIGALRM, previous)
    signal.setitimer(signal.ITIMER_REAL, 30.0)
    try:
        assert check.run("00.flatten_images", lambda x: x.reshape(len(x), -1), show=False,
                         timeout=5).passed
        assert not check.run("00.flatten_images", _endless, show=False, timeout=0.1).passed
        assert signal.getsignal(signal.SIGALRM) is previous
        left, interval = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < left <= 30 and interval == 0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_outside_the_main_thread_checks_run_without_a_time_limit():
    import threading
    import time

    def slow(images):
        time.sleep(0.1)
        return images.reshape(len(images), -1)

    results = []
    worker = threading.Thread(target=lambda: results.append(
        check.run("00.flatten_images", slow, show=False, timeout=0.05)))
    worker.start()
    worker.join()
    assert results[0].passed


@pytest.mark.parametrize("timeout, error", [(-1, ValueError), ("60", TypeError)])
def test_bad_timeout_is_rejected(timeout, error):
    with pytest.raises(error, match="timeout must be"):
        check.run("00.flatten_images", _endless, show=False, timeout=timeout)


def test_timeout_zero_means_no_limit(monkeypatch):
    monkeypatch.setenv("AELAB_CHECK_TIMEOUT", "0.01")

    def slow(images):
        import time
        time.sleep(0.05)
        return images.reshape(len(images), -1)

    assert check.run("00.flatten_images", slow, show=False, timeout=0).passed


# ---------------------------------------------------------------- strict mode

def test_strict_mode_use_raises_naming_the_exercise_and_the_message(monkeypatch):
    monkeypatch.setenv("AELAB_STRICT", "1")
    result = check.run("00.mean_image", lambda x: None, show=False)
    with pytest.raises(check.ExerciseNotPassed, match=r"exercise 00\.mean_image did not pass its "
                                                      r"check.*None"):
        result.use()


def test_strict_mode_still_returns_a_passing_function(monkeypatch):
    monkeypatch.setenv("AELAB_STRICT", "1")

    def mine(images):
        return images.mean(axis=0)

    assert check.run("00.mean_image", mine, show=False).use() is mine


@pytest.mark.parametrize("value, folder, strict", [
    ("1", "anywhere", True), ("yes", "anywhere", True), ("0", "anywhere", False),
    ("", "anywhere", False), ("solutions", "solutions", True), ("solutions", "pytorch", False),
])
def test_strict_mode_setting(monkeypatch, tmp_path, value, folder, strict):
    (tmp_path / folder).mkdir()
    monkeypatch.chdir(tmp_path / folder)
    monkeypatch.setenv("AELAB_STRICT", value)
    assert check.strict_mode() is strict
    result = check.run("00.mean_image", lambda x: None, show=False)
    if strict:
        with pytest.raises(check.ExerciseNotPassed):
            result.use()
    else:
        assert result.use(verbose=False) is check.reference("00.mean_image")


def test_exercise_takes_a_numpy_reference_itself_and_a_framework_reference_by_name():
    from aelab.check import exercise

    def flatten(images):
        return images.reshape(len(images), -1)

    with pytest.raises(TypeError, match="reference function itself"):
        exercise("99.old_style", title="t", reference=lambda framework: flatten)
    with pytest.raises(TypeError, match="reference function itself"):
        exercise("99.named", title="t", reference="conv.build_decoder")
    with pytest.raises(TypeError, match="'<topic>.<name>'"):
        exercise("99.function", title="t", reference=flatten, frameworks=("torch", "keras"))
    assert "99.old_style" not in check._REGISTRY   # nothing registered
    ex = check._get("03.build_decoder")
    assert ex.reference.__code__ is check._get("05.vae_loss").reference.__code__   # one lookup
