"""aelab.check: the uniform entry point, verdicts, hints and the reference fallback."""

import numpy as np
import pytest

from aelab import check


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
