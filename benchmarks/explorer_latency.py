"""`make explore`: time to the first digit painted, and drag latency, in headless Chromium.

  startup        runs `make explore HEADLESS=1` (Chromium already started, as a student's browser
                 would be), then opens the Voila page as soon as the server answers; prints the
                 time from starting make to the server answering, to the page's HTML, and to the
                 first digit drawn on a canvas (the 2-D VAE's sliders), in seconds.
  step latency   on that page, drags slider z[0] of the 2-D VAE and of the 16-D VAE (the real
                 lesson 05 decoders, pretrained, run in numpy) one mouse move at a time, waiting
                 for each new image: mousemove -> image drawn on the canvas, and -> the next
                 animation frame (on screen), median and p95 over --steps moves, as
                 benchmarks/browser_latency.py measures them in JupyterLab.

Usage (a timing run, so under the shared lock):
    flock /tmp/aelab-heavy.lock .venv/bin/python benchmarks/explorer_latency.py [--steps 80]
Extra arguments for make after `--`, e.g. `-- VENV=/path/to/venv`.
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
        x += 3 if (k // 40) % 2 == 0 else -3
        page.mouse.move(x, y)
        page.wait_for_function("(f) => window.__aelab.canvas.dataset.frame !== f", arg=before, timeout=30_000)
    page.mouse.up()
    page.wait_for_timeout(300)
    events = page.evaluate("() => window.__aelab.events")
    draw = np.array([e["tdraw"] - e["t0"] for e in events if e["t0"] is not None])
    screen = np.array([e["t1"] - e["t0"] for e in events if e["t0"] is not None])
    return {"n": len(draw), "draw_median": np.median(draw), "draw_p95": np.percentile(draw, 95),
            "screen_median": np.median(screen), "screen_p95": np.percentile(screen, 95)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=80)
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
