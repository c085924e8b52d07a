"""Drag-to-paint latency of the latent sliders in JupyterLab, headless Chromium, both frameworks.

Starts a private JupyterLab (see tests/lab_harness.py), opens the fixture notebook of each
framework (tests/fixtures/latent_sliders_{torch,keras}.ipynb), runs all cells, then drags
slider z[0] with real mouse events:

  step latency   one mouse move, wait for the new image; time from the page's mousemove event
                 to the animation frame that puts the new image on screen (the first
                 requestAnimationFrame after the widget drew it on its <canvas>), measured in
                 the page with performance.now(). Median and p95 over --steps moves. Also the
                 time to the image being drawn on the canvas (the DOM change).
                 Chromium dispatches mouse moves at the start of a frame (60 Hz), so the step
                 latency comes in whole frames: about 16.7 ms when the new image is drawn
                 before the next frame begins, about 33 ms when it misses it.
  fast drag      --fast moves as fast as Playwright sends them, without waiting; reports how
                 many images were painted, the time from mouse release to the last image, and
                 whether the final image equals decode(final slider values) (asked from the
                 notebook's kernel).

  --server-only  no browser: a websocket client times slider update -> image update through
                 the Jupyter server, with aelab.lab_server's TCP_NODELAY and with the default
                 (Nagle on), to show where the browser numbers come from.
  --nagle        the browser measurement with Nagle's algorithm on (jupyter_server's default).
  --track-comm   the browser measurement with widget messages tracked as kernel activity
                 (jupyter_server's default: JupyterLab redraws its busy/idle indicators and
                 favicon twice per slider event). Both options together: a plain server.

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
                         kernel_decode, launch_browser, open_and_run_all)


# Record when the page sends and receives websocket messages, to split each latency into
# front end (mousemove -> message sent), server + kernel (sent -> last message before the new
# image is drawn) and front end again (-> drawn on the canvas -> next frame).
WS_TIMES = """
(() => {
  window.__ws = {sent: [], received: []};
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) { window.__ws.sent.push(performance.now()); return send.call(this, data); };
  const Original = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Original(...args);
    ws.addEventListener('message', () => window.__ws.received.push(performance.now()));
    return ws;
  };
  window.WebSocket.prototype = Original.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();
"""


def breakdown(page) -> dict:
    """Median ms of: mousemove -> ws send, ws send -> last ws message before the new image is
    drawn, -> drawn on the canvas, -> the next animation frame (on screen)."""
    events = page.evaluate("() => window.__aelab.events")
    ws = page.evaluate("() => window.__ws")
    sent, received = np.array(ws["sent"]), np.array(ws["received"])
    parts = {"mousemove -> message sent": [], "sent -> reply received (server + kernel)": [],
             "reply -> drawn on canvas": [], "drawn -> next frame": []}
    for e in events:
        after = sent[sent >= e["t0"]]
        got = received[(received <= e["tdraw"]) & (received >= e["t0"])]
        if not len(after) or not len(got) or after[0] > got[-1]:
            continue
        parts["mousemove -> message sent"].append(after[0] - e["t0"])
        parts["sent -> reply received (server + kernel)"].append(got[-1] - after[0])
        parts["reply -> drawn on canvas"].append(e["tdraw"] - got[-1])
        parts["drawn -> next frame"].append(e["t1"] - e["tdraw"])
    return {k: float(np.median(v)) if v else float("nan") for k, v in parts.items()}


def measure(page, lab, notebook: str, steps: int, fast: int) -> dict:
    page.add_init_script(WS_TIMES)
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
    draw_ms = sp.latencies_ms("tdraw")
    parts = breakdown(page)
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
    matches = bool(np.abs(sp.pixels().astype(int) - expected).max() <= 1)
    return dict(step_ms=step_ms, draw_ms=draw_ms, parts=parts, fast_moves=fast, fast_seconds=t_moves, fast_paints=len(events),
                settle_ms=max(0.0, last_paint - t_release), final_matches=matches)


# ------------------------------------------------------------------ server + kernel, no browser

SERVER_SETUP = """
import aelab
aelab.setup("torch", seed=0, verbose=False)
from aelab import widgets, torch_support
from aelab.data import load_mnist
import tiny_decoder_torch  # tests/fixtures, on the kernel's path (lab_harness)
images, _ = load_mnist("test", size=1000)
_, decoder = tiny_decoder_torch.pca_codec(images, 4)
w = widgets.latent_sliders(torch_support.numpy_function(decoder), 4, ranges=(-3, 3), step=0.05)
print(w.sliders[0].model_id, w.image_widget.model_id)
"""


def _ws_message(msg_type: str, content: dict, channel: str) -> str:
    import json
    import uuid

    return json.dumps({"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "",
                                  "session": "bench", "date": "", "version": "5.3"},
                       "parent_header": {}, "metadata": {}, "content": content,
                       "channel": channel, "buffers": []})


async def _server_roundtrips(lab: JupyterLab, events: int) -> np.ndarray:
    import json

    from tornado.websocket import websocket_connect

    kernel = lab.api("POST", "/api/kernels", {"name": "python3"})
    ws = await websocket_connect(f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel['id']}/channels"
                                 f"?token={lab.token}&session_id=bench")
    ws.write_message(_ws_message("execute_request", {"code": SERVER_SETUP, "silent": False,
                                                     "store_history": False, "user_expressions": {},
                                                     "allow_stdin": False}, "shell"))
    ids = None
    while ids is None:
        d = json.loads(m) if isinstance(m := await ws.read_message(), str) else {}
        if d.get("msg_type") == "stream":
            ids = d["content"]["text"].split()
        elif d.get("msg_type") == "error":
            raise RuntimeError(d["content"]["evalue"])
    slider, image = ids
    times = []
    for i in range(events + 10):
        value = round(((i % 20) - 10) * 0.05 + 0.025, 3)
        t0 = time.perf_counter()
        ws.write_message(_ws_message("comm_msg", {"comm_id": slider, "data": {
            "method": "update", "state": {"value": value}, "buffer_paths": []}}, "shell"))
        got_image = False
        while True:
            m = await ws.read_message()
            if isinstance(m, bytes) and not got_image:  # the image update carries a binary buffer
                times.append(time.perf_counter() - t0)
                got_image = True
            elif isinstance(m, str):
                d = json.loads(m)
                if d["msg_type"] == "status" and d["content"]["execution_state"] == "idle":
                    break
    ws.close()
    return 1e3 * np.array(times[10:])


def server_roundtrips(nodelay: bool, events: int) -> np.ndarray:
    """ms from a slider update sent on the kernel websocket to the image update received."""
    import asyncio

    with JupyterLab([], nodelay=nodelay) as lab:
        return asyncio.run(_server_roundtrips(lab, events))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--fast", type=int, default=120)
    parser.add_argument("--frameworks", nargs="+", default=["torch", "keras"])
    parser.add_argument("--server-only", action="store_true",
                        help="no browser: time slider update -> image update through the server "
                             "websocket, with and without aelab.lab_server (TCP_NODELAY)")
    parser.add_argument("--nagle", action="store_true",
                        help="Nagle on (jupyter_server's default), to compare with aelab.lab_server")
    parser.add_argument("--track-comm", action="store_true",
                        help="widget messages tracked as kernel activity (jupyter_server's "
                             "default), to compare with aelab.lab_server")
    args = parser.parse_args(argv)
    if args.server_only:
        print(f"server + kernel round trip (websocket client, no browser), load average "
              f"{os.getloadavg()[0]:.2f}")
        for nodelay in (True, False):
            ms = server_roundtrips(nodelay, args.steps)
            label = "TCP_NODELAY (aelab.lab_server)" if nodelay else "default (Nagle on)"
            print(f"  {label:<32} median {np.median(ms):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms "
                  f"over {len(ms)} events")
        return 0
    if not chromium_available():
        print("no chromium: apt-get install chromium (or set AELAB_CHROMIUM)")
        return 2
    from playwright.sync_api import sync_playwright

    notebooks = {fw: f"latent_sliders_{fw}.ipynb" for fw in args.frameworks}
    print(f"drag-to-paint latency, JupyterLab + headless Chromium, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}, kernel websocket "
          f"{'default (Nagle on)' if args.nagle else 'TCP_NODELAY (aelab.lab_server)'}, widget "
          f"messages {'tracked (default)' if args.track_comm else 'untracked (aelab.lab_server)'}")
    ok = True
    with JupyterLab([FIXTURES / nb for nb in notebooks.values()], nodelay=not args.nagle,
                    track_comm=args.track_comm) as lab, sync_playwright() as p:
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
                      f"p95 {np.percentile(ms, 95):.1f} ms, max {ms.max():.1f} ms (to on screen); "
                      f"to drawn on the canvas: median {np.median(r['draw_ms']):.1f} ms, "
                      f"p95 {np.percentile(r['draw_ms'], 95):.1f} ms")
                print(f"{fw:<6} where the time goes (medians): " +
                      ", ".join(f"{k} {v:.1f} ms" for k, v in r["parts"].items()))
                print(f"{fw:<6} fast drag: {r['fast_moves']} moves in {r['fast_seconds'] * 1e3:.0f} ms, "
                      f"{r['fast_paints']} images painted, last image {r['settle_ms']:.0f} ms after "
                      f"release, final image == decode(final slider values): {r['final_matches']}")
                ok &= r["final_matches"]
        finally:
            browser.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
