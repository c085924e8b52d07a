#!/usr/bin/env python
"""How long loading MNIST takes: first load (full SHA-256 check), a new process with the cached
verification, and a repeated call in the same process.

    .venv/bin/python benchmarks/load_mnist.py
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = """
import time
t = time.perf_counter()
from aelab.data import load_mnist
images, labels = load_mnist("train")
first = time.perf_counter() - t
t = time.perf_counter()
load_mnist("train")
again = time.perf_counter() - t
print(first, again)
"""


def run_child(env) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True,
                         check=True)
    first, again = map(float, out.stdout.split())
    return first, again


def main(repeats: int = 5) -> None:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, AELAB_CACHE=cache)
        cold = []
        for _ in range(repeats):
            for name in os.listdir(cache):
                os.remove(os.path.join(cache, name))
            cold.append(run_child(env)[0])
        warm, memo = zip(*(run_child(env) for _ in range(repeats)))
    print(f"load_mnist('train'), 60,000 images, median of {repeats} runs:")
    print(f"  first load in a process, checksum not yet verified: {statistics.median(cold):.3f} s")
    print(f"  first load in a process, verification cached:      {statistics.median(warm):.3f} s")
    print(f"  repeated call in the same process:                  {statistics.median(memo) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
