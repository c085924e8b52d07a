"""Stroke-to-screen latency of the drawing pad in JupyterLab, headless Chromium, both tracks.

Starts a private JupyterLab (tests/lab_harness.py), opens the fixture notebook of each framework
(tests/fixtures/drawing_pad_lessons_{torch,keras}.ipynb: lesson 05's own VAE classes with the
course's pretrained weights; --notebook for another one), runs all cells, then draws a stroke on
the pad ``--pad`` (default pad_05, lesson 05's 2-D VAE with its latent map) with real mouse
events, one move at a time:

  step latency   time from the page's pointermove to the animation frame that puts the new
                 model output on screen (the first requestAnimationFrame after the output
                 <canvas> was redrawn), measured in the page with performance.now(). Median and
                 p95 over --moves moves; also pointermove -> output drawn on its canvas.
  where it goes  the medians of: pointermove -> the drawing's websocket message sent (the
                 canvas read back and sent), sent -> the reply received (server, kernel and
                 back), reply -> drawn, drawn -> next frame; and the kernel's own handler time
                 (the pad's update: MNIST-style, model, readout), timed in the kernel.
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
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browser_latency import WS_TIMES, breakdown  # noqa: E402  (benchmarks/)
from lab_harness import (_INSTRUMENT, FIXTURES, JupyterLab, chromium_available,  # noqa: E402
                         kernel_execute, launch_browser, open_and_run_all, settle_canvases)

OUTPUT, CANVAS = ".aelab-drawing-output canvas", "canvas.aelab-drawing"
NOTEBOOKS = {fw: FIXTURES / f"drawing_pad_lessons_{fw}.ipynb" for fw in ("torch", "keras")}

# In the kernel: time every update of the pad (its observer calls pad._render), in ms.
TIME_HANDLER = """
import time as _time
_pad, _times = {pad}, []
_untimed = _pad._render
def _timed_render(raise_errors=False):
    _t0 = _time.perf_counter()
    _untimed(raise_errors)
    _times.append((_time.perf_counter() - _t0) * 1e3)
_pad._render = _timed_render
"""
READ_HANDLER = "import json as _j; print(_j.dumps(_times)); _times.clear()"


def spiral(box, t):
    """Points of a slow spiral over the canvas' bounding box: every move adds ink."""
    return [(box["x"] + box["width"] * (0.5 + 0.35 * a / t[-1] * np.cos(a)),
             box["y"] + box["height"] * (0.5 + 0.35 * a / t[-1] * np.sin(a))) for a in t]


def measure(page, lab, notebook: Path, pad: str, moves: int, fast: bool) -> None:
    scope = "." + pad.replace("_", "-") + " "
    output, canvas = page.locator(scope + OUTPUT), page.locator(scope + CANVAS)
    page.add_init_script(WS_TIMES)
    open_and_run_all(page, lab, notebook.name, ready=f"{scope}{OUTPUT}[data-frame]", scroll_to=scope + CANVAS)
    kernel_execute(lab.connection_file(notebook.name), TIME_HANDLER.format(pad=pad))
    page.evaluate(_INSTRUMENT, scope + OUTPUT)   # records into window.__aelab
    # The pad cancels pointerdown (no page scrolling while drawing), and a cancelled pointerdown
    # suppresses the mouse events that would follow it: time the moves by their pointermove.
    page.evaluate("() => document.addEventListener('pointermove', "
                  "() => { window.__aelab.lastMove = performance.now(); }, true)")
    t = np.linspace(0, 4 * np.pi, moves + 1)
    m = page.mouse
    pts = spiral(canvas.bounding_box(), t)
    m.move(*pts[0])
    m.down()
    for x, y in pts[1:]:
        before = output.get_attribute("data-frame")
        m.move(x, y)
        page.wait_for_function("([sel, f]) => document.querySelector(sel).dataset.frame !== f",
                               arg=[scope + OUTPUT, before], timeout=10_000)
    m.up()
    page.wait_for_timeout(200)
    events = page.evaluate("() => window.__aelab.events")
    on_screen = np.array([e["t1"] - e["t0"] for e in events if e["t0"] is not None])
    drawn = np.array([e["tdraw"] - e["t0"] for e in events if e["t0"] is not None])
    handler = np.array(json.loads(kernel_execute(lab.connection_file(notebook.name), READ_HANDLER)))
    print(f"{notebook.name} ({pad}): {len(on_screen)} outputs for {moves} moves")
    print(f"  pointermove -> output on screen: median {np.median(on_screen):.1f} ms, "
          f"p95 {np.percentile(on_screen, 95):.1f} ms, max {on_screen.max():.1f} ms")
    print(f"  pointermove -> output drawn:     median {np.median(drawn):.1f} ms, "
          f"p95 {np.percentile(drawn, 95):.1f} ms")
    print("  medians: " + ", ".join(f"{k} {v:.1f} ms" for k, v in breakdown(page).items()))
    print(f"  kernel handler (the pad's update), {len(handler)} updates: median "
          f"{np.median(handler):.1f} ms, p95 {np.percentile(handler, 95):.1f} ms")
    if fast:
        page.locator(scope + "button:has-text('clear')").click()
        settle_canvases(page, [output], quiet_ms=500)
        pts = spiral(canvas.bounding_box(), t)   # the click may have scrolled the page
        page.evaluate("() => { window.__aelab.events = []; }")
        m.move(*pts[0])
        m.down()
        for x, y in pts[1:]:
            m.move(x, y)
        m.up()
        released = page.evaluate("() => performance.now()")
        settle_canvases(page, [output], quiet_ms=800, timeout_ms=30_000)
        events = page.evaluate("() => window.__aelab.events")
        last = max(e["t1"] for e in events) if events else float("nan")
        print(f"  fast stroke: {len(events)} outputs painted for {moves} moves; "
              f"last one {last - released:.0f} ms after the mouse was released")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=["torch", "keras", "both"], default="both")
    parser.add_argument("--notebook", type=Path, help="another notebook with a drawing pad (instead of --framework)")
    parser.add_argument("--pad", default="pad_05", help="the pad's variable name; its widget has the CSS "
                                                      "class of the name with - for _ (pad-05)")
    parser.add_argument("--moves", type=int, default=80, help="mouse moves in the timed stroke")
    parser.add_argument("--fast", action="store_true", help="also draw one stroke as fast as possible")
    parser.add_argument("--threads", type=int, default=1, help="AELAB_THREADS of the kernel")
    args = parser.parse_args(argv)
    if not chromium_available():
        print("no Chromium/Playwright here: nothing measured")
        return 1
    from playwright.sync_api import sync_playwright

    notebooks = [args.notebook] if args.notebook else (
        list(NOTEBOOKS.values()) if args.framework == "both" else [NOTEBOOKS[args.framework]])
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min average), {os.cpu_count()} cores")
    with JupyterLab(notebooks, threads=args.threads) as lab, sync_playwright() as p:
        browser = launch_browser(p)
        for notebook in notebooks:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            measure(page, lab, notebook, args.pad, args.moves, args.fast)
            page.close()
            lab.delete_sessions()   # one kernel at a time
        browser.close()
    print(f"load after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
