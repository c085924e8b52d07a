"""Stroke-to-screen latency of the drawing pad in JupyterLab, headless Chromium.

Starts a private JupyterLab (tests/lab_harness.py), opens a drawing-pad notebook (default: the
PCA fixture tests/fixtures/drawing_pad_pca.ipynb; --notebook for another one whose pad is called
``pad``), runs all cells, then draws a stroke with real mouse events, one move at a time:

  step latency   time from the page's pointermove to the animation frame that puts the new
                 model output on screen (the first requestAnimationFrame after the output
                 <canvas> was redrawn), measured in the page with performance.now(). Median and
                 p95 over --moves moves; also mousemove -> output drawn on its canvas.
  fast stroke    --fast: a stroke as fast as Playwright sends the moves; how many outputs were
                 painted, the time from mouse release to the last one.

Chromium dispatches mouse moves at the start of a frame (60 Hz), so on-screen latencies come in
whole frames: about 16.7 ms when the output is drawn before the next frame, about 33 ms when it
misses it.

Usage (a timing run: under the shared lock, on a quiet machine):
    flock /tmp/aelab-heavy.lock .venv/bin/python benchmarks/drawing_pad_latency.py [--moves 80]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from lab_harness import (_INSTRUMENT, FIXTURES, JupyterLab, chromium_available,  # noqa: E402
                         launch_browser, open_and_run_all, settle_canvases)

OUTPUT, CANVAS = ".aelab-drawing-output canvas", "canvas.aelab-drawing"



def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", type=Path, default=FIXTURES / "drawing_pad_pca.ipynb")
    parser.add_argument("--moves", type=int, default=80, help="mouse moves in the timed stroke")
    parser.add_argument("--fast", action="store_true", help="also draw one stroke as fast as possible")
    parser.add_argument("--threads", type=int, default=1, help="AELAB_THREADS of the kernel")
    args = parser.parse_args(argv)
    if not chromium_available():
        print("no Chromium/Playwright here: nothing measured")
        return 1
    from playwright.sync_api import sync_playwright

    print(f"load before: {os.getloadavg()[0]:.2f} (1-min average), {os.cpu_count()} cores")
    with JupyterLab([args.notebook], threads=args.threads) as lab, sync_playwright() as p:
        browser = launch_browser(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_and_run_all(page, lab, args.notebook.name, ready=f"{OUTPUT}[data-frame]", scroll_to=CANVAS)
        page.evaluate(_INSTRUMENT, OUTPUT)   # records into window.__aelab
        # The pad cancels pointerdown (no page scrolling while drawing), and a cancelled pointerdown
        # suppresses the mouse events that would follow it: time the moves by their pointermove.
        page.evaluate("() => document.addEventListener('pointermove', "
                      "() => { window.__aelab.lastMove = performance.now(); }, true)")
        box = page.locator(CANVAS).bounding_box()
        m = page.mouse
        # a slow spiral: every move adds ink, so every move changes the drawing
        t = np.linspace(0, 4 * np.pi, args.moves + 1)
        pts = [(box["x"] + box["width"] * (0.5 + 0.35 * a / t[-1] * np.cos(a)),
                box["y"] + box["height"] * (0.5 + 0.35 * a / t[-1] * np.sin(a))) for a in t]
        m.move(*pts[0])
        m.down()
        for x, y in pts[1:]:
            before = page.locator(OUTPUT).get_attribute("data-frame")
            m.move(x, y)
            page.wait_for_function("([sel, f]) => document.querySelector(sel).dataset.frame !== f",
                                   arg=[OUTPUT, before], timeout=10_000)
        m.up()
        page.wait_for_timeout(200)
        events = page.evaluate("() => window.__aelab.events")
        on_screen = np.array([e["t1"] - e["t0"] for e in events if e["t0"] is not None])
        drawn = np.array([e["tdraw"] - e["t0"] for e in events if e["t0"] is not None])
        print(f"{args.notebook.name}: {len(on_screen)} outputs for {args.moves} moves")
        print(f"  pointermove -> output on screen: median {np.median(on_screen):.1f} ms, "
              f"p95 {np.percentile(on_screen, 95):.1f} ms")
        print(f"  pointermove -> output drawn:     median {np.median(drawn):.1f} ms, "
              f"p95 {np.percentile(drawn, 95):.1f} ms")
        if args.fast:
            page.locator("button:has-text('clear')").click()
            settle_canvases(page, [page.locator(OUTPUT)], quiet_ms=500)
            box = page.locator(CANVAS).bounding_box()   # the click may have scrolled the page
            pts = [(box["x"] + box["width"] * (0.5 + 0.35 * a / t[-1] * np.cos(a)),
                    box["y"] + box["height"] * (0.5 + 0.35 * a / t[-1] * np.sin(a))) for a in t]
            page.evaluate("() => { window.__aelab.events = []; }")
            m.move(*pts[0])
            m.down()
            for x, y in pts[1:]:
                m.move(x, y)
            m.up()
            released = page.evaluate("() => performance.now()")
            settle_canvases(page, [page.locator(OUTPUT)], quiet_ms=800, timeout_ms=30_000)
            events = page.evaluate("() => window.__aelab.events")
            last = max(e["t1"] for e in events) if events else float("nan")
            print(f"  fast stroke: {len(events)} outputs painted for {args.moves} moves; "
                  f"last one {last - released:.0f} ms after the mouse was released")
        browser.close()
    print(f"load after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
