"""Drive the aelab latent sliders in a real JupyterLab with headless Chromium (Playwright).

Shared by ``tests/test_browser.py`` (asserts behaviour) and ``benchmarks/browser_latency.py``
(prints timings). Not a test module itself.

- ``JupyterLab``: a private server on 127.0.0.1 (free port, random token, its own temporary
  runtime/config/data/settings/workspaces dirs, idle kernels culled, ``--allow-root`` as root,
  the settings of ``aelab.lab_server``).
  Sessions and kernels are deleted through the REST API, so reopening a notebook never
  reattaches an old kernel.
- ``open_and_run_all``: opens a notebook, clicks Run > Run All Cells, waits for the widget.
- ``SliderPage``: drags a slider with real mouse events, reads the grey levels drawn on the
  image's ``<canvas>``, and measures mousemove -> new image drawn -> next animation frame.
- ``lab_flags``: the ``jupyter lab`` options ``make lab`` passes, for tests that start a server
  as it does.
- ``kernel_decode``: asks the notebook's kernel (via its connection file, a second client)
  for ``decode(z)``, so the test process never imports torch or tensorflow.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
import numpy as np

CHROMIUM = os.environ.get("AELAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def lab_flags(root, track: str = "pytorch") -> list[str]:
    """The ``jupyter lab`` options ``make lab`` passes (the Makefile spells them in shell):
    ``aelab.lab_server.SERVER_FLAGS``, the working copy ``root`` as the server's root, and
    ``<track>/00_welcome.ipynb`` in it as the page JupyterLab opens on."""
    from aelab.lab_server import SERVER_FLAGS

    if track not in ("pytorch", "keras"):
        raise ValueError(f"track must be pytorch or keras, got {track!r}")
    return [*SERVER_FLAGS, f"--ServerApp.root_dir={root}",
            f"--LabApp.default_url=/lab/tree/{track}/00_welcome.ipynb"]


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and os.access(CHROMIUM, os.X_OK)


HOW_TO_ENABLE = ("install Debian's chromium (`sudo apt-get install chromium`, as .ci/run does) "
                 "or point AELAB_CHROMIUM at a Chromium binary")


def require_browser() -> None:
    """In a test: skip it when Playwright or Chromium is missing, with how to enable it; under
    CI=true fail instead, since CI must run the browser tests."""
    import pytest

    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "the Python package playwright is not installed (`make venv` installs it)"
    if problem is None and not chromium_available():
        problem = f"no Chromium at {CHROMIUM}: {HOW_TO_ENABLE}"
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser test cannot run in CI: {problem}")
        pytest.skip(f"browser test skipped: {problem}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerSessions:
    """What a Jupyter server's notebook sessions offer a test, given the server's ``api(method,
    path)``: shared by :class:`JupyterLab` and test_hub's per-student servers."""

    def wait_kernel_idle(self, notebook: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for s in self.api("GET", "/api/sessions"):
                if s["path"].endswith(notebook) and s["kernel"]["execution_state"] == "idle":
                    return
            time.sleep(0.2)
        raise TimeoutError(f"the kernel of {notebook} did not become idle in {timeout:.0f} s")


class JupyterLab(ServerSessions):
    """A throw-away JupyterLab server serving a temporary copy of ``notebooks``.

    ``nodelay`` / ``track_comm``: the two settings of ``aelab.lab_server`` (on / off by default);
    ``server_args``: more command-line options; ``extra_env``: more environment variables for
    the server and its kernels; ``news_setting``: turn the "Jupyter news?" pop-up off in the
    server's private user settings (False: leave the settings alone, for a test of the course's
    own JupyterLab settings); ``root``: serve this existing folder instead of a temporary one;
    ``app``: the module that runs the server (``jupyter_server`` for ``make explore``'s server,
    which serves Voila pages and JupyterLab alike).
    """

    def __init__(self, notebooks, *, threads: int = 1, startup_timeout: float = 60.0,
                 nodelay: bool = True, track_comm: bool = False, server_args=(), extra_env=None,
                 news_setting: bool = True, root=None, app: str = "jupyterlab"):
        self.tmp = Path(tempfile.mkdtemp(prefix="aelab-lab-"))
        self.root = self.tmp / "root" if root is None else Path(root)
        self.root.mkdir(exist_ok=True)
        for nb in notebooks:
            shutil.copy(nb, self.root / Path(nb).name)
        self.port = free_port()
        self.token = base64.b32encode(os.urandom(15)).decode().lower()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        for name in ("runtime", "config", "data"):
            (self.tmp / name).mkdir()
        env.update(JUPYTER_RUNTIME_DIR=str(self.tmp / "runtime"),
                   JUPYTER_CONFIG_DIR=str(self.tmp / "config"),
                   JUPYTER_DATA_DIR=str(self.tmp / "data"),
                   JUPYTERLAB_SETTINGS_DIR=str(self.tmp / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.tmp / "workspaces"),
                   IPYTHONDIR=str(self.tmp / "ipython"),
                   AELAB_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
        env.pop("AELAB_QUICK", None)
        # the notebooks' kernels import the tiny decoders of tests/fixtures
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FIXTURES), env.get("PYTHONPATH")]))
        env.update(extra_env or {})
        cmd = [sys.executable, "-m", app, "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root}",
               "--MappingKernelManager.cull_idle_timeout=300",
               "--MappingKernelManager.cull_interval=60",
               "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        from aelab.lab_server import PING_FLAG, SERVER_FLAG, UNTRACKED_FLAGS

        # As `make lab` should run it (aelab.lab_server.SERVER_FLAGS): no Nagle delay on the
        # kernel websocket, widget messages not tracked as kernel activity. The options turn
        # each one off, for benchmarks/browser_latency.py to measure what it changes.
        if nodelay:
            cmd.append(SERVER_FLAG)
        if not track_comm:
            cmd += UNTRACKED_FLAGS
        cmd.append(PING_FLAG)   # as `make lab`: no false websocket-ping warning in the log
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        cmd += list(server_args)
        # no "official Jupyter news?" toast over the notebook
        if news_setting:
            notification = self.tmp / "settings" / "@jupyterlab" / "apputils-extension"
            notification.mkdir(parents=True)
            (notification / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
        self.log = open(self.tmp / "server.log", "wb")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.root, start_new_session=True)
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                self.api("GET", "/api/status")
                break
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError(f"JupyterLab did not start; log:\n{self.server_log()}")
                time.sleep(0.3)

    def api(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            text = resp.read()
        return json.loads(text) if text else None

    def lab_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?reset&token={self.token}"

    def delete_sessions(self) -> None:
        """Delete every session (shuts its kernel down) and any kernel left without one."""
        for s in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{s['id']}")
        for k in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{k['id']}")

    def connection_file(self, notebook: str) -> Path:
        for s in self.api("GET", "/api/sessions"):
            if s["path"].endswith(notebook):
                return self.tmp / "runtime" / f"kernel-{s['kernel']['id']}.json"
        raise RuntimeError(f"no session for {notebook}")

    def server_log(self) -> str:
        try:
            return (self.tmp / "server.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.delete_sessions()
            except Exception:
                pass
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


LATENT_CANVAS = ".aelab-latent-image canvas"


def open_and_run_all(page, lab: JupyterLab, notebook: str, *, ready: str = f"{LATENT_CANVAS}[data-frame]",
                     count: int = 1, scroll_to: str | None = LATENT_CANVAS, timeout_ms: int = 90_000):
    """Open ``notebook`` in JupyterLab, Run All, wait until ``count`` elements match the CSS
    selector ``ready`` (default: the latent-slider image, drawn), scroll ``scroll_to`` into view."""
    page.goto(lab.lab_url(notebook))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout_ms)
    lab.wait_kernel_idle(notebook, timeout=timeout_ms / 1000)  # Run All needs a live kernel
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.click("li[data-command='runmenu:run-all']")
    page.wait_for_function(f"() => document.querySelectorAll({json.dumps(ready)}).length >= {int(count)}",
                           timeout=timeout_ms)
    if scroll_to:
        page.locator(scroll_to).first.scroll_into_view_if_needed()


# In the page: the time of the last mousemove, and for each new image drawn on the canvas, the
# time it was drawn (the view sets data-frame right after putImageData, in the same task) and the
# time of the next animation frame, the one that puts it on screen.
_INSTRUMENT = """
(selector) => {
  const canvas = document.querySelector(selector);
  window.__aelab = {events: [], lastMove: null};
  document.addEventListener('mousemove', () => { window.__aelab.lastMove = performance.now(); }, true);
  new MutationObserver(() => {
    const t0 = window.__aelab.lastMove, tdraw = performance.now(), frame = canvas.dataset.frame;
    requestAnimationFrame(() => {
      window.__aelab.events.push({t0: t0, tdraw: tdraw, t1: performance.now(), frame: frame});
    });
  }).observe(canvas, {attributes: true, attributeFilter: ['data-frame']});
}
"""

# The grey levels on a PixelImage canvas (one canvas pixel per image pixel), row by row.
_CANVAS_PIXELS = """
(canvas) => {
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const grey = [];
  for (let i = 0; i < d.length; i += 4) grey.push(d[i]);
  return {width: canvas.width, height: canvas.height, grey: grey};
}
"""


def canvas_pixels(canvas) -> np.ndarray:
    """uint8 grey image (H, W) drawn on the canvas of an aelab PixelImage (a Playwright locator)."""
    got = canvas.evaluate(_CANVAS_PIXELS)
    return np.array(got["grey"], dtype=np.uint8).reshape(got["height"], got["width"])


def canvas_frame(canvas) -> str | None:
    """How many images the canvas has drawn (its data-frame counter), None before the first."""
    return canvas.get_attribute("data-frame")


def settle_canvases(page, canvases, *, quiet_ms: int = 400, timeout_ms: int = 10_000) -> None:
    """Wait until none of ``canvases`` (locators) has drawn a new image for ``quiet_ms``."""
    deadline = time.monotonic() + timeout_ms / 1000
    last, since = [canvas_frame(c) for c in canvases], time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(50)
        now = [canvas_frame(c) for c in canvases]
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > quiet_ms / 1000:
            return
    raise TimeoutError("the image kept changing")


class SliderPage:
    """The latent sliders of an opened notebook, driven with real mouse events."""

    def __init__(self, page):
        self.page = page
        self.canvas = page.locator(LATENT_CANVAS)
        self.sliders = page.locator(".aelab-latent-slider")
        page.evaluate(_INSTRUMENT, LATENT_CANVAS)

    def pixels(self) -> np.ndarray:
        """The grey levels shown, uint8 (H, W)."""
        return canvas_pixels(self.canvas)

    def frame(self) -> str | None:
        return canvas_frame(self.canvas)

    def values(self) -> np.ndarray:
        """Slider values as shown by their readouts."""
        texts = self.sliders.locator(".widget-readout").all_inner_texts()
        # d3-format writes negative numbers with a unicode minus sign
        return np.array([float(t.replace("\u2212", "-")) for t in texts], dtype=np.float32)

    def handle_center(self, i: int):
        box = self.sliders.nth(i).locator(".noUi-handle").bounding_box()
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    def drag_steps(self, i: int, dxs, *, wait_each: bool, timeout_ms: int = 10_000):
        """Press the handle of slider ``i``, move by each dx in turn, release.

        wait_each=True waits for a new image after each move (one event in flight: latency
        measurement); False moves as fast as the mouse events go (coalescing test).
        """
        x, y = self.handle_center(i)
        m = self.page.mouse
        m.move(x, y)
        m.down()
        for dx in dxs:
            before = self.frame()
            x += dx
            m.move(x, y)
            if wait_each:
                self.page.wait_for_function(
                    "([sel, f]) => document.querySelector(sel).dataset.frame !== f",
                    arg=[LATENT_CANVAS, before], timeout=timeout_ms)
        m.up()

    def settle(self, quiet_ms: int = 400, timeout_ms: int = 10_000) -> None:
        """Wait until no new image has been drawn for ``quiet_ms``."""
        settle_canvases(self.page, [self.canvas], quiet_ms=quiet_ms, timeout_ms=timeout_ms)

    def latencies_ms(self, until: str = "t1") -> np.ndarray:
        """Per new image (ms): mousemove -> the animation frame that shows it (``until="t1"``),
        or mousemove -> drawn on the canvas (``until="tdraw"``)."""
        events = self.page.evaluate("() => window.__aelab.events")
        return np.array([e[until] - e["t0"] for e in events if e["t0"] is not None])

    def clear_latencies(self) -> None:
        self.page.evaluate("() => { window.__aelab.events = []; }")


def kernel_execute(connection_file: Path, code: str, timeout: float = 30.0) -> str:
    """Run ``code`` in the notebook's kernel (as a second client) and return its stdout."""
    from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient()
    client.load_connection_file(str(connection_file))
    client.start_channels()
    try:
        client.wait_for_ready(timeout=timeout)
        out = []
        reply = client.execute_interactive(
            code, timeout=timeout, store_history=False,
            output_hook=lambda msg: out.append(msg["content"].get("text", ""))
            if msg["msg_type"] == "stream" else None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel error: {reply['content'].get('evalue')}")
        return "".join(out)
    finally:
        client.stop_channels()


def kernel_decode(connection_file: Path, z) -> np.ndarray:
    """(decode(z) as the widget's grey levels (28, 28) uint8, the kernel's ``sliders.code``)."""
    code = ("import json as _j, numpy as _np\n"
            f"_z = _np.array([{list(map(float, z))}], dtype=_np.float32)\n"
            "_im = _np.asarray(decode(_z), dtype=_np.float32).reshape(28, 28)\n"
            "print(_j.dumps((_np.clip(_im * 255 + 0.5, 0, 255)).astype(int).tolist()))\n"
            "print(_j.dumps(sliders.code.tolist()))")
    image_line, code_line = kernel_execute(connection_file, code).strip().splitlines()[-2:]
    return np.array(json.loads(image_line), dtype=np.uint8), np.array(json.loads(code_line))


def use_pretrained(nb, lesson: str) -> None:
    """Flip the lesson notebook ``nb``'s one ``USE_PRETRAINED = False`` to True, in place (what a
    teacher does in front of a class): its models then load the course's weights."""
    flags = [c for c in nb.cells if c.cell_type == "code" and "USE_PRETRAINED = False" in c.source]
    assert len(flags) == 1, f"{lesson} should set USE_PRETRAINED = False in one cell"
    flags[0].source = flags[0].source.replace("USE_PRETRAINED = False", "USE_PRETRAINED = True")


def quick_solution_copy(lesson: str, framework: str, folder, *, pretrained: bool = False) -> str:
    """The solution notebook of ``lesson`` (e.g. "05_variational_autoencoder") in the track of
    ``framework`` ("torch" or "keras"), written into ``folder`` with a first cell that switches on
    quick mode and one thread; returns the copy's file name. ``pretrained=True`` also switches
    the lesson's pretrained weights on (:func:`use_pretrained`)."""
    track = {"torch": "pytorch", "keras": "keras"}[framework]
    source = ROOT / "notebooks" / track / "solutions" / f"{lesson}_solution.ipynb"
    nb = nbformat.read(source, as_version=4)
    if pretrained:
        use_pretrained(nb, lesson)
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        'import os\nos.environ["AELAB_QUICK"] = "1"\nos.environ["AELAB_THREADS"] = "1"'))
    name = f"lesson{lesson[:2]}_{framework}.ipynb"
    nbformat.write(nb, Path(folder) / name)
    return name


@contextlib.contextmanager
def quick_solution_lab(lesson: str, folder, *, pretrained: bool = False):
    """A JupyterLab serving quick copies (:func:`quick_solution_copy`, with ``pretrained``) of
    ``lesson``'s solution notebook in both tracks, written into ``folder``; ``server.notebooks``
    maps "torch" and "keras" to the copies' names. Closed on exit."""
    require_browser()
    names = {fw: quick_solution_copy(lesson, fw, folder, pretrained=pretrained) for fw in ("torch", "keras")}
    server = JupyterLab([Path(folder) / name for name in names.values()])
    server.notebooks = names
    try:
        yield server
    finally:
        server.close()


class LessonPage:
    """A lesson's latent widgets on a JupyterLab page (canvases and sliders in notebook order),
    and its kernel, asked through a second client for what the model decodes."""

    def __init__(self, page, lab, notebook):
        self.page, self.lab, self.notebook = page, lab, notebook
        self.latent_images = page.locator(LATENT_CANVAS)
        self.sliders = page.locator(".aelab-latent-slider")

    def kernel(self, code: str):
        """Run code in the notebook's kernel; it must print one JSON line, returned parsed."""
        out = kernel_execute(self.lab.connection_file(self.notebook), code, timeout=60)
        return json.loads(out.strip().splitlines()[-1])

    def shown(self, canvas) -> np.ndarray:
        """The grey levels drawn on an image's canvas, (H, W)."""
        return canvas_pixels(canvas).astype(int)

    def settle(self, canvas, quiet_ms: int = 500, timeout_s: float = 20.0) -> None:
        """Wait until ``canvas`` has drawn no new image for ``quiet_ms``."""
        settle_canvases(self.page, [canvas], quiet_ms=quiet_ms, timeout_ms=int(timeout_s * 1000))

    def slider_values(self, first: int, count: int) -> np.ndarray:
        texts = [self.sliders.nth(i).locator(".widget-readout").inner_text()
                 for i in range(first, first + count)]
        return np.array([float(t.replace("\u2212", "-")) for t in texts], np.float32)

    def drag(self, slider, dx: float, steps: int = 6) -> None:
        handle = slider.locator(".noUi-handle")
        handle.hover()   # scrolls it into view and waits until it is visible and stable
        self.page.wait_for_timeout(200)
        box = handle.bounding_box()
        viewport = self.page.viewport_size
        assert 0 <= box["y"] <= viewport["height"], f"slider handle off screen: {box}"
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        for k in range(1, steps + 1):
            self.page.mouse.move(x + dx * k / steps, y)
            self.page.wait_for_timeout(30)
        self.page.mouse.up()


def grey(values) -> np.ndarray:
    """Decoder output in [0, 1] -> the widget's grey levels 0..255."""
    return np.clip(np.asarray(values, np.float32) * 255 + 0.5, 0, 255).astype(int)


def assert_same_image(shown: np.ndarray, expected: np.ndarray, what: str) -> None:
    assert shown.shape == expected.shape == (28, 28), (shown.shape, expected.shape)
    worst = np.abs(shown - expected).max()
    assert worst <= 1, f"{what}: the page shows an image up to {worst} grey levels off the model's"
