"""False alarms of the statistical check of exercise 07.sample_mixture_prior.

The checker draws 2,000 samples of each of the 10 components from the student's sampler (with
its own seeded generators) and requires each component's mean within 6 standard errors (+ 1e-3)
of its centre, each spread within 10 % of std and each |x-y correlation| below 0.15; see
``aelab/check/lesson07.py``. A correct sampler written differently draws other random numbers
for the same seeds, so each "correct implementation" is emulated here by the reference sampler
fed a generator derived from the checker's one and an offset. Prints how many of ``--runs`` such
implementations the check rejected, and the largest deviation each test saw over all runs, in
the units of its limit (1.0 = at the limit).

    flock /tmp/aelab-long-<branch>.lock nice -n 19 env OMP_NUM_THREADS=1 \
        .venv/bin/python benchmarks/check_lesson07_sampler.py --runs 2000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from aelab import check
from aelab.check import lesson07 as L


def implementation(offset: int):
    def sampler(labels, rng, radius=4.0, std=0.5):
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng")
        own = np.random.default_rng([int(rng.integers(2 ** 32)), offset])
        return L.sample_mixture_prior_reference(labels, own, radius, std)
    return sampler


def margins(offset: int) -> np.ndarray:
    """The checker's four statistics for one implementation, over both calls, as fractions of
    their limits: (mean error / tolerance, |spread / std - 1| / 0.1, |correlation| / 0.15,
    |share within one std - 0.6827| / 0.03, the last on the default call only)."""
    order = np.random.default_rng(7).permutation(L.N_COMPONENTS * L._PER_COMPONENT)
    many = np.repeat(np.arange(L.N_COMPONENTS), L._PER_COMPONENT)[order]
    counts = np.bincount(many)
    worst = np.zeros(4)
    for radius, std in ((4.0, 0.5), (2.0, 0.2)):
        z = implementation(offset)(many, np.random.default_rng(8), radius, std).astype(np.float64)
        means, stds, corrs = L._component_stats(z, many)
        centres = L._centres(radius, 2 * np.pi * np.arange(10) / 10)
        tolerance = 6 * stds / np.sqrt(counts)[:, None] + 1e-3
        worst = np.maximum(worst, [np.max(np.abs(means - centres) / tolerance),
                                   np.max(np.abs(stds / std - 1)) / 0.1,
                                   np.max(np.abs(corrs)) / 0.15,
                                   abs(np.mean(np.abs(z - L._centres(radius, 2 * np.pi * many / 10)) < std)
                                       - 0.6827) / 0.03 if radius == 4.0 else 0.0])
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    start = time.process_time()
    rejected, worst = 0, np.zeros(4)
    for offset in range(1, args.runs + 1):
        result = check.run("07.sample_mixture_prior", implementation(offset), show=False,
                           timeout=0)
        rejected += not result.passed
        if not result.passed:
            print(f"offset {offset}: {result.message}")
        worst = np.maximum(worst, margins(offset))
    print(f"{args.runs} correct implementations: {rejected} rejected")
    print(f"largest deviation seen, as a fraction of its limit: component mean {worst[0]:.2f}, "
          f"spread {worst[1]:.2f}, x-y correlation {worst[2]:.2f}, normal shape {worst[3]:.2f}")
    print(f"CPU time {time.process_time() - start:.0f} s")


if __name__ == "__main__":
    main()
