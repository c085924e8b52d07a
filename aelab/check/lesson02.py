"""Checkers for lesson 02 (deep autoencoders and how they fail): dead code units, the L1
sparsity penalty, and the contractive penalty."""

from __future__ import annotations

import numpy as np

from . import NotYet, exercise, expect_array, expect_close, to_numpy


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
    rows_all_zero = codes.copy()
    rows_all_zero[:3] = 0.0                # three inputs with an all-zero code
    yield codes
    yield rows_all_zero
    yield np.zeros((5, 3))                 # everything dead
    yield np.abs(rng.normal(size=(8, 2))) + 0.1   # nothing dead
    wide = np.maximum(rng.normal(-1.0, 1.0, (200, 30)), 0)   # mostly off, a few rare ones
    yield wide


@exercise("02.dead_code_units", title="find the dead units of a ReLU code",
          reference=lambda framework: dead_code_units_reference,
          hint="A unit is one column of `codes` (its value for each input). A dead unit never "
               "fires: it is 0 for every input. Test each entry, then ask, column by column, "
               "whether the test holds for all the rows.",
          answer="`return np.all(codes <= 0, axis=0)`: one boolean per column, True when the "
                 "unit is 0 (a ReLU output is never negative) for every row.")
def _check_dead_code_units(fn, framework):
    for codes in _code_batches():
        given = codes.copy()
        got = fn(given)
        if not np.array_equal(given, codes):
            raise NotYet("your function changed `codes` in place; compute a new array instead.")
        expected = dead_code_units_reference(codes)
        if got is None:
            raise NotYet("dead_code_units returned None: `return` a boolean array, one entry per unit.")
        got_arr = to_numpy(got)
        if got_arr.shape == (len(codes),) and len(codes) != codes.shape[1]:
            raise NotYet(f"you returned one value per input ({len(codes)}), expected one per code "
                         f"unit ({codes.shape[1]}): reduce over axis 0, the inputs.")
        if got_arr.shape != expected.shape:
            raise NotYet(f"expected a boolean array of shape {expected.shape} (one per unit), got "
                         f"shape {got_arr.shape}.")
        if got_arr.dtype != bool:
            raise NotYet(f"expected a boolean array (True = dead), got dtype {got_arr.dtype}.")
        if not np.array_equal(got_arr, expected):
            wrong = int(np.flatnonzero(got_arr != expected)[0])
            raise NotYet(f"unit {wrong} is {'dead' if expected[wrong] else 'alive'} (its largest "
                         f"value is {codes[:, wrong].max():.3g}) but you marked it "
                         f"{'dead' if got_arr[wrong] else 'alive'}. Dead means zero for every input.")


# --- framework helpers -------------------------------------------------------------------------

def _tensor(values: np.ndarray, framework: str, requires_grad: bool = False):
    if framework == "torch":
        import torch

        return torch.tensor(values, dtype=torch.float32, requires_grad=requires_grad)
    import tensorflow as tf

    return tf.Variable(values.astype(np.float32)) if requires_grad else tf.constant(values, tf.float32)


def _value_and_grad(fn, args, grad_index: int, framework: str):
    """Call fn(*args) with args[grad_index] as a tracked tensor; return (value, gradient)."""
    if framework == "torch":
        import torch

        tensors = [_tensor(a, framework, requires_grad=(i == grad_index)) if isinstance(a, np.ndarray)
                   else a for i, a in enumerate(args)]
        out = fn(*tensors)
        if out is None:
            return None, None
        if not isinstance(out, torch.Tensor):
            raise NotYet(f"return a torch tensor (so training can backpropagate through it), got "
                         f"{type(out).__name__}. Use torch operations, not numpy.")
        if out.dim() != 0:
            raise NotYet(f"expected a single number (a 0-d tensor), got shape {tuple(out.shape)}.")
        if not out.requires_grad:
            raise NotYet("the result is detached from the computation graph: use torch "
                         "operations only (no .item(), .numpy() or .detach()).")
        out.backward()
        return float(out.detach()), tensors[grad_index].grad.numpy()
    import tensorflow as tf

    tensors = [_tensor(a, framework, requires_grad=(i == grad_index)) if isinstance(a, np.ndarray)
               else a for i, a in enumerate(args)]
    with tf.GradientTape() as tape:
        out = fn(*tensors)
    if out is None:
        return None, None
    if not tf.is_tensor(out):
        raise NotYet(f"return a TensorFlow tensor (so training can backpropagate through it), got "
                     f"{type(out).__name__}. Use tf / keras.ops operations, not numpy.")
    if len(out.shape) != 0:
        raise NotYet(f"expected a single number (a 0-d tensor), got shape {tuple(out.shape)}.")
    grad = tape.gradient(out, tensors[grad_index])
    if grad is None:
        raise NotYet("the result does not depend on its input through TensorFlow operations; "
                     "use tf operations only (no .numpy()).")
    return float(out), np.asarray(grad)


def _numeric_grad(f, x: np.ndarray, eps: float = 1e-3) -> np.ndarray:
    grad = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        up, down = x.astype(np.float64), x.astype(np.float64)
        up[index] += eps
        down[index] -= eps
        grad[index] = (f(up) - f(down)) / (2 * eps)
    return grad


# --- 02.l1_code_penalty ------------------------------------------------------------------------

def l1_code_penalty_numpy(codes: np.ndarray, weight: float) -> float:
    """weight x (sum over units of |code|), averaged over the batch. codes: (N, k)."""
    return float(weight * np.abs(codes).sum(axis=1).mean())


def _l1_reference(framework):
    if framework == "torch":
        from ..models.dense_torch import l1_code_penalty
    else:
        from ..models.dense_keras import l1_code_penalty
    return l1_code_penalty


@exercise("02.l1_code_penalty", title="the L1 sparsity penalty on the codes",
          frameworks=("torch", "keras"), reference=_l1_reference,
          hint="Measure the size of each image's code as the sum of the absolute values of its "
               "units, average that over the batch, and scale by `weight`. Use the framework's "
               "own operations so that gradients flow back to the codes.",
          answer={"torch": "`return weight * codes.abs().sum(dim=1).mean()`.",
                  "keras": "`return weight * tf.reduce_mean(tf.reduce_sum(tf.abs(codes), "
                           "axis=1))`."})
def _check_l1(fn, framework):
    rng = np.random.default_rng(5)
    for n, k, weight in ((4, 3, 1.0), (16, 10, 1e-3), (7, 64, 0.05)):
        codes = rng.normal(0, 1.5, (n, k))
        value, grad = _value_and_grad(lambda z: fn(z, weight), (codes,), 0, framework)
        if value is None:
            raise NotYet("l1_code_penalty returned None: `return` the penalty.")
        expected = l1_code_penalty_numpy(codes, weight)
        expect_close(value, expected, name=f"the penalty of {n} codes with {k} units, weight {weight}",
                     rtol=1e-4)
        expect_array(grad, weight * np.sign(codes) / n, name="its gradient", rtol=1e-3, atol=1e-6)


# --- 02.contractive_penalty --------------------------------------------------------------------

def contractive_penalty_numpy(encoder_weight: np.ndarray, pre_activation: np.ndarray,
                              weight: float, layout: str = "torch") -> float:
    """Squared Frobenius norm of a one-layer ReLU encoder's Jacobian, batch mean, times ``weight``.

    ``encoder_weight`` is (k, D) in PyTorch's layout, (D, k) in Keras'; ``pre_activation`` (N, k).
    """
    w = encoder_weight if layout == "torch" else encoder_weight.T
    row_norms = (w ** 2).sum(axis=1)
    return float(weight * ((pre_activation > 0) * row_norms).sum(axis=1).mean())


def _contractive_reference(framework):
    if framework == "torch":
        from ..models.dense_torch import contractive_penalty
    else:
        from ..models.dense_keras import contractive_penalty
    return contractive_penalty


@exercise("02.contractive_penalty", title="the contractive penalty of a ReLU encoder",
          frameworks=("torch", "keras"), reference=_contractive_reference,
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
    layout = framework
    for n, k, d, weight in ((3, 4, 5, 1.0), (8, 6, 12, 0.1), (5, 16, 30, 2e-3)):
        w = rng.normal(0, 0.7, (k, d))
        # make the units' weight norms very different, so mixing up axes shows
        w *= np.linspace(0.2, 2.0, k)[:, None]
        a = rng.normal(0, 1, (n, k))
        a[0] = np.abs(a[0]) + 0.1          # one input with every unit active
        a[-1, : k // 2] = -np.abs(a[-1, : k // 2]) - 0.1
        weights_arg = w if layout == "torch" else w.T.copy()
        value, grad = _value_and_grad(lambda ww, aa: fn(ww, aa, weight), (weights_arg, a), 0,
                                      framework)
        if value is None:
            raise NotYet("contractive_penalty returned None: `return` the penalty.")
        expected = contractive_penalty_numpy(weights_arg, a, weight, layout)
        shape = "(units, pixels)" if layout == "torch" else "(pixels, units)"
        expect_close(value, expected, rtol=1e-4,
                     name=f"the penalty for {n} inputs, {k} units, {d} pixels (weights {shape}), "
                          f"weight {weight}")
        numeric = _numeric_grad(lambda ww: contractive_penalty_numpy(ww, a, weight, layout),
                                weights_arg)
        expect_array(grad, numeric, name="its gradient with respect to the weights", rtol=1e-2,
                     atol=1e-5)
