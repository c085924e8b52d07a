"""`make lab` serves the student's working copy: run headless, it copies the notebooks, GET / goes
to lesson 00, and the server runs with the course's settings. Unit tests of those settings below."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from aelab import lab_server

from conftest import ROOT
from lab_harness import lab_flags


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command_lines(session: int) -> list[list[bytes]]:
    """Argument lists of the processes in a session (Linux /proc)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.getsid(int(pid)) == session:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    found.append(f.read().split(b"\0"))
        except OSError:
            continue
    return found


@contextlib.contextmanager
def _make_server(target: str, tmp_path, ready_path: str, **env_vars):
    """Run ``make <target>`` headless on a free port (its own session, killed afterwards) and wait
    until ``ready_path`` answers 200; yields (process, port, token)."""
    port, token = _free_port(), "aelab-test-token"
    env = dict(os.environ, HEADLESS="1", PORT=str(port), TOKEN=token,
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               **env_vars)
    log = open(tmp_path / f"{target}.log", "w+")
    proc = subprocess.Popen(["make", "--no-print-directory", target], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, status = time.monotonic() + 90, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}?token={token}", timeout=5) as r:
                    status = r.status
                    break
            except OSError:
                time.sleep(0.5)
        log.seek(0)
        assert status == 200, f"make {target}: {ready_path} did not answer:\n{log.read()[-3000:]}"
        yield proc, port, token
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _root_redirect(port: int, token: str) -> str:
    """Where the server's root page redirects to."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(NoRedirect).open(f"http://127.0.0.1:{port}/?token={token}")
    return redirect.value.headers["Location"]


def _server_args(proc, port: int) -> bytes:
    """The command line of the Jupyter server that make started on ``port``."""
    servers = [args for args in _command_lines(session=proc.pid)
               if f"--ServerApp.port={port}".encode() in args]
    assert servers, "no Jupyter server process found in make's session"
    return servers[0]


@pytest.mark.slow
def test_make_lab_headless_serves_the_course(tmp_path):
    mine = tmp_path / "my-notebooks"
    with _make_server("lab", tmp_path, "/lab", WORKSPACE=str(mine)) as (proc, port, token):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/pytorch?token={token}") as r:
            listing = {item["name"] for item in json.load(r)["content"]}
        assert "00_welcome.ipynb" in listing and "solutions" in listing
        assert (mine / "pytorch" / "00_welcome.ipynb").exists(), "the working copy was not made"
        # the root redirects to lesson 00 of the working copy
        assert _root_redirect(port, token).startswith("/lab/tree/pytorch/00_welcome.ipynb")
        # the server runs with the course's settings (aelab.lab_server) in the working copy
        args = _server_args(proc, port)
        assert all(flag.encode() in args for flag in lab_flags(mine)), args
        venv = ROOT / os.environ.get("VENV", sys.prefix)   # the environment make used
        assert (lab_server.app_settings_dir(venv) / "overrides.d" / "aelab.json").exists()


@pytest.mark.slow
def test_make_explore_headless_serves_the_explorer(tmp_path):
    """`make explore` starts a Jupyter server with the settings of `make lab` whose first page is
    Voila's page of notebooks/explore.ipynb (tests/test_browser_explorer.py drives the page)."""
    with _make_server("explore", tmp_path, "/api/status") as (proc, port, token):
        assert _root_redirect(port, token).startswith(f"/voila/render/{lab_server.EXPLORER}")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token={token}") as r:
            assert lab_server.EXPLORER in {item["name"] for item in json.load(r)["content"]}
        args = _server_args(proc, port)
        assert all(flag.encode() in args for flag in lab_server.explore_flags()), args
        assert b"--ServerApp.ip=127.0.0.1" in args and b"--no-browser" in args


def test_explore_flags_are_the_lab_settings_plus_the_explorer_page():
    flags = lab_server.explore_flags()
    assert flags[:len(lab_server.SERVER_FLAGS)] == list(lab_server.SERVER_FLAGS)
    assert flags[-1] == "--ServerApp.default_url=/voila/render/explore.ipynb"
    assert (ROOT / "notebooks" / lab_server.EXPLORER).is_file()
    out = subprocess.run([sys.executable, "-m", "aelab.lab_server", "--explore"], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    assert out.split() == flags


# --- the course's settings, without starting a server ---------------------------------------

def _ping_warnings(settings: dict, caplog) -> list[str]:
    """What tornado logs when it reads the ping settings of a kernel websocket handler with
    the server's tornado ``settings`` (the handler's properties, as tornado's protocol reads them)."""
    import logging

    from jupyter_server.base.websocket import WebSocketMixin
    from tornado import websocket

    class Handler(WebSocketMixin):
        pass

    handler = Handler()
    handler.settings = settings

    class Protocol:   # tornado's protocol: its params come from the handler's properties
        ping_interval = websocket.WebSocketProtocol13.ping_interval
        ping_timeout = websocket.WebSocketProtocol13.ping_timeout
        params = websocket._WebSocketParams(ping_interval=handler.ping_interval,
                                            ping_timeout=handler.ping_timeout)

    websocket.de_dupe_gen_log.cache_clear()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tornado.general"):
        Protocol().ping_timeout
    return [r.getMessage() for r in caplog.records if "websocket_ping_timeout" in r.getMessage()]


def test_default_server_settings_make_tornado_warn_and_the_course_settings_do_not(caplog):
    from jupyter_server.serverapp import ServerApp

    assert _ping_warnings({}, caplog) == [
        "The websocket_ping_timeout (90000) cannot be longer than the websocket_ping_interval "
        "(30000).\nSetting websocket_ping_timeout=30000"]
    app = ServerApp()
    app.parse_command_line([lab_server.PING_FLAG])
    assert app.tornado_settings == {"ws_ping_interval": 0}   # an integer, not the string "0"
    assert _ping_warnings(dict(app.tornado_settings), caplog) == []
    assert lab_server.PING_FLAG in lab_server.SERVER_FLAGS
    assert lab_server.server_config()["ServerApp"]["tornado_settings"] == {"ws_ping_interval": 0}


def test_lab_settings_turn_the_news_popup_off_in_the_environment_only(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = lab_server.install_lab_settings(tmp_path / "venv")
    assert path == tmp_path / "venv" / "share" / "jupyter" / "lab" / "settings" / "overrides.d" / "aelab.json"
    settings = json.loads(path.read_text())
    # "none" (JupyterLab's default) is what makes it ask; "false" answers it
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert not (tmp_path / "home").exists(), "nothing written to the user's ~/.jupyter"
    # JupyterLab reads it as an override of the plugin's defaults, and the schema accepts it
    from jupyterlab_server.settings_utils import _get_overrides

    overrides, error = _get_overrides(str(path.parent.parent))
    assert error == "" and overrides == lab_server.LAB_SETTINGS
    schema = json.loads((Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas" / "@jupyterlab"
                         / "apputils-extension" / "notification.json").read_text())
    assert {"const": "false", "title": "Never"} in schema["properties"]["fetchNews"]["oneOf"]
    assert set(settings["@jupyterlab/apputils-extension:notification"]) <= set(schema["properties"])
    assert lab_server.install_lab_settings(tmp_path / "venv") == path   # idempotent


def test_lab_flags_open_lesson_00_of_the_track_in_the_working_copy():
    flags = lab_flags("my-notebooks", "keras")
    assert flags[:len(lab_server.SERVER_FLAGS)] == list(lab_server.SERVER_FLAGS)
    assert "--ServerApp.root_dir=my-notebooks" in flags
    assert "--LabApp.default_url=/lab/tree/keras/00_welcome.ipynb" in flags
    with pytest.raises(ValueError, match="track"):
        lab_flags("my-notebooks", "jax")


def test_make_lab_passes_the_same_options_as_lab_flags():
    """`make -n lab` (print, do not run) shows the working copy, lesson 00 and the settings."""
    out = subprocess.run(["make", "-n", "--no-print-directory", "-o", ".venv/.aelab-installed", "lab",
                          "TRACK=keras", "HEADLESS=1", "TOKEN=abc"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "-m aelab.workspace 'my-notebooks'" in out
    assert "-m aelab.lab_server --install-settings" in out
    assert "--ServerApp.root_dir='my-notebooks'" in out
    assert "--LabApp.default_url=/lab/tree/keras/00_welcome.ipynb" in out
    assert "--ServerApp.ip=127.0.0.1" in out and "--IdentityProvider.token='abc'" in out
    update = subprocess.run(["make", "-n", "--no-print-directory", "-o", ".venv/.aelab-installed",
                             "update-notebooks"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "-m aelab.workspace 'my-notebooks'" in update


def test_remote_use_is_documented_with_an_ssh_tunnel():
    """HEADLESS=1 listens on 127.0.0.1 only; the README says how to reach it from elsewhere."""
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "$(if $(HEADLESS),--no-browser --ServerApp.ip=127.0.0.1,)" in makefile
    remote = readme[readme.index("## Remote use"):]
    assert "ssh -N -L 8888:127.0.0.1:8888" in remote and "make lab HEADLESS=1 TOKEN=" in remote
