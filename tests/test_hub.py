"""The course on a real JupyterHub, a class of three students at once (`make hub-test`).

The hub is ``hub/jupyterhub_config.py`` as a school gets it (shared-password login, one local
JupyterLab process per student in a home of its own, the server settings of ``make lab``,
nbgrader's exchange), started on free ports of 127.0.0.1 with its state in a temporary folder.
Everything a student does goes through the hub's proxy, as a browser's requests would:

- three students log in with the login form (alice, bob, carol), get an API token, start their
  servers together and each finds the lessons in a home of their own; one student's token does
  not open another's server;
- lesson 00 (PyTorch student notebook, quick mode) runs cell by cell in all three servers at once,
  over the kernel websocket through the proxy;
- carol logs in with headless chromium, runs the latent-slider notebook of the browser tests in
  JupyterLab through the proxy, drags a slider, and the redrawn digit on the canvas is the
  decoder's output for the values on screen;
- the instructor releases lesson 00 (from the course `make assignments` writes) to the exchange;
  the students fetch it with nbgrader's Assignments API in their servers, alice solves it, bob
  hands it in untouched, carol fetches and does not submit; the instructor collects, autogrades
  and the gradebook holds alice 2, bob 0. (tests/test_nbgrader.py grades the cheats.)

Marked ``hub``: not part of ``make test``. Needs the ``hub`` extra (jupyterhub), the proxy from
``npm ci`` in hub/, and Debian's chromium, which ``make hub-test`` / .ci/run provide.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import nbformat
import numpy as np
import pytest

from conftest import ROOT

import requests
import websocket   # websocket-client, a dependency of jupyter_server

import test_nbgrader as nbg  # the lesson-00 answers, the course builder, nbgrader's command line
from lab_harness import FIXTURES, SliderPage, free_port, kernel_decode, launch_browser
from lab_harness import ServerSessions, open_and_run_all, require_browser

pytestmark = [pytest.mark.hub, pytest.mark.slow]

CONFIG = ROOT / "hub" / "jupyterhub_config.py"
PROXY = ROOT / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
STUDENTS = ("alice", "bob", "carol")
LESSON = nbg.LESSON
COURSE_ID = "aelab-pytorch"


def _require_hub():
    """Skip (fail under CI=true) without jupyterhub or its proxy, saying how to get them."""
    problem = None
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        problem = "jupyterhub is not installed (the `hub` extra): run `make hub-test`"
    if problem is None and not PROXY.exists():
        problem = f"JupyterHub's proxy is not installed ({PROXY}): run `make hub-test`"
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(problem)
        pytest.skip(problem)


class Hub:
    """``jupyterhub -f hub/jupyterhub_config.py`` on free ports, its state in a temporary folder."""

    def __init__(self, startup_timeout: float = 90.0):
        self.state = Path(tempfile.mkdtemp(prefix="aelab-hub-test-"))
        self.password = base64.b32encode(os.urandom(10)).decode().lower()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update(AELAB_HUB_DIR=str(self.state), AELAB_HUB_PASSWORD=self.password,
                   AELAB_QUICK="1", PYTHONUNBUFFERED="1",
                   PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])))
        for name in ("AELAB_STRICT", "AELAB_RELEASE", "JUPYTER_CONFIG_PATH", "JUPYTERHUB_API_TOKEN"):
            env.pop(name, None)
        cmd = [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG), f"--port={self.port}",
               f"--JupyterHub.hub_port={free_port()}",
               f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{free_port()}"]
        self.log = open(self.state / "hub.log", "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.state, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                if requests.get(f"{self.url}/hub/api", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = self.hub_log()
                self.close()
                raise RuntimeError(f"the hub did not start; log:\n{log}")
            time.sleep(0.5)

    @property
    def exchange(self) -> Path:
        return self.state / "exchange"

    def home(self, name: str) -> Path:
        return self.state / "home" / name

    def hub_log(self) -> str:
        try:
            return (self.state / "hub.log").read_text(errors="replace")[-6000:]
        except OSError:
            return ""

    def close(self) -> None:
        if self.proc.poll() is None:   # SIGTERM: the hub stops the students' servers and its proxy
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.state, ignore_errors=True)


class Student(ServerSessions):
    """A student of the hub: logs in with the login form, then uses an API token of their own.
    ``api`` calls their server through the hub's proxy (``/user/<name>/...``)."""

    def __init__(self, hub: Hub, name: str):
        self.hub, self.name = hub, name
        self.session = requests.Session()
        self.session.get(f"{hub.url}/hub/login", timeout=30).raise_for_status()
        xsrf = self.session.cookies.get("_xsrf", path="/hub/")
        login = self.session.post(f"{hub.url}/hub/login", timeout=60, allow_redirects=False,
                                  data={"username": name, "password": hub.password, "_xsrf": xsrf})
        assert login.status_code == 302, (login.status_code, login.text[:500])
        # a token, as the hub's token page makes one (its xsrf token is the logged-in page's)
        home = self.session.get(f"{hub.url}/hub/home", timeout=30)
        xsrf = re.search(r'xsrf_token: "([^"]+)"', home.text).group(1)
        made = self.session.post(f"{hub.url}/hub/api/users/{name}/tokens", timeout=30,
                                 headers={"X-XSRFToken": xsrf}, json={"note": "aelab hub test"})
        assert made.status_code == 201, (made.status_code, made.text[:500])
        self.token = made.json()["token"]
        self.url = f"{hub.url}/user/{name}"

    def hub_api(self, method: str, path: str, **kwargs):
        return requests.request(method, f"{self.hub.url}/hub/api{path}", timeout=60,
                                headers={"Authorization": f"token {self.token}"}, **kwargs)

    def start_server(self) -> None:
        started = self.hub_api("POST", f"/users/{self.name}/server")
        assert started.status_code in (201, 202), (started.status_code, started.text[:500])

    def wait_server(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.hub_api("GET", f"/users/{self.name}").json()["servers"].get("", {})
            if server.get("ready"):
                return
            time.sleep(1)
        raise TimeoutError(f"{self.name}'s server did not start in {timeout:.0f} s:\n{self.hub.hub_log()}")

    def request(self, method: str, path: str, token: str | None = None, **kwargs):
        return requests.request(method, self.url + path, timeout=kwargs.pop("timeout", 60),
                                headers={"Authorization": f"token {token or self.token}"}, **kwargs)

    def api(self, method: str, path: str, body=None):
        reply = self.request(method, path, json=body)
        assert reply.ok, (method, path, reply.status_code, reply.text[:1000])
        return reply.json() if reply.content else None

    # what lab_harness.open_and_run_all needs of a server
    def lab_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?reset"

    def session_kernel(self, notebook: str) -> str:
        return next(s["kernel"]["id"] for s in self.api("GET", "/api/sessions")
                    if s["path"].endswith(notebook))

    def put_notebook(self, path: str, nb) -> None:
        self.api("PUT", f"/api/contents/{path}", {"type": "notebook", "format": "json",
                                                   "content": json.loads(nbformat.writes(nb))})

    def put_text(self, path: str, text: str) -> None:
        self.api("PUT", f"/api/contents/{path}", {"type": "file", "format": "text", "content": text})

    def get_notebook(self, path: str):
        return nbformat.from_dict(self.api("GET", f"/api/contents/{path}?type=notebook")["content"])

    def run_notebook(self, path: str, timeout: float = 600.0) -> list[dict]:
        """Run every code cell of the notebook ``path`` in a new kernel of this student's server,
        over the kernel websocket through the hub's proxy; returns per cell its ``status`` and
        ``errors`` (the ``error`` messages' ename: evalue), stopping at the first failing cell."""
        nb = self.get_notebook(path)
        session = self.api("POST", "/api/sessions", {"path": path, "type": "notebook",
                                                     "kernel": {"name": "python3"}})
        ws_url = self.url.replace("http://", "ws://") + f"/api/kernels/{session['kernel']['id']}/channels"
        ws = websocket.create_connection(ws_url, header=[f"Authorization: token {self.token}"],
                                         timeout=timeout)
        results, client = [], uuid.uuid4().hex
        try:
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                results.append(_execute(ws, client, cell.source, timeout))
                if results[-1]["status"] != "ok":
                    break
        finally:
            ws.close()
            self.api("DELETE", f"/api/sessions/{session['id']}")
        return results


def _execute(ws, client: str, code: str, timeout: float) -> dict:
    """One execute_request on the kernel websocket (Jupyter's JSON message format); waits for the
    reply and the kernel's idle status."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                   "session": client, "version": "5.3",
                   "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
    status, errors, idle = None, [], False
    deadline = time.monotonic() + timeout
    while status is None or not idle:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no reply in {timeout:.0f} s to:\n{code[:300]}")
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["header"]["msg_type"]
        if kind == "execute_reply":
            status = msg["content"]["status"]
        elif kind == "error":
            errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            idle = True
    return {"status": status, "errors": errors, "code": code}


@pytest.fixture(scope="module")
def hub():
    _require_hub()
    server = Hub()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def students(hub):
    """The three students, logged in, their servers started together."""
    class_ = {name: Student(hub, name) for name in STUDENTS}
    start = time.monotonic()
    for student in class_.values():
        student.start_server()
    for student in class_.values():
        student.wait_server()
    print(f"\n{len(class_)} servers started together in {time.monotonic() - start:.0f} s")
    return class_


def test_each_student_logs_in_to_a_server_of_their_own(hub, students):
    session = requests.Session()   # the login form with a wrong password
    session.get(f"{hub.url}/hub/login", timeout=30)
    wrong = session.post(f"{hub.url}/hub/login", allow_redirects=False, timeout=30,
                         data={"username": "mallory", "password": "not it",
                               "_xsrf": session.cookies.get("_xsrf", path="/hub/")})
    assert wrong.status_code == 403 and "Invalid username or password" in wrong.text, wrong.status_code
    for name, student in students.items():
        contents = student.api("GET", "/api/contents/pytorch")["content"]
        names = {item["name"] for item in contents}
        assert "00_welcome.ipynb" in names and "solutions" not in names, names
        assert (hub.home(name) / "pytorch" / "00_welcome.ipynb").exists()
        assert not (hub.home(name) / "pytorch" / "solutions").exists()
    # the hub lets a student into their own server only
    alice, bob = students["alice"], students["bob"]
    assert alice.request("GET", "/api/contents", token=bob.token).status_code == 403
    # nbgrader's Assignments API is on in a student's server, its instructor tools are not
    assert alice.request("GET", "/formgraders").status_code == 404
    assert alice.request("GET", "/formgrader/api/status").status_code == 404
    assert alice.api("GET", f"/assignments?course_id={COURSE_ID}") == {"success": True, "value": []}
    # each server runs with the settings of `make lab` (aelab.lab_server), in its student's home
    from aelab.lab_server import SERVER_FLAGS

    homes = {}
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().decode().split("\0")
            cwd = (proc / "cwd").resolve()
        except (OSError, ValueError):
            continue
        if any(a.endswith("jupyterhub-singleuser") for a in args) and cwd.parent == hub.state / "home":
            homes[cwd.name] = args
    assert sorted(homes) == sorted(STUDENTS), homes
    for args in homes.values():
        assert all(flag in args for flag in SERVER_FLAGS), args


def test_lesson00_runs_in_every_students_server_at_once(students):
    results, threads = {}, []

    def run(name):
        start = time.monotonic()
        try:
            results[name] = (students[name].run_notebook(f"pytorch/{LESSON}.ipynb"),
                             start, time.monotonic())
        except Exception as err:   # reported below, with the student's name
            results[name] = (err, start, time.monotonic())

    for name in STUDENTS:
        threads.append(threading.Thread(target=run, args=(name,), daemon=True))
        threads[-1].start()
    for thread in threads:
        thread.join(timeout=900)
    nb = nbformat.read(ROOT / "notebooks" / "pytorch" / f"{LESSON}.ipynb", as_version=4)
    n_code = sum(c.cell_type == "code" for c in nb.cells)
    for name in STUDENTS:
        cells, start, end = results.get(name, ("still running after 900 s", 0, 0))
        assert isinstance(cells, list), (name, cells)
        failed = [c for c in cells if c["status"] != "ok"]
        assert not failed, (name, failed)
        assert len(cells) == n_code, (name, len(cells), n_code)
        seconds = end - start
        print(f"{name}: lesson 00, {len(cells)} code cells, {seconds:.0f} s")
    # the three ran at the same time: every run started before any had finished
    assert max(r[1] for r in results.values()) < min(r[2] for r in results.values())


def test_a_latent_slider_redraws_the_digit_through_the_proxy(hub, students):
    require_browser()
    from playwright.sync_api import sync_playwright

    carol = students["carol"]
    notebook = "latent_sliders_torch.ipynb"
    carol.put_notebook(notebook, nbformat.read(FIXTURES / notebook, as_version=4))
    for module in ("tiny_decoder_torch.py", "tiny_decoder_pca.py"):
        carol.put_text(module, (FIXTURES / module).read_text())
    with sync_playwright() as p:
        browser = launch_browser(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{hub.url}/hub/login?next=/hub/home")
            page.fill("#username_input", "carol")
            page.fill("#password_input", hub.password)
            page.click("#login_submit")
            page.wait_for_url(f"{hub.url}/hub/home", timeout=60_000)
            open_and_run_all(page, carol, notebook, timeout_ms=180_000)
            assert page.url.startswith(f"{hub.url}/user/carol/lab/"), page.url
            # nbgrader's instructor tools are off in a student's JupyterLab
            assert page.locator("text=Create Assignment").count() == 0
            sp = SliderPage(page)
            assert sp.sliders.count() == 4
            np.testing.assert_array_equal(sp.values(), np.zeros(4))
            start = sp.pixels()
            sp.drag_steps(0, [3] * 8, wait_each=True, timeout_ms=30_000)
            sp.settle(timeout_ms=30_000)
            values = sp.values()
            assert values[0] > 0.1 and np.all(values[1:] == 0), values
            shown = sp.pixels().astype(int)
            assert not np.array_equal(shown, start), "the image did not change after dragging"
            runtime = next(hub.home("carol").rglob(f"kernel-{carol.session_kernel(notebook)}.json"))
            expected, kernel_code = kernel_decode(runtime, values)
            np.testing.assert_allclose(kernel_code, values, atol=0.006)
            worst = np.abs(shown - expected.astype(int)).max()
            assert shown.shape == (28, 28) and worst <= 1, (
                f"the canvas differs from decode({values.tolist()}) by up to {worst} grey levels")
        except Exception:
            page.screenshot(path=str(hub.state.parent / "aelab-hub-slider-failure.png"))
            raise
        finally:
            browser.close()
            for s in carol.api("GET", "/api/sessions"):
                carol.api("DELETE", f"/api/sessions/{s['id']}")


def _instructor(course: Path, hub: Hub, *args) -> str:
    return nbg._nbgrader(course, *args, f"--Exchange.root={hub.exchange}")


def test_an_assignment_goes_through_the_exchange_and_is_graded(hub, students, tmp_path):
    nbg.build_assignments.write_course(tmp_path, ["pytorch"], "00")
    course = tmp_path / "pytorch"
    nbg._nbgrader(course, "generate_assignment", LESSON, "--force")
    _instructor(course, hub, "release_assignment", LESSON)

    path = f"{LESSON}/{LESSON}.ipynb"
    body = {"course_id": COURSE_ID, "assignment_id": LESSON}
    for name, student in students.items():   # what JupyterLab's Assignment List page sends
        listed = student.api("GET", f"/assignments?course_id={COURSE_ID}")
        assert listed["success"] and [a["status"] for a in listed["value"]] == ["released"], listed
        fetched = student.api("POST", "/assignments/fetch", body)
        assert [a["status"] for a in fetched["value"]] == ["fetched"], fetched
        assert student.get_notebook(path).cells, name
    alice = students["alice"]
    nb = alice.get_notebook(path)
    nbg._edit(nb, "solution_01", nbg.FLATTEN_OK)
    nbg._edit(nb, "solution_02", nbg.MEAN_OK)
    alice.put_notebook(path, nb)
    for name in ("alice", "bob"):
        submitted = students[name].api("POST", "/assignments/submit", body)
        assert submitted.get("success", True), submitted
        statuses = {a["status"] for a in submitted["value"]}
        assert "submitted" in statuses, submitted

    # the simple spawner runs every student as the hub's unix user: nbgrader's owner check would
    # warn that the hub's user, not alice, owns alice's submission
    _instructor(course, hub, "collect", LESSON, "--CollectApp.check_owner=False")
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice", "bob"]
    nbg._nbgrader(course, "autograde", LESSON, "--force")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {name: {grade_id: gb.find_grade(grade_id, LESSON, LESSON, name).score
                         for grade_id in (nbg.A, nbg.B)} for name in ("alice", "bob")}
        totals = {name: gb.find_submission(LESSON, name).score for name in ("alice", "bob")}
    print("\ngradebook:", scores, totals)
    assert scores == {"alice": {nbg.A: 1, nbg.B: 1}, "bob": {nbg.A: 0, nbg.B: 0}}
    assert totals == {"alice": 2, "bob": 0}
