"""`make lab` serves the course: run headless, GET /lab answers 200 and lists the notebooks."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import ROOT


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


@pytest.mark.slow
def test_make_lab_headless_serves_the_course(tmp_path):
    port, token = _free_port(), "aelab-test-token"
    env = dict(os.environ, HEADLESS="1", PORT=str(port), TOKEN=token,
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    log = open(tmp_path / "lab.log", "w+")
    proc = subprocess.Popen(["make", "--no-print-directory", "lab"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, status = time.monotonic() + 90, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=5) as r:
                    status = r.status
                    break
            except OSError:
                time.sleep(0.5)
        log.seek(0)
        assert status == 200, f"JupyterLab did not answer on /lab:\n{log.read()[-3000:]}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/pytorch?token={token}") as r:
            listing = {item["name"] for item in json.load(r)["content"]}
        assert "00_welcome.ipynb" in listing and "solutions" in listing
        # the server runs with aelab's settings for fast widgets (aelab.lab_server)
        from aelab import lab_server
        servers = [args for args in _command_lines(session=proc.pid)
                   if f"--ServerApp.port={port}".encode() in args]
        assert servers, "no JupyterLab process found in make's session"
        assert all(flag.encode() in servers[0] for flag in lab_server.SERVER_FLAGS), servers[0]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
