"""`make explore`: time to the first digit painted, and drag latency, in headless Chromium.

  startup        runs `make explore HEADLESS=1` (Chromium already started, as a student's browser
                 would be), then opens the Voila page as soon as the server answers; prints the
                 time from starting make to the server answering, to the page's HTML, and to the
                 first digit drawn on a canvas (the 2-D VAE's sliders), in seconds.
  step latency   on that page, drags slider z[0] of the 2-D VAE and of the 16-D VAE (the real
                 lesson 05 decoders, pretrained) one mouse move at a time, waiting for each new
                 image: mousemove -> image drawn on the canvas, and -> the next animation frame
                 (on screen), median and p95 over --steps moves, as
                 benchmarks/browser_latency.py measures them in JupyterLab. The explorer decodes
                 in the page (``latent_sliders(..., browser_decoder=...)``, JavaScript): "drawn"
                 is then the page's own work, slider event + decode + canvas; with kernel-side
                 decoding (an explorer without browser_decoder=) it includes the round trip.
  timeline       with --timeline, whether the kernel took part, from the kernel websocket's
                 messages (hooked in the page before it loads): how many moves had an image
                 message from the kernel between the mousemove and the draw (none when the page
                 decodes). For those that had, where the "drawn" time went, with the kernel's own
                 message timestamps (header "date", the same machine clock):
                   move -> sent      mousemove -> the slider's update leaves the page
                   sent -> kernel    -> the kernel's "busy" status: server + ZMQ + dispatch
                   kernel handler    "busy" -> the new image's message made in the kernel
                   kernel -> page    -> that message arrives in the page: ZMQ + server
                   page -> drawn     -> the canvas drawn (the widget front ends' work)

Usage (a timing run, so under the shared lock):
    flock /tmp/aelab-heavy.lock .venv/bin/python benchmarks/explorer_latency.py [--steps 80]
Extra arguments for make after `--`, e.g. `-- VENV=/path/to/venv`. From a second checkout (a git
worktree) using another checkout's environment, keep make from reinstalling it into this one:
    PYTHONPATH=$PWD python benchmarks/explorer_latency.py -- VENV=/path/.venv -o /path/.venv/.aelab-installed
"""

from __future__ import annotations

import argparse
import base64
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from lab_harness import LATENT_CANVAS, chromium_available, launch_browser  # noqa: E402

# In the page: for each new image drawn on canvas number `index` of the latent sliders, the time
# of the last mousemove, the time it was drawn (data-frame changes right after putImageData) and
# the time of the next animation frame.
INSTRUMENT = """
([selector, index]) => {
  const canvas = document.querySelectorAll(selector)[index];
  window.__aelab = {events: [], lastMove: null, canvas: canvas};
  document.addEventListener('mousemove', () => { window.__aelab.lastMove = performance.now(); }, true);
  new MutationObserver(() => {
    const t0 = window.__aelab.lastMove, tdraw = performance.now();
    requestAnimationFrame(() => window.__aelab.events.push({t0: t0, tdraw: tdraw, t1: performance.now()}));
  }).observe(canvas, {attributes: true, attributeFilter: ['data-frame']});
}
"""


# Before the page's scripts: every kernel websocket message, sent or received, with the page's
# time in epoch milliseconds, its msg_type, the widget method and the header's date (kernel
# messages: when the kernel made them). Both wire formats are read by searching the text.
TIMELINE = """
(() => {
  const log = window.__aelabWire = [];
  const now = () => performance.timeOrigin + performance.now();
  const dec = new TextDecoder('utf-8', {fatal: false});
  function note(dir, data, t) {
    let text = typeof data === 'string' ? data : dec.decode(data instanceof ArrayBuffer ? new Uint8Array(data, 0, Math.min(data.byteLength, 4096)) : data);
    const type = (text.match(/"msg_type":\\s*"(\\w+)"/) || [])[1];
    const method = (text.match(/"method":\\s*"(\\w+)"/) || [])[1];
    const state = (text.match(/"execution_state":\\s*"(\\w+)"/) || [])[1];
    const date = (text.match(/"date":\\s*"([^"]+)"/) || [])[1];
    log.push({dir, t, type, method, state, date});
  }
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    const send = ws.send.bind(ws);
    ws.send = (data) => { note('out', data, now()); return send(data); };
    ws.addEventListener('message', (ev) => note('in', ev.data, now()));
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  document.addEventListener('mousemove', () => { window.__aelabMove = now(); }, true);
})();
"""


def _epoch_ms(date: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(date.replace("Z", "+00:00")).timestamp() * 1e3


def timeline(wire: list, draws: list) -> tuple[int, dict]:
    """(how many moves were drawn with no kernel message between move and draw, the stages of
    the module docstring (count, median ms) of the others)."""
    stages = {k: [] for k in ("move -> sent", "sent -> kernel", "kernel handler", "kernel -> page",
                              "page -> drawn")}
    in_page = 0
    for d in draws:
        t0, tdraw = d["t0"], d["tdraw"]
        window = [m for m in wire if t0 <= m["t"] <= tdraw]
        sent = next((m for m in window if m["dir"] == "out" and m["type"] == "comm_msg"), None)
        busy = next((m for m in window if m["dir"] == "in" and m["state"] == "busy"), None)
        image = [m for m in window if m["dir"] == "in" and m["type"] == "comm_msg" and m["method"] == "update"]
        if not image:
            in_page += 1
        if not (sent and busy and image and busy["date"] and image[-1]["date"]):
            continue
        kbusy, kimage = _epoch_ms(busy["date"]), _epoch_ms(image[-1]["date"])
        stages["move -> sent"].append(sent["t"] - t0)
        stages["sent -> kernel"].append(kbusy - sent["t"])
        stages["kernel handler"].append(kimage - kbusy)
        stages["kernel -> page"].append(image[-1]["t"] - kimage)
        stages["page -> drawn"].append(tdraw - image[-1]["t"])
    return in_page, {k: (len(v), float(np.median(v)) if v else float("nan")) for k, v in stages.items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def step_latencies(page, canvas_index: int, slider_index: int, steps: int) -> dict:
    page.evaluate(INSTRUMENT, [LATENT_CANVAS, canvas_index])
    handle = page.locator(".aelab-latent-slider").nth(slider_index).locator(".noUi-handle")
    handle.hover()
    page.wait_for_timeout(300)
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(steps):
        before = page.evaluate("() => window.__aelab.canvas.dataset.frame")
        x += 3 if (k // 20) % 2 == 0 else -3   # stays inside the slider: 20 moves of 3 px
        page.mouse.move(x, y)
        page.wait_for_function("(f) => window.__aelab.canvas.dataset.frame !== f", arg=before, timeout=30_000)
    page.mouse.up()
    page.wait_for_timeout(300)
    events = page.evaluate("() => window.__aelab.events")
    draw = np.array([e["tdraw"] - e["t0"] for e in events if e["t0"] is not None])
    screen = np.array([e["t1"] - e["t0"] for e in events if e["t0"] is not None])
    origin = page.evaluate("() => performance.timeOrigin")
    draws = [{"t0": origin + e["t0"], "tdraw": origin + e["tdraw"]} for e in events if e["t0"] is not None]
    return {"n": len(draw), "draw_median": np.median(draw), "draw_p95": np.percentile(draw, 95),
            "screen_median": np.median(screen), "screen_p95": np.percentile(screen, 95), "draws": draws}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--timeline", action="store_true",
                        help="also say whether the kernel took part, and the stages of kernel-side draws (see above)")
    parser.add_argument("make_args", nargs="*", help="extra make arguments (after --)")
    args = parser.parse_args(argv)
    if not chromium_available():
        print("no Chromium: see tests/lab_harness.py")
        return 1
    from playwright.sync_api import sync_playwright

    port, token = free_port(), base64.b32encode(os.urandom(10)).decode().lower()
    runtime = tempfile.mkdtemp(prefix="aelab-explore-")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=runtime)
    print(f"load average at start: {os.getloadavg()[0]:.1f} (the figures below are wall times)")
    with sync_playwright() as p:
        browser = launch_browser(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        if args.timeline:
            page.add_init_script(TIMELINE)
        start = time.monotonic()
        proc = subprocess.Popen(["make", "--no-print-directory", "explore", "HEADLESS=1", f"PORT={port}",
                                 f"TOKEN={token}", *args.make_args], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() - start > 120:
                        raise RuntimeError("make explore did not start a server")
                    time.sleep(0.1)
            server_up = time.monotonic() - start
            page.goto(f"http://127.0.0.1:{port}/?token={token}", timeout=120_000)   # the default URL
            html = time.monotonic() - start
            page.wait_for_selector(f"{LATENT_CANVAS}[data-frame]", timeout=120_000)
            first = time.monotonic() - start
            print(f"make explore -> server answers {server_up:.1f} s, page loaded {html:.1f} s, "
                  f"first digit painted {first:.1f} s")
            # the last cell (the interpolation) drawn: the kernel is done with the page's cells
            page.wait_for_selector(".aelab-interpolation-image canvas[data-frame]", timeout=120_000)
            page.wait_for_timeout(1000)
            for name, canvas, slider in (("2-D VAE", 0, 0), ("16-D VAE", 1, 2)):
                r = step_latencies(page, canvas, slider, args.steps)
                print(f"{name} drag, {r['n']} moves: mousemove -> drawn median {r['draw_median']:.1f} ms "
                      f"(p95 {r['draw_p95']:.1f}); -> on screen median {r['screen_median']:.1f} ms "
                      f"(p95 {r['screen_p95']:.1f})")
                if args.timeline:
                    wire = page.evaluate("() => window.__aelabWire")
                    in_page, parts = timeline(wire, r["draws"])
                    print(f"    drawn with no kernel message between move and draw: {in_page} of {r['n']} moves")
                    if min(v[0] for v in parts.values()):
                        print("    median ms: " + ", ".join(f"{k} {v[1]:.2f}" for k, v in parts.items())
                              + f" ({min(v[0] for v in parts.values())} moves)")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            browser.close()
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
