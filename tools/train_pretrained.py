"""Train lesson 05's (and 07's) explored models and save them as the course's pretrained weights.

    AELAB_THREADS=1 python tools/train_pretrained.py                     # PyTorch: train, save
    AELAB_THREADS=1 python tools/train_pretrained.py --framework keras   # Keras: train, report only
    AELAB_THREADS=1 python tools/train_pretrained.py --lesson 07         # lesson 07's two AAEs

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

``--lesson 07`` does the same for lesson 07's adversarial autoencoders (``AAE_MODELS``): the ring
prior of section 4 (``aae_ring``) and the label-informed prior of section 5 (``aae_labelled``, with
the lesson's ``PerDigitDiscriminator``). Their definitions need more of the lesson than ``def`` and
``class``: ``train_aae`` takes the training images as default arguments and ``evaluate_codes``
reads the reference samples of the ring, so the assignments of the names in ``LESSON_07_KEEP``
(the lesson's constants, its data split, ``reference_samples``) run too, in the lesson's order,
with ``QUICK`` given. The ring AAE (with the default ``--seed 0``) is built where the notebook
builds it instead: the solution notebook's cells run in order up to section 4's training
(``notebook_namespace``), then the plain autoencoder's model is built, so its starting weights,
and so its test numbers, are those of a full run of the notebook. Each model trains with the lesson's ``train_aae`` (the solution's
``aae_train_step``, its epochs, learning rates and prior sampler); the recorded history is what ``train_aae``
returned, per-batch losses included, and the test numbers are the ones the lesson prints
(reconstruction, energy distance of the codes to the ring, the share of codes nearest their own
component). Only the encoder and decoder are saved (``kind`` "conv_aae"): the discriminator is
needed only while training. Each run merges its models into ``pretrained.json`` with those of an
earlier run of the other lesson (same mode, full or quick).
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
    "vae_2d": (dict(latent_dim=2, channels=(16, 32), activation="silu"), "EPOCHS", False),
    "vae_16d": (dict(latent_dim=16, channels=(24, 48), activation="silu"), "EPOCHS", False),
    "cvae_2d": (dict(latent_dim=2), "CVAE_EPOCHS", True),
}
# what a section passes to ``train_vae`` besides the data and epochs (sections 5 and 6: a learning rate)
TRAIN_ARGS = {"vae_2d": dict(lr=4e-3), "vae_16d": dict(lr=4e-3)}


def model_activation(name: str) -> str:
    """The hidden activation of lesson 05's model ``name`` (the lesson's default is ReLU)."""
    return MODELS[name][0].get("activation", "relu")


def lesson_cells(framework: str, lesson: Path = LESSON) -> list[str]:
    """The code cells of the solution notebook of ``lesson`` (lesson 05 unless given) of
    ``framework`` ("torch" or "keras")."""
    import build_notebooks

    nb = build_notebooks.build(lesson, TRACK[framework], "solution")
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def _assigned_names(node) -> set[str] | None:
    """The names an assignment statement binds, or None if it binds anything but plain names."""
    if not isinstance(node, ast.Assign):
        return None
    names = set()
    for target in node.targets:
        for item in (target.elts if isinstance(target, ast.Tuple) else [target]):
            if not isinstance(item, ast.Name):
                return None
            names.add(item.id)
    return names


def lesson_definitions(framework: str, lesson: Path = LESSON, keep=(), given=None) -> dict:
    """A namespace holding every import, function and class the lesson's code cells define.

    Other statements (training runs, plots, widgets, ``check.run``) are skipped, except the
    assignments that bind only names in ``keep`` (lesson 07's constants and data split, which
    its definitions use as default arguments), run in the lesson's order in a namespace that
    starts with ``given`` (e.g. ``QUICK``). The framework must already be set up
    (``aelab.setup``) in this process.
    """
    kept = []
    for text in lesson_cells(framework, lesson):
        tree = ast.parse(text)
        kept += [node for node in tree.body
                 if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))
                 or (_assigned_names(node) or {None}) <= set(keep)]
    namespace = {"__name__": f"lesson{lesson.name[:2]}", **(given or {})}
    exec(compile(ast.Module(body=kept, type_ignores=[]), str(lesson), "exec"), namespace)
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


def lesson05_split(quick: bool = False) -> dict:
    """Lesson 05's data: its last N_VAL training images are the validation split. Returns
    ``{"train": (images, labels), "val": (...), "test": (...)}``, images (N, 28, 28) float32 in
    [0, 1], labels (N,) int; quick mode keeps 2,000 training and 1,000 test images, as the lesson."""
    from aelab.data import load_mnist

    n_val = lesson_constant("N_VAL", quick)
    images, labels = load_mnist("train", size=2_000 + n_val if quick else None)
    return {"train": (images[:-n_val], labels[:-n_val]), "val": (images[-n_val:], labels[-n_val:]),
            "test": load_mnist("test", size=1_000 if quick else None)}


def lesson05_batches(framework: str, split: dict, labelled: bool = False) -> tuple:
    """(train, val, test) batches of ``split`` as the lesson makes them: torch DataLoaders of
    (B, 1, 28, 28) images or Keras tf.data Datasets of (B, 28, 28, 1) images, with the labels if
    ``labelled``; 128 per training batch (a seeded new order each epoch), 1,000 per validation
    and test batch (in order). Call it for each model, so that its training order does not
    depend on the models trained before it."""
    if framework == "torch":
        from aelab.torch_support import make_dataloader as make

        def channel(images):
            return images[:, None]
    else:
        from aelab.keras_support import make_dataset as make

        def channel(images):
            return images[..., None]
    batches = []
    for part, batch_size in (("train", 128), ("val", 1_000), ("test", 1_000)):
        images, labels = split[part]
        arrays = (channel(images), labels) if labelled else (channel(images),)
        batches.append(make(*arrays, batch_size=batch_size, shuffle=part == "train"))
    return tuple(batches)


LESSON_07 = ROOT / "notebooks" / "src" / "07_adversarial_autoencoder.py"
# lesson 07's explored models: name -> (epoch constant, learning-rate constant, the prior sampler
# of a run as the lesson makes it from the lesson's namespace and the run's epochs, label-informed);
# the constants are names in the lesson, the ring's sampler narrows as training goes on
AAE_MODELS = {
    "aae_ring": ("EPOCHS", "LEARNING_RATES", lambda ns, epochs: ns["narrowing_ring"](epochs), False),  # section 4
    "aae_labelled": ("LABELLED_EPOCHS", "LABELLED_RATES", lambda ns, epochs: ns["sample_label_informed"],
                     True),                                                                            # section 5
}
# what lesson 07's definitions need of its other statements: its constants and its data split
# (``train_aae``'s default arguments are the training images), run as the lesson runs them
LESSON_07_KEEP = ("N_VAL", "N_TRAIN", "N_TEST", "EPOCHS", "LABELLED_EPOCHS", "BATCH_SIZE",
                  "all_train_images", "all_train_labels", "train_images", "val_images",
                  "train_labels", "val_labels", "test_images", "test_labels", "train_x", "val_x",
                  "test_x", "N_COMPONENTS", "SWISS_ROLL_SCALE", "PRIORS", "N_REFERENCE",
                  "reference_samples", "LEARNING_RATES", "ADAM_BETA_1", "LABELLED_RATES", "centres")
RING = "mixture of 10 Gaussians"   # lesson 07's name of the ring prior (a key of its PRIORS)


def notebook_namespace(framework: str, quick: bool, stop: str = "plain = AAE()") -> dict:
    """Lesson 07's solution notebook of ``framework`` run in this process, in order, up to (not
    including) the first code cell that starts with ``stop``: every cell's random draws happen as
    in a run of the notebook, so the next model built gets the weights the notebook's gets."""
    import matplotlib

    matplotlib.use("Agg")
    os.environ["AELAB_STRICT"] = "solutions"
    if quick:
        os.environ["AELAB_QUICK"] = "1"
    else:
        os.environ.pop("AELAB_QUICK", None)
    ns = {"__name__": "__main__"}
    for code in lesson_cells(framework, LESSON_07):
        if code.startswith(stop):
            return ns
        code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
        exec(compile(code, f"{LESSON_07.name} (solution, {framework})", "exec"), ns)
    raise LookupError(f"{LESSON_07.name}: no code cell starts with {stop!r}")


def build_aae(ns: dict, name: str):
    """Lesson 07's model ``name`` (a key of AAE_MODELS), untrained, as the lesson builds it."""
    if AAE_MODELS[name][3]:   # section 5: the discriminator sees the label, one head per digit
        model = ns["AAE"](condition_dim=10)
        model.discriminator = ns["PerDigitDiscriminator"]()
        return model
    return ns["AAE"]()


def measure_aae(ns: dict, model, name: str) -> dict:
    """The test numbers lesson 07 prints for ``model``: reconstruction (nats per image), energy
    distance of all the test codes to the ring (against as many of the lesson's reference
    samples) and, label-informed, the share of test codes nearest their own component."""
    values = ns["evaluate_codes"](model, ns["test_x"], RING)
    out = {"reconstruction": round(float(values["reconstruction"]), 2),
           "energy_distance": round(float(values["energy"]), 4)}
    if AAE_MODELS[name][3]:
        nearest = ns["nearest_component"](ns["codes_and_logits"](model)[0](ns["test_x"]))[0]
        out["own_component_share"] = round(float((nearest == ns["test_labels"]).mean()), 4)
    return out


def train_lesson07(args, command: str) -> int:
    """Train (torch: and save) lesson 07's AAEs named in ``args.models``; see the module docstring."""
    import numpy as np

    import aelab

    aelab.setup(args.framework, seed=args.seed)
    ns = lesson_definitions(args.framework, LESSON_07, keep=LESSON_07_KEEP, given={"QUICK": args.quick})
    report = {"command": command, "seed": args.seed, "lesson": str(LESSON_07.relative_to(ROOT)),
              "framework": args.framework, "quick": args.quick, "dtype": "float16",
              "versions": {"numpy": np.__version__}, "models": {}}
    for name in args.models:
        epochs_name, rates_name, make_sampler, labelled = AAE_MODELS[name]
        epochs = ns[epochs_name]
        if args.framework == "torch":
            import safetensors.numpy
            import torch

            from aelab.torch_support import hidden_activations

            torch.manual_seed(args.seed)
            report["versions"]["torch"] = torch.__version__
        else:
            import keras

            keras.utils.set_random_seed(args.seed)
            report["versions"]["keras"] = keras.__version__
        if name == "aae_ring" and args.seed == 0:
            # Where the notebook builds it: after its earlier cells and the plain autoencoder's
            # model, so the shipped model is the one a run of the notebook trains (its test
            # numbers are the lesson's), not another draw of the starting weights.
            at = notebook_namespace(args.framework, args.quick)
            at["AAE"]()   # the plain autoencoder's model: the notebook builds it first
        else:
            at = ns
        model = build_aae(at, name)
        start = time.process_time()
        history = at["train_aae"](model, make_sampler(at, epochs), epochs, prior_name=RING, condition=labelled,
                                  learning_rates=at[rates_name], desc=name)
        cpu = time.process_time() - start
        shipped = ("encoder.", "decoder.")   # the discriminator is needed only while training
        if args.framework == "torch":
            # Store float16; measure the stored weights, not the float32 ones.
            weights = {k: v.detach().numpy().astype(np.float16)
                       for k, v in model.state_dict().items() if k.startswith(shipped)}
            model.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in weights.items()},
                                  strict=False)
        measured = measure_aae(at, model, name)
        entry = {"lesson": report["lesson"], "command": command, "epochs": epochs,
                 "learning_rates": list(at[rates_name]),
                 "parameters": int(at["count_parameters"](model.encoder) + at["count_parameters"](model.decoder)),
                 "test": measured, "cpu_seconds": round(cpu, 1),
                 # what the lesson's train_aae returned: the three losses of every batch
                 # (reconstruction, discriminator, generator, nats), after each epoch the validation
                 # reconstruction and energy distance to the ring, and the wall time of each epoch
                 "history": {k: np.round(np.asarray(v, dtype=float), 3).tolist() for k, v in history.items()}}
        print(f"{name}: {epochs} epochs, {entry['parameters']:,} parameters (encoder and decoder), test set: "
              + ", ".join(f"{k} {v}" for k, v in measured.items()) + f"; {cpu:.0f} s CPU", flush=True)
        if args.framework == "torch":
            args.out.mkdir(parents=True, exist_ok=True)
            path = args.out / f"{name}.safetensors"
            # the lesson's activation, read off the model as load_pretrained will check it: one kind
            (activation,) = hidden_activations(model)
            about = {"model": name, "kind": "conv_aae", "latent_dim": int(model.latent_dim),
                     "channels": [16, 32], "activation": activation,
                     "layout": "torch state_dict, encoder and decoder", "seed": args.seed, "epochs": epochs}
            safetensors.numpy.save_file(weights, str(path), metadata={"aelab": json.dumps(about, sort_keys=True)})
            entry.update(file=path.name, bytes=path.stat().st_size, sha256=sha256(path))
            print(f'    "{name}": "{entry["sha256"]}",', flush=True)   # for PRETRAINED_FILES
        report["models"][name] = entry
    if args.framework == "torch":
        write_manifest(args.out, report)
    return 0


def write_manifest(out: Path, report: dict) -> None:
    """Write ``report`` as ``out/pretrained.json``, keeping the other models an earlier run in the
    same mode (full or quick) recorded there, each with the command and lesson of the run that
    made it; lists of numbers on one line each."""
    import re

    manifest = out / "pretrained.json"
    old = json.loads(manifest.read_text()) if manifest.exists() else {}
    if old.get("models") and old.get("quick") == report["quick"]:
        earlier = {name: {"lesson": old.get("lesson"), "command": old.get("command"), **entry}
                   for name, entry in old["models"].items()}
        report["models"] = {**earlier, **report["models"]}
    text = json.dumps(report, indent=2)
    # a list of numbers on one line (the per-batch losses of an AAE are thousands of them)
    number = r"-?[0-9][0-9.eE+-]*|NaN|-?Infinity"
    text = re.sub(rf"\[\s*((?:{number})(?:,\s*(?:{number}))*)\s*\]",
                  lambda m: "[" + ", ".join(re.split(r",\s*", m.group(1))) + "]", text)
    manifest.write_text(text + "\n")
    total = sum(m["bytes"] for m in report["models"].values())
    print(f"wrote {manifest} ({total / 1e6:.2f} MB of weights)")


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
                                {k: v.astype(np.float32) for k, v in stored.items()},
                                activation=model_activation(name))
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
    parser.add_argument("--lesson", choices=("05", "07"), default="05",
                        help="05: the VAEs (the default); 07: the adversarial autoencoders")
    parser.add_argument("--models", nargs="+", choices=(*MODELS, *AAE_MODELS),
                        help="default: all of the lesson's")
    parser.add_argument("--quick", action="store_true",
                        help="the lesson's quick mode: 2,000 images, its quick epoch counts (a smoke test)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--map-codes", action="store_true",
                        help="no training: only rewrite the latent map codes from the weights in --out")
    args = parser.parse_args(argv)
    lesson_models = MODELS if args.lesson == "05" else AAE_MODELS
    args.models = args.models or list(lesson_models)
    if not set(args.models) <= set(lesson_models):
        parser.error(f"--models: lesson {args.lesson} has {', '.join(lesson_models)}")
    command = "AELAB_THREADS={} python {}".format(
        os.environ.get("AELAB_THREADS", ""), shlex.join(["tools/train_pretrained.py", *sys.argv[1:]]))
    print("command:", command, flush=True)

    if args.lesson == "07":
        return train_lesson07(args, command)

    import numpy as np

    import aelab

    aelab.setup(args.framework, seed=args.seed)
    ns = lesson_definitions(args.framework)
    split = lesson05_split(args.quick)
    test_images = split["test"][0]
    if args.map_codes:
        for name in args.models:
            if name in MAP_MODELS:
                write_map_codes(name, args.out / f"{name}.safetensors", test_images)
        return 0
    if args.framework == "torch":
        import safetensors.numpy
        import torch

        from aelab.torch_support import count_parameters
    else:
        import keras

        from aelab.keras_support import count_parameters

    report = {"command": command, "seed": args.seed, "lesson": str(LESSON.relative_to(ROOT)),
              "framework": args.framework, "quick": args.quick, "dtype": "float16",
              "versions": {"numpy": np.__version__}, "models": {}}
    for name in args.models:
        _, epochs_name, labelled = MODELS[name]
        epochs = lesson_constant(epochs_name, args.quick)
        train, val, test = lesson05_batches(args.framework, split, labelled)
        if args.framework == "torch":
            torch.manual_seed(args.seed)
            model = build_model(ns, "torch", name)
            start = time.process_time()
            # the conditional VAE trains with the lesson's conditional step (images and labels)
            step = {"step": ns["conditional_train_step"]} if labelled else {}
            history = ns["train_vae"](model, train, val, epochs, **step, **TRAIN_ARGS.get(name, {}))
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
            history = ns["train_vae"](model, train, val, epochs, **TRAIN_ARGS.get(name, {}))
            cpu = time.process_time() - start
            keras.utils.set_random_seed(args.seed)
            measured = ns["evaluate"](model, test)
            report["versions"]["keras"] = keras.__version__
        measured = {k: round(float(measured[k]), 2) for k in ("loss", "reconstruction", "kl")}
        entry = {"lesson": report["lesson"], "command": command, "epochs": epochs, "parameters": int(count_parameters(model)),
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
                     "activation": model_activation(name),
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
        write_manifest(args.out, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
