#!/usr/bin/env python
"""Lesson 05's 2-D VAE outside the notebook: seconds per training epoch in PyTorch and in Keras,
with the lesson's own model and its own ``train_vae``, one framework per process.

    python benchmarks/vae_epoch_speed.py                          # 1 and 2 threads, 2 epochs each
    python benchmarks/vae_epoch_speed.py --threads 2 --epochs 3

Each (threads, framework) pair runs in a subprocess of its own, one after the other, PyTorch
first. The subprocess takes the lesson's definitions (``lesson_definitions`` of
``tools/train_pretrained.py``: ``VAE``, ``vae_train_step``, ``train_vae``), its data split and
batches (the tool's ``lesson05_split`` and ``lesson05_batches``: 55,000 training and 5,000
validation images, batches of 128) and trains ``VAE`` with a 2-D latent for
``--epochs`` epochs by ``train_vae``, as section 5 of the lesson does. Printed per run: the
seconds of each epoch as ``train_vae`` records them (PyTorch: the training batches only; Keras:
the epoch as ``fit`` runs it, with its validation pass, and the first epoch with the tracing of the
step), the wall time of the whole ``train_vae`` call, and at the end Keras / PyTorch for each
thread count. Run it on an otherwise idle machine: the ratio of two runs on a busy machine says
little.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
sys.path.insert(0, {tools!r})
import aelab
framework, epochs = {framework!r}, {epochs}
aelab.setup(framework, seed=0)
from train_pretrained import build_model, lesson05_batches, lesson05_split, lesson_definitions
ns = lesson_definitions(framework)
train, val, _ = lesson05_batches(framework, lesson05_split())
model = build_model(ns, framework, "vae_2d")
start = time.perf_counter()
history = ns["train_vae"](model, train, val, epochs)
wall = time.perf_counter() - start
print("RESULT " + json.dumps({{"seconds": [float(s) for s in history["seconds"]], "wall": wall,
                              "val_loss": float(history["val_loss"][-1])}}))
"""


def run(framework: str, threads: int, epochs: int) -> dict:
    env = dict(os.environ, AELAB_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT))
    code = CHILD.format(tools=str(ROOT / "tools"), framework=framework, epochs=epochs)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{framework}, {threads} thread(s) failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args(argv)
    if args.epochs < 1 or any(t < 1 for t in args.threads):
        parser.error("--epochs and --threads must be positive")
    print(f"lesson 05's 2-D VAE, {args.epochs} epochs of 55,000 images; load average before: "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    print(f"{'framework':<10}{'threads':>8}   {'seconds per epoch':<28}{'train_vae wall (s)':>19}{'val loss':>10}")
    results = {}
    for threads in args.threads:
        for framework in ("torch", "keras"):
            result = results[framework, threads] = run(framework, threads, args.epochs)
            epochs = " ".join(f"{s:.1f}" for s in result["seconds"])
            print(f"{framework:<10}{threads:>8}   {epochs:<28}{result['wall']:19.1f}{result['val_loss']:10.1f}",
                  flush=True)
    for threads in args.threads:
        torch_run, keras_run = results["torch", threads], results["keras", threads]
        last = keras_run["seconds"][-1] / torch_run["seconds"][-1]
        print(f"{threads} thread(s): Keras / PyTorch, last epoch {last:.2f}, "
              f"whole train_vae {keras_run['wall'] / torch_run['wall']:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
