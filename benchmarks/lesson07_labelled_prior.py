#!/usr/bin/env python
"""Lesson 07, section 5: what the label-informed AAE needs to send digit k to component k in a
short run: a discriminator with one head per digit, and adversarial phases as fast as the
reconstruction.

    AELAB_THREADS=1 python benchmarks/lesson07_labelled_prior.py                      # PyTorch
    AELAB_THREADS=1 python benchmarks/lesson07_labelled_prior.py --framework keras --seeds 0 1

The lesson's own code: ``AAE``, ``PerDigitDiscriminator``, ``train_aae`` (with the solution's
``aae_train_step``), ``sample_label_informed`` and ``nearest_component`` come from the solution
notebook's definitions (``lesson_definitions`` of ``tools/train_pretrained.py``, full mode). Each
run trains a label-informed AAE on the first ``--images`` training images for ``--epochs``
epochs, with one of two discriminators (one logit from [z, one-hot label], or the lesson's ten
heads) and one of two sets of learning rates (section 4's, or ``--fast`` for all three phases),
and prints the share of the validation codes nearest their own digit's component (chance: 10 %).
Each run seeds every random generator (``aelab.setup``) before its model is built.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", choices=("torch", "keras"), default="torch")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--images", type=int, default=20_000, help="training images (the first ones)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--fast", type=float, default=2e-3,
                        help="the learning rate of all three phases in the fast runs")
    args = parser.parse_args(argv)
    if args.images < 1 or args.epochs < 1 or args.fast <= 0:
        parser.error("--images and --epochs: at least 1; --fast: a positive learning rate")
    os.environ.setdefault("AELAB_THREADS", "1")
    os.chdir(ROOT / "notebooks")

    import aelab
    from train_pretrained import LESSON_07, LESSON_07_KEEP, lesson_definitions

    aelab.setup(args.framework, seed=0)
    ns = lesson_definitions(args.framework, LESSON_07, keep=LESSON_07_KEEP, given={"QUICK": False})
    images, labels = ns["train_x"][:args.images], ns["train_labels"][:args.images]
    rate_sets = {"section 4's rates": tuple(ns["LEARNING_RATES"]), f"all three at {args.fast:g}": (args.fast,) * 3}
    print(f"{args.framework}, {len(images):,} training images, {args.epochs} epochs; "
          f"share of the {len(ns['val_x']):,} validation codes nearest their own digit's component", flush=True)
    for seed in args.seeds:
        for rates_name, rates in rate_sets.items():
            for heads in ("one logit", "ten heads"):
                start = time.perf_counter()
                aelab.setup(args.framework, seed=seed, verbose=False)   # every generator, as a notebook does
                model = ns["AAE"](condition_dim=10)
                if heads == "ten heads":
                    model.discriminator = ns["PerDigitDiscriminator"]()
                ns["train_aae"](model, ns["sample_label_informed"], args.epochs, images=images, labels=labels,
                                condition=True, learning_rates=rates, desc=f"{rates_name}, {heads}")
                codes = ns["codes_and_logits"](model)[0](ns["val_x"])
                own = float((ns["nearest_component"](codes)[0] == ns["val_labels"]).mean())
                print(f"seed {seed}, {rates_name} {rates}, {heads}: {own:.1%} at their own component; "
                      f"{time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
