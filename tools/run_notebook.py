#!/usr/bin/env python
"""Execute notebooks top to bottom on a fresh kernel and print the wall time of each.

    python tools/run_notebook.py notebooks/pytorch/solutions/01_linear_autoencoder_solution.ipynb
    python tools/run_notebook.py --output /tmp/executed NB.ipynb   # keep the executed copy

Runs in full mode unless AELAB_QUICK=1 is set. Exits 1 if a cell fails. Used to measure the
notebooks' run times (`make run-notebook NB=...`). Solution notebooks run in strict mode
(AELAB_STRICT=solutions unless AELAB_STRICT is set): a solution that does not pass its own
checker fails instead of falling back to the reference.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def run(path: Path, output: Path | None, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        elapsed = time.perf_counter() - start
        if output is not None:
            output.mkdir(parents=True, exist_ok=True)
            name = "-".join(path.resolve().parts[-3:]) if len(path.parts) > 1 else path.name
            nbformat.write(nb, output / name)
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--output", type=Path, help="folder for the executed copies")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    os.environ.setdefault("AELAB_STRICT", "solutions")  # kernels start in the notebook's folder
    failed = False
    for path in args.notebooks:
        try:
            elapsed = run(path, args.output, args.timeout)
            print(f"{elapsed:8.1f} s  {path}")
        except CellExecutionError as err:
            failed = True
            print(f"FAILED    {path}\n{str(err)[-3000:]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
