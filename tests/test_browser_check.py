"""Exercise verdicts in a real JupyterLab, in headless Chromium (Playwright): issue #13 items 3-5.

Opens ``tests/fixtures/check_verdicts.ipynb`` (numpy exercises only, no framework), Runs All and
reads the rendered verdict boxes: a wrong answer (its diagnosis first, code spans as ``<code>``,
no literal backticks, the hint and the answer folded until clicked), an untouched stub ("not
attempted yet", a folded hint, no answer anywhere), the fallback note of ``use()`` rendered as
HTML that wraps between words, and a later pass that says to re-run the cells below.

Uses the harness of ``tests/lab_harness.py`` and the ``lab`` fixture of ``tests/conftest.py``;
skipped like test_browser.py when no Chromium is installed (fails under CI=true).
"""

from __future__ import annotations

import pytest

from lab_harness import open_and_run_all

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOKS = {"verdicts": "check_verdicts.ipynb"}
VERDICT = ".aelab-verdict"


def test_verdicts_render_as_formatted_text_with_folded_help(lab, browser):
    from aelab import check

    notebook = NOTEBOOKS["verdicts"]
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    try:
        open_and_run_all(page, lab, notebook, ready=VERDICT, count=3, scroll_to=None,
                         timeout_ms=60_000)
        boxes = page.locator(VERDICT)
        assert boxes.count() == 3
        wrong, stub, passed = boxes.nth(0), boxes.nth(1), boxes.nth(2)
        for box in (wrong, stub, passed):
            assert "`" not in box.inner_text()  # backticks became code spans

        # a wrong answer: the diagnosis, with code spans
        assert wrong.get_attribute("data-status") == "not yet"
        assert wrong.inner_text().splitlines()[0].startswith("✘ not yet")
        diagnosis = wrong.locator(".aelab-diagnosis")
        assert "tuple of 2 values" in diagnosis.inner_text()
        assert diagnosis.locator("code").count() >= 1
        # ... then the hint and the answer, folded until clicked
        ex = check._get("00.flatten_images")
        hint, answer = wrong.locator("details.aelab-hint"), wrong.locator("details.aelab-answer")
        answer_code = answer.locator("code", has_text="images.reshape(len(images), -1)")
        assert hint.locator("summary").inner_text() == "Show a hint"
        assert answer.locator("summary").inner_text() == "Show the answer"
        assert not hint.locator("div").is_visible() and not answer_code.is_visible()
        hint.locator("summary").click()
        assert hint.locator("div").is_visible()
        assert hint.locator("div").inner_text().startswith(ex.hint[:40])
        assert not answer_code.is_visible()  # the hint alone does not open the answer
        answer.locator("summary").click()
        assert answer_code.is_visible()

        # the fallback note of use(): HTML, a code span, wrapped between words
        notes = page.locator(".aelab-text", has_text="is not solved yet")
        assert notes.count() == 2
        note = notes.first
        assert note.locator("code").inner_text() == "00.flatten_images"
        assert note.evaluate("(e) => getComputedStyle(e).wordBreak") == "normal"
        assert note.evaluate("(e) => e.closest('pre') === null")

        # the untouched stub: not attempted, a folded hint, no answer
        assert stub.get_attribute("data-status") == "not attempted yet"
        assert "not attempted yet" in stub.inner_text()
        assert stub.locator("details.aelab-answer").count() == 0
        assert "Show the answer" not in stub.inner_text()
        assert "axis=0" not in stub.inner_html()
        assert stub.locator("details.aelab-hint").count() == 1
        assert not stub.locator("details.aelab-hint div").is_visible()

        # a pass after the notebook went on with the reference: re-run the cells below
        assert passed.get_attribute("data-status") == "passed"
        assert passed.locator(".aelab-rerun").is_visible()
        assert "Re-run the cells below" in passed.locator(".aelab-rerun").inner_text()
    except Exception:
        page.screenshot(path=str(lab.tmp.parent / "aelab-browser-check-failure.png"))
        raise
    finally:
        page.close()
        lab.delete_sessions()
