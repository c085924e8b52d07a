#!/usr/bin/env python
"""How long loading MNIST takes: the first load in a new process (decompress, full SHA-256
check, parse) and a repeated call in the same process (cached arrays; the float conversion).
Also the SHA-256 of the largest file alone, the part a cache across processes could save.

    .venv/bin/python benchmarks/load_mnist.py
"""

import statistics
import subprocess
import sys
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


def run_child() -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    first, again = map(float, out.stdout.split())
    return first, again


def sha256_seconds() -> float:
    import gzip
    import hashlib

    from aelab.data import MNIST_FILES, data_dir

    with gzip.open(data_dir() / f"{MNIST_FILES['train-images'].name}.gz", "rb") as f:
        raw = f.read()
    t = time.perf_counter()
    hashlib.sha256(raw).hexdigest()
    return time.perf_counter() - t


def main(repeats: int = 5) -> None:
    first, again = zip(*(run_child() for _ in range(repeats)))
    sha = statistics.median(sha256_seconds() for _ in range(repeats))
    print(f"load_mnist('train'), 60,000 images, median of {repeats} runs:")
    print(f"  first load in a new process:        {statistics.median(first):.3f} s")
    print(f"  repeated call in the same process:  {statistics.median(again) * 1000:.1f} ms")
    print(f"  of the first load, SHA-256 of train-images (47 MB): {sha * 1000:.1f} ms")


if __name__ == "__main__":
    main()
