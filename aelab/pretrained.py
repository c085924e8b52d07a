"""The course's pretrained models: lesson 05's 2-D VAE, 16-D VAE and conditional VAE, and
lesson 07's two adversarial autoencoders (the ring prior of section 4, the label-informed prior
of section 5).

Trained by ``tools/train_pretrained.py`` with the lesson's own model code and recipe; its
command, seed and the measured test numbers are recorded in ``data/pretrained/pretrained.json``.
One file per model, ``data/pretrained/<name>.safetensors`` (safetensors: plain tensors, no
pickle), float16, in the PyTorch ``state_dict`` layout; every file is checked against the SHA-256
in :data:`PRETRAINED_FILES` before use, so a missing, truncated or changed file raises
:class:`aelab.data.DataFileError` naming the file.

Three ways to use them:

- ``aelab.torch_support.load_pretrained(model, name)`` / ``aelab.keras_support.load_pretrained
  (model, name)``: into the lesson's own model (lesson 05's ``VAE``, ``ConditionalVAE``, lesson
  07's ``AAE``) in either track. The two tracks' models compute the same function (every convolution has kernel 4, stride 2,
  padding 1, which Keras' ``padding="same"`` pads evenly), so one set of weights serves both;
  :func:`keras_weights` converts the layout (kernels transposed, the channels-first flatten
  order of the dense layers next to the convolutions permuted to channels-last).
- :func:`numpy_model`: the same network in numpy (dense, ReLU or SiLU, convolution and
  transposed convolution written out below), so the latent explorer draws digits without importing a
  framework (a 5-second import). ``NumpyVAE.decoder_layers()`` lists the decoder's layers and
  arrays; the explorer's page runs that same list in JavaScript.

Names: ``vae_2d``, ``vae_16d`` (conv VAEs, ``kind`` "conv_vae"), ``cvae_2d`` (the dense
conditional VAE, "conditional_vae"), ``aae_ring`` and ``aae_labelled`` (lesson 07's AAEs, "conv_aae":
lesson 05's 2-D conv encoder with a deterministic code, ``encoder.7`` = Linear(256, 2) instead of
μ and log σ², and the same decoder; only the encoder and decoder are stored, since the
discriminator is needed only while training). Shapes: images (n, 28, 28) or any layout with 784 pixels
per image, in [0, 1]; codes (n, latent_dim) float32; labels (n,) integers 0-9.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import DataFileError

__all__ = ["MODELS", "PRETRAINED_FILES", "MAP_CODES_FILES", "pretrained_dir", "load_weights", "model_info",
           "training_history", "latent_map_codes", "keras_weights", "numpy_model", "NumpyVAE"]

MODELS = ("vae_2d", "vae_16d", "cvae_2d", "aae_ring", "aae_labelled")
# SHA-256 of each file as tools/train_pretrained.py wrote it (it prints these lines); a model
# without an entry has not been trained for the course yet.
PRETRAINED_FILES = {
    "vae_2d": "39e68db02a82e181bef8c8f266eae28a95c92a85cdf80f1af14bb071e835452d",
    "vae_16d": "56eb60853663fea6b217c23756e26898bdb80753d413a9b3989d6ab847a9f710",
    "cvae_2d": "d2f318e1d068ef27e331e39210559f2d06a2d912a35ded66af25c0c658e9599e",
    "aae_ring": "002bf68c38944c628b8669d9400b41699acfb7dba2fed9a4be36d0915bbbe09d",
    "aae_labelled": "044852fb2a70799afedf66d2168c1e4619d14e48d8679e1246e959e2fc222356",
}

# SHA-256 of ``<name>_map_codes.safetensors``: the codes of the 10,000 test images under a 2-D
# model, for its latent map (see :func:`latent_map_codes`), as tools/train_pretrained.py wrote them.
MAP_CODES_FILES = {
    "vae_2d": "e12f207b7e3d7cc244a7e3134d5fd6f0bca412fd8809c491eb13ce55f6a624f6",
}

_REPO_DIR = Path(__file__).resolve().parent.parent / "data" / "pretrained"


def pretrained_dir() -> Path:
    """The folder of the weights: ``$AELAB_PRETRAINED`` if set, else the course's ``data/pretrained``."""
    env = os.environ.get("AELAB_PRETRAINED")
    return Path(env).expanduser() if env else _REPO_DIR


def _path(name: str) -> Path:
    if name not in MODELS:
        raise ValueError(f"name: expected one of {', '.join(MODELS)}, got {name!r}")
    return pretrained_dir() / f"{name}.safetensors"


_RESTORE = ("Restore it with `git checkout -- data/pretrained`, or retrain it: "
            "`python tools/train_pretrained.py` (see data/pretrained/README.md).")


@functools.cache
def _read(path: Path, mtime_ns: int, size: int, expected: str) -> tuple[dict, dict]:
    """Verified (tensors as float32, metadata) of one file; cached per path, mtime, size and checksum."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected:
        raise DataFileError(f"pretrained weights corrupt: {path}\n"
                            f"Expected: sha256 {expected}.\n"
                            f"Found:    {len(raw):,} bytes with sha256 {digest}.\n{_RESTORE}")
    try:
        tensors = load(raw)
        header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    except (SafetensorError, ValueError) as err:  # only if a file with the right checksum is unreadable
        raise DataFileError(f"pretrained weights unreadable: {path} ({err}).\n{_RESTORE}") from err
    return ({k: v.astype(np.float32) for k, v in tensors.items()}, header.get("__metadata__", {}))


def _load(name: str) -> tuple[dict, dict]:
    path = _path(name)
    if name not in PRETRAINED_FILES:
        raise DataFileError(f"pretrained weights not shipped: aelab.pretrained.PRETRAINED_FILES has no "
                            f"checksum for {path.name}.\nTrain them with `python tools/train_pretrained.py` "
                            f"(see data/pretrained/README.md).")
    if not path.is_file():
        raise DataFileError(f"pretrained weights missing: {path} does not exist.\n"
                            f"Expected: sha256 {PRETRAINED_FILES[name]}.\n{_RESTORE}")
    stat = path.stat()
    return _read(path, stat.st_mtime_ns, stat.st_size, PRETRAINED_FILES[name])


def load_weights(name: str) -> dict[str, np.ndarray]:
    """The verified weights of model ``name`` as float32 arrays, by PyTorch ``state_dict`` key."""
    return {k: v.copy() for k, v in _load(name)[0].items()}


def model_info(name: str) -> dict:
    """What the file says about its model: ``kind``, ``latent_dim`` (int), ``channels`` (tuple),
    ``activation`` ("silu" for lesson 05's conv VAEs and lesson 07's AAEs, "relu" for the dense
    conditional VAE; files that name none use ReLU)."""
    about = json.loads(_load(name)[1]["aelab"])
    return {"name": name, "kind": about["kind"], "latent_dim": int(about["latent_dim"]),
            "channels": tuple(about["channels"]), "activation": about.get("activation", "relu")}


def training_history(name: str) -> dict:
    """The history the lesson's training function returned when ``name`` was trained, as
    recorded in ``pretrained.json``.

    Lesson 05's ``train_vae`` (the VAEs), per epoch: ``loss`` (training), ``val_loss``,
    ``val_reconstruction``, ``val_kl`` (nats per image), ``seconds`` (wall time per epoch on the
    machine that trained), lists of floats. Lesson 07's ``train_aae`` (the AAEs): ``batch_losses``,
    float32 array (batches, 3) of the reconstruction, discriminator and generator loss of every
    batch (nats), as ``train_aae`` returns it; per epoch ``val_reconstruction`` (nats per image),
    ``val_energy`` (energy distance of the validation codes to the ring), ``seconds``."""
    _path(name)
    manifest = pretrained_dir() / "pretrained.json"
    try:
        entry = json.loads(manifest.read_text())["models"][name]
        return {k: np.asarray(v, dtype=np.float32) if k == "batch_losses" else list(v)
                for k, v in entry["history"].items()}
    except (OSError, ValueError, KeyError) as err:
        raise DataFileError(f"pretrained record unreadable: {manifest} has no history of {name} "
                            f"({type(err).__name__}: {err}).\n{_RESTORE}") from err


def latent_map_codes(name: str) -> np.ndarray:
    """The means μ of MNIST's 10,000 test images (in ``load_mnist("test")``'s order) under model
    ``name``, float32 (10000, latent_dim), as ``numpy_model(name).encode`` computes them.

    Precomputed by ``tools/train_pretrained.py`` from the stored weights and shipped beside them
    (``<name>_map_codes.safetensors``, checksummed in :data:`MAP_CODES_FILES`), so that a latent
    map of the whole test set costs no encoding when the explorer starts. The file records the
    SHA-256 of the weights it was computed from: codes of other weights (retrained, but the
    codes not rewritten) raise :class:`aelab.data.DataFileError`, as a missing or changed file does.
    """
    weights_sha = PRETRAINED_FILES.get(name) if name in MODELS else None
    path = pretrained_dir() / f"{name}_map_codes.safetensors"
    if name not in MAP_CODES_FILES or weights_sha is None:
        raise DataFileError(f"latent map codes not shipped: aelab.pretrained.MAP_CODES_FILES has no "
                            f"checksum for {path.name} (models with codes: {', '.join(MAP_CODES_FILES)}).")
    if not path.is_file():
        raise DataFileError(f"latent map codes missing: {path} does not exist.\n"
                            f"Expected: sha256 {MAP_CODES_FILES[name]}.\n{_RESTORE}")
    stat = path.stat()
    tensors, metadata = _read(path, stat.st_mtime_ns, stat.st_size, MAP_CODES_FILES[name])
    made_from = json.loads(metadata.get("aelab", "{}")).get("weights_sha256")
    if made_from != weights_sha:
        raise DataFileError(f"latent map codes out of date: {path} was computed from weights with sha256 "
                            f"{made_from}, {name}.safetensors has {weights_sha}.\n"
                            f"Rewrite them: `python tools/train_pretrained.py --map-codes`.")
    return tensors["codes"].copy()


# --------------------------------------------------------------------------- layout conversion

def _conv_vae_layers(w: dict, channels: tuple, kind: str = "conv_vae") -> list[tuple[str, list[np.ndarray]]]:
    """The conv VAE's (or, ``kind`` "conv_aae", the AAE's) layers with weights in Keras' layout."""
    c2 = channels[1]
    # torch flattens (c2, 7, 7) channels first, keras (7, 7, c2) channels last
    flat_in = w["encoder.5.weight"].reshape(256, c2, 49).transpose(2, 1, 0).reshape(49 * c2, 256)
    flat_out = w["decoder.2.weight"].reshape(c2, 49, 256).transpose(2, 1, 0).reshape(256, 49 * c2)

    def conv(key):  # torch (out, in, kh, kw) -> keras (kh, kw, in, out); transposed: in <-> out
        return [w[key + ".weight"].transpose(2, 3, 1, 0), w[key + ".bias"]]

    def dense(key):        # torch (out, in) -> keras (in, out)
        return [w[key + ".weight"].T, w[key + ".bias"]]

    code = [dense("encoder.7")] if kind == "conv_aae" else [dense("to_mu"), dense("to_log_var")]
    return [("encoder", conv("encoder.0")), ("encoder", conv("encoder.2")),
            ("encoder", [flat_in, w["encoder.5.bias"]]),
            *(("encoder", arrays) for arrays in code),
            ("decoder", dense("decoder.0")),
            ("decoder", [flat_out, w["decoder.2.bias"].reshape(c2, 49).T.reshape(-1)]),
            ("decoder", conv("decoder.5")), ("decoder", conv("decoder.7"))]


def keras_weights(name: str) -> dict[str, list[list[np.ndarray]]]:
    """The weights of ``name`` in the Keras layout of the lesson's models (05's, or 07's for the
    AAEs): ``{"encoder": [...], "decoder": [...]}``, one ``[kernel, bias]`` per layer that has
    weights, in the order the lesson's ``build_*`` functions create them."""
    info, w = model_info(name), _load(name)[0]
    if info["kind"] in ("conv_vae", "conv_aae"):
        layers = _conv_vae_layers(w, info["channels"], info["kind"])
    else:
        layers = [("encoder", [w[f"{k}.weight"].T, w[f"{k}.bias"]])
                  for k in ("encoder.0", "encoder.2", "to_mu", "to_log_var")]
        layers += [("decoder", [w[f"{k}.weight"].T, w[f"{k}.bias"]])
                   for k in ("decoder_net.0", "decoder_net.2", "decoder_net.4")]
    out = {"encoder": [], "decoder": []}
    for part, arrays in layers:
        out[part].append([np.ascontiguousarray(a, dtype=np.float32) for a in arrays])
    return out


# --------------------------------------------------------------------------- the numpy network

def _relu(x):
    return np.maximum(x, 0, out=x)


def _silu(x):
    """SiLU, x * sigmoid(x) (lesson 05's conv VAEs, lesson 07's AAEs)."""
    return x * _sigmoid(x)


_ACTIVATIONS = {"relu": _relu, "silu": _silu}


def _dense(x, w, key):
    return x @ w[key + ".weight"].T + w[key + ".bias"]


def _conv(x, weight, bias):
    """Convolution, kernel 4, stride 2, padding 1: (n, c_in, H, W) -> (n, c_out, H/2, W/2)."""
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (4, 4), axis=(2, 3))[:, :, ::2, ::2]
    columns = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * (h // 2) * (w // 2), c * 16)
    out = columns @ weight.reshape(len(weight), c * 16).T + bias      # one matrix product
    return out.reshape(n, h // 2, w // 2, len(weight)).transpose(0, 3, 1, 2)


def _conv_transpose(x, weight, bias):
    """Transposed convolution, kernel 4, stride 2, padding 1: (n, c_in, H, W) -> (n, c_out, 2H, 2W).

    Input pixel (i, j) stamps ``x[i, j] * weight[:, :, k, l]`` onto output pixel (2i + k - 1,
    2j + l - 1); the padding crops one pixel on each side of the full (2H + 2)-wide result.
    """
    n, c, h, w = x.shape
    out_channels = weight.shape[1]
    stamps = (x.transpose(0, 2, 3, 1).reshape(n * h * w, c) @ weight.reshape(c, out_channels * 16))
    stamps = stamps.reshape(n, h, w, out_channels, 4, 4)
    full = np.zeros((n, out_channels, 2 * h + 2, 2 * w + 2), np.float32)
    for k in range(4):
        for l in range(4):
            full[:, :, k:k + 2 * h:2, l:l + 2 * w:2] += stamps[..., k, l].transpose(0, 3, 1, 2)
    return full[:, :, 1:-1, 1:-1] + bias[:, None, None]


def _sigmoid(x):
    return (0.5 * (1.0 + np.tanh(0.5 * x))).astype(np.float32)


@dataclass(frozen=True)
class NumpyVAE:
    """One pretrained model run in numpy. ``encode(x[, labels])`` -> means μ (n, latent_dim),
    or for the AAEs (``kind`` "conv_aae") the deterministic code z; ``decode(z[, labels])`` ->
    pixel probabilities (n, 28, 28). The conditional model (``conditional``) needs the labels,
    the others take none."""

    name: str
    latent_dim: int
    conditional: bool
    weights: dict
    kind: str = "conv_vae"
    activation: str = "relu"   # of the conv models' hidden layers: "relu" or "silu"

    def __post_init__(self):
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"activation: expected one of {', '.join(_ACTIVATIONS)}, got {self.activation!r}")

    def _one_hot(self, labels, n):
        labels = np.asarray(labels)
        if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer) \
                or labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
            raise ValueError(f"labels: expected {n} integers 0-9, one per row, got "
                             f"{labels.dtype} array of shape {labels.shape}")
        return np.eye(10, dtype=np.float32)[labels]

    def _check_labels(self, labels):
        if self.conditional and labels is None:
            raise TypeError(f"{self.name} is conditional: pass labels, (n,) integers 0-9")
        if not self.conditional and labels is not None:
            raise TypeError(f"{self.name} is not conditional: it takes no labels")

    def encode(self, x, labels=None) -> np.ndarray:
        """Images (n, 28, 28) or (n, 1, 28, 28) or (n, 28, 28, 1) or (n, 784) -> μ (n, latent_dim)."""
        self._check_labels(labels)
        x = np.asarray(x, dtype=np.float32)
        if x.ndim < 2 or x[0].size != 784:
            raise ValueError(f"x: expected n images of 784 pixels, got shape {x.shape}")
        w, n = self.weights, len(x)
        if self.conditional:
            h = _relu(_dense(np.concatenate([x.reshape(n, 784), self._one_hot(labels, n)], 1), w, "encoder.0"))
            return _dense(_relu(_dense(h, w, "encoder.2")), w, "to_mu")
        out, act = [], _ACTIVATIONS[self.activation]
        for start in range(0, n, 500):
            h = x[start:start + 500].reshape(-1, 1, 28, 28)
            h = act(_conv(h, w["encoder.0.weight"], w["encoder.0.bias"]))
            h = act(_conv(h, w["encoder.2.weight"], w["encoder.2.bias"]))
            h = act(_dense(h.reshape(len(h), -1), w, "encoder.5"))
            out.append(_dense(h, w, "encoder.7" if self.kind == "conv_aae" else "to_mu"))
        return np.concatenate(out).astype(np.float32)

    def decoder_layers(self) -> list[tuple]:
        """The decoder as the list of layers :meth:`decode` runs, in order, on one input row of
        ``latent_dim`` numbers (the code), followed by the one-hot label (10 numbers) for the
        conditional model:

        ``("dense", weight, bias)``           x (in,) -> x @ weight + bias (out,); weight (in, out)
        ``("relu",)``, ``("silu",)``          elementwise: max(x, 0), x * sigmoid(x)
        ``("sigmoid",)``                      elementwise, the last layer
        ``("reshape", shape)``                to ``shape`` (a tuple), e.g. (channels, 7, 7)
        ``("conv_transpose", weight, bias)``  (c_in, H, W) -> (c_out, 2H, 2W): kernel 4, stride 2,
                                              padding 1; weight (c_in, c_out, 4, 4), bias (c_out,)

        The arrays are float32 (the stored weights, not copies). The last layer gives the 784
        pixel probabilities of a 28x28 image (row by row). The latent explorer sends this list to
        the browser, which runs the same layers in JavaScript (``aelab.widgets.latent_sliders``
        with ``browser_decoder=``).
        """
        w = self.weights
        if self.conditional:
            return [("dense", w["decoder_net.0.weight"].T, w["decoder_net.0.bias"]), ("relu",),
                    ("dense", w["decoder_net.2.weight"].T, w["decoder_net.2.bias"]), ("relu",),
                    ("dense", w["decoder_net.4.weight"].T, w["decoder_net.4.bias"]), ("sigmoid",)]
        act = (self.activation,)
        return [("dense", w["decoder.0.weight"].T, w["decoder.0.bias"]), act,
                ("dense", w["decoder.2.weight"].T, w["decoder.2.bias"]), act,
                ("reshape", (w["decoder.5.weight"].shape[0], 7, 7)),
                ("conv_transpose", w["decoder.5.weight"], w["decoder.5.bias"]), act,
                ("conv_transpose", w["decoder.7.weight"], w["decoder.7.bias"]), ("sigmoid",)]

    def decode(self, z, labels=None) -> np.ndarray:
        """Codes (n, latent_dim) -> pixel probabilities (n, 28, 28), float32 in [0, 1]."""
        self._check_labels(labels)
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z: expected codes of shape (n, {self.latent_dim}), got shape {z.shape}")
        n = len(z)
        h = np.concatenate([z, self._one_hot(labels, n)], 1) if self.conditional else z
        for op, *args in self.decoder_layers():
            if op == "dense":
                h = h @ args[0] + args[1]
            elif op in _ACTIVATIONS:
                h = _ACTIVATIONS[op](h)
            elif op == "reshape":
                h = h.reshape(n, *args[0])
            elif op == "conv_transpose":
                h = _conv_transpose(h, *args)
            else:  # "sigmoid", the last layer
                h = _sigmoid(h)
        return h.reshape(n, 28, 28)


def numpy_model(name: str) -> NumpyVAE:
    """Pretrained model ``name`` (one of :data:`MODELS`) as a :class:`NumpyVAE`."""
    info = model_info(name)
    return NumpyVAE(name, info["latent_dim"], info["kind"] == "conditional_vae", load_weights(name),
                    info["kind"], info["activation"])
