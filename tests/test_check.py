"""aelab.check: the uniform entry point, verdicts, hints and the reference fallback."""

import re

import numpy as np
import pytest

from aelab import check
from aelab.check import NotYet


def test_exercises_lists_every_registered_id_in_order():
    ids = check.exercises()
    assert "00.flatten_images" in ids and "00.mean_image" in ids
    assert ids == sorted(ids)
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
    assert not result.passed
    assert "None" in result.message and "Hint:" in result.message
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


def test_describe_names_the_exercise():
    assert check.describe("00.mean_image").startswith("00.mean_image: ")


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
