#!/usr/bin/env python
"""Lesson 04 checkers: how often do their statistical tests reject a *correct* answer?

The noise checkers (``04.add_gaussian_noise``, ``04.add_salt_and_pepper``, ``04.mask_blocks``)
judge random output with statistical tests, each designed to reject a correct answer with
probability at most ``aelab.check.lesson04.ALPHA`` (1e-10). In a notebook every check uses the
checker's seed 0; here each checker runs with seeds 0 .. N-1 on the reference answer and on a
differently written correct answer (other draw order, other dtype), and the script prints

- the number of rejections (must be 0),
- the time per check,
- the three statistical tests that came closest to rejecting: the smallest Bonferroni-corrected
  p-value each saw over all seeds (a test rejects only below ALPHA = 10^-10).

Run under the heavy lock on the shared machine (two worker processes):

    flock /tmp/aelab-heavy.lock env OMP_NUM_THREADS=1 .venv/bin/python \\
        benchmarks/lesson04_false_alarms.py --seeds 10000 --workers 2
"""

from __future__ import annotations

import argparse
import time
from multiprocessing import Pool

import numpy as np

from aelab.check import NotYet, lesson04
from aelab.noise import block_mask, gaussian_noise, salt_and_pepper


def gaussian_float32_per_image(images, sigma, rng):
    """The notebook's solution (float32 draws, another algorithm than float64), image by image."""
    out = np.empty(images.shape, dtype=np.float32)
    for i, image in enumerate(images):
        noisy = image + sigma * rng.standard_normal(image.shape, dtype=np.float32)
        out[i] = np.clip(noisy, 0.0, 1.0)
    return out


def salt_and_pepper_one_uniform(images, amount, rng):
    """One uniform draw per pixel: below amount/2 pepper, between amount/2 and amount salt."""
    u = rng.random(images.shape)
    out = images.astype(np.float32).copy()
    out[u < amount / 2] = 0.0
    out[(u >= amount / 2) & (u < amount)] = 1.0
    return out


def mask_blocks_binomial(images, fraction, rng, block=7):
    """Decisions from rng.binomial (other draws than rng.random), blown up with np.kron."""
    n, height, width = images.shape
    erase = rng.binomial(1, fraction, size=(n, height // block, width // block))
    keep = np.kron(1 - erase, np.ones((1, block, block), dtype=np.int64))
    return (images * keep).astype(np.float32)


CHECKERS = {
    "04.add_gaussian_noise": (lesson04._check_gaussian, {
        "reference": gaussian_noise, "float32 draws, image by image": gaussian_float32_per_image}),
    "04.add_salt_and_pepper": (lesson04._check_salt_and_pepper, {
        "reference": salt_and_pepper, "one uniform draw": salt_and_pepper_one_uniform}),
    "04.mask_blocks": (lesson04._check_mask_blocks, {
        "reference": block_mask, "binomial draws": mask_blocks_binomial}),
}


def run(job):
    """Check one answer for a range of seeds: (rejections [(seed, message)], p-values, seconds)."""
    exercise_id, answer, seeds = job
    checker, answers = CHECKERS[exercise_id]
    fn = answers[answer]
    lesson04._P_LOG = {}
    rejections = []
    start = time.perf_counter()
    for seed in seeds:
        try:
            checker(fn, "numpy", seed=seed)
        except NotYet as why:
            rejections.append((seed, str(why)))
    return exercise_id, answer, rejections, lesson04._P_LOG, time.perf_counter() - start, len(seeds)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args(argv)
    jobs = [(exercise_id, answer, range(start, min(start + args.chunk, args.seeds)))
            for exercise_id, (_, answers) in CHECKERS.items() for answer in answers
            for start in range(0, args.seeds, args.chunk)]
    totals: dict = {}
    wall = time.perf_counter()
    with Pool(args.workers) as pool:
        for exercise_id, answer, rejections, p_log, seconds, count in pool.imap_unordered(run, jobs):
            total = totals.setdefault((exercise_id, answer),
                                      {"rejections": [], "p": {}, "seconds": 0.0, "checks": 0})
            total["rejections"] += rejections
            total["seconds"] += seconds
            total["checks"] += count
            for name, log10_p in p_log.items():
                total["p"][name] = min(total["p"].get(name, 0.0), log10_p)
    print(f"ALPHA (largest false-alarm probability of one test) = {lesson04.ALPHA:g}; "
          f"{args.seeds} checker seeds per answer; wall time {time.perf_counter() - wall:.0f} s "
          f"with {args.workers} workers\n")
    failures = 0
    for (exercise_id, answer), total in totals.items():
        failures += len(total["rejections"])
        smallest = sorted(total["p"].items(), key=lambda item: item[1])
        print(f"{exercise_id}  [{answer}]: {len(total['rejections'])} rejections in "
              f"{total['checks']} checks, {1000 * total['seconds'] / total['checks']:.1f} ms per "
              f"check, {len(smallest)} statistical tests")
        for name, log10_p in smallest[:3]:
            print(f"    smallest corrected p-value: 10^{log10_p:.1f}  ({name})")
        for seed, message in total["rejections"][:5]:
            print(f"    REJECTED seed {seed}: {message}")
    print(f"\n{failures} rejections of correct answers in total")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
