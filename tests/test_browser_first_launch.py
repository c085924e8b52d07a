"""A new student's first launch, in a real JupyterLab driven by headless Chromium (Playwright).

The server runs as `make lab` runs it: the student's working copy (``aelab.workspace.sync``) as
its root, ``lab_harness.lab_flags`` (lesson 00 as the first page, the course's server
settings), and the course's JupyterLab settings installed by ``aelab.lab_server.install_lab_settings``
into an environment's application-settings folder (here a temporary one, passed as
``--LabApp.app_settings_dir``; the harness's own "no news" user setting is left out, so the
course's settings are what is tested). Checks:

- the page the server opens on is lesson 00 of the PyTorch track, without the Launcher and
  without the "get notified about Jupyter news?" pop-up;
- the file browser shows the working copy's ``pytorch`` folder (lessons and ``solutions``), no
  lesson sources;
- saving the notebook writes the working copy and leaves the course's ``notebooks/`` as it was;
- the banner's link opens the solution in a tab whose title differs from the student's;
- the server log has no websocket-ping warning after a kernel connected.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import pytest

from lab_harness import JupyterLab, lab_flags, launch_browser, require_browser
from conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _digests(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.ipynb"))}


@pytest.fixture(scope="module")
def first_launch(tmp_path_factory):
    require_browser()
    from aelab import lab_server, workspace

    tmp = tmp_path_factory.mktemp("first-launch")
    mine = tmp / "my-notebooks"
    workspace.sync(mine)
    settings = lab_server.install_lab_settings(tmp / "env")   # .../share/jupyter/lab/settings/overrides.d/aelab.json
    app_dir = settings.parent.parent.parent
    # the application folder also holds JupyterLab's built front end: share the environment's
    (app_dir / "static").symlink_to(Path(sys.prefix) / "share" / "jupyter" / "lab" / "static")
    flags = lab_flags(mine, "pytorch")
    extra = [f for f in flags if f not in lab_server.SERVER_FLAGS and not f.startswith("--ServerApp.root_dir")]
    server = JupyterLab([], root=mine, news_setting=False,
                        server_args=[*extra, f"--LabApp.app_settings_dir={app_dir / 'settings'}"])
    try:
        yield server, mine
    finally:
        server.close()


def test_first_page_is_lesson_00_with_no_news_popup(first_launch):
    lab, mine = first_launch
    course_before = _digests(ROOT / "notebooks")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_browser(p)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        try:
            page.goto(f"{lab.url}/?token={lab.token}")   # what the browser of `make lab` opens
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
            lab.wait_kernel_idle("pytorch/00_welcome.ipynb", timeout=90)
            assert "/lab/tree/pytorch/00_welcome.ipynb" in page.url
            tabs = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tabLabel").all_inner_texts()
            assert tabs == ["00_welcome.ipynb"], tabs       # lesson 00 alone: no Launcher tab
            assert page.locator(".jp-Launcher").count() == 0
            # the news question comes as a toast once JupyterLab is restored: give it time to show
            page.wait_for_timeout(3000)
            assert page.get_by_text("Would you like to get notified").count() == 0
            assert page.locator(".Toastify__toast").count() == 0
            # the file browser is in the working copy's pytorch folder
            listing = page.locator(".jp-DirListing-itemText").all_inner_texts()
            assert "00_welcome.ipynb" in listing and "solutions" in listing, listing
            assert not any(name.endswith(".py") for name in listing), listing
            page.screenshot(path=str(Path(os.environ.get("AELAB_SCREENSHOTS", lab.tmp)) / "first_launch.png"))

            # save: the student's copy changes, the course's notebooks do not
            before = (mine / "pytorch" / "00_welcome.ipynb").stat().st_mtime_ns
            page.locator(".jp-NotebookPanel").first.click()
            page.keyboard.press("Control+s")
            deadline = time.monotonic() + 20
            while (mine / "pytorch" / "00_welcome.ipynb").stat().st_mtime_ns == before:
                assert time.monotonic() < deadline, "saving did not write the working copy"
                time.sleep(0.2)

            # the banner's link opens the solution; its tab title says so
            link = page.locator(".jp-RenderedMarkdown a", has_text="solutions/00_welcome_solution.ipynb").first
            print("banner link:", link.get_attribute("href"), link.get_attribute("data-commandlinker-command"))
            link.click()
            page.wait_for_function(
                "() => [...document.querySelectorAll('.lm-DockPanel-tabBar .lm-TabBar-tabLabel')]"
                ".some(t => t.textContent === '00_welcome_solution.ipynb')", timeout=60_000)
            tabs = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tabLabel").all_inner_texts()
            assert tabs == ["00_welcome.ipynb", "00_welcome_solution.ipynb"], tabs
        finally:
            browser.close()
    assert _digests(ROOT / "notebooks") == course_before, "the course's notebooks changed"
    log = lab.server_log()
    assert "websocket_ping" not in log, log
