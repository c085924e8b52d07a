"""aelab: the helper package of the aelab autoencoder course.

Small and framework-neutral: numpy arrays go in and come out, so the PyTorch and the Keras
notebooks share every helper. Importing ``aelab`` imports neither PyTorch nor TensorFlow.

Modules
-------
data      MNIST loaders with checksum verification, and a safe downloader
runtime   quick mode, seeds, thread counts, the active framework
check     exercise checkers: ``check.run("00.flatten_images", fn)``
metrics   reconstruction errors and image-quality measures
noise     corruptions for denoising (Gaussian, salt-and-pepper, block masking)
plot      static (matplotlib) and interactive (plotly) figures
widgets   live widgets around numpy callables: latent sliders, interpolation, noise explorer
setup_check  the environment report of lesson 00
torch_support / keras_support   thin adapters to each framework (imported only when used)
models    the reference models the checkers compare with, for each framework
"""

import importlib

__version__ = "0.1.0"

from .runtime import quick_mode, setup  # noqa: E402  (light: no framework imported)

_SUBMODULES = {"data", "runtime", "check", "metrics", "noise", "plot", "widgets", "setup_check",
               "torch_support", "keras_support", "models"}

__all__ = sorted(_SUBMODULES | {"quick_mode", "setup", "__version__"})


def __getattr__(name):
    """Import submodules on first use, so ``import aelab`` stays light."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'aelab' has no attribute {name!r}")
