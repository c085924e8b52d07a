"""PyTorch adapters: DataLoaders from numpy arrays, numpy-in/numpy-out model wrappers.

Imports torch when this module is imported; ``import aelab`` alone never does.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from . import _bridge

__all__ = ["make_dataloader", "numpy_function", "count_parameters", "load_pretrained"]


def _tensor(values, name: str) -> torch.Tensor:
    if not isinstance(values, np.ndarray):
        raise TypeError(f"{name}: expected a numpy array, got {type(values).__name__}")
    if np.issubdtype(values.dtype, np.floating):
        return torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))
    if np.issubdtype(values.dtype, np.integer):
        return torch.from_numpy(np.ascontiguousarray(values, dtype=np.int64))
    raise TypeError(f"{name}: expected a float or integer array, got dtype {values.dtype}")


def make_dataloader(inputs: np.ndarray, targets: np.ndarray | None = None, *,
                    batch_size: int = 128, shuffle: bool = True, seed: int = 0) -> DataLoader:
    """A DataLoader over numpy arrays: batches ``(inputs,)`` or ``(inputs, targets)``.

    ``inputs`` (N, ...) float arrays become float32 tensors, integer arrays int64. For an
    autoencoder pass the images twice: ``make_dataloader(x, x)``. Shuffling is seeded, so the
    batch order is the same on every run.
    """
    tensors = [_tensor(inputs, "inputs")]
    if targets is not None:
        tensors.append(_tensor(targets, "targets"))
        if len(targets) != len(inputs):
            raise ValueError(f"inputs and targets must have the same length, "
                             f"got {len(inputs)} and {len(targets)}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(TensorDataset(*tensors), batch_size=batch_size, shuffle=shuffle,
                      generator=generator)


# torch.nn layers whose forward never reads ``self.training``: a module made only of these computes
# the same in train and eval mode. Dropout, batch/instance norm, recurrent layers, attention and
# every other class (a lesson's own modules included) are not listed.
_SAME_IN_BOTH_MODES = frozenset({
    torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict, torch.nn.Identity,
    torch.nn.Linear, torch.nn.Bilinear, torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d,
    torch.nn.ConvTranspose1d, torch.nn.ConvTranspose2d, torch.nn.ConvTranspose3d,
    torch.nn.Flatten, torch.nn.Unflatten, torch.nn.Embedding, torch.nn.LayerNorm, torch.nn.GroupNorm,
    torch.nn.MaxPool1d, torch.nn.MaxPool2d, torch.nn.AvgPool1d, torch.nn.AvgPool2d,
    torch.nn.AdaptiveAvgPool1d, torch.nn.AdaptiveAvgPool2d, torch.nn.Upsample, torch.nn.ZeroPad2d,
    torch.nn.ReLU, torch.nn.ReLU6, torch.nn.LeakyReLU, torch.nn.PReLU, torch.nn.ELU, torch.nn.SELU,
    torch.nn.CELU, torch.nn.GELU, torch.nn.SiLU, torch.nn.Mish, torch.nn.Sigmoid, torch.nn.Tanh,
    torch.nn.Hardtanh, torch.nn.Softplus, torch.nn.Softmax, torch.nn.LogSoftmax,
})


def _needs_eval(module) -> bool:
    """Whether running ``module`` in eval mode can change what it computes: it is in train mode
    and has a part that is not one of the layers of ``_SAME_IN_BOTH_MODES``."""
    return module.training and any(type(m) not in _SAME_IN_BOTH_MODES for m in module.modules())


def numpy_function(model, *, output=None, batch_size: int = 1024):
    """Wrap a model as numpy in, numpy out: ``f(*arrays)``, run without gradients.

    model : a module, a method of one (e.g. ``vae.encode``, or a conditional decoder
        ``cvae.decoder(z, labels)``), or any function of tensors.
    f(*arrays) : one array per input of the model, all with the same batch length N; float
        arrays become float32 tensors, integer arrays (labels) int64. They run in chunks of
        ``batch_size`` under ``torch.inference_mode()``. A module (or the module a method belongs
        to) runs in eval mode (dropout off, batch-norm running statistics) during each call and
        is put back in the mode it was in, so ``f`` stays right while the model keeps training
        (a module made only of layers that compute the same in both modes, such as linear,
        convolution and activation layers in a ``Sequential``, is left as it is).
    The result is numpy: an array, or a tuple of arrays when the model returns several tensors.
    output : optional function applied to that numpy result before it is returned, e.g.
        ``lambda out: out[0]`` to keep the means of an encoder returning (mu, log_var), or
        ``lambda logits: scipy.special.expit(logits).reshape(-1, 28, 28)`` for images.
    Bad input (strings, None, ragged or boolean arrays, mismatched N, the wrong number of
    inputs for the model) raises a TypeError / ValueError saying what was expected.
    Same signature as :func:`aelab.keras_support.numpy_function`.
    """
    _bridge.check_arguments(model, output, batch_size, "a torch module or a function of tensors")
    owner = model if isinstance(model, torch.nn.Module) else getattr(model, "__self__", None)
    module = owner if isinstance(owner, torch.nn.Module) else None
    what = f"numpy_function({_bridge.describe(model)})"
    signature = _bridge.signature_of(model.forward if isinstance(model, torch.nn.Module) else model)

    def to_numpy(value):
        if isinstance(value, torch.Tensor):
            return value.numpy()
        if isinstance(value, (tuple, list)) and all(isinstance(v, torch.Tensor) for v in value):
            return tuple(v.numpy() for v in value)
        raise _bridge.output_error(value, what)

    accepted_counts = set()

    def apply(*arrays):
        inputs = [torch.from_numpy(a) for a in _bridge.numpy_inputs(arrays, what)]
        _bridge.check_count(signature, len(inputs), what, accepted_counts)
        n = len(inputs[0])
        # switching modes walks the whole module tree twice per call, a good part of a small
        # call such as one slider event's decode: skipped where it changes nothing
        was_training = module is not None and _needs_eval(module)
        if was_training:
            module.eval()
        try:
            with torch.inference_mode():
                if n <= batch_size:   # one chunk, e.g. the single code of a slider event
                    parts = [to_numpy(model(*inputs))]
                else:
                    parts = [to_numpy(model(*(x[i:i + batch_size] for x in inputs)))
                             for i in range(0, n, batch_size)]
        finally:
            if was_training:
                module.train()
        result = _bridge.join_outputs(parts, what)
        return result if output is None else output(result)

    apply.model = model
    return apply


def count_parameters(model: torch.nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


_ACTIVATION_NAMES = {"ReLU": "relu", "SiLU": "silu"}


def hidden_activations(model: torch.nn.Module) -> set[str]:
    """The activations ("relu", "silu") between the layers of ``model``, outside a discriminator
    (an AAE's is not part of its shipped file): what a pretrained file records and
    :func:`load_pretrained` checks, since activations hold no weights."""
    return {_ACTIVATION_NAMES[type(m).__name__] for key, m in model.named_modules()
            if type(m).__name__ in _ACTIVATION_NAMES and not key.startswith("discriminator")}


def load_pretrained(model: torch.nn.Module, name: str) -> torch.nn.Module:
    """Load the course's pretrained weights ``name`` (one of ``aelab.pretrained.MODELS``) into
    the lesson's model ``model`` (lesson 05's ``VAE`` or ``ConditionalVAE``, lesson 07's ``AAE``,
    built with the same latent size and channels); returns the model, in eval mode. The AAEs'
    files hold the encoder and decoder: the model's discriminator keeps its weights. The file
    is checked against its SHA-256 first (:class:`aelab.data.DataFileError` naming it when
    missing or corrupt); a model of another shape, or with other activations between its layers
    than the file's model (ReLU, SiLU: they hold no weights, so shapes cannot tell), raises a
    ValueError naming the file and what differs.
    Same signature as :func:`aelab.keras_support.load_pretrained`.
    """
    from .pretrained import _path, load_weights, model_info

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    weights, info = load_weights(name), model_info(name)
    used = hidden_activations(model)
    if used != {info["activation"]}:
        raise ValueError(f"{_path(name)} does not fit this {type(model).__name__}: the file's model uses "
                         f"{info['activation']} between its layers, this one {', '.join(sorted(used)) or 'none'}")
    # an AAE's file has no discriminator: those are the only keys the model may have in addition
    optional = ("discriminator.",) if info["kind"] == "conv_aae" else ()
    try:
        missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()},
                                                    strict=False)
        missing = [k for k in missing if not k.startswith(optional)] if optional else missing
        if missing or unexpected:
            raise RuntimeError(f"missing keys {missing}, unexpected keys {unexpected}")
    except RuntimeError as err:
        raise ValueError(f"{_path(name)} does not fit this {type(model).__name__}: {err}") from None
    return model.eval()
