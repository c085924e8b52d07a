"""Checkers for lesson 02 (deep autoencoders and how they fail): the training loop (a "build it"
exercise), dead code units, the L1 sparsity penalty, and the contractive penalty.

How the notebook calls them, and so how the checks call them:

- ``train_autoencoder(model, images, epochs, batch_size, learning_rate)``: trains a model of
  the framework (an ``nn.Module``; a ``keras.Model``) on (N, 784) float32 numpy images and
  returns one float per epoch. The check builds its own small model, which records what it
  trains on (see the section of this module), so it judges the loop by what it did.
- ``dead_code_units(codes)``: a float32 numpy array (N, k) of ReLU codes; the result is used as
  a numpy boolean array (``.sum()``).
- ``l1_code_penalty(codes, weight)`` and ``contractive_penalty(encoder_weight, pre_activation,
  weight)``: inside the training step, on framework tensors. PyTorch: ``codes`` and
  ``pre_activation`` are float32 tensors computed from the model (not leaves: an in-place change
  would alter the training), ``encoder_weight`` is the ``nn.Parameter`` ``code_layer.weight``,
  shape (k, 784). Keras: ``encoder_weight`` is the Dense layer's kernel, a ``keras.Variable`` of
  shape (784, k); ``codes`` and ``pre_activation`` are tensors inside ``train_step``, which
  ``model.fit`` compiles with ``tf.function`` (graph mode, batch size unknown). ``weight`` is a
  Python float. The checks compare value and gradient with numpy references, look for in-place
  changes of every tensor argument (``call_unchanged``), and in Keras also run the function
  inside a ``tf.function`` with an unknown batch size.
"""

from __future__ import annotations

import importlib

import numpy as np

from . import NotYet, answer_array, call_unchanged, exercise, expect_array, expect_close, kind_of


# --- 02.dead_code_units (numpy) ----------------------------------------------------------------

def dead_code_units_reference(codes: np.ndarray) -> np.ndarray:
    """(N, k) ReLU codes -> (k,) bool: True for units that are zero for every one of the N inputs."""
    return np.all(np.asarray(codes) <= 0, axis=0)


def _code_batches():
    rng = np.random.default_rng(2)
    codes = np.maximum(rng.normal(0.2, 1.0, (40, 6)), 0)
    codes[:, [1, 4]] = 0.0                 # two dead units
    codes[3, 1] = 0.0
    codes[7, 0] = 0.0                      # unit 0 is off for some inputs only
    codes[:, 5] = 0.0
    codes[12, 5] = 0.25                    # unit 5 wakes up for one input: alive
    codes = codes.astype(np.float32)       # as the notebook's codes
    rows_all_zero = codes.copy()
    rows_all_zero[:3] = 0.0                # three inputs with an all-zero code
    yield codes
    yield rows_all_zero
    yield np.zeros((5, 3), np.float32)     # everything dead
    yield (np.abs(rng.normal(size=(8, 2))) + 0.1).astype(np.float32)   # nothing dead
    faint = np.zeros((30, 4), np.float32)
    faint[:, 0] = rng.random(30)
    faint[11, 2] = 2e-3                    # unit 2 is active, faintly, for one input: alive
    yield faint
    yield np.maximum(rng.normal(0, 1, (1, 5)), 0).astype(np.float32)   # one input only
    yield np.r_[np.zeros((6, 1)), [[0.5]]].astype(np.float32)          # a single unit, alive
    wide = np.maximum(rng.normal(-1.0, 1.0, (200, 30)), 0)   # mostly off, a few rare ones
    yield wide


@exercise("02.dead_code_units", title="find the dead units of a ReLU code",
          reference=dead_code_units_reference,
          hint="A unit is one column of `codes` (its value for each input). A dead unit never "
               "fires: it is 0 for every input. Test each entry, then ask, column by column, "
               "whether the test holds for all the rows.",
          answer="`return np.all(codes <= 0, axis=0)`: one boolean per column, True when the "
                 "unit is 0 (a ReLU output is never negative) for every row.")
def _check_dead_code_units(fn, framework):
    for codes in _code_batches():
        got = call_unchanged(fn, codes, what="dead_code_units")
        expected = dead_code_units_reference(codes)
        if got is None:
            raise NotYet("dead_code_units returned None: `return` a boolean array, one entry per unit.")
        got_arr = answer_array(got, name="the result of dead_code_units",
                               returns="the boolean array, one entry per unit")
        if got_arr.shape == (len(codes),) and len(codes) != codes.shape[1]:
            raise NotYet(f"you returned one value per input ({len(codes)}), expected one per code "
                         f"unit ({codes.shape[1]}): reduce over axis 0, the inputs.")
        if got_arr.shape != expected.shape:
            raise NotYet(f"for codes of shape {codes.shape} expected a boolean array of shape "
                         f"{expected.shape} (one per unit), got shape {got_arr.shape}.")
        if got_arr.dtype != bool:
            raise NotYet(f"expected a boolean array (True = dead), got dtype {got_arr.dtype}.")
        if not np.array_equal(got_arr, expected):
            wrong = int(np.flatnonzero(got_arr != expected)[0])
            raise NotYet(f"unit {wrong} is {'dead' if expected[wrong] else 'alive'} (its largest "
                         f"value is {codes[:, wrong].max():.3g}) but you marked it "
                         f"{'dead' if got_arr[wrong] else 'alive'}. Dead means zero for every input.")


# --- framework helpers -------------------------------------------------------------------------

def _short(err: Exception) -> str:
    """The error's type and its last non-empty line (TensorFlow puts the cause last)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    last = lines[-1][:200].rstrip(".") if lines else ""
    return last if last.startswith(type(err).__name__) else f"{type(err).__name__}: {last}"


def _check_output(out, framework: str, name: str):
    """The penalty must be one number in a tensor of the framework, connected to its inputs."""
    if out is None:
        raise NotYet(f"{name} returned None: `return` the penalty.")
    if framework == "torch":
        import torch

        if not isinstance(out, torch.Tensor):
            raise NotYet(f"{name} should return a torch tensor (so training can backpropagate "
                         f"through it), but it returned {kind_of(out)}. Use torch operations, "
                         f"not numpy or Python numbers.")
        if out.dim() != 0:
            raise NotYet(f"{name} should return a single number (a 0-d tensor), got shape "
                         f"{tuple(out.shape)}.")
        if not out.requires_grad:
            raise NotYet(f"the result of {name} is detached from the computation graph: use torch "
                         f"operations only (no .item(), .numpy(), .detach() or torch.tensor(...)).")
        return
    import tensorflow as tf

    if not tf.is_tensor(out):
        raise NotYet(f"{name} should return a TensorFlow tensor (so training can backpropagate "
                     f"through it), but it returned {kind_of(out)}. Use tf / keras.ops "
                     f"operations, not numpy or Python numbers.")
    if len(out.shape) != 0:
        raise NotYet(f"{name} should return a single number (a 0-d tensor), got shape "
                     f"{tuple(out.shape)}.")


def _torch_call(fn, name, args, grad_of):
    """Call ``fn`` as the PyTorch training step does; (value, gradient w.r.t. args[grad_of]).

    Array arguments become float32 tensors: ``nn.Parameter`` leaves for ``parameter`` entries,
    otherwise tensors computed from a leaf (like the notebook's codes), so an in-place change
    is possible and gets caught.
    """
    import torch
    from torch import nn

    leaves, tensors = [], []
    for value, kind in args:
        if kind == "number":
            leaves.append(None)
            tensors.append(value)
        elif kind == "parameter":
            leaf = nn.Parameter(torch.tensor(value, dtype=torch.float32))
            leaves.append(leaf)
            tensors.append(leaf)
        else:
            leaf = torch.tensor(value, dtype=torch.float32, requires_grad=True)
            leaves.append(leaf)
            tensors.append(leaf * 1.0)
    out = call_unchanged(fn, *tensors, what=name)
    _check_output(out, "torch", name)
    out.backward()
    grad = leaves[grad_of].grad
    return float(out.detach()), (np.zeros(args[grad_of][0].shape) if grad is None
                                 else grad.numpy().astype(np.float64))


def _keras_call(fn, name, args, grad_of):
    """Call ``fn`` as the Keras training step does; (value, gradient w.r.t. args[grad_of]).

    ``parameter`` entries become ``keras.Variable`` (like a Dense kernel), the others float32
    tensors. Then the function is also run inside a ``tf.function`` whose batch size is unknown,
    as ``model.fit`` runs ``train_step``, and must give the same value.
    """
    import keras
    import tensorflow as tf

    values = []
    for value, kind in args:
        if kind == "number":
            values.append(value)
        elif kind == "parameter":
            values.append(keras.Variable(value.astype(np.float32)))
        else:
            values.append(tf.constant(value, tf.float32))
    with tf.GradientTape() as tape:
        for v, (_, kind) in zip(values, args):
            if kind == "tensor":
                tape.watch(v)
        out = call_unchanged(fn, *values, what=name)
    _check_output(out, "keras", name)
    target = values[grad_of]
    grad = tape.gradient(out, target.value if hasattr(target, "value") else target)
    if grad is None:
        raise NotYet(f"the result of {name} does not depend on its input through TensorFlow "
                     f"operations, so no gradient reaches it; use tf / keras.ops operations "
                     f"only (no .numpy(), no numpy functions).")
    value = float(out)

    tensor_positions = [i for i, (_, kind) in enumerate(args) if kind == "tensor"]
    specs = [tf.TensorSpec((None, *np.shape(args[i][0])[1:]), tf.float32) for i in tensor_positions]

    def traced(*tensors):
        call = list(values)
        for i, t in zip(tensor_positions, tensors):
            call[i] = t
        return fn(*call)

    try:
        in_graph = tf.function(traced, input_signature=specs)(*[values[i] for i in tensor_positions])
    except NotYet:
        raise
    except Exception as err:
        raise NotYet(f"{name} works on eager tensors but fails inside Keras' compiled training "
                     f"step (model.fit runs it in a tf.function, where the batch size is unknown) "
                     f"with {_short(err)}. Use tf / keras.ops operations throughout: no .numpy() or "
                     f"numpy functions on tensors, and `tf.shape(x)[0]` rather than "
                     f"`x.shape[0]` for the batch size.") from None
    if not np.isclose(float(in_graph), value, rtol=1e-4, atol=1e-8):
        raise NotYet(f"{name} gives {value:.6g} when called directly but {float(in_graph):.6g} "
                     f"inside a tf.function, as model.fit runs it: the result must not depend on "
                     f"Python-side state or on the batch size being known.")
    return value, np.asarray(grad, dtype=np.float64)


def _value_and_grad(fn, name, args, grad_of, framework):
    """``args``: (numpy value or number, "tensor" | "parameter" | "number") pairs."""
    call = _torch_call if framework == "torch" else _keras_call
    return call(fn, name, args, grad_of)


def _numeric_grad(f, x: np.ndarray, eps: float = 1e-3) -> np.ndarray:
    grad = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        up, down = x.astype(np.float64), x.astype(np.float64)
        up[index] += eps
        down[index] -= eps
        grad[index] = (f(up) - f(down)) / (2 * eps)
    return grad


def _diagnose(value: float, expected: float, what: str, mistakes: dict) -> None:
    """NotYet naming the first known mistake whose value matches ``value``; else a plain mismatch."""
    if np.isclose(value, expected, rtol=1e-4, atol=1e-8):
        return
    for message, wrong in mistakes.items():
        if not np.isclose(wrong, expected, rtol=1e-3) and np.isclose(value, wrong, rtol=1e-4,
                                                                       atol=1e-8):
            raise NotYet(f"{what} is {value:.6g}, expected {expected:.6g}: {message}")
    expect_close(value, expected, name=what, rtol=1e-4)


# --- 02.l1_code_penalty ------------------------------------------------------------------------

def l1_code_penalty_numpy(codes: np.ndarray, weight: float) -> float:
    """weight x (sum over units of |code|), averaged over the batch. codes: (N, k)."""
    return float(weight * np.abs(codes).sum(axis=1).mean())


@exercise("02.l1_code_penalty", title="the L1 sparsity penalty on the codes",
          frameworks=("torch", "keras"), reference="dense.l1_code_penalty",
          hint="Measure the size of each image's code as the sum of the absolute values of its "
               "units, average that over the batch, and scale by `weight`. Use the framework's "
               "own operations so that gradients flow back to the codes.",
          answer={"torch": "`return weight * codes.abs().sum(dim=1).mean()`.",
                  "keras": "`return weight * tf.reduce_mean(tf.reduce_sum(tf.abs(codes), "
                           "axis=1))`."})
def _check_l1(fn, framework):
    rng = np.random.default_rng(5)
    for n, k, weight in ((4, 3, 0.5), (16, 10, 1e-3), (7, 64, 0.05)):
        codes = rng.normal(0, 1.5, (n, k))
        value, grad = _value_and_grad(fn, "l1_code_penalty", [(codes, "tensor"), (weight, "number")],
                                      0, framework)
        absolute = np.abs(codes)
        _diagnose(value, l1_code_penalty_numpy(codes, weight),
                  f"the penalty of {n} codes with {k} units, weight {weight}", {
                      "you left out `weight`.": absolute.sum(axis=1).mean(),
                      "you summed over the batch too; take the mean over the N codes.":
                          weight * absolute.sum(),
                      "you averaged over the code units too; sum over the units (axis 1), "
                      "average over the batch only.": weight * absolute.mean(),
                      "you left out the absolute value: negative codes cancel positive ones.":
                          weight * codes.sum(axis=1).mean(),
                      "you squared the codes (an L2 penalty); the L1 penalty takes absolute "
                      "values.": weight * (codes ** 2).sum(axis=1).mean(),
                      "you took each code's Euclidean length (L2 norm); the L1 penalty sums "
                      "absolute values.": weight * np.sqrt((codes ** 2).sum(axis=1)).mean(),
                  })
        expect_array(grad, weight * np.sign(codes) / n, name="its gradient", rtol=1e-3, atol=1e-6)


# --- 02.contractive_penalty --------------------------------------------------------------------

def contractive_penalty_numpy(encoder_weight: np.ndarray, pre_activation: np.ndarray,
                              weight: float, layout: str = "torch") -> float:
    """Squared Frobenius norm of a one-layer ReLU encoder's Jacobian, batch mean, times ``weight``.

    ``encoder_weight`` is (k, D) in PyTorch's layout (nn.Linear.weight), (D, k) in Keras' (the
    Dense kernel); ``pre_activation`` (N, k).
    """
    if layout not in ("torch", "keras"):
        raise ValueError(f"layout must be 'torch' or 'keras', got {layout!r}")
    w = encoder_weight if layout == "torch" else encoder_weight.T
    row_norms = (w ** 2).sum(axis=1)
    return float(weight * ((pre_activation > 0) * row_norms).sum(axis=1).mean())


@exercise("02.contractive_penalty", title="the contractive penalty of a ReLU encoder",
          frameworks=("torch", "keras"), reference="dense.contractive_penalty",
          hint="Row j of the encoder's Jacobian is relu'(a_j) times unit j's weights, and "
               "relu'(a) is 1 where a > 0, else 0. So for each input, the penalty adds up the "
               "squared weight norms of the units that are active for that input. Check which "
               "axis of `encoder_weight` runs over the units in your framework.",
          answer={"torch": "`active = (pre_activation > 0).float()` (N, k); `squared_norms = "
                           "(encoder_weight ** 2).sum(dim=1)` (k,), one per row; `return weight "
                           "* (active * squared_norms).sum(dim=1).mean()`.",
                  "keras": "`active = tf.cast(pre_activation > 0, tf.float32)` (N, k); "
                           "`squared_norms = tf.reduce_sum(tf.square(encoder_weight), axis=0)` "
                           "(k,), one per column; `return weight * "
                           "tf.reduce_mean(tf.reduce_sum(active * squared_norms, axis=1))`."})
def _check_contractive(fn, framework):
    rng = np.random.default_rng(11)
    layout = framework   # the layout each framework's notebook passes: see the module docstring
    unit_axis = 0 if layout == "torch" else 1       # the axis of the weights that indexes units
    shape = "(units, pixels)" if layout == "torch" else "(pixels, units)"
    # the first case is square, so that mixing up rows and columns gives a number, not an error
    for n, k, d, weight in ((6, 5, 5, 0.5), (8, 6, 12, 0.1), (5, 16, 30, 2e-3)):
        w = rng.normal(0, 0.7, (k, d))
        # make the units' weight norms very different, so mixing up axes shows
        w *= np.linspace(0.2, 2.0, k)[:, None]
        a = rng.normal(0, 1, (n, k))
        a[0] = np.abs(a[0]) + 0.1          # one input with every unit active
        a[-1, : k // 2] = -np.abs(a[-1, : k // 2]) - 0.1
        weights_arg = w if layout == "torch" else w.T.copy()
        value, grad = _value_and_grad(fn, "contractive_penalty",
                                      [(weights_arg, "parameter"), (a, "tensor"), (weight, "number")],
                                      0, framework)
        active = (a > 0).astype(float)
        norms = (w ** 2).sum(axis=1)                 # ||W_j||^2 per unit, (k,)
        other_axis = (w ** 2).sum(axis=0)            # the other axis: (d,)
        per_input = lambda unit_values, mask=active: (mask * unit_values).sum(axis=1)  # noqa: E731
        mistakes = {
            "you left out `weight`.": per_input(norms).mean(),
            "you summed over the batch; take the mean over the N inputs.":
                weight * per_input(norms).sum(),
            "you averaged over the units; sum over the units, average over the batch only.":
                weight * (active * norms).mean(),
            "you counted every unit as active: multiply each unit's squared norm by "
            "relu'(a) = (a > 0) for each input.": weight * norms.sum(),
            "you multiplied by relu(a), the activation itself; the Jacobian has its "
            "derivative, relu'(a) = 1 where a > 0 and 0 elsewhere.":
                weight * (np.maximum(a, 0) * norms).sum(axis=1).mean(),
            "you kept the inactive units (a < 0) instead of the active ones (a > 0).":
                weight * per_input(norms, (a < 0).astype(float)).mean(),
            "you summed |W|, not the squared weights W ** 2.":
                weight * per_input(np.abs(w).sum(axis=1)).mean(),
            "you took the norms ||W_j|| without squaring them.":
                weight * per_input(np.sqrt(norms)).mean(),
        }
        if k == d:
            mistakes[f"you summed the squared weights along the wrong axis: in "
                     f"{'PyTorch' if layout == 'torch' else 'Keras'} the weight has shape {shape}, "
                     f"so unit j's weights are {'row' if unit_axis == 0 else 'column'} j "
                     f"(sum over axis {1 - unit_axis})."] = weight * per_input(other_axis).mean()
        expected = contractive_penalty_numpy(weights_arg, a, weight, layout)
        _diagnose(value, expected, f"the penalty for {n} inputs, {k} units, {d} pixels "
                                   f"(weights {shape}), weight {weight}", mistakes)
        numeric = _numeric_grad(lambda ww: contractive_penalty_numpy(ww, a, weight, layout),
                                weights_arg)
        expect_array(grad, numeric, name="its gradient with respect to the weights", rtol=1e-2,
                     atol=1e-5)


# --- 02.train_autoencoder (build it: the training loop) ----------------------------------------
#
# The checker builds a small autoencoder (784 -> 32 -> 8 -> 32 -> 784, ReLU, sigmoid output)
# that records every mini-batch it trains on, hands it to the student's function with a few
# hundred synthetic images, and judges what happened: how many mini-batches of which size, in
# which order, whether gradients were reset between them, how far Adam's first step moved the
# weights, and whether the returned losses are the epochs' mean squared errors between the
# recorded reconstructions and their inputs. Then it compares the reconstruction error reached
# with the reference loop's, from the same starting weights. (This model has no dropout or
# batch-norm layer, so whether the loop leaves it in train or eval mode changes nothing here and
# is not judged.)

def _blob_images(n: int, seed: int) -> np.ndarray:
    """(n, 784) float32 in [0, 1]: each image two soft strokes from a set of eight, plus noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28]
    strokes = []
    for _ in range(8):
        (r0, c0), (r1, c1) = rng.uniform(5, 23, (2, 2))
        t = np.linspace(0, 1, 12)[:, None, None]
        d2 = (yy - (r0 + t * (r1 - r0))) ** 2 + (xx - (c0 + t * (c1 - c0))) ** 2
        strokes.append(np.exp(-d2 / 3.0).max(axis=0))
    strokes = np.array(strokes).reshape(8, 784)
    mix = np.zeros((n, 8))
    for i in range(n):
        mix[i, rng.choice(8, 2, replace=False)] = rng.uniform(0.6, 1.0, 2)
    images = mix @ strokes + rng.normal(0, 0.03, (n, 784))
    return np.clip(images, 0, 1).astype(np.float32)


class _Batch:
    """What the model saw in one training mini-batch: its size, a fingerprint of its images,
    the MSE and BCE between its reconstructions and its inputs, and the weights before it."""

    def __init__(self, inputs: np.ndarray, outputs: np.ndarray, weights: list[np.ndarray]):
        self.size = len(inputs)
        self.key = tuple(np.round(inputs.astype(np.float64).sum(axis=1), 3))
        outputs = outputs.astype(np.float64)
        self.mse = float(np.mean((outputs - inputs) ** 2))
        clipped = np.clip(outputs, 1e-7, 1 - 1e-7)
        self.bce = float(-np.mean(inputs * np.log(clipped) + (1 - inputs) * np.log(1 - clipped)))
        self.weights = weights
        self.trained = False        # torch: set when a backward pass reaches this output
        self.accumulated = False    # torch: the gradient added to one left by an earlier batch


def _torch_model(seed: int):
    import torch
    from torch import nn

    class RecordingAutoencoder(nn.Module):
        """784 -> 32 -> 8 -> 32 -> 784 that records each forward pass made with gradients on."""

        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 8))
            self.decoder = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 784),
                                         nn.Sigmoid())
            self.batches = []
            watched = self.decoder[2].bias     # one parameter tells whether gradients are reset
            fresh = []
            watched.register_hook(lambda grad: fresh.append(grad.detach().clone()))

            def after_accumulation(param):
                if self.batches and fresh and param.grad is not None:
                    self.batches[-1].accumulated = not torch.allclose(param.grad, fresh[-1])

            watched.register_post_accumulate_grad_hook(after_accumulation)

        def forward(self, x):
            out = self.decoder(self.encoder(x))
            if torch.is_grad_enabled() and out.requires_grad and x.dim() == 2:
                batch = _Batch(x.detach().numpy(), out.detach().numpy(),
                               [p.detach().numpy().copy() for p in self.parameters()])
                self.batches.append(batch)

                def mark(grad, batch=batch):
                    batch.trained = True

                out.register_hook(mark)
            return out

    torch.manual_seed(seed)
    return RecordingAutoencoder()


def _keras_model(seed: int):
    import keras
    import tensorflow as tf

    class RecordingAutoencoder(keras.Model):
        """784 -> 32 -> 8 -> 32 -> 784 that records each mini-batch it is called on in training
        mode. It always runs eagerly (whatever compile says), so that it can record."""

        def __init__(self):
            super().__init__()
            # seeded initialisers, not keras.utils.set_random_seed: that would also reset
            # TensorFlow's global seed, and with it the notebook's later shuffles
            sizes_and_activations = ((32, "relu"), (8, None), (32, "relu"), (784, "sigmoid"))
            self.hidden = [keras.layers.Dense(units, activation=activation,
                                              kernel_initializer=keras.initializers.GlorotUniform(
                                                  seed=100 * seed + i))
                           for i, (units, activation) in enumerate(sizes_and_activations)]
            self.batches = []

        @property
        def run_eagerly(self):
            return True

        @run_eagerly.setter
        def run_eagerly(self, value):
            pass

        def call(self, x, training=False):
            out = x
            for layer in self.hidden:
                out = layer(out)
            if training and tf.executing_eagerly() and len(x.shape) == 2:
                self.batches.append(_Batch(np.asarray(x), np.asarray(out),
                                           [np.asarray(w) for w in self.weights]))
            return out

    model = RecordingAutoencoder()
    model(np.zeros((1, 784), np.float32))   # create the weights
    model.batches.clear()
    return model


def _weights(model, framework: str) -> list[np.ndarray]:
    if framework == "torch":
        return [p.detach().numpy().copy() for p in model.parameters()]
    return [np.asarray(w).copy() for w in model.weights]


def _as_losses(got, epochs: int, framework: str) -> list[float]:
    """The returned value as a list of floats, or NotYet saying what it is."""
    if got is None:
        raise NotYet("train_autoencoder returned None: `return` the list of the mean training "
                     "losses, one float per epoch.")
    if framework == "keras" and type(got).__name__ == "History":
        raise NotYet("train_autoencoder returned the History object of model.fit; return the "
                     "list of losses it holds: `history.history[\"loss\"]`.")
    if isinstance(got, dict):
        raise NotYet(f"train_autoencoder returned a dict (keys {sorted(map(str, got))[:4]}); "
                     f"return the list of the mean training losses, one per epoch.")
    if isinstance(got, np.ndarray) and got.ndim == 1:
        got = list(got)
    if not isinstance(got, (list, tuple)):
        one = " one number" if isinstance(got, (float, int, np.floating)) else f" {kind_of(got)}"
        raise NotYet(f"train_autoencoder returned{one}; return a list with one mean training "
                     f"loss per epoch ({epochs} epochs here).")
    for value in got:
        if type(value).__module__.startswith(("torch", "tensorflow")) or hasattr(value, "numpy"):
            raise NotYet(f"train_autoencoder returned a list of {type(value).__name__} objects "
                         f"(tensors); return plain Python floats: `loss.item()` in PyTorch, "
                         f"`float(...)` otherwise. (A list of tensors can also keep every "
                         f"batch's computation graph alive in memory.)")
        if isinstance(value, bool) or not isinstance(value, (float, int, np.floating, np.integer)):
            raise NotYet(f"train_autoencoder returned a list containing {kind_of(value)}; "
                         f"expected one float per epoch.")
    return [float(v) for v in got]


def _judge_batches(batches: list, images: np.ndarray, epochs: int, batch_size: int,
                   framework: str) -> list:
    """Check the mini-batches the model trained on; returns them split into epochs."""
    n = len(images)
    per_epoch = -(-n // batch_size)
    if not batches:
        raise NotYet("the model was never trained: no mini-batch went through it "
                     + ("with gradients on." if framework == "torch" else
                        "in training mode. Compile it, then train it with model.fit."))
    if framework == "torch":
        if not any(b.trained for b in batches):
            raise NotYet(f"the model reconstructed {len(batches)} mini-batches, but no backward "
                         f"pass went through any of them: call loss.backward() on each batch's "
                         f"loss, then optimizer.step().")
        batches = [b for b in batches if b.trained]   # not a forward pass made only to measure
    sizes = [b.size for b in batches]
    if all(s == n for s in sizes) and n != batch_size:
        raise NotYet(f"every training step used all {n} images at once; split them into "
                     f"mini-batches of batch_size={batch_size}.")
    allowed = {batch_size, n % batch_size or batch_size}
    odd = [s for s in sizes if s not in allowed]
    if odd:
        common = max(odd, key=odd.count)   # the most frequent, the first one on a tie
        raise NotYet(f"the model trained on mini-batches of {common} images, but batch_size was "
                     f"{batch_size} (with {n} images: {n // batch_size} batches of {batch_size}"
                     + (f" and one of {n % batch_size})." if n % batch_size else ").")
                     + " Pass batch_size to the DataLoader / fit.")
    if len(batches) == epochs and per_epoch > 1:
        raise NotYet(f"the model trained on {len(batches)} mini-batches in all, one per epoch; an "
                     f"epoch goes over all {n} images, {per_epoch} mini-batches of {batch_size}.")
    if len(batches) == per_epoch and epochs > 1:
        raise NotYet(f"the model trained for one epoch ({per_epoch} mini-batches), but epochs was "
                     f"{epochs}: repeat the pass over the images `epochs` times.")
    if len(batches) != epochs * per_epoch:
        raise NotYet(f"with {n} images, batch_size={batch_size} and epochs={epochs} the model "
                     f"should train on {epochs * per_epoch} mini-batches ({per_epoch} per epoch); "
                     f"it trained on {len(batches)}.")
    split = [batches[i * per_epoch:(i + 1) * per_epoch] for i in range(epochs)]
    for i, epoch in enumerate(split):
        if sum(b.size for b in epoch) != n:
            raise NotYet(f"epoch {i + 1} went over {sum(b.size for b in epoch)} images, not the "
                         f"{n} images once each.")
    if framework == "torch":
        if any(b.accumulated for b in batches):
            raise NotYet("the gradients accumulate from one mini-batch to the next: after "
                         "loss.backward() the gradient held a leftover from an earlier batch. "
                         "Reset them for every batch with optimizer.zero_grad() before "
                         "loss.backward().")
    in_order = tuple(np.round(images.astype(np.float64).sum(axis=1), 3))
    if all(sum((b.key for b in epoch), ()) == in_order for epoch in split):
        raise NotYet("the images were never shuffled: every epoch took them in the order of the "
                     "array. Shuffle them every epoch (" + (
                         "DataLoader(..., shuffle=True))." if framework == "torch" else
                         "model.fit shuffles arrays unless shuffle=False; "
                         "make_dataset shuffles by default)."))
    # (Keras' fit on arrays may repeat one shuffled order in every epoch: not the student's doing)
    if framework == "torch" and epochs > 1 and [b.key for b in split[0]] == [b.key for b in split[1]]:
        raise NotYet("every epoch went through the images in the same shuffled order: shuffle "
                     "them anew each epoch (a DataLoader with shuffle=True does, on every pass).")
    return split


def _step_message(batches: list, learning_rate: float) -> str | None:
    """Adam's first step moves every weight with a non-negligible gradient by about the
    learning rate; None if the first step was that size."""
    moved = max(float(np.max(np.abs(after - before)))
                for before, after in zip(batches[0].weights, batches[1].weights))
    if moved == 0:
        return ("the weights did not change between the first two mini-batches: take one "
                "optimizer step after each mini-batch's backward pass, inside the batch loop.")
    if 0.9 * learning_rate <= moved <= 1.1 * learning_rate:
        return None
    default = ("" if abs(learning_rate - 1e-3) < 1e-12 or not 0.9e-3 <= moved <= 1.1e-3 else
               " That is the size of Adam's step with the default learning rate 1e-3.")
    return (f"the first update moved the weights by at most {moved:.3g}, while Adam's first step "
            f"moves each weight by about learning_rate = {learning_rate:g}.{default} Train with "
            f"Adam and pass it learning_rate.")


def _judge_losses(losses: list[float], split: list) -> None:
    for i, (got, epoch) in enumerate(zip(losses, split), start=1):
        sizes = np.array([b.size for b in epoch], dtype=float)
        mse = np.array([b.mse for b in epoch])
        bce = np.array([b.bce for b in epoch])
        means = (float(mse @ sizes / sizes.sum()), float(mse.mean()))
        if any(np.isclose(got, m, rtol=2e-4, atol=1e-7) for m in means):
            continue
        mistakes = {
            "it is the loss of the epoch's last mini-batch only; return the mean over all the "
            "epoch's mini-batches.": mse[-1],
            "it looks like the binary cross-entropy; this lesson trains with the mean squared "
            "error.": bce @ sizes / sizes.sum(),
            "it looks like the mean binary cross-entropy; this lesson trains with the mean "
            "squared error.": bce.mean(),
            "it is the sum of the mini-batch losses; divide by the number of mini-batches (or "
            "weight each by its size and divide by the number of images).": mse.sum(),
            "it is the sum of the batch losses weighted by batch size: divide by the number of "
            "images.": mse @ sizes,
        }
        for why, value in mistakes.items():
            if np.isclose(got, value, rtol=2e-4, atol=1e-7):
                raise NotYet(f"the loss you returned for epoch {i} is {got:.6g}: {why}")
        raise NotYet(f"the loss you returned for epoch {i} is {got:.6g}, but the mean squared error "
                     f"between the model's reconstructions and its input images over that "
                     f"epoch's mini-batches was {means[0]:.6g}. The loss must compare each "
                     f"reconstruction with the images that went in.")


def _final_mse(model, images: np.ndarray, framework: str) -> float:
    if framework == "torch":
        import torch

        with torch.no_grad():
            out = model.decoder(model.encoder(torch.from_numpy(images))).numpy()
    else:
        out = np.asarray(model(images, training=False))
    return float(np.mean((out.astype(np.float64) - images) ** 2))


@exercise("02.train_autoencoder", title="the training loop of the deep autoencoder",
          frameworks=("torch", "keras"), reference="dense.train_autoencoder",
          hint={"torch": "An epoch is one pass over all the images in shuffled mini-batches. For "
                         "each mini-batch: reconstruct it, measure the mean squared error against "
                         "the mini-batch itself, clear the old gradients, backpropagate, let Adam "
                         "take a step. Add up each batch's loss (as a Python number) to report the "
                         "epoch's mean.",
                "keras": "Keras has the whole loop built in: tell the model which optimizer and "
                         "which loss to use, then let it fit the images to themselves for the "
                         "given epochs and batch size. What fit returns holds the loss of every "
                         "epoch."},
          answer={"torch": "`loader = make_dataloader(images, images, batch_size=batch_size)`; "
                           "`optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)`; "
                           "then for each epoch: `model.train()`, `total = 0.0`, and for "
                           "`inputs, targets in loader`: `loss = nn.functional.mse_loss("
                           "model(inputs), targets)`, `optimizer.zero_grad()`, "
                           "`loss.backward()`, `optimizer.step()`, `total += loss.item() * "
                           "len(inputs)`; append `total / len(images)` to the list of losses. "
                           "A tqdm bar with `total=epochs * len(loader)` shows progress. "
                           "`model.eval()` at the end, `return losses`.",
                  "keras": "`model.compile(optimizer=keras.optimizers.Adam(learning_rate), "
                           "loss=\"mse\")`; `history = model.fit(make_dataset(images, images, "
                           "batch_size=batch_size), epochs=epochs)`; `return "
                           "history.history[\"loss\"]`."})
def _check_train_autoencoder(fn, framework):
    build = _torch_model if framework == "torch" else _keras_model
    reference = importlib.import_module(f"{__package__.rpartition('.')[0]}.models.dense_{framework}").train_autoencoder
    for n, epochs, batch_size, learning_rate, seed in ((250, 3, 64, 3e-3, 1), (180, 3, 40, 1e-2, 2)):
        images = _blob_images(n, seed)
        model = build(seed)
        start = _weights(model, framework)
        losses = _as_losses(fn(model, images, epochs, batch_size, learning_rate), epochs, framework)
        seen = [batch.weights for batch in model.batches] + [_weights(model, framework)]
        unchanged = all(np.array_equal(a, b) for weights in seen for a, b in zip(start, weights))
        if unchanged and framework == "torch" and any(b.trained for b in model.batches):
            raise NotYet("gradients were computed, but the model's weights did not change: no "
                         "optimizer step was applied (optimizer.step() after loss.backward()).")
        split = _judge_batches(model.batches, images, epochs, batch_size, framework)
        if len(losses) != epochs:
            raise NotYet(f"train_autoencoder returned {len(losses)} loss"
                         f"{'es' if len(losses) != 1 else ''} for epochs={epochs}: return one mean "
                         f"training loss per epoch.")
        message = _step_message([batch for epoch in split for batch in epoch], learning_rate)
        if message:
            raise NotYet(message)
        _judge_losses(losses, split)
        if not losses[-1] < losses[0]:
            raise NotYet(f"the training loss did not go down: {losses[0]:.4g} in the first epoch, "
                         f"{losses[-1]:.4g} in the last.")
        yours = _final_mse(model, images, framework)
        twin = build(seed)
        twin.batches.clear()
        reference(twin, images, epochs, batch_size, learning_rate)
        expected = _final_mse(twin, images, framework)
        if yours > 1.25 * expected:
            raise NotYet(f"after training, the model reconstructs the images with an MSE of "
                         f"{yours:.4g}; the reference loop, from the same starting weights with "
                         f"the same settings, reaches {expected:.4g}.")
