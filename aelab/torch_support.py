"""PyTorch adapters: DataLoaders from numpy arrays, numpy-in/numpy-out model wrappers.

Imports torch when this module is imported; ``import aelab`` alone never does.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

__all__ = ["make_dataloader", "numpy_function", "count_parameters"]


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


def numpy_function(model, *, batch_size: int = 1024):
    """Wrap a module (or tensor function) as ``f(np.ndarray) -> np.ndarray``, no gradients.

    Inputs are cast to float32 and run in chunks of ``batch_size``. A module runs in eval mode
    (dropout off, batch-norm running statistics) during each call and is put back in the mode
    it was in, so the function stays right while the model keeps training. Useful for
    ``decode(z)`` in the aelab widgets and plots.
    """
    is_module = isinstance(model, torch.nn.Module)

    def apply(values: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(np.asarray(values, dtype=np.float32))
        was_training = is_module and model.training
        if was_training:
            model.eval()
        try:
            with torch.inference_mode():
                parts = [model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        finally:
            if was_training:
                model.train()
        return torch.cat(parts).numpy() if parts else np.zeros((0,), np.float32)

    return apply


def count_parameters(model: torch.nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
