#!/usr/bin/env python
"""Lesson 05's conv VAEs with their two changes (SiLU instead of ReLU, learning rate 4e-3 instead
of 2e-3; section 6's 16-D model by default, section 5's 2-D model with ``--latent 2``), each alone
and together: test loss in nats per image and CPU seconds per training epoch, PyTorch.

    AELAB_THREADS=1 python benchmarks/lesson05_activation.py                     # all four, seed 0
    AELAB_THREADS=1 python benchmarks/lesson05_activation.py --runs relu:2e-3 silu:4e-3 --seeds 0 1
    AELAB_THREADS=1 python benchmarks/lesson05_activation.py --latent 2 --runs relu:2e-3 silu:4e-3

The model (``VAE(latent_dim, channels, activation)``), the training loop (``train_vae``: Adam with
warm-up and cosine decay, at the run's learning rate) and the evaluation (``evaluate``, one z
sample per image) are the lesson's own, taken from its solution cells by
``tools/train_pretrained.py``'s ``lesson_definitions``; so are the data split and batches (the
tool's ``lesson05_split`` and ``lesson05_batches``: 55,000 training and 5,000 validation images,
batches of 128); the epochs are the lesson's full-mode ``EPOCHS``. A run is
``activation:learning_rate``; each is seeded (``torch.manual_seed``) before its model is built,
so runs of one seed start from the same weights (activations have none). Printed per run: the
validation loss after each epoch (what the choice is made on), then a table of the test loss,
reconstruction and KL and the mean CPU seconds per epoch (``time.process_time`` over
``train_vae``, validation included). Runs go one after the other in one process; compare CPU
seconds only between runs made under the same load.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import aelab  # noqa: E402


def run_spec(text: str) -> tuple[str, float]:
    """A run as given on the command line, e.g. silu:4e-3 -> ("silu", 0.004)."""
    activation, _, lr = text.partition(":")
    if activation not in ("relu", "silu") or not lr:
        raise argparse.ArgumentTypeError(f"expected activation:learning_rate with relu or silu, got {text!r}")
    try:
        return activation, float(lr)
    except ValueError:
        raise argparse.ArgumentTypeError(f"learning rate: expected a number, got {lr!r}") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latent", type=int, choices=(2, 16), default=16,
                        help="the 16-D model of section 6 (channels 24, 48) or the 2-D one of section 5")
    parser.add_argument("--runs", type=run_spec, nargs="+",
                        default=[("relu", 2e-3), ("silu", 2e-3), ("relu", 4e-3), ("silu", 4e-3)])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)

    aelab.setup("torch", seed=args.seeds[0])
    import torch

    from train_pretrained import MODELS, lesson05_batches, lesson05_split, lesson_constant, lesson_definitions

    ns = lesson_definitions("torch")
    epochs = lesson_constant("EPOCHS", False)
    split = lesson05_split()
    size = {key: MODELS["vae_16d" if args.latent == 16 else "vae_2d"][0][key] for key in ("latent_dim", "channels")}

    rows = []
    for seed in args.seeds:
        for activation, lr in args.runs:
            torch.manual_seed(seed)
            model = ns["VAE"](**size, activation=activation)
            train, val, test = lesson05_batches("torch", split)
            start = time.process_time()
            history = ns["train_vae"](model, train, val, epochs, lr=lr)
            cpu = (time.process_time() - start) / epochs
            torch.manual_seed(seed)
            result = ns["evaluate"](model, test)
            print(f"{activation}, lr {lr:g}, seed {seed}: validation loss by epoch "
                  + ", ".join(f"{v:.2f}" for v in history["val_loss"]), flush=True)
            rows.append((activation, lr, seed, history["val_loss"][-1], result, cpu))

    print(f"\n{args.latent}-D VAE, {epochs} epochs, nats per image, CPU s per epoch "
          f"({torch.get_num_threads()} thread(s))")
    print(f"{'activation':<11}{'lr':>7}{'seed':>5}{'val loss':>10}{'test loss':>10}{'recon.':>8}{'KL':>7}"
          f"{'CPU s/epoch':>13}")
    for activation, lr, seed, val_loss, result, cpu in rows:
        print(f"{activation:<11}{lr:7.0e}{seed:>5}{val_loss:10.2f}{result['loss']:10.2f}"
              f"{result['reconstruction']:8.2f}{result['kl']:7.2f}{cpu:13.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
