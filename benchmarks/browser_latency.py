"""Drag-to-paint latency of the latent sliders in JupyterLab, headless Chromium, both frameworks.

Starts a private JupyterLab (see tests/lab_harness.py), opens the fixture notebook of each
framework (tests/fixtures/latent_sliders_{torch,keras}.ipynb), runs all cells, then drags
slider z[0] with real mouse events:

  step latency   one mouse move, wait for the new image; time from the page's mousemove event
                 to the new <img> decoded and painted (next requestAnimationFrame), measured in
                 the page with performance.now(). Median and p95 over --steps moves. Also the
                 time to the new src being set on the <img> (the prototype's "DOM change").
  fast drag      --fast moves as fast as Playwright sends them, without waiting; reports how
                 many images were painted, the time from mouse release to the last image, and
                 whether the final image equals decode(final slider values) (asked from the
                 notebook's kernel).

Usage (timing runs go under the shared lock):
    flock /tmp/aelab-heavy.lock .venv/bin/python benchmarks/browser_latency.py [--steps 80]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from lab_harness import (FIXTURES, JupyterLab, SliderPage, chromium_available,  # noqa: E402
                         kernel_decode, launch_browser, open_and_run_all, png_pixels)


def measure(page, lab, notebook: str, steps: int, fast: int) -> dict:
    open_and_run_all(page, lab, notebook)
    sp = SliderPage(page)
    # warm up: a few moves (first decode, first PNG decode in the browser)
    sp.drag_steps(0, [3, 3, -3, -3], wait_each=True)
    sp.settle()
    sp.clear_latencies()
    # back and forth within the slider range: +3 px moves the value by ~0.1 (2 steps of 0.05)
    pattern = ([3] * 10 + [-3] * 20 + [3] * 10) * (steps // 40 + 1)
    sp.drag_steps(0, pattern[:steps], wait_each=True)
    sp.settle()
    step_ms = sp.latencies_ms()
    src_ms = sp.latencies_ms("tsrc")
    sp.clear_latencies()
    t_release = None
    moves = ([-2] * 15 + [2] * 30 + [-2] * 15) * (fast // 60 + 1)
    x, y = sp.handle_center(1)
    mouse = page.mouse
    mouse.move(x, y)
    mouse.down()
    t0 = time.perf_counter()
    for dx in moves[:fast]:
        x += dx
        mouse.move(x, y)
    t_moves = time.perf_counter() - t0
    t_release = page.evaluate("() => performance.now()")
    mouse.up()
    sp.settle(quiet_ms=600)
    events = page.evaluate("() => window.__aelab.events")
    last_paint = max(e["t1"] for e in events) if events else float("nan")
    values = sp.values()
    expected, _ = kernel_decode(lab.connection_file(notebook), values)
    matches = bool(np.abs(png_pixels(sp.png()).astype(int) - expected).max() <= 1)
    return dict(step_ms=step_ms, src_ms=src_ms, fast_moves=fast, fast_seconds=t_moves, fast_paints=len(events),
                settle_ms=max(0.0, last_paint - t_release), final_matches=matches)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--fast", type=int, default=120)
    parser.add_argument("--frameworks", nargs="+", default=["torch", "keras"])
    args = parser.parse_args(argv)
    if not chromium_available():
        print("no chromium: apt-get install chromium (or set AELAB_CHROMIUM)")
        return 2
    from playwright.sync_api import sync_playwright

    notebooks = {fw: f"latent_sliders_{fw}.ipynb" for fw in args.frameworks}
    print(f"drag-to-paint latency, JupyterLab + headless Chromium, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}")
    ok = True
    with JupyterLab([FIXTURES / nb for nb in notebooks.values()]) as lab, sync_playwright() as p:
        browser = launch_browser(p)
        print(f"chromium {browser.version}")
        try:
            for fw, nb in notebooks.items():
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                try:
                    r = measure(page, lab, nb, args.steps, args.fast)
                finally:
                    page.close()
                    lab.delete_sessions()
                ms = r["step_ms"]
                print(f"{fw:<6} step latency over {len(ms)} moves: median {np.median(ms):.1f} ms, "
                      f"p95 {np.percentile(ms, 95):.1f} ms, max {ms.max():.1f} ms (to painted); "
                      f"to <img> src set: median {np.median(r['src_ms']):.1f} ms, "
                      f"p95 {np.percentile(r['src_ms'], 95):.1f} ms")
                print(f"{fw:<6} fast drag: {r['fast_moves']} moves in {r['fast_seconds'] * 1e3:.0f} ms, "
                      f"{r['fast_paints']} images painted, last image {r['settle_ms']:.0f} ms after "
                      f"release, final image == decode(final slider values): {r['final_matches']}")
                ok &= r["final_matches"]
        finally:
            browser.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
