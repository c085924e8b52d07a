#!/usr/bin/env python
"""Lesson 07, section 4: how the adversarial learning rates trade the match to the prior against
the reconstruction, for the unsupervised AAE (ring of 10 Gaussians or swiss roll).

    AELAB_THREADS=1 python benchmarks/lesson07_adversarial_rates.py                      # PyTorch, ring
    AELAB_THREADS=1 python benchmarks/lesson07_adversarial_rates.py --rates 2e-3,2e-3,2e-3 --seeds 0 1
    AELAB_THREADS=1 python benchmarks/lesson07_adversarial_rates.py --rates 2e-3,1e-3,1e-3 --epochs 10
    AELAB_THREADS=1 python benchmarks/lesson07_adversarial_rates.py --fixed-ring --seeds 0 1
    AELAB_THREADS=1 python benchmarks/lesson07_adversarial_rates.py --framework keras --prior "swiss roll"
    AELAB_THREADS=1 python benchmarks/lesson07_adversarial_rates.py --glorot-init --seeds 0 1   # PyTorch, Keras' init

The lesson's own code: the solution notebook of the chosen track is built and its code cells run,
up to (not including) the cell that trains the plain autoencoder (``notebook_namespace`` of
``tools/train_pretrained.py``), so ``AAE``, ``train_aae``,
``aae_train_step``, ``evaluate_codes`` and the data split are exactly the lesson's (full mode:
55,000 training images, ``EPOCHS`` epochs unless ``--epochs``). Then, for each seed: a plain
autoencoder (the baseline of the ratio) and the AAE with ``--rates`` (reconstruction,
discriminator, generator), both trained for the same epochs.
The AAE with the ring trains on the lesson's narrowing sampler (``narrowing_ring``: components
that start wide) unless ``--fixed-ring``. Printed per run, on all the test images: reconstruction
(nats per image), the energy distance of the codes to the prior, and that distance divided by the plain autoencoder's of the same seed; for the
ring, also what section 4's bar chart counts: the smallest and largest share of the AAE's test
codes nearest one of the ten centres (10 % each in the prior), and the share within 1.0 (two
standard deviations) of a centre.
Each run is seeded (``torch.manual_seed`` / ``keras.utils.set_random_seed``) before its model is
built, so a run is reproducible alone; the notebook builds its models one after the other from
one seed, so its numbers differ from these by the luck of the initial weights.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRACK = {"torch": "pytorch", "keras": "keras"}
sys.path.insert(0, str(ROOT / "tools"))
from train_pretrained import notebook_namespace  # noqa: E402  (the tool's: the notebook run up to section 4's training)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", choices=list(TRACK), default="torch")
    parser.add_argument("--prior", choices=["mixture of 10 Gaussians", "swiss roll"],
                        default="mixture of 10 Gaussians")
    parser.add_argument("--rates", default=None,
                        help="reconstruction,discriminator,generator (default: the lesson's LEARNING_RATES)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--glorot-init", action="store_true",
                        help="PyTorch: restart every layer from Keras' starting weights (Glorot-uniform "
                             "weights, zero biases) after the model is built, for both models")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of both models (default: the lesson's EPOCHS)")
    parser.add_argument("--fixed-ring", action="store_true",
                        help="ring: train the AAE on the ring itself from the first batch, without the "
                             "lesson's narrowing sampler (narrowing_ring)")
    args = parser.parse_args(argv)
    os.environ.setdefault("AELAB_THREADS", "1")
    os.chdir(ROOT / "notebooks")
    ns = notebook_namespace(args.framework, quick=False)
    rates = tuple(float(r) for r in args.rates.split(",")) if args.rates else ns["LEARNING_RATES"]
    if len(rates) != 3:
        parser.error("--rates: three numbers, reconstruction,discriminator,generator")

    def seeded(seed):
        if args.framework == "keras":
            ns["keras"].utils.set_random_seed(seed)
            return ns["AAE"]()
        torch, nn = ns["torch"], ns["nn"]
        torch.manual_seed(seed)
        model = ns["AAE"]()
        if args.glorot_init:
            for layer in model.modules():
                if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                    nn.init.xavier_uniform_(layer.weight)
                    nn.init.zeros_(layer.bias)
        return model

    epochs = args.epochs or ns["EPOCHS"]
    init = "Glorot-uniform (Keras')" if args.glorot_init and args.framework == "torch" else "the framework's default"
    narrowing = args.prior == "mixture of 10 Gaussians" and not args.fixed_ring
    ring = ("" if args.prior != "mixture of 10 Gaussians" else
            ", the lesson's narrowing ring" if narrowing else ", the ring itself from the first batch")
    print(f"{args.framework}, prior: {args.prior}{ring}, rates {rates}, {epochs} epochs, {init} starting weights",
          flush=True)
    for seed in args.seeds:
        start = time.perf_counter()
        plain = seeded(seed)
        ns["train_aae"](plain, ns["PRIORS"][args.prior], epochs, prior_name=args.prior,
                        step=ns["reconstruction_step"], desc=f"plain autoencoder, seed {seed}")
        baseline = ns["evaluate_codes"](plain, ns["test_x"], args.prior)
        aae = seeded(seed)
        sampler = ns["narrowing_ring"](epochs) if narrowing else ns["PRIORS"][args.prior]
        history = ns["train_aae"](aae, sampler, epochs, prior_name=args.prior,
                                  learning_rates=rates, desc=f"AAE, seed {seed}")
        values = ns["evaluate_codes"](aae, ns["test_x"], args.prior)
        structure = ""
        if args.prior == "mixture of 10 Gaussians":   # the lesson's helpers, as section 4 counts
            codes = ns["codes_and_logits"](aae)[0](ns["test_x"])
            shares = ns["component_shares"](codes)
            structure = (f"; per component {shares.min():.1%} to {shares.max():.1%} of the codes, "
                         f"{ns['share_near_a_centre'](codes):.0%} within 1.0 of a centre")
        print(f"seed {seed}: plain AE reconstruction {baseline['reconstruction']:.1f}, energy "
              f"{baseline['energy']:.3f} | AAE reconstruction {values['reconstruction']:.1f}, energy "
              f"{values['energy']:.3f} ({values['energy'] / baseline['energy']:.2f}x the plain AE's){structure}; "
              f"validation energy by epoch {[round(float(e), 3) for e in history['val_energy']]}; "
              f"{time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
