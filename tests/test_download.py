"""The downloader against a real HTTP server on 127.0.0.1: good, corrupt, truncated, dead mirrors.

No test touches the internet: every URL points at a server this test starts on the loopback.
"""

import gzip
import hashlib
import http.server
import socket
import threading

import numpy as np
import pytest

from aelab import data
from aelab.data import DataFileError, FileSpec

CONTENT = bytes(range(256)) * 400  # 102,400 bytes of "dataset"
SPEC = FileSpec("toy-data-idx1-ubyte", len(CONTENT), hashlib.sha256(CONTENT).hexdigest())
GOOD = gzip.compress(CONTENT)
CORRUPT = gzip.compress(CONTENT[:-1] + b"\x00")  # valid gzip, wrong content


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}
    requests: list = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.requests.append(self.path)
        kind, payload = self.routes.get(self.path, ("missing", b""))
        if kind == "missing":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if kind == "truncated":
            self.wfile.write(payload[: len(payload) // 3])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A threaded HTTP server on 127.0.0.1; returns (base URL, routes dict, request log)."""
    routes, requests = {}, []
    handler = type("Handler", (_Handler,), {"routes": routes, "requests": requests})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", routes, requests
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def dead_mirror():
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/mirror/"


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part") or p.name.startswith("."))


def test_good_mirror(server, tmp_path, capsys):
    base, routes, _ = server
    routes["/a/toy-data-idx1-ubyte.gz"] = ("ok", GOOD)
    paths = data.download_mnist(tmp_path, files=[SPEC], mirrors=[base + "/a/"])
    target = tmp_path / "toy-data-idx1-ubyte.gz"
    assert paths == {SPEC.name: target}
    assert gzip.decompress(target.read_bytes()) == CONTENT
    assert _leftovers(tmp_path) == []
    assert "toy-data-idx1-ubyte.gz" in capsys.readouterr().err  # the progress bar names the file


@pytest.mark.parametrize("first", ["corrupt", "truncated", "missing", "dead"])
def test_bad_first_mirror_falls_back_to_next(first, server, dead_mirror, tmp_path):
    base, routes, requests = server
    routes["/good/toy-data-idx1-ubyte.gz"] = ("ok", GOOD)
    if first == "dead":
        mirrors = [dead_mirror, base + "/good/"]
    else:
        routes["/bad/toy-data-idx1-ubyte.gz"] = {"corrupt": ("ok", CORRUPT),
                                                 "truncated": ("truncated", GOOD),
                                                 "missing": ("missing", b"")}[first]
        mirrors = [base + "/bad/", base + "/good/"]
    data.download_mnist(tmp_path, files=[SPEC], mirrors=mirrors, progress=False)
    assert gzip.decompress((tmp_path / "toy-data-idx1-ubyte.gz").read_bytes()) == CONTENT
    assert requests[-1] == "/good/toy-data-idx1-ubyte.gz"
    if first != "dead":
        assert requests[0] == "/bad/toy-data-idx1-ubyte.gz"
    assert _leftovers(tmp_path) == []


def test_all_mirrors_fail_leaves_nothing_behind(server, dead_mirror, tmp_path):
    base, routes, _ = server
    routes["/c/toy-data-idx1-ubyte.gz"] = ("ok", CORRUPT)
    routes["/t/toy-data-idx1-ubyte.gz"] = ("truncated", GOOD)
    with pytest.raises(DataFileError) as info:
        data.download_mnist(tmp_path, files=[SPEC], mirrors=[base + "/c/", base + "/t/", dead_mirror],
                            progress=False)
    message = str(info.value)
    assert message.count("http://127.0.0.1") == 3  # each mirror and what went wrong
    assert "checksum" in message
    assert list(tmp_path.iterdir()) == []


def test_failed_download_keeps_existing_file_untouched(server, tmp_path):
    base, routes, _ = server
    routes["/c/toy-data-idx1-ubyte.gz"] = ("ok", CORRUPT)
    target = tmp_path / "toy-data-idx1-ubyte.gz"
    target.write_bytes(b"an old, broken copy")
    with pytest.raises(DataFileError):
        data.download_mnist(tmp_path, files=[SPEC], mirrors=[base + "/c/"], progress=False)
    assert target.read_bytes() == b"an old, broken copy"
    assert _leftovers(tmp_path) == []


def test_valid_file_is_not_downloaded_again_unless_forced(server, tmp_path):
    base, routes, requests = server
    routes["/a/toy-data-idx1-ubyte.gz"] = ("ok", GOOD)
    data.download_mnist(tmp_path, files=[SPEC], mirrors=[base + "/a/"], progress=False)
    data.download_mnist(tmp_path, files=[SPEC], mirrors=[base + "/a/"], progress=False)
    assert len(requests) == 1
    data.download_mnist(tmp_path, files=[SPEC], mirrors=[base + "/a/"], progress=False, force=True)
    assert len(requests) == 2


def test_no_mirrors_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="mirror"):
        data.download_mnist(tmp_path, files=[SPEC], mirrors=[])


def test_download_mnist_end_to_end(server, tmp_path, monkeypatch, isolated_cache):
    """A student who deleted data/ gets verified MNIST back from a mirror, then loads it."""
    base, routes, _ = server
    for spec in data.MNIST_FILES.values():
        routes[f"/mnist/{spec.name}.gz"] = ("ok", (data._REPO_DATA / f"{spec.name}.gz").read_bytes())
    folder = tmp_path / "fresh"
    monkeypatch.setenv("AELAB_DATA", str(folder))
    with pytest.raises(DataFileError, match="missing"):
        data.load_mnist("test")
    data.download_mnist(mirrors=[base + "/mnist/"], progress=False)
    images, labels = data.load_mnist("test")
    assert images.shape == (10_000, 28, 28) and labels[0] == 7
    assert np.isclose(images.mean(), 0.1325, atol=1e-3)
