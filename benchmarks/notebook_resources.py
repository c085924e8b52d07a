#!/usr/bin/env python
"""What each solution notebook costs a JupyterHub: peak memory and CPU time of its kernel, wall
time, and the run time of each "## " section, in full and quick mode; from these, how many
students fit per core and per GB.

    python benchmarks/notebook_resources.py --mode quick               # all 16 solution notebooks
    python benchmarks/notebook_resources.py --mode full --json benchmarks/results/notebook_resources.json
    python benchmarks/notebook_resources.py --mode full --json R.json notebooks/keras/solutions/05_*.ipynb
    python benchmarks/notebook_resources.py --mode full --save out/ notebooks/*/solutions/07_*.ipynb  # keep the outputs
    python benchmarks/notebook_resources.py --server --json R.json     # an idle JupyterLab server
    python benchmarks/notebook_resources.py --report R.json --sections # print the tables again
    python benchmarks/notebook_resources.py --mode full --threads 2 --json R.json  # the course, back to back

Each notebook runs top to bottom on a fresh kernel with nbclient (the interpreter running this
script is the kernel's), with AELAB_THREADS=OMP_NUM_THREADS=1 (``--threads``): on a hub each
student's kernel gets about one core, and one thread gives the smallest CPU time, the honest cost.
Solution notebooks run in strict mode (AELAB_STRICT=solutions), as in ``tools/run_notebook.py``.

Measured per notebook:
- peak RSS: the kernel process and its children, summed, sampled every ``--interval`` seconds;
  also the kernel's own high-water mark (VmHWM in /proc, exact, Linux only). The tables use the
  larger of the two.
- CPU time: user + system of the kernel and its children (psutil), read just before shutdown.
- wall time: from the first cell to the last (kernel start excluded), and per cell from
  nbclient's ``record_timing`` metadata (kernel-side timestamps), summed per "## " section and
  per "### " subsection.
CPU time and peak RSS hardly depend on the machine's load; wall time does.

The JSON file (``--json``) is merged: a run of some notebooks replaces only their entries, so a
changed lesson can be re-measured alone. It records the git commit measured.

Sizing rules (``students_per_gb`` and ``students_per_core``, see their docstrings) turn these into
the figures of docs/instructor.md. Where a lesson was run in both tracks, a second table sets
their wall times side by side, with Keras' over PyTorch's and each track's running total
(``framework_table``). The notebooks run in the order given, by default lesson after lesson,
each lesson's two tracks one after the other: a default run compares them back to back.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READ_WORDS_PER_MIN = 200      # reading speed for the lesson's prose
READ_MIN_PER_CODE_CELL = 0.5  # reading a code cell and looking at its output
CLASS_MINUTES = 90
SESSIONS = {"02": 2, "05": 2}  # lessons taught over two class sessions
MEMORY_MARGIN = 1.25           # headroom on the measured peak RSS
CPU_UTILISATION = 0.5          # average share of the cores a class may use (bursts need the rest)

_DETAILS = re.compile(r"<details>.*?</details>", re.S)
_WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")


# ---------------------------------------------------------------- pure parts (tested) ----------
def _seconds(meta: dict) -> float | None:
    """Run time of one executed cell from nbclient's record_timing metadata, in seconds."""
    start = meta.get("iopub.execute_input") or meta.get("iopub.status.busy")
    end = meta.get("shell.execute_reply") or meta.get("iopub.status.idle")
    if not start or not end:
        return None
    parse = _dt.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def reading_words(markdown: str) -> int:
    """Words of a markdown cell a student reads: folded <details> (hints, answers) left out."""
    return len(_WORD.findall(_DETAILS.sub(" ", markdown)))


def sections(cells: list[dict]) -> list[dict]:
    """Group a notebook's cells by "## " heading (and "### " subheading within it).

    ``cells`` are nbformat cells (dicts with ``cell_type``, ``source``, ``metadata``). Returns one
    dict per section in notebook order: ``title``, ``code_cells``, ``words`` (reading words),
    ``run_s`` (sum of the code cells' run times; cells without timing count 0), ``read_min``
    (READ_WORDS_PER_MIN and READ_MIN_PER_CODE_CELL), ``longest_cell_s``, ``peak_rss_mb`` (the
    largest sampled RSS while one of its cells ran, from the cells' ``peak_rss_mb`` metadata that
    ``measure`` writes; None without it), ``cpu_s`` (the kernel's CPU seconds in its cells, from
    the cells' ``cpu_s`` metadata; None without it) and ``subsections`` (the same keys, without
    subsections). Cells before the first "## " form the section "(introduction)".
    """
    out: list[dict] = []

    def new(title):
        return {"title": title, "code_cells": 0, "words": 0, "run_s": 0.0, "longest_cell_s": 0.0,
                "peak_rss_mb": None, "cpu_s": None}

    sec = sub = None

    def current():
        nonlocal sec
        if sec is None:
            sec = new("(introduction)")
            sec["subsections"] = []
            out.append(sec)
        return [sec] + ([sub] if sub is not None else [])

    for cell in cells:
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            # a cell may hold several headings: its words go to the heading above them
            for line in _DETAILS.sub(" ", src).splitlines():
                if line.startswith("## "):
                    sec = new(line[3:].strip())
                    sec["subsections"] = []
                    out.append(sec)
                    sub = None
                elif line.startswith("### "):
                    current()
                    sub = new(line[4:].strip())
                    sec["subsections"].append(sub)
                for t in current():
                    t["words"] += reading_words(line)
        elif cell["cell_type"] == "code":
            s = _seconds(cell.get("metadata", {}).get("execution", {})) or 0.0
            rss = cell.get("metadata", {}).get("peak_rss_mb")
            cpu = cell.get("metadata", {}).get("cpu_s")
            for t in current():
                if cpu is not None:
                    t["cpu_s"] = round((t["cpu_s"] or 0.0) + cpu, 3)
                t["code_cells"] += 1
                t["run_s"] += s
                t["longest_cell_s"] = max(t["longest_cell_s"], s)
                if rss is not None:
                    t["peak_rss_mb"] = max(t["peak_rss_mb"] or 0.0, rss)
    for s in out:
        for t in [s] + s["subsections"]:
            t["run_s"] = round(t["run_s"], 2)
            t["longest_cell_s"] = round(t["longest_cell_s"], 2)
            t["read_min"] = round(t["words"] / READ_WORDS_PER_MIN
                                  + READ_MIN_PER_CODE_CELL * t["code_cells"], 1)
    return out


def students_per_gb(peak_rss_mb: float, margin: float = MEMORY_MARGIN,
                    server_mb: float = 0.0) -> float:
    """Students per GiB of RAM: memory is not shared between kernels, and a class reaches the
    same cells at about the same time, so every student's peak must fit at once: each needs
    ``margin`` × their kernel's peak RSS, plus ``server_mb`` for their own Jupyter server.
    1 GiB = 1024 MiB."""
    if peak_rss_mb <= 0:
        raise ValueError(f"peak_rss_mb must be positive, got {peak_rss_mb!r}")
    return 1024.0 / (margin * peak_rss_mb + server_mb)


def students_per_core(cpu_s: float, sessions: int = 1, class_minutes: float = CLASS_MINUTES,
                      utilisation: float = CPU_UTILISATION) -> float:
    """Students per core: each student runs the whole notebook once in the lesson's
    ``sessions`` × ``class_minutes``, so a core can serve ``utilisation`` × class seconds /
    ``cpu_s`` students on average. ``utilisation`` < 1 leaves the rest of the core for bursts,
    when much of the class runs the same training cell at once."""
    if cpu_s <= 0:
        raise ValueError(f"cpu_s must be positive, got {cpu_s!r}")
    if not 0 < utilisation <= 1:
        raise ValueError(f"utilisation must be in (0, 1], got {utilisation!r}")
    return utilisation * sessions * class_minutes * 60.0 / cpu_s


def lesson_of(path: str) -> str:
    """'notebooks/keras/solutions/05_variational_autoencoder_solution.ipynb' -> '05'."""
    m = re.match(r"(\d\d)_", Path(path).name)
    if not m:
        raise ValueError(f"expected a notebook named NN_name..., got {path!r}")
    return m.group(1)


def framework_of(path: str) -> str:
    parts = Path(path).parts
    for fw in ("pytorch", "keras"):
        if fw in parts:
            return fw
    raise ValueError(f"expected a path under notebooks/pytorch or notebooks/keras, got {path!r}")


def merge(old: dict, new: dict) -> dict:
    """Merge a new run into the stored results: entries are keyed by notebook and mode; the new
    run's entries replace the old ones with the same key, the others are kept."""
    merged = dict(old)
    merged.setdefault("runs", {})
    merged["runs"] = {**old.get("runs", {}), **new.get("runs", {})}
    for key in ("machine",):
        if key in new:
            merged[key] = new[key]
    return merged


# ---------------------------------------------------------------- measuring --------------------
class _Sampler(threading.Thread):
    """Samples the summed RSS of a process and its children every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float):
        super().__init__(daemon=True)
        import psutil
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.cell_peak = 0   # reset by the caller at the start of each cell
        self.samples = 0
        self._stop_event = threading.Event()

    def rss(self) -> int:
        import psutil
        total = 0
        try:
            procs = [self.proc] + self.proc.children(recursive=True)
        except psutil.NoSuchProcess:
            return 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def run(self):
        while not self._stop_event.is_set():
            rss = self.rss()
            self.peak = max(self.peak, rss)
            self.cell_peak = max(self.cell_peak, rss)
            self.samples += 1
            self._stop_event.wait(self.interval)

    def stop(self):
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, self.rss())


def _cpu_seconds(pid: int) -> float:
    import psutil
    proc = psutil.Process(pid)
    t = proc.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in proc.children(recursive=True):
        try:
            c = child.cpu_times()
            total += c.user + c.system
        except psutil.NoSuchProcess:
            pass
    return total


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def measure(path: Path, quick: bool, threads: int, interval: float, timeout: int,
            save: Path | None = None) -> dict:
    """Run one notebook on a fresh kernel and return its measurements (see the module doc);
    with ``save``, also write the executed notebook (its outputs: the numbers it printed) there."""
    import nbformat
    from nbclient import NotebookClient

    env = {"AELAB_STRICT": "solutions", "AELAB_THREADS": str(threads),
           "OMP_NUM_THREADS": str(threads), "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    if quick:
        env["AELAB_QUICK"] = "1"
    saved = {k: os.environ.get(k) for k in [*env, "AELAB_QUICK"]}
    os.environ.update(env)
    if not quick:
        os.environ.pop("AELAB_QUICK", None)
    try:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=True,
                                resources={"metadata": {"path": str(path.parent)}})
        with client.setup_kernel():
            pid = client.km.provisioner.process.pid
            sampler = _Sampler(pid, interval)
            sampler.start()
            start = time.perf_counter()
            try:
                n = 0
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type == "code":
                        n += 1
                    sampler.cell_peak = sampler.rss()
                    cpu_before = _cpu_seconds(pid)
                    client.execute_cell(cell, index, execution_count=n)
                    if cell.cell_type == "code":
                        cell.metadata["peak_rss_mb"] = round(
                            max(sampler.cell_peak, sampler.rss()) / 2**20, 1)
                        cell.metadata["cpu_s"] = round(_cpu_seconds(pid) - cpu_before, 3)
            finally:
                wall = time.perf_counter() - start
                sampler.stop()
                cpu = _cpu_seconds(pid)
                hwm = _vm_hwm_mb(pid)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, save / f"{framework_of(str(path))}-{'quick' if quick else 'full'}-{path.name}")
    sampled = sampler.peak / 2**20
    return {
        "notebook": str(path.relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path),
        "lesson": lesson_of(str(path)), "framework": framework_of(str(path)),
        "mode": "quick" if quick else "full", "threads": threads,
        "peak_rss_mb": round(max(sampled, hwm or 0.0), 1),
        "peak_rss_sampled_mb": round(sampled, 1), "kernel_vm_hwm_mb": None if hwm is None else round(hwm, 1),
        "rss_samples": sampler.samples, "cpu_s": round(cpu, 1), "wall_s": round(wall, 1),
        "sections": sections(nb.cells),
    }


def measure_server(settle_s: float = 5.0) -> dict:
    """Peak RSS of an idle single-user Jupyter server (JupyterLab, no kernel), after it has
    served the JupyterLab page once: the memory each student's server adds to their kernel."""
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = "sizing"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
         "--allow-root",  # only matters when run as root, e.g. in a container
         f"--ServerApp.root_dir={ROOT}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/lab?token={token}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the Jupyter server did not answer") from None
                time.sleep(0.5)
        time.sleep(settle_s)
        hwm = _vm_hwm_mb(proc.pid)
        import psutil
        rss = psutil.Process(proc.pid).memory_info().rss / 2**20
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"peak_rss_mb": round(max(rss, hwm or 0.0), 1), "rss_mb": round(rss, 1)}


@contextlib.contextmanager
def _locked(path: Path | None):
    """Hold an exclusive flock on ``path`` (if given), so heavy runs on a shared machine do not
    overlap; the same lock ``flock /tmp/aelab-heavy.lock ...`` takes."""
    if path is None:
        yield
        return
    import fcntl
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "notebooks", "aelab"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return out + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# ---------------------------------------------------------------- tables -----------------------
def sizing_rows(results: dict) -> list[dict]:
    """One row per run with the two sizing figures, sorted by lesson, framework, mode."""
    server_mb = results.get("server", {}).get("peak_rss_mb", 0.0)
    rows = []
    for run in results["runs"].values():
        rows.append({**run,
                     "per_core": students_per_core(run["cpu_s"], SESSIONS.get(run["lesson"], 1)),
                     "per_gb": students_per_gb(run["peak_rss_mb"], server_mb=server_mb)})
    return sorted(rows, key=lambda r: (r["lesson"], r["framework"], r["mode"]))


def sizing_table(results: dict) -> str:
    lines = ["| lesson | framework | mode | peak RSS (MB) | CPU (s) | wall (s) | longest cell (CPU s) "
             "| students/core | students/GB |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in sizing_rows(results):
        cells_wall = sum(s["run_s"] for s in r["sections"])
        # the slowest cell's wall time, scaled to one idle core like section_cpu
        longest = max(s["longest_cell_s"] for s in r["sections"]) * (
            r["cpu_s"] / cells_wall if cells_wall > 0 else 1.0)
        lines.append(f"| {r['lesson']} | {r['framework']} | {r['mode']} | {r['peak_rss_mb']:.0f} | "
                     f"{r['cpu_s']:.0f} | {r['wall_s']:.0f} | {longest:.0f} | {r['per_core']:.0f} | "
                     f"{r['per_gb']:.2f} |")
    return "\n".join(lines)


def section_cpu(run: dict, section: dict) -> float:
    """A section's run time on one idle core, in seconds: the kernel's CPU time in its cells
    (single-threaded, so CPU time is the time it takes alone on a core). Runs measured without
    per-cell CPU get their cells' wall time scaled by the kernel's CPU time over the cells' total
    wall time, which assumes the kernel had the same share of a core throughout the run."""
    if section.get("cpu_s") is not None:
        return section["cpu_s"]
    cells_wall = sum(s["run_s"] for s in run["sections"])
    return section["run_s"] * run["cpu_s"] / cells_wall if cells_wall > 0 else 0.0


def section_table(results: dict, lesson: str, subsections: bool = False) -> str:
    """Per-section reading estimate and run times (``section_cpu``) of one lesson, both
    frameworks and modes side by side (columns missing when not measured); the last row has the
    whole notebook's CPU time and its measured wall time."""
    runs = {(r["framework"], r["mode"]): r for r in results["runs"].values() if r["lesson"] == lesson}
    if not runs:
        return f"(lesson {lesson} not measured)"
    cols = [k for k in [("pytorch", "full"), ("keras", "full"), ("pytorch", "quick"), ("keras", "quick")]
            if k in runs]
    first = runs[cols[0]]
    head = "| section | reading (min) | " + " | ".join(f"{fw} {mode} (s)" for fw, mode in cols) + " |"
    lines = [head, "|---|---:|" + "---:|" * len(cols)]

    def rows(run):
        for s in run["sections"]:
            yield s
            if subsections:
                yield from ({**t, "title": "  ↳ " + t["title"]} for t in s["subsections"])

    # The tracks share their headings except for the framework's name in a few: match sections by
    # position when both runs have the same outline, else by title.
    first_rows = list(rows(first))
    per_col = {}
    for k in cols:
        other = list(rows(runs[k]))
        per_col[k] = (dict(enumerate(other)) if len(other) == len(first_rows)
                      else {i: r for i, s in enumerate(first_rows) for r in other if r["title"] == s["title"]})
    for i, s in enumerate(first_rows):
        cells = []
        for k in cols:
            hit = per_col[k].get(i)
            cells.append("–" if hit is None else f"{section_cpu(runs[k], hit):.0f}")
        lines.append(f"| {s['title']} | {s['read_min']:.1f} | " + " | ".join(cells) + " |")
    total = [f"**{runs[k]['cpu_s']:.0f}** (wall {runs[k]['wall_s']:.0f})" for k in cols]
    read = sum(s["read_min"] for s in first["sections"])
    lines.append(f"| **whole notebook** | **{read:.0f}** | " + " | ".join(total) + " |")
    return "\n".join(lines)


def framework_table(results: dict, mode: str = "full") -> str | None:
    """Each lesson's wall time in ``mode`` in the two tracks, Keras' over PyTorch's, and each
    track's running total through that lesson (the last row: every lesson in the table, the
    whole course when all were run). Only lessons measured in both tracks; None if there is none.
    Wall time depends on the machine's load and the thread count, so the table states the
    threads and when the runs were made: compare runs made one after the other."""
    runs = {(r["lesson"], r["framework"]): r for r in results["runs"].values() if r["mode"] == mode}
    lessons = sorted(lesson for lesson, fw in runs if fw == "pytorch" and (lesson, "keras") in runs)
    if not lessons:
        return None
    lines = [f"{mode} mode, wall time (s)",
             "", "| lesson | PyTorch | Keras | Keras / PyTorch | PyTorch, lessons so far | Keras, lessons so far |",
             "|---|---:|---:|---:|---:|---:|"]
    totals = {"pytorch": 0.0, "keras": 0.0}
    for lesson in lessons:
        wall = {fw: runs[lesson, fw]["wall_s"] for fw in totals}
        for fw in totals:
            totals[fw] += wall[fw]
        lines.append(f"| {lesson} | {wall['pytorch']:.1f} | {wall['keras']:.1f} | "
                     f"{wall['keras'] / wall['pytorch']:.2f} | {totals['pytorch']:.0f} | {totals['keras']:.0f} |")
    used = [runs[lesson, fw] for lesson in lessons for fw in totals]
    threads = sorted({str(r.get("threads", "?")) for r in used})
    when = sorted(r["measured"] for r in used if r.get("measured"))
    lines += ["", f"threads: {', '.join(threads)}"
              + (f"; measured {when[0]} to {when[-1]}" if when else "")]
    return "\n".join(lines)


# ---------------------------------------------------------------- command line -----------------
def default_notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*/solutions/0[0-7]_*_solution.ipynb"),
                  key=lambda p: (lesson_of(str(p)), framework_of(str(p))))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: the 16 solution notebooks)")
    parser.add_argument("--mode", choices=["quick", "full", "both"], default="quick")
    parser.add_argument("--threads", type=int, default=1, help="AELAB_THREADS for the kernel")
    parser.add_argument("--interval", type=float, default=0.25, help="RSS sampling interval (s)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    parser.add_argument("--lock", type=Path,
                        help="hold this flock(1)-style lock file while each notebook runs")
    parser.add_argument("--json", type=Path, help="merge the results into this JSON file")
    parser.add_argument("--save", type=Path, help="write the executed notebooks into this folder")
    parser.add_argument("--report", type=Path, help="only print the tables of this JSON file")
    parser.add_argument("--server", action="store_true",
                        help="measure an idle JupyterLab server's memory instead of notebooks")
    parser.add_argument("--sections", action="store_true", help="also print per-section tables")
    args = parser.parse_args(argv)

    if args.server:
        server = measure_server()
        print(f"idle JupyterLab server: peak RSS {server['peak_rss_mb']:.0f} MB")
        if args.json:
            old = json.loads(args.json.read_text()) if args.json.exists() else {}
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({**old, "server": server}, indent=1) + "\n")
        return 0
    if args.report:
        results = json.loads(args.report.read_text())
    else:
        modes = ["quick", "full"] if args.mode == "both" else [args.mode]
        paths = [p.resolve() for p in args.notebooks] or default_notebooks()
        commit = git_commit()
        results = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                               "python": platform.python_version()}, "runs": {}}
        failed = False
        for mode in modes:
            for path in paths:
                try:
                    with _locked(args.lock):
                        run = measure(path, mode == "quick", args.threads, args.interval, args.timeout,
                                      args.save)
                except Exception as err:  # noqa: BLE001 -- report and go on with the others
                    failed = True
                    print(f"FAILED {mode} {path}: {str(err)[-2000:]}", file=sys.stderr, flush=True)
                    continue
                run["commit"] = commit
                run["measured"] = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
                try:
                    run["load_avg_1min_at_end"] = round(os.getloadavg()[0], 2)
                except OSError:
                    pass
                results["runs"][f"{run['notebook']}|{mode}"] = run
                print(f"{mode:5s} {run['notebook']}: peak RSS {run['peak_rss_mb']:.0f} MB, "
                      f"CPU {run['cpu_s']:.1f} s, wall {run['wall_s']:.1f} s", flush=True)
                if args.json:  # merge after every notebook, so a long run keeps what it measured
                    old = json.loads(args.json.read_text()) if args.json.exists() else {}
                    args.json.parent.mkdir(parents=True, exist_ok=True)
                    args.json.write_text(json.dumps(merge(old, results), indent=1) + "\n")
        if args.json:
            results = json.loads(args.json.read_text())
        if failed:
            print(sizing_table(results))
            return 1
    print(sizing_table(results))
    for mode in ("full", "quick"):
        table = framework_table(results, mode)
        if table:
            print("\n" + table)
    if args.sections:
        for lesson in sorted({r["lesson"] for r in results["runs"].values()}):
            print(f"\nLesson {lesson}\n")
            print(section_table(results, lesson, subsections=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
