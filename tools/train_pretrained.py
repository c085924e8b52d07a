"""Train lesson 05's explored models and save them as the course's pretrained weights.

    AELAB_THREADS=1 python tools/train_pretrained.py                     # PyTorch: train, save
    AELAB_THREADS=1 python tools/train_pretrained.py --framework keras   # Keras: train, report only

The models and the training recipe are the lesson's own: this script builds the PyTorch (or
Keras) solution notebook of ``notebooks/src/05_variational_autoencoder.py`` in memory with
``tools/build_notebooks.py`` and executes the *definitions* of its code cells (imports, ``def``
and ``class`` statements, nothing else: no training, no widgets), so ``VAE``,
``ConditionalVAE``, ``vae_loss``, ``train_vae`` and ``evaluate`` are exactly the lesson's. The
lesson's model cells stay visible in the notebook, and there is no second copy to drift apart.
What the script adds is what the lesson does between those cells, in a few lines: the data
(the lesson's split: MNIST's training images but the last ``N_VAL`` for training, those last
``N_VAL`` for the per-epoch validation curve; the 10,000 test images for the recorded losses;
batches of 128), the constructor arguments
of the three models and their epoch counts (read from the lesson's ``EPOCHS`` and
``CVAE_EPOCHS``), and a seed and new data loaders before each model, so that a model trained
alone (``--models vae_16d``) gets the same weights as in a run of all three.

PyTorch (the default) saves one set of weights for both tracks: the two tracks' models compute
the same function (kernel 4, stride 2, padding 1 everywhere), and ``aelab.keras_support
.load_pretrained`` converts the layout. The weights are stored as float16 (half the size, the
whole set under 10 MB); the losses printed and recorded are those of the stored, rounded weights.
Output: ``data/pretrained/<name>.safetensors`` and ``data/pretrained/pretrained.json`` (command,
seed, versions, per model: epochs, parameters, test losses in nats per image, size, sha256). Put
the printed sha256 lines into ``aelab/pretrained.py``'s ``PRETRAINED_FILES``. For the 2-D VAE
(``MAP_MODELS``) it also writes ``<name>_map_codes.safetensors``: the codes of the test images
under the stored weights, computed by the numpy network, for the explorer's latent map (its
sha256 line goes into ``MAP_CODES_FILES``); ``--map-codes`` rewrites only these, without training.

``--framework keras`` trains the Keras track's models with the Keras recipe and prints their
test losses: the check that the Keras lesson reaches its full-mode targets too.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

LESSON = ROOT / "notebooks" / "src" / "05_variational_autoencoder.py"
TRACK = {"torch": "pytorch", "keras": "keras"}
# name -> (constructor arguments as the lesson writes them, epoch constant, labelled data)
MODELS = {
    "vae_2d": (dict(latent_dim=2, channels=(16, 32)), "EPOCHS", False),
    "vae_16d": (dict(latent_dim=16, channels=(24, 48)), "EPOCHS", False),
    "cvae_2d": (dict(latent_dim=2), "CVAE_EPOCHS", True),
}


def lesson_cells(framework: str) -> list[str]:
    """The code cells of lesson 05's solution notebook of ``framework`` ("torch" or "keras")."""
    import build_notebooks

    nb = build_notebooks.build(LESSON, TRACK[framework], "solution")
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def lesson_definitions(framework: str) -> dict:
    """A namespace holding every import, function and class the lesson's code cells define.

    Other statements (training runs, plots, widgets, ``check.run``) are skipped. The framework
    must already be set up (``aelab.setup``) in this process.
    """
    kept = []
    for text in lesson_cells(framework):
        tree = ast.parse(text)
        kept += [node for node in tree.body
                 if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))]
    namespace = {"__name__": "lesson05"}
    exec(compile(ast.Module(body=kept, type_ignores=[]), str(LESSON), "exec"), namespace)
    return namespace


def lesson_constant(name: str, quick: bool) -> int:
    """The value the lesson gives ``name`` (e.g. ``EPOCHS = 2 if QUICK else 10``) in that mode."""
    for text in lesson_cells("torch"):
        for node in ast.parse(text).body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name) and node.targets[0].id == name):
                return eval(compile(ast.Expression(node.value), str(LESSON), "eval"), {"QUICK": quick})
    raise LookupError(f"{LESSON.name} assigns no {name}")


def build_model(ns: dict, framework: str, name: str):
    """Lesson 05's model ``name`` (a key of MODELS), untrained, from the lesson's definitions."""
    args, _, _ = MODELS[name]
    if framework == "torch":
        return (ns["ConditionalVAE"] if name.startswith("cvae") else ns["VAE"])(**args)
    if name.startswith("cvae"):
        return ns["ConditionalVAE"](ns["build_conditional_encoder"](args["latent_dim"]),
                                    ns["build_conditional_decoder"](args["latent_dim"]))
    return ns["VAE"](ns["build_encoder"](**args), ns["build_decoder"](**args))


# the 2-D models whose latent map the explorer draws: the codes of the test set are shipped too
MAP_MODELS = ("vae_2d",)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_map_codes(name: str, weights_path: Path, test_images) -> Path:
    """Encode the test images with the stored weights in numpy (``aelab.pretrained.NumpyVAE``,
    what the explorer runs) and save the means as ``<name>_map_codes.safetensors`` beside the
    weights, with the weights' SHA-256 in its metadata; print the line for MAP_CODES_FILES."""
    import numpy as np
    import safetensors.numpy

    from aelab import pretrained

    stored = safetensors.numpy.load_file(str(weights_path))
    model = pretrained.NumpyVAE(name, MODELS[name][0]["latent_dim"], False,
                                {k: v.astype(np.float32) for k, v in stored.items()})
    codes = np.ascontiguousarray(model.encode(test_images), dtype=np.float32)
    about = {"model": name, "weights_sha256": sha256(weights_path), "images": f"MNIST test, {len(codes)}"}
    path = weights_path.with_name(f"{name}_map_codes.safetensors")
    safetensors.numpy.save_file({"codes": codes}, str(path), metadata={"aelab": json.dumps(about, sort_keys=True)})
    print(f'    "{name}": "{sha256(path)}",   # MAP_CODES_FILES', flush=True)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", choices=("torch", "keras"), default="torch")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "pretrained",
                        help="folder for the weights and pretrained.json (torch only)")
    parser.add_argument("--models", nargs="+", choices=tuple(MODELS), default=list(MODELS))
    parser.add_argument("--quick", action="store_true",
                        help="the lesson's quick mode: 2,000 images, its quick epoch counts (a smoke test)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--map-codes", action="store_true",
                        help="no training: only rewrite the latent map codes from the weights in --out")
    args = parser.parse_args(argv)
    command = "AELAB_THREADS={} python {}".format(
        os.environ.get("AELAB_THREADS", ""), shlex.join(["tools/train_pretrained.py", *sys.argv[1:]]))
    print("command:", command, flush=True)

    import numpy as np

    import aelab
    from aelab.data import load_mnist

    aelab.setup(args.framework, seed=args.seed)
    ns = lesson_definitions(args.framework)
    n_val = lesson_constant("N_VAL", args.quick)   # the lesson's validation split
    all_images, all_labels = load_mnist("train", size=2_000 + n_val if args.quick else None)
    train_images, val_images = all_images[:-n_val], all_images[-n_val:]
    train_labels, val_labels = all_labels[:-n_val], all_labels[-n_val:]
    test_images, test_labels = load_mnist("test", size=1_000 if args.quick else None)
    if args.map_codes:
        for name in args.models:
            if name in MAP_MODELS:
                write_map_codes(name, args.out / f"{name}.safetensors", test_images)
        return 0
    if args.framework == "torch":
        import safetensors.numpy
        import torch

        from aelab.torch_support import count_parameters, make_dataloader

        train_x, val_x, test_x = train_images[:, None], val_images[:, None], test_images[:, None]

        def data(labelled):   # new loaders for each model: its shuffle order does not depend on the others
            if labelled:
                return (make_dataloader(train_x, train_labels, batch_size=128),
                        make_dataloader(val_x, val_labels, batch_size=1000, shuffle=False),
                        make_dataloader(test_x, test_labels, batch_size=1000, shuffle=False))
            return (make_dataloader(train_x, batch_size=128),
                    make_dataloader(val_x, batch_size=1000, shuffle=False),
                    make_dataloader(test_x, batch_size=1000, shuffle=False))
    else:
        import keras

        from aelab.keras_support import count_parameters, make_dataset

        train_x, val_x, test_x = train_images[..., None], val_images[..., None], test_images[..., None]

        def data(labelled):
            if labelled:
                return (make_dataset(train_x, train_labels, batch_size=128),
                        make_dataset(val_x, val_labels, batch_size=1000, shuffle=False),
                        make_dataset(test_x, test_labels, batch_size=1000, shuffle=False))
            return (make_dataset(train_x, batch_size=128),
                    make_dataset(val_x, batch_size=1000, shuffle=False),
                    make_dataset(test_x, batch_size=1000, shuffle=False))

    report = {"command": command, "seed": args.seed, "lesson": str(LESSON.relative_to(ROOT)),
              "framework": args.framework, "quick": args.quick, "dtype": "float16",
              "versions": {"numpy": np.__version__}, "models": {}}
    for name in args.models:
        _, epochs_name, labelled = MODELS[name]
        epochs = lesson_constant(epochs_name, args.quick)
        train, val, test = data(labelled)
        if args.framework == "torch":
            torch.manual_seed(args.seed)
            model = build_model(ns, "torch", name)
            start = time.process_time()
            # the conditional VAE trains with the lesson's conditional step (images and labels)
            step = {"step": ns["conditional_train_step"]} if labelled else {}
            history = ns["train_vae"](model, train, val, epochs, **step)
            cpu = time.process_time() - start
            # Store float16; measure the stored weights, not the float32 ones.
            weights = {k: v.detach().numpy().astype(np.float16) for k, v in model.state_dict().items()}
            model.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in weights.items()})
            torch.manual_seed(args.seed)
            measured = ns["evaluate"](model, test)
            report["versions"]["torch"] = torch.__version__
        else:
            keras.utils.set_random_seed(args.seed)
            model = build_model(ns, "keras", name)
            start = time.process_time()
            history = ns["train_vae"](model, train, val, epochs)
            cpu = time.process_time() - start
            keras.utils.set_random_seed(args.seed)
            measured = ns["evaluate"](model, test)
            report["versions"]["keras"] = keras.__version__
        measured = {k: round(float(measured[k]), 2) for k in ("loss", "reconstruction", "kl")}
        entry = {"epochs": epochs, "parameters": int(count_parameters(model)),
                 "test_nats_per_image": measured,
                 "last_epoch_val_loss": round(float(history["val_loss"][-1]), 2),
                 "cpu_seconds": round(cpu, 1),
                 # the lesson's per-epoch history (seconds: wall time per epoch on the machine that trained)
                 "history": {k: [round(float(v), 3) for v in values] for k, values in history.items()}}
        print(f"{name}: {epochs} epochs, {entry['parameters']:,} parameters, test set: "
              + ", ".join(f"{k} {v:.1f}" for k, v in measured.items())
              + f" nats per image; {cpu:.0f} s CPU", flush=True)
        if args.framework == "torch":
            args.out.mkdir(parents=True, exist_ok=True)
            path = args.out / f"{name}.safetensors"
            about = {"model": name, "kind": "conditional_vae" if labelled else "conv_vae",
                     "latent_dim": MODELS[name][0]["latent_dim"],
                     "channels": list(MODELS[name][0].get("channels", ())),
                     "layout": "torch state_dict", "seed": args.seed, "epochs": epochs}
            # one metadata entry: safetensors writes several in a random order (not reproducible)
            safetensors.numpy.save_file(weights, str(path),
                                        metadata={"aelab": json.dumps(about, sort_keys=True)})
            entry.update(file=path.name, bytes=path.stat().st_size, sha256=sha256(path))
            print(f'    "{name}": "{entry["sha256"]}",', flush=True)   # for PRETRAINED_FILES
            if name in MAP_MODELS:
                write_map_codes(name, path, test_images)
        report["models"][name] = entry
    if args.framework == "torch":
        manifest = args.out / "pretrained.json"
        old = json.loads(manifest.read_text()) if manifest.exists() else {}
        if old.get("models") and not args.quick:
            report["models"] = {**old["models"], **report["models"]}
        manifest.write_text(json.dumps(report, indent=2) + "\n")
        total = sum(m["bytes"] for m in report["models"].values())
        print(f"wrote {manifest} ({total / 1e6:.2f} MB of weights)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
