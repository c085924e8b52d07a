"""MNIST, bundled and verified: the loader, the checksum check, and a downloader.

The course ships the original MNIST IDX files in ``data/`` (gzip-compressed). Every file is checked
against the published size and SHA-256 of its *uncompressed* bytes before use, so a truncated or
corrupt copy raises :class:`DataFileError` (naming the file, what was expected and found, and how
to restore it) instead of silently giving a wrong dataset.

One cache: the verified arrays of a split stay in memory for the process, keyed by the files'
path, size, modification time and inode, so loading again is cheap and a changed file is read
and checked again. The checksum itself is cheap beside the decompression, so nothing is kept
on disk between processes.

Where the data lives: ``$AELAB_DATA`` if set, else the ``data/`` folder of the course checkout.

Command line::

    python -m aelab.data verify      # check the four MNIST files
    python -m aelab.data download    # fetch missing or corrupt files from the mirrors
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DataFileError", "MNIST_FILES", "data_dir", "download_mnist", "load_mnist", "verify_mnist"]


@dataclass(frozen=True)
class FileSpec:
    """One data file: its name, and the size and SHA-256 of its uncompressed bytes."""

    name: str
    size: int
    sha256: str
    md5: str = ""


# Checksums of the uncompressed IDX files (the MD5s are the ones published with MNIST).
MNIST_FILES = {
    "train-images": FileSpec(
        "train-images-idx3-ubyte", 47040016,
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "6bbc9ace898e44ae57da46a324031adb"),
    "train-labels": FileSpec(
        "train-labels-idx1-ubyte", 60008,
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "a25bea736e30d166cdddb491f175f624"),
    "test-images": FileSpec(
        "t10k-images-idx3-ubyte", 7840016,
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "2646ac647ad5339dbf082846283269ea"),
    "test-labels": FileSpec(
        "t10k-labels-idx1-ubyte", 10008,
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        "27ae3e4e09519cfbb04c329615203637"),
}

# Public mirrors serving the original gzip files (``<mirror><name>.gz``), tried in order.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

_REPO_DATA = Path(__file__).resolve().parent.parent / "data"
_RESTORE_HINT = (
    "To restore it, run `git checkout -- data/` in the course folder (the files are part of the "
    "repository), or `python -m aelab.data download` to fetch a verified copy."
)


class DataFileError(RuntimeError):
    """A data file is missing, truncated or corrupt. The message says which and how to fix it."""


def data_dir() -> Path:
    """The folder holding the data files: ``$AELAB_DATA`` if set, else the course's ``data/``."""
    env = os.environ.get("AELAB_DATA")
    return Path(env).expanduser() if env else _REPO_DATA


def _find(spec: FileSpec, folder: Path) -> Path:
    for candidate in (folder / f"{spec.name}.gz", folder / spec.name):
        if candidate.is_file():
            return candidate
    raise DataFileError(
        f"MNIST file missing: {folder / (spec.name + '.gz')} does not exist.\n"
        f"Expected: {spec.name}.gz ({spec.size:,} bytes uncompressed, sha256 {spec.sha256}).\n"
        f"Found: no such file in {folder}.\n{_RESTORE_HINT}")


def _verified_bytes(path: Path, spec: FileSpec, *, downloaded: bool = False) -> bytes:
    """The uncompressed bytes of ``path`` (gzip or plain), checked against ``spec``'s size and
    SHA-256. Raises DataFileError saying what is wrong and, unless ``downloaded``, how to fix it."""
    what = "downloaded file" if downloaded else f"MNIST file unreadable: {path}"
    hint = "" if downloaded else f"\n{_RESTORE_HINT}"
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile, ValueError) as err:
        raise DataFileError(f"{what} could not be decompressed ({err}).\n"
                            f"It is probably truncated or corrupt.{hint}") from err
    digest = hashlib.sha256(raw).hexdigest()
    if len(raw) != spec.size or digest != spec.sha256:
        what = ("downloaded file does not match its checksum" if downloaded
                else f"MNIST file corrupt: {path}")
        raise DataFileError(
            f"{what}\n"
            f"Expected: {spec.size:,} bytes uncompressed with sha256 {spec.sha256}.\n"
            f"Found:    {len(raw):,} bytes with sha256 {digest}.{hint}")
    return raw


def verify_mnist(folder: str | os.PathLike | None = None) -> dict[str, Path]:
    """Check all four MNIST files with a full checksum; return ``{key: path}``. Raises on error."""
    folder = Path(folder) if folder is not None else data_dir()
    found = {}
    for key, spec in MNIST_FILES.items():
        found[key] = _find(spec, folder)
        _verified_bytes(found[key], spec)
    return found


def _parse_idx(raw: bytes, path: Path, ndim: int) -> np.ndarray:
    """Parse an IDX file (big-endian header: magic 0x0000 08 <ndim>, then the dimensions)."""
    magic = int.from_bytes(raw[:4], "big")
    if magic != 0x0800 | ndim:
        raise DataFileError(f"{path} is not an IDX file with {ndim} dimension(s) "
                            f"(magic number {magic:#010x}).\n{_RESTORE_HINT}")
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


@functools.lru_cache(maxsize=8)
def _load_split(split: str, paths: tuple[Path, Path], stamp: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Read-only (images, labels) of ``split`` from the verified files ``paths``. ``stamp``, the
    files' size, mtime and inode, is only part of the cache key: a changed file is read again."""
    del stamp
    arrays = []
    for kind, ndim, path in (("images", 3, paths[0]), ("labels", 1, paths[1])):
        arr = _parse_idx(_verified_bytes(path, MNIST_FILES[f"{split}-{kind}"]), path, ndim)
        arr.flags.writeable = False
        arrays.append(arr)
    return arrays[0], arrays[1]


def _subset_indices(labels: np.ndarray, size: int, *, seed: int = 0,
                    stratified: bool = True) -> np.ndarray:
    """Indices of a deterministic random subset of ``size`` items, sorted ascending.

    With ``stratified=True`` every label gets its share in proportion to its frequency (largest
    remainders first), so a 100-image subset of MNIST has 9 to 11 images of each digit.
    """
    labels = np.asarray(labels)
    n = len(labels)
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"size must be an int, got {type(size).__name__}")
    if not 0 < size <= n:
        raise ValueError(f"size must be between 1 and {n} (the number of items), got {size}")
    rng = np.random.default_rng(seed)
    if not stratified:
        return np.sort(rng.choice(n, size=size, replace=False))
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts / n * size
    take = np.floor(exact).astype(int)
    remainder_order = np.argsort(-(exact - take), kind="stable")
    take[remainder_order[: size - take.sum()]] += 1
    chosen = [rng.choice(np.flatnonzero(labels == c), size=k, replace=False)
              for c, k in zip(classes, take) if k > 0]
    return np.sort(np.concatenate(chosen))


def load_mnist(split: str = "train", *, size: int | None = None, seed: int = 0,
               stratified: bool = True, flatten: bool = False, raw: bool = False,
               data_home: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST as numpy arrays ``(images, labels)``.

    Parameters
    ----------
    split : "train" (60,000 images) or "test" (10,000 images).
    size : keep a deterministic random subset of this many images (None: all).
    seed : random seed of the subset.
    stratified : the subset keeps the label proportions of the full split.
    flatten : images of shape (N, 784) instead of (N, 28, 28).
    raw : images as uint8 grey levels 0..255 instead of float32 in [0, 1].
    data_home : folder with the IDX files (default: :func:`data_dir`).

    Returns
    -------
    images : float32 array (N, 28, 28) in [0, 1] (or (N, 784); uint8 with ``raw=True``).
    labels : int64 array (N,) with the digit 0..9.

    Raises :class:`DataFileError` with a how-to-fix message if a file is missing or corrupt.
    """
    if split not in ("train", "test"):
        raise ValueError(f'split must be "train" or "test", got {split!r}')
    folder = Path(data_home) if data_home is not None else data_dir()
    paths = tuple(_find(MNIST_FILES[f"{split}-{kind}"], folder).resolve()
                  for kind in ("images", "labels"))
    stamp = tuple((st.st_size, st.st_mtime_ns, st.st_ino) for st in map(os.stat, paths))
    images_u8, labels_u8 = _load_split(split, paths, stamp)
    index = slice(None) if size is None else _subset_indices(labels_u8, size, seed=seed,
                                                             stratified=stratified)
    images = images_u8[index]
    labels = labels_u8[index].astype(np.int64)
    if raw:
        images = np.array(images, dtype=np.uint8, copy=True)
    else:
        images = images.astype(np.float32)
        images *= np.float32(1 / 255)
    if flatten:
        images = images.reshape(len(images), -1)
    return images, labels


# --------------------------------------------------------------------------------------------
# Downloading


def _fetch(url: str, target: Path, spec: FileSpec, timeout: float, progress: bool) -> None:
    """Download ``url`` into ``target`` atomically, verifying the uncompressed checksum."""
    from tqdm.auto import tqdm

    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                    suffix=f".part{target.suffix}")  # .gz: read as gzip
    tmp = Path(tmp_name)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, os.fdopen(fd, "wb") as out:
            total = response.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            with tqdm(total=total, unit="B", unit_scale=True, desc=target.name,
                      disable=not progress, leave=False) as bar:
                received = 0
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            if total is not None and received != total:
                raise DataFileError(f"transfer truncated: got {received:,} of {total:,} bytes")
        _verified_bytes(tmp, spec, downloaded=True)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def download_mnist(folder: str | os.PathLike | None = None, *, files=MNIST_FILES,
                   mirrors=MNIST_MIRRORS, timeout: float = 30.0, progress: bool = True,
                   force: bool = False) -> dict[str, Path]:
    """Fetch ``<mirror><name>.gz`` of each :class:`FileSpec` in ``files`` (default: the four
    MNIST files) into ``folder`` (default :func:`data_dir`); return ``{name: path}``.

    Files already present and valid are kept (unless ``force``). Each file is written to a
    temporary name, checked against its checksum, then renamed into place, so an interrupted or
    corrupt transfer never leaves a partial file. On any failure the next mirror is tried; if all
    fail, :class:`DataFileError` lists what each mirror did.
    """
    folder = Path(folder) if folder is not None else data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    specs = list(files.values()) if isinstance(files, dict) else list(files)
    if not mirrors:
        raise ValueError("mirrors must list at least one base URL")
    paths = {}
    for spec in specs:
        target = folder / f"{spec.name}.gz"
        if not force:
            try:
                existing = _find(spec, folder)
                _verified_bytes(existing, spec)
                paths[spec.name] = existing
                continue
            except DataFileError:
                pass
        failures = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + target.name
            try:
                _fetch(url, target, spec, timeout, progress)
            except (urllib.error.URLError, OSError, DataFileError, ValueError) as err:
                failures.append(f"  {url}: {err}".replace("\n", " "))
                continue
            paths[spec.name] = target
            break
        else:
            raise DataFileError(f"could not download {target.name}; every mirror failed:\n"
                                + "\n".join(failures))
    return paths


def _main(argv: list[str]) -> int:
    command = argv[0] if argv else "verify"
    try:
        if command == "verify":
            for key, path in verify_mnist().items():
                print(f"ok  {key:13s} {path}")
        elif command == "download":
            for name, path in download_mnist().items():
                print(f"ok  {name:24s} {path}")
        else:
            print("usage: python -m aelab.data [verify|download]", file=sys.stderr)
            return 2
    except DataFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
