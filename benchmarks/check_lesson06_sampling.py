"""False-alarm rate and power of the random-sampling check of exercise 06.sample_per_class.

The checker calls the student's sampler for SAMPLING_SEEDS seeds and rejects it when too many
pairs of draws pick the same images (collision test) or when some images are picked far more
often than others (chi-square test); see ``aelab/check/lesson06.py``. A correct sampler written
differently draws other random numbers for the same seeds, so each "correct implementation" is
emulated here by the reference sampler with its seeds shifted by a large offset. Prints, over
``--runs`` such implementations, how often the check raised a false alarm, the mean number of
repeats against its design value, and how often the chi-square p-value fell below 0.01 and 0.05
(about 1% and 5% if the test is calibrated); then, for several wrong samplers, how often it
rejects them.

    flock /tmp/aelab-heavy.lock env OMP_NUM_THREADS=1 .venv/bin/python benchmarks/check_lesson06_sampling.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from aelab.check import NotYet
from aelab.check import lesson06 as L


def alarm(stats) -> bool:
    return sum(stats["repeats"].values()) >= L.COLLISION_LIMIT or stats["chi2_p"] < L.CHI2_P_LIMIT


def shifted(sampler, offset):
    return lambda labels, n, seed: sampler(labels, n, seed + offset)


def permutation_sampler(labels, n, seed):
    order = np.random.default_rng(seed).permutation(len(labels))
    return np.concatenate([order[labels[order] == c][:n] for c in np.unique(labels)])


def wrong_samplers():
    def cyclic_block(labels, n, seed):
        rng = np.random.default_rng(seed)
        out = []
        for c in np.unique(labels):
            m = np.flatnonzero(labels == c)
            out.append(m[(rng.integers(len(m)) + np.arange(n)) % len(m)])
        return np.concatenate(out)

    def weighted(power):
        def sampler(labels, n, seed):
            rng = np.random.default_rng(seed)
            out = []
            for c in np.unique(labels):
                m = np.flatnonzero(labels == c)
                w = np.arange(1.0, len(m) + 1) ** power
                out.append(rng.choice(m, n, replace=False, p=w / w.sum()))
            return np.concatenate(out)
        return sampler

    def one_excluded(labels, n, seed):   # the last image of every class is never drawn
        rng = np.random.default_rng(seed)
        return np.concatenate([rng.choice(np.flatnonzero(labels == c)[:-1], n, replace=False)
                               for c in np.unique(labels)])

    def new_generator_per_class(labels, n, seed):
        return np.concatenate([np.random.default_rng(seed).choice(np.flatnonzero(labels == c), n,
                                                                  replace=False)
                               for c in np.unique(labels)])

    def seed_plus_class(labels, n, seed):
        return np.concatenate([np.random.default_rng(seed + i).choice(
            np.flatnonzero(labels == c), n, replace=False) for i, c in enumerate(np.unique(labels))])

    return {"cyclic block of 5": cyclic_block, "weights 1..30": weighted(1.0),
            "weights (1..30)^0.25": weighted(0.25), "weights (1..30)^0.1": weighted(0.1),
            "last image never drawn": one_excluded,
            "new generator per class": new_generator_per_class,
            "default_rng(seed + class)": seed_plus_class}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000, help="correct implementations emulated")
    parser.add_argument("--wrong-runs", type=int, default=50, help="repetitions per wrong sampler")
    args = parser.parse_args()
    start = time.perf_counter()
    for name, sampler in (("reference (rng.choice)", L.sample_per_class_reference),
                          ("permutation", permutation_sampler)):
        alarms, repeats, below01, below05 = 0, [], 0, 0
        for r in range(args.runs):
            stats = L.sampling_statistics(shifted(sampler, 1_000_003 * (r + 1)))
            alarms += alarm(stats)
            repeats.append(sum(stats["repeats"].values()))
            below01 += stats["chi2_p"] < 0.01
            below05 += stats["chi2_p"] < 0.05
        print(f"{name:24s} false alarms {alarms}/{args.runs}; repeats mean {np.mean(repeats):.3f} "
              f"(designed {stats['expected_repeats']:.3f}), max {max(repeats)} (limit "
              f"{L.COLLISION_LIMIT}); chi-square p<0.01 in {below01 / args.runs:.2%}, "
              f"p<0.05 in {below05 / args.runs:.2%}")
    for name, sampler in wrong_samplers().items():
        rejected = 0
        for r in range(args.wrong_runs):
            try:
                rejected += alarm(L.sampling_statistics(shifted(sampler, 1_000_003 * (r + 1))))
            except NotYet:
                rejected += 1
        print(f"wrong: {name:26s} rejected {rejected}/{args.wrong_runs}")
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
