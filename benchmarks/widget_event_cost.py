"""Kernel-side cost of one latent-slider event, for PyTorch and Keras decoders.

For each framework a real IPython kernel is started (its own process: torch and tensorflow are
never imported together) with a ``latent_sliders`` widget around each decoder below. This script
then plays the part of the JupyterLab front end: it sends the same ``comm_msg`` "update" a slider
drag sends, one at a time, and waits for the kernel to go idle.

Printed per decoder (median and p95 over --events events, after --warmup):
  handler   time inside the kernel's comm handler: set the slider value, run the observer,
            decode one vector, convert it to grey levels, send the image update (what the issue
            calls the kernel-side cost of one slider event; target <= 3 ms median)
  handler CPU   the same, as CPU time of the kernel process (all its threads): what the event
            costs the machine, and what to compare when the machine is shared (other processes
            stretch the wall time, not the CPU time)
  decode    of which: the decoder call alone (wall time)
  around    handler minus decode, event by event: what the widget, ipywidgets and the kernel add
            around the decoder (the part that does not depend on the model)
  roundtrip message sent -> kernel idle, seen from this client (adds ZMQ and kernel dispatch)

Decoders: "pca" (the 4-dim linear PCA decoder of the browser test), "mlp" (2 -> 512 -> 784),
"conv" (2 -> 7x7x32 -> two transposed convs -> 28x28), from tests/fixtures/tiny_decoder_*, and the
two decoders lesson 05 puts behind its sliders: "vae2d" (the 2-D VAE's convolutional decoder)
and "cvae" (the conditional VAE's dense decoder, given the code and the chosen digit). Their
definitions (``VAE`` / ``build_decoder``, ``ConditionalVAE`` / ``build_conditional_decoder``) and
the numpy bridge (``numpy_decoder``: ``numpy_function`` with the sigmoid as output transform)
are read from the lesson's solution notebook, so the benchmark measures the lesson's own code;
the models are untrained (weights do not change the cost). In the Keras track "vae2d-eager"
is the same decoder run eagerly (``compiled=False``), as lesson 05 ran it before it used
``numpy_function``. Target for the lesson decoders: handler median <= 1.5 ms.

Usage (timing runs go under the shared lock):
    flock /tmp/aelab-heavy.lock .venv/bin/python benchmarks/widget_event_cost.py [--events 300]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SETUP = r"""
import json, time, numpy as np, aelab
aelab.setup({fw!r}, seed=0, verbose=False)
from aelab import widgets, {support} as support
from aelab.data import load_mnist
import tiny_decoder_{fw} as tiny

images, _ = load_mnist("test", size=1000)
_, pca = tiny.pca_codec(images, 4)
decoders = {{name: (support.numpy_function(model), dim) for name, (model, dim) in
            {{"pca": (pca, 4), "mlp": (tiny.mlp_decoder(2), 2), "conv": (tiny.conv_decoder(2), 2)}}.items()}}
lesson = lesson05_definitions({fw!r})
decoders.update(lesson05_decoders({fw!r}, lesson))
bench = {{}}
for name, (f, dim) in decoders.items():
    decode_times = []
    def decode(z, f=f, t=decode_times):
        t0 = time.perf_counter(); out = f(z); t.append(time.perf_counter() - t0); return out
    w = widgets.latent_sliders(decode, dim, ranges=(-3, 3), step=0.05)
    comm = w.sliders[0].comm
    handler_times, handler_cpu = [], []
    def timed(msg, inner=comm._msg_callback, t=handler_times, c=handler_cpu):
        c0, t0 = time.process_time(), time.perf_counter(); inner(msg)
        t.append(time.perf_counter() - t0); c.append(time.process_time() - c0)
    comm.on_msg(timed)
    bench[name] = dict(widget=w, decode=decode_times, handler=handler_times, handler_cpu=handler_cpu)
print(json.dumps({{name: b["widget"].sliders[0].model_id for name, b in bench.items()}}))
"""

LESSON05 = r"""
import ast, nbformat
from pathlib import Path

WANTED = {"means", "pixel_probabilities", "numpy_decoder", "VAE", "ConditionalVAE", "build_decoder",
          "build_conditional_decoder"}


def lesson05_definitions(fw):
    # the top-level functions and classes named in WANTED, from the lesson's solution notebook
    folder = {"torch": "pytorch", "keras": "keras"}[fw]
    nb = nbformat.read(Path(ROOT) / "notebooks" / folder / "solutions" / "05_variational_autoencoder_solution.ipynb", 4)
    if fw == "torch":
        import torch
        from torch import nn
        import torch.nn.functional as F
        namespace = dict(torch=torch, nn=nn, F=F)
    else:
        import keras
        import tensorflow as tf
        from keras import layers, ops
        namespace = dict(keras=keras, tf=tf, layers=layers, ops=ops)
    from scipy.special import expit
    namespace.update(np=np, expit=expit, numpy_function=support.numpy_function)
    found = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in WANTED:
                if fw == "keras" and node.name in ("VAE", "ConditionalVAE"):
                    continue   # the Keras training wrappers: only the decoder builders are needed
                exec(compile(ast.Module([node], []), "lesson05", "exec"), namespace)
                found.add(node.name)
    expected = WANTED - ({"VAE", "ConditionalVAE"} if fw == "keras" else {"build_decoder", "build_conditional_decoder"})
    assert found == expected, f"not found in lesson 05: {expected - found}"
    return namespace


def lesson05_decoders(fw, ns):
    # the decoders as lesson 05 builds them and puts them behind its sliders
    if fw == "torch":
        vae_decoder = ns["VAE"](latent_dim=2).decoder
        cvae_decoder = ns["ConditionalVAE"](latent_dim=2).decoder
    else:
        vae_decoder = ns["build_decoder"](2, channels=(32, 64))
        cvae_decoder = ns["build_conditional_decoder"](2)
    decode_cvae = ns["numpy_decoder"](cvae_decoder)
    out = {"vae2d": (ns["numpy_decoder"](vae_decoder), 2),
           "cvae": (lambda z: decode_cvae(z, np.full(len(z), 7)), 2)}   # the digit chooser on 7
    if fw == "keras":
        out["vae2d-eager"] = (support.numpy_function(vae_decoder, compiled=False,
                                                     output=ns["pixel_probabilities"]), 2)
    return out
"""

REPORT = r"""
out = {}
for name, b in bench.items():
    w = b["widget"]
    expected = np.clip(w.decode(w.code[None])[0], 0, 1)
    shown = w.image_widget.grey / 255.0  # the grey levels sent to the browser
    out[name] = dict(handler=b["handler"], handler_cpu=b["handler_cpu"],
                     decode=b["decode"][-len(b["handler"]):],
                     final_value=float(w.sliders[0].value), final_code=float(w.code[0]),
                     image_matches=bool(np.abs(shown - expected).max() <= 1 / 255 + 1e-6))
print(json.dumps(out))
"""


def run_code(kc, code: str) -> str:
    out = []
    reply = kc.execute_interactive(code, timeout=300, store_history=False, output_hook=lambda m: (
        out.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None))
    if reply["content"]["status"] != "ok":
        raise RuntimeError("\n".join(reply["content"].get("traceback", [])))
    return "".join(out)


def send_update_and_wait(kc, comm_id: str, value: float) -> float:
    """Send a slider update as the front end does; seconds until the kernel is idle again."""
    msg = kc.session.msg("comm_msg", content={
        "comm_id": comm_id, "data": {"method": "update", "state": {"value": value}, "buffer_paths": []}})
    t0 = time.perf_counter()
    kc.shell_channel.send(msg)
    while True:
        reply = kc.get_iopub_msg(timeout=30)
        if (reply["msg_type"] == "status" and reply["content"]["execution_state"] == "idle"
                and reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]):
            return time.perf_counter() - t0


def measure(fw: str, events: int, warmup: int, threads: int) -> dict:
    from jupyter_client.manager import start_new_kernel

    support = {"torch": "torch_support", "keras": "keras_support"}[fw]
    env = dict(os.environ, AELAB_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               TF_CPP_MIN_LOG_LEVEL="2")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [FIXTURES, env.get("PYTHONPATH")]))
    env.pop("AELAB_QUICK", None)
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    try:
        run_code(kc, f"ROOT = {ROOT!r}\n" + LESSON05)   # definitions only: setup comes first
        ids = json.loads(run_code(kc, SETUP.format(fw=fw, support=support)).strip().splitlines()[-1])
        rng = np.random.default_rng(0)
        roundtrip = {}
        for name, comm_id in ids.items():
            # a drag: values on the slider grid, each different from the previous one
            values = np.round(np.cumsum(rng.choice([-0.15, -0.1, -0.05, 0.05, 0.1, 0.15],
                                                   warmup + events)), 2)
            values = np.clip(values, -3, 3)
            times = [send_update_and_wait(kc, comm_id, float(v)) for v in values]
            roundtrip[name] = times[warmup:]
        report = json.loads(run_code(kc, REPORT).strip().splitlines()[-1])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    for name, r in report.items():
        r["handler"] = r["handler"][warmup:]
        r["handler_cpu"] = r["handler_cpu"][warmup:]
        r["decode"] = r["decode"][warmup:]
        r["roundtrip"] = roundtrip[name]
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1, help="AELAB_THREADS of the kernel")
    parser.add_argument("--frameworks", nargs="+", default=["torch", "keras"])
    args = parser.parse_args(argv)
    print(f"kernel-side cost of one slider event: {args.events} events after {args.warmup} warm-up, "
          f"{args.threads} thread(s), {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"{'framework':<10}{'decoder':<12}{'handler ms (median / p95)':>28}{'handler CPU ms':>18}"
          f"{'decode ms':>18}{'around ms':>18}{'roundtrip ms':>20}  final image ok")
    ok = True
    for fw in args.frameworks:
        result = measure(fw, args.events, args.warmup, args.threads)
        for name, r in result.items():
            cells = []
            r["around"] = np.asarray(r["handler"]) - np.asarray(r["decode"])
            for key in ("handler", "handler_cpu", "decode", "around", "roundtrip"):
                ms = 1e3 * np.asarray(r[key])
                cells.append(f"{np.median(ms):7.2f} / {np.percentile(ms, 95):6.2f}")
            good = r["image_matches"] and abs(r["final_value"] - r["final_code"]) < 1e-6
            ok &= good
            print(f"{fw:<10}{name:<12}{cells[0]:>28}{cells[1]:>18}{cells[2]:>18}{cells[3]:>18}{cells[4]:>20}"
                  f"  {good}")
        sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
