"""False alarms of the 05.reparameterize checker: correct answers over many check seeds.

``check.run`` seeds every check with ``aelab.check.CHECK_SEED``, so in a notebook and in CI a
given answer always gets the same verdict. This script shows that the verdict of a *correct*
answer does not depend on luck: it sets ``CHECK_SEED`` to 0, 1, ..., N-1 (and, in Keras,
TensorFlow's global seed, which ``tf.random.normal`` uses) and runs ``check.run`` on each correct
answer below, counting rejections. Each framework runs in its own process.

Correct answers: PyTorch, the reference (``torch.randn_like``) and ``Normal(mu, sigma).rsample()``;
Keras, the reference (``keras.random.normal``) and ``tf.random.normal(tf.shape(mu))``.

Printed per answer: seeds run, rejections (the first messages, if any), seconds per check; each
answer runs in its own process, --workers of them at a time.
Also printed: the false-alarm bound of each test, from its sampling distribution.

Usage (a long run: take the shared lock):
    flock /tmp/aelab-heavy.lock .venv/bin/python benchmarks/lesson05_reparameterize_false_alarms.py \
        [--seeds 10000] [--framework torch|keras] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ANSWERS = {
    "torch": {
        "reference": "from aelab.models.vae_torch import reparameterize as fn",
        "rsample": ("from torch.distributions import Normal\n"
                    "def fn(mu, log_var):\n"
                    "    return Normal(mu, torch.exp(log_var / 2)).rsample()"),
    },
    "keras": {
        "reference": "from aelab.models.vae_keras import reparameterize as fn",
        "tf.random.normal": ("def fn(mu, log_var):\n"
                             "    return mu + tf.exp(log_var / 2) * tf.random.normal(tf.shape(mu))"),
    },
}

WORKER = r"""
import json, sys, time
framework, seeds = sys.argv[1], int(sys.argv[2])
if framework == "torch":
    import torch
else:
    import os
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras, tensorflow as tf
from aelab import check
answers = json.loads(sys.stdin.read())
report = {}
if len(sys.argv) > 3 and sys.argv[3]:
    answers = {sys.argv[3]: answers[sys.argv[3]]}
for name, source in answers.items():
    namespace = {"torch": torch} if framework == "torch" else {"tf": tf, "keras": keras}
    exec(source, namespace)
    fn, rejected, messages = namespace["fn"], 0, []
    start = time.perf_counter()
    for seed in range(seeds):
        check.CHECK_SEED = seed
        if framework == "keras":
            tf.random.set_seed(seed)
        result = check.run("05.reparameterize", fn, framework=framework, show=False)
        if not result.passed:
            rejected += 1
            if len(messages) < 3:
                messages.append(f"seed {seed}: {result.message}")
    report[name] = dict(seeds=seeds, rejected=rejected, messages=messages,
                        seconds_per_check=(time.perf_counter() - start) / seeds)
    print(json.dumps({name: report[name]}), file=sys.stderr, flush=True)
# Equal rows: how often two draws of one coordinate are equal (float32 has finitely many values)
import numpy as np
equal_pairs, pairs = 0, 0
for seed in range(20 if len(sys.argv) <= 4 else 0):
    if framework == "torch":
        torch.manual_seed(seed)
        eps = torch.randn(20_000, 4).numpy()
    else:
        eps = np.asarray(keras.random.normal((20_000, 4), seed=seed))
    for column in eps.T:
        _, counts = np.unique(column, return_counts=True)
        equal_pairs += int((counts * (counts - 1) // 2).sum())
        pairs += len(column) * (len(column) - 1) // 2
report["_equal_pairs"] = dict(equal_pairs=equal_pairs, pairs=pairs)
print("REPORT" + json.dumps(report))
"""


def normal_tail(sds: float) -> float:
    """P(|X| > sds) for a standard normal X."""
    return math.erfc(sds / math.sqrt(2))


def bounds() -> list[tuple[str, float]]:
    """The false-alarm probability of each test for one check of a correct answer."""
    n, d, traced = 20_000, 4, 2_000
    return [
        ("z averages to mu (6 standard errors, 4 dimensions)", d * normal_tail(6.0)),
        ("spread of z within 5 % of sigma (relative standard error 1/sqrt(2n))",
         d * normal_tail(0.05 * math.sqrt(2 * n))),
        ("two dimensions correlate, |r| > 0.2 (6 pairs, n images)",
         6 * normal_tail(0.2 * math.sqrt(n))),
        ("a second call correlates with the first, r > 0.2 (n * d numbers)",
         normal_tail(0.2 * math.sqrt(n * d))),
        ("Keras: a second traced call correlates, r > 0.2 (2000 * d numbers)",
         normal_tail(0.2 * math.sqrt(traced * d))),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10_000)
    parser.add_argument("--framework", choices=["torch", "keras"], action="append")
    parser.add_argument("--workers", type=int, default=2, help="processes at a time")
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2",
                        "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    print("False-alarm bound of each test, per check of a correct answer (normal approximation):")
    for name, p in bounds():
        print(f"  {p:9.2e}  {name}" if p > 1e-300 else f"  < 1e-300   {name}")
    # one process per (framework, answer), --workers at a time; the first of each framework
    # also counts equal float32 draws
    jobs = [(fw, name, i == 0) for fw in args.framework or ["keras", "torch"]  # longest first
            for i, name in enumerate(ANSWERS[fw])]

    def run(job):
        framework, name, count_equal = job
        argv = [sys.executable, "-c", WORKER, framework, str(args.seeds), name]
        if not count_equal:
            argv.append("no-equal-count")
        proc = subprocess.run(argv, input=json.dumps(ANSWERS[framework]), capture_output=True,
                              text=True, env=env, check=False)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("REPORT")]
        if proc.returncode != 0 or not lines:
            sys.exit(f"{framework} {name} worker failed:\n{proc.stderr[-3000:]}")
        return framework, json.loads(lines[-1][len("REPORT"):])

    start = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        results = list(pool.map(run, jobs))
    for framework, report in results:
        equal = report.pop("_equal_pairs")
        if equal["pairs"]:
            rate = max(equal["equal_pairs"], 1) / equal["pairs"]
            print(f"{framework}: {equal['equal_pairs']} equal pairs among {equal['pairs']:.3g} "
                  f"pairs of one float32 coordinate (rate about {rate:.2g}); two of 20,000 rows "
                  f"equal in all 4 coordinates: about {20_000 * 19_999 / 2 * rate ** 4:.2g} "
                  f"per check")
        for name, r in report.items():
            print(f"{framework:5s} {name:18s} seeds {r['seeds']:6d}  rejected {r['rejected']:4d}  "
                  f"{r['seconds_per_check'] * 1000:6.1f} ms per check")
            for message in r["messages"]:
                print("      ", message.replace("\n", " "))
    print(f"wall time {time.perf_counter() - start:.0f} s with {args.workers} worker(s)")


if __name__ == "__main__":
    main()
