"""Live latent-space widgets: drag a slider, watch a decoder draw a digit.

Four widgets, each built around plain numpy callables, so a PyTorch model and a Keras model
plug in the same way (through ``aelab.torch_support.numpy_function(model)`` or
``aelab.keras_support.numpy_function(model)``):

``latent_sliders(decode, latent_dim, ...)``
    one slider per latent dimension (or k sliders and a chooser of which dims), the decoded
    digit drawn large; buttons to sample from the prior, reset to zero, start from a real digit.
``interpolation_widget(decode, encode, images, ...)``
    one slider walks the code from one chosen digit to another.
``noise_widget(denoise, images, ...)``
    a noise level slider and noise type chooser (the corruptions of ``aelab.noise`` unless given
    others); noisy input and the model's output side by side.
``drawing_pad(reconstruct, ...)``
    draw a digit with the mouse; see it made MNIST-style (:func:`mnist_style`) and what the model
    makes of it, live: its reconstruction (or a denoiser's output for a corrupted copy of it), and
    optionally its code on a latent map, the digits whose codes are nearest, an anomaly score
    against a threshold.

Each factory returns an object of the class of the same name in CamelCase (``LatentSliders``,
``InterpolationWidget``, ``NoiseWidget``, ``DrawingPad``).

Why it feels instant: a slider event does the smallest possible kernel work, decoding ONE
vector and sending its grey levels (784 bytes for a 28x28 digit, a binary buffer, no image
encoding) to a :class:`PixelImage`, a tiny ``anywidget`` front end that draws them straight into a
``<canvas>`` in the message handler (shown enlarged with crisp square pixels); the browser has no
image to fetch or decode, so the new digit is on screen in the next frame. Nothing is re-rendered
by matplotlib, and the kernel does not echo the slider's value back to the page (ipywidgets 8
does by default, for other browser tabs on the same kernel): one message per event fewer. Fast
drags never queue up: the ipywidgets front end keeps at most one update per widget in flight
and, while one is pending, keeps only the newest slider value, which it sends when the kernel is
done. Every update the kernel receives is drawn right away, so the last image
drawn is always the decoder's output for the last slider value. Changes made from Python that
touch several sliders at once (prior sample, reset, encode a digit) are drawn once, not once per
slider. (``aelab.lab_server`` has the JupyterLab settings that keep the round trip short.)

Faster still, with no round trip at all: ``latent_sliders(..., browser_decoder=model)`` for a
model that lists its decoder's layers (``aelab.pretrained.numpy_model``: dense, transposed
convolution, ReLU, sigmoid) sends those layers to the page once, as float32 binary buffers, and
a ``DecoderImage`` front end runs them in JavaScript on the values the slider views hold, drawing
in the slider's own change event: the digit follows the drag without the kernel. The kernel
still follows the sliders (``code``) and sends the code when Python sets it (prior sample, reset,
a real digit, the dims chooser); the image is then always the decoding of the values the sliders
show. The latent explorer (``make explore``) decodes this way; the lessons keep the kernel-side
path, which takes any model a student writes.

Each widget object shows itself when it is the last expression of a cell, and exposes what a
test or an exercise needs: ``set_code`` / ``code`` / ``image`` (the array currently shown) etc.;
``image_widget.grey`` holds the grey levels the browser draws (a :class:`PixelImage`; a
``DecoderImage`` holds the layers it decodes with instead).

Callables and shapes
--------------------
decode(z)      z: float32 array (n, latent_dim)  ->  n images, any of (n, H, W), (n, H, W, 1),
               (n, 1, H, W) or flat (n, H*W); values are shown on the scale [vmin, vmax]
               (default [0, 1]; values outside are clipped for display).
encode(x)      x: images in the layout YOU passed as ``images`` (n, ...)  ->  (n, latent_dim).
               For a VAE pass a function returning the mean code.
denoise(x)     x: noisy images in the layout of ``images`` (n, ...)  ->  n images, as decode.
noise(x, level, rng)  x: clean images (n, ...) in [0, 1], level: float, rng: numpy Generator
               -> noisy images, same shape. The widget reseeds ``rng`` on every event, so the
               noise pattern stays fixed while the level changes (press "new noise" to redraw).
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from ._arrays import as_images, as_labels, as_matrix, check_callable, images_from, interpolate, to_numpy

__all__ = [
    "latent_sliders",
    "interpolation_widget",
    "noise_widget",
    "LatentSliders",
    "InterpolationWidget",
    "NoiseWidget",
    "drawing_pad",
    "DrawingPad",
    "mnist_style",
    "PixelImage",
]


# --------------------------------------------------------------------------- the canvas widget

def _grey_levels(image, *, vmin: float = 0.0, vmax: float = 1.0) -> np.ndarray:
    """One grey image (H, W) on [vmin, vmax] -> uint8 grey levels 0..255 (H, W), clipped, rounded.

    This is what the widgets show: accurate to one grey level, (vmax - vmin) / 255.
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"image: expected one grey image of shape (H, W), got shape {image.shape}")
    if not vmax > vmin:
        raise ValueError(f"expected vmin < vmax, got vmin={vmin}, vmax={vmax}")
    grey = np.clip((image.astype(np.float32) - vmin) * (255.0 / (vmax - vmin)) + 0.5, 0, 255)
    return np.ascontiguousarray(grey.astype(np.uint8))


# Front end of PixelImage: an ES module that anywidget's front end loads as it is, no build step
# (tested here in JupyterLab). The kernel sends H*W grey levels as one binary buffer; the view
# draws them into an H x W canvas in the message handler, shown at scale x scale CSS pixels per
# image pixel with crisp square pixels. ``data-frame`` counts the draws of a view (a hook for
# the browser tests and benchmarks, which read the pixels back with getImageData).
_PIXEL_CANVAS_JS = """
// A canvas in el showing an H x W grey image with crisp square pixels, scale x scale CSS pixels
// each; returns paint(grey, w, h, s), grey holding w*h levels 0-255. data-frame counts the draws.
function pixelCanvas(el) {
  const canvas = document.createElement("canvas");
  canvas.className = "aelab-pixels";
  canvas.style.imageRendering = "pixelated";
  canvas.style.display = "block";
  el.style.width = "max-content";
  el.style.lineHeight = "0";
  el.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  let frame = 0;
  return function paint(grey, w, h, s) {
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    canvas.style.width = `${w * s}px`;
    canvas.style.height = `${h * s}px`;
    const rgba = ctx.createImageData(w, h), d = rgba.data;
    for (let i = 0, j = 0; i < w * h; i++, j += 4) {
      d[j] = d[j + 1] = d[j + 2] = grey[i];
      d[j + 3] = 255;
    }
    ctx.putImageData(rgba, 0, 0);
    canvas.dataset.frame = String(++frame);
  };
}
"""

_PIXEL_IMAGE_ESM = _PIXEL_CANVAS_JS + """
function render({ model, el }) {
  const paint = pixelCanvas(el);
  function draw() {
    const w = model.get("width"), h = model.get("height"), s = model.get("scale");
    const v = model.get("pixels");
    if (!v || !w || !h) return;
    const grey = ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
                                       : new Uint8Array(v);
    if (grey.length !== w * h) return;  // a shape change is drawn once all of it has arrived
    paint(grey, w, h, s);
  }
  const names = ["change:pixels", "change:width", "change:height", "change:scale"];
  for (const name of names) model.on(name, draw);
  draw();
  return () => { for (const name of names) model.off(name, draw); };
}
export default { render };
"""


@functools.cache
def _pixel_image_class():
    import anywidget  # imported lazily: `import aelab` stays light
    import traitlets

    class PixelImage(anywidget.AnyWidget):
        """A grey image drawn into a ``<canvas>``: the fastest way to show a digit in the browser.

        ``show(image, vmin=0, vmax=1)`` sends an image (H, W) as H*W grey levels (uint8, one
        binary buffer); the browser draws them as they arrive, ``scale`` CSS pixels per image
        pixel, crisp (no smoothing). ``grey`` is what is shown (uint8, (H, W)).
        """

        _esm = _PIXEL_IMAGE_ESM
        pixels = traitlets.Bytes(b"", help="H*W grey levels, row by row").tag(sync=True)
        width = traitlets.Int(0, help="image width W in pixels").tag(sync=True)
        height = traitlets.Int(0, help="image height H in pixels").tag(sync=True)
        scale = traitlets.Int(8, help="CSS pixels per image pixel").tag(sync=True)

        def show(self, image, *, vmin: float = 0.0, vmax: float = 1.0) -> None:
            """Show a grey image (H, W) with values on [vmin, vmax] (clipped)."""
            grey = _grey_levels(image, vmin=vmin, vmax=vmax)
            h, w = grey.shape
            if (h, w) == (self.height, self.width):
                self.pixels = grey.tobytes()  # the common case: one small message
            else:
                with self.hold_sync():
                    self.height, self.width, self.pixels = h, w, grey.tobytes()

        @property
        def grey(self) -> np.ndarray:
            """The grey levels shown, uint8 (H, W)."""
            return np.frombuffer(self.pixels, np.uint8).reshape(self.height, self.width).copy()

    PixelImage.__module__ = __name__
    PixelImage.__qualname__ = "PixelImage"
    return PixelImage


def _pixel_image(scale: int, css_class: str | None = None, **layout):
    """A new PixelImage widget with ``scale`` and an optional CSS class and layout."""
    widget = _pixel_image_class()(scale=int(scale), layout=_widgets().Layout(**layout))
    if css_class:
        widget.add_class(css_class)
    return widget


# --------------------------------------------------------------------------- the decoder in the browser

# Front end of DecoderImage: the decoder itself, run in JavaScript. The kernel sends the layers
# ONCE (``layers``: op, shapes and offsets; ``weights``: every array's float32 numbers, one binary
# buffer). The view decodes the code z = ``code`` with the numbers of the slider models in
# ``sliders`` put at ``dims`` (the models the browser's slider views update as they are dragged,
# obtained through anywidget's ``host.getModel``), followed by ``condition`` (a conditional
# decoder's one-hot label), and draws the image as PixelImage does, in the slider's own change
# event: a drag never waits for the kernel. ``data-frame`` counts the draws.
_DECODER_IMAGE_ESM = _PIXEL_CANVAS_JS + """
function compile(model) {
  const v = model.get("weights");
  const bytes = ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
                                      : new Uint8Array(v);
  const numbers = new Float32Array(bytes.slice().buffer);   // a copy: 4-byte aligned
  const take = (offset, size) => numbers.subarray(offset, offset + size);
  return model.get("layers").map((l) => {
    const size = l.weight_shape ? l.weight_shape.reduce((a, b) => a * b, 1) : 0;
    return Object.assign({}, l, size ? {w: take(l.weight, size), b: take(l.bias, l.bias_size)} : {});
  });
}

function dense(x, l) {            // weight (in, out): rows skipped where x is 0 (after a ReLU)
  const [nin, nout] = l.weight_shape, w = l.w, y = new Float32Array(l.b);
  for (let i = 0; i < nin; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    for (let o = 0, r = i * nout; o < nout; o++) y[o] += xi * w[r + o];
  }
  return y;
}

function convTranspose(x, l) {    // kernel 4, stride 2, padding 1; weight (c_in, c_out, 4, 4)
  // As aelab.pretrained's numpy version: each input pixel's stamp, x[:, i, j] @ weight (one
  // row of c_out * 16 numbers), added onto output pixels (2i + k - 1, 2j + m - 1).
  const [cin, h, wd] = l.input_shape, cout = l.weight_shape[1], H = 2 * h, W = 2 * wd;
  const w = l.w, n = cout * 16, hw = h * wd, stamp = new Float32Array(n);
  const y = new Float32Array(cout * H * W);
  for (let o = 0; o < cout; o++) y.fill(l.b[o], o * H * W, (o + 1) * H * W);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < wd; j++) {
      stamp.fill(0);
      for (let c = 0, p = i * wd + j; c < cin; c++, p += hw) {
        const xv = x[p];
        if (xv === 0) continue;
        for (let q = 0, r = c * n; q < n; q++) stamp[q] += xv * w[r + q];
      }
      for (let k = 0; k < 4; k++) {
        const row = 2 * i + k - 1;
        if (row < 0 || row >= H) continue;
        for (let m = 0; m < 4; m++) {
          const col = 2 * j + m - 1;
          if (col < 0 || col >= W) continue;
          for (let o = 0, q = k * 4 + m, t = row * W + col; o < cout; o++, q += 16, t += H * W) {
            y[t] += stamp[q];
          }
        }
      }
    }
  }
  return y;
}

function decode(layers, z) {
  let x = z;
  for (const l of layers) {
    if (l.op === "dense") x = dense(x, l);
    else if (l.op === "conv_transpose") x = convTranspose(x, l);
    else if (l.op === "relu") { for (let i = 0; i < x.length; i++) if (x[i] < 0) x[i] = 0; }
    else if (l.op === "silu") { for (let i = 0; i < x.length; i++) x[i] = x[i] / (1 + Math.exp(-x[i])); }
    else if (l.op === "sigmoid") { for (let i = 0; i < x.length; i++) x[i] = 1 / (1 + Math.exp(-x[i])); }
    // "reshape": the numbers stay in the same order
  }
  return x;
}

async function render({ model, el, host }) {
  const paint = pixelCanvas(el);
  let layers = compile(model), sliders = [], alive = true;

  function draw() {
    if (!alive) return;
    const w = model.get("width"), h = model.get("height"), s = model.get("scale");
    const dims = model.get("dims"), code = model.get("code"), condition = model.get("condition");
    if (sliders.length !== dims.length) return;   // sliders still being fetched
    const z = new Float32Array(code.length + condition.length);
    z.set(code);
    z.set(condition, code.length);
    for (let k = 0; k < dims.length; k++) z[dims[k]] = sliders[k].get("value");
    const out = decode(layers, z);
    const lo = model.get("vmin"), gain = 255 / (model.get("vmax") - lo), grey = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) {   // as the kernel's grey levels: clip, round
      grey[i] = Math.min(255, Math.max(0, Math.floor((out[i] - lo) * gain + 0.5)));
    }
    paint(grey, w, h, s);
  }

  async function connect() {
    for (const s of sliders) s.off("change:value", draw);
    sliders = [];
    const found = await Promise.all(model.get("sliders").map((ref) => host.getModel(ref)));
    if (!alive) return;
    sliders = found;
    for (const s of sliders) s.on("change:value", draw);
    draw();
  }
  function recompile() { layers = compile(model); draw(); }

  const redraw = ["change:code", "change:dims", "change:condition", "change:scale", "change:vmin", "change:vmax"];
  for (const name of redraw) model.on(name, draw);
  model.on("change:weights", recompile);
  model.on("change:layers", recompile);
  model.on("change:sliders", connect);
  await connect();
  return () => {
    alive = false;
    for (const name of redraw) model.off(name, draw);
    model.off("change:weights", recompile);
    model.off("change:layers", recompile);
    model.off("change:sliders", connect);
    for (const s of sliders) s.off("change:value", draw);
  };
}
export default { render };
"""

_ELEMENTWISE_OPS = ("relu", "silu", "sigmoid")
_LAYER_OPS = ("dense", *_ELEMENTWISE_OPS, "reshape", "conv_transpose")


def _decoder_spec(layers, input_size: int) -> tuple[list[dict], bytes, tuple[int, int]]:
    """A decoder's layer list (as :meth:`aelab.pretrained.NumpyVAE.decoder_layers` gives it) ->
    (layer specs for the browser, every weight and bias as float32 little-endian bytes in one
    buffer, the image shape (H, W) of the output).

    Each spec is a dict: ``op``; ``input_shape`` / ``output_shape`` (lists of ints); for "dense"
    and "conv_transpose" also ``weight_shape``, ``weight`` and ``bias`` (offsets into the buffer,
    in float32 numbers) and ``bias_size``. The shapes are checked layer by layer from an input of
    ``input_size`` numbers; the output must be one grey image: H*W numbers with H == W, or (1, H, W).
    """
    if not isinstance(layers, (list, tuple)) or not layers:
        raise TypeError(f"decoder_layers(): expected a non-empty list of layers, got {type(layers).__name__}")
    shape, specs, chunks, offset = (int(input_size),), [], [], 0
    for n, layer in enumerate(layers):
        if not isinstance(layer, tuple) or not layer or layer[0] not in _LAYER_OPS:
            raise ValueError(f"decoder layer {n}: expected a tuple (op, ...) with op one of "
                             f"{', '.join(_LAYER_OPS)}, got {layer!r:.80}")
        op, args = layer[0], layer[1:]
        spec = {"op": op, "input_shape": list(shape)}
        if op in _ELEMENTWISE_OPS:
            if args:
                raise ValueError(f"decoder layer {n}: {op} takes no arguments")
        elif op == "reshape":
            new = tuple(int(s) for s in np.atleast_1d(args[0])) if len(args) == 1 else ()
            if not new or int(np.prod(new)) != int(np.prod(shape)):
                raise ValueError(f"decoder layer {n}: cannot reshape {shape} to {args!r:.80}")
            shape = new
        else:
            if len(args) != 2:
                raise ValueError(f"decoder layer {n}: {op} expects (op, weight, bias), got {len(args)} arrays")
            weight, bias = (np.asarray(a) for a in args)
            for what, a in (("weight", weight), ("bias", bias)):
                if not np.issubdtype(a.dtype, np.floating) or not np.all(np.isfinite(a)):
                    raise ValueError(f"decoder layer {n} ({op}): {what} must hold finite floats, "
                                     f"got a {a.dtype} array")
            if op == "dense":
                ok = weight.ndim == 2 and shape == (weight.shape[0],) and bias.shape == weight.shape[1:]
                want = f"weight ({shape[0] if len(shape) == 1 else '?'}, out) and bias (out,) for input {shape}"
                new = (weight.shape[1],) if ok else None
            else:
                ok = (weight.ndim == 4 and weight.shape[2:] == (4, 4) and len(shape) == 3
                      and shape[0] == weight.shape[0] and bias.shape == (weight.shape[1],))
                want = f"weight (c_in, c_out, 4, 4) and bias (c_out,) for an input (c_in, H, W), got input {shape}"
                new = (weight.shape[1], 2 * shape[1], 2 * shape[2]) if ok else None
            if not ok:
                raise ValueError(f"decoder layer {n} ({op}): expected {want}; got weight {weight.shape}, "
                                 f"bias {bias.shape}")
            w32 = np.ascontiguousarray(weight, dtype="<f4")
            b32 = np.ascontiguousarray(bias, dtype="<f4")
            spec.update(weight_shape=list(w32.shape), weight=offset, bias=offset + w32.size,
                        bias_size=int(b32.size))
            chunks += [w32.tobytes(), b32.tobytes()]
            offset += w32.size + b32.size
            shape = new
        spec["output_shape"] = list(shape)
        specs.append(spec)
    size = int(np.prod(shape))
    side = int(round(np.sqrt(size)))
    if not (len(shape) == 1 or (len(shape) == 3 and shape[0] == 1)) or side * side != size:
        raise ValueError(f"decoder: expected the last layer to give one square grey image, H*W numbers "
                         f"or (1, H, W); it gives {shape}")
    return specs, b"".join(chunks), (side, side)


@functools.cache
def _decoder_image_class():
    import anywidget
    import traitlets

    class DecoderImage(anywidget.AnyWidget):
        """A decoder run in the browser, drawing the image of the code the sliders show.

        Built by :class:`LatentSliders` with ``browser_decoder=``; see :func:`_decoder_spec`
        for ``layers`` and ``weights`` (sent once). The code decoded is ``code`` (latent_dim,)
        with the values of the slider models ``sliders`` at ``dims``, then ``condition``.
        """

        _esm = _DECODER_IMAGE_ESM
        layers = traitlets.List(traitlets.Dict(), help="layer specs").tag(sync=True)
        weights = traitlets.Bytes(b"", help="the layers' float32 numbers, little-endian").tag(sync=True)
        code = traitlets.List(traitlets.Float(), help="the code (latent_dim,)").tag(sync=True)
        dims = traitlets.List(traitlets.Int(), help="the latent dim of each slider").tag(sync=True)
        sliders = traitlets.List(help="the sliders whose values the browser decodes").tag(
            sync=True, to_json=lambda sliders, _: [f"anywidget:{s.model_id}" for s in sliders])
        condition = traitlets.List(traitlets.Float(), help="numbers after the code (one-hot label)").tag(sync=True)
        width = traitlets.Int(0, help="image width W in pixels").tag(sync=True)
        height = traitlets.Int(0, help="image height H in pixels").tag(sync=True)
        scale = traitlets.Int(8, help="CSS pixels per image pixel").tag(sync=True)
        vmin = traitlets.Float(0.0, help="the decoder output shown black").tag(sync=True)
        vmax = traitlets.Float(1.0, help="the decoder output shown white").tag(sync=True)

    DecoderImage.__module__ = __name__
    DecoderImage.__qualname__ = "DecoderImage"
    return DecoderImage


def __getattr__(name):
    if name == "PixelImage":  # built on first use: importing aelab.widgets needs no anywidget
        return _pixel_image_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------- helpers

def _widgets():
    import ipywidgets  # imported lazily: `import aelab` stays light

    return ipywidgets


@functools.cache
def _slider_class():
    """ipywidgets' FloatSlider whose values from the browser are not echoed back.

    ipywidgets 8 answers every value a front end sends with an "echo_update" message, so that
    other front ends of the same kernel (a second browser tab) follow; for a slider dragged in
    one page that is one more message per event for the kernel to send, the server to forward
    and the page to handle before the new image. The trait's ``echo_update=False`` metadata is
    ipywidgets' own switch for it. Values set from Python are sent as always.
    """
    import traitlets

    class FloatSlider(_widgets().FloatSlider):
        value = traitlets.CFloat(0.0, help="Float value").tag(sync=True, echo_update=False)

    FloatSlider.__module__ = __name__
    return FloatSlider


class _Base:
    """Display and shared plumbing of the aelab widgets."""

    widget = None

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _show_error(self, err: Exception | None):
        self._status.value = "" if err is None else (
            f"<span style='color:#b00'>{type(err).__name__}: {err}</span>")

    def _rendered(self):
        """Count a successful render and clear an error shown by an earlier one."""
        self.renders += 1
        if self._status.value:
            self._show_error(None)

    def _show_decoded(self, code: np.ndarray, raise_errors: bool = False):
        """Decode one code (d,) and show it in ``image_widget``; an error goes to the status line."""
        try:
            image = images_from(self.decode, code[None, :])[0]
        except Exception as err:  # shown in the widget; a callback error would go unseen
            if raise_errors:
                raise
            self._show_error(err)
            return
        self.image = image
        self.image_widget.show(image, vmin=self.vmin, vmax=self.vmax)
        self._rendered()


# --------------------------------------------------------------------------- latent sliders

class LatentSliders(_Base):
    """Sliders over a latent code and the digit the decoder draws from it (see :func:`latent_sliders`).

    Attributes and methods for notebooks and tests:
      ``code``          copy of the current code, float32 (latent_dim,)
      ``image``         the image currently shown, float32 (H, W), as decoded (before clipping)
      ``sliders``       the visible FloatSliders; ``slider_dims`` the latent dim each one controls
      ``set_code(z)``   set the whole code (one redraw); ``set_dim(i, v)`` one dimension
      ``sample_prior()``, ``reset()``, ``start_from_digit(index)``, ``show_dims(dims)``
      ``prior_button``, ``reset_button``, ``digit_button`` (+ ``digit_index``), ``dims_chooser``
      ``image_widget``  the :class:`PixelImage` showing it (``.grey``: the grey levels shown);
                        with ``browser_decoder``, the ``DecoderImage`` decoding in the browser
                        (``.layers``, ``.weights``: what it was sent); ``widget`` the whole box
      ``renders``       how many times the image has been redrawn by the kernel (for tests);
                        with ``browser_decoder``: how many codes Python has sent the browser
      ``set_label(d)``  the label a conditional ``browser_decoder`` decodes with
    """

    def __init__(self, decode, latent_dim, *, encode=None, images=None, labels=None,
                 max_sliders: int = 8, ranges=None, prior="normal", scale: int = 8,
                 vmin: float = 0.0, vmax: float = 1.0, step: float | None = None, seed: int = 0,
                 title: str | None = None, browser_decoder=None, label: int | None = None):
        check_callable(decode, "decode", "decode(z: (n, latent_dim)) -> images")
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, (int, np.integer)) or latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive int, got {latent_dim!r}")
        if isinstance(max_sliders, bool) or not isinstance(max_sliders, (int, np.integer)) or max_sliders < 1:
            raise ValueError(f"max_sliders must be a positive int, got {max_sliders!r}")
        if encode is not None:
            check_callable(encode, "encode", "encode(images) -> (n, latent_dim)")
            if images is None:
                raise ValueError("encode was given without images: pass images=... to start "
                                 "from a real digit")
        self.decode, self.encode = decode, encode
        self.latent_dim = d = int(latent_dim)
        self.scale, self.vmin, self.vmax = int(scale), float(vmin), float(vmax)
        self._rng = np.random.default_rng(seed)
        self.images = images
        self._shown_images = as_images(images) if images is not None else None
        self.labels = None if labels is None else np.asarray(labels)
        self.renders = 0
        self.browser_decoder = browser_decoder
        self._condition = self._check_browser_decoder(browser_decoder, label)

        # Codes of the given images, when an encoder is given: slider ranges, "data" prior.
        self._codes = None
        if encode is not None:
            self._codes = as_matrix(encode(images), name="encode output", columns=d)
        if step is not None and not (isinstance(step, (int, float)) and step > 0):
            raise ValueError(f"step must be a positive number or None (continuous), got {step!r}")
        self.step = None if step is None else float(step)
        self._lo, self._hi = self._ranges(ranges)
        if self.step:  # slider grid = multiples of step, so 0 (reset) is on it
            self._lo = (np.floor(self._lo / self.step) * self.step).astype(np.float32)
            self._hi = (np.ceil(self._hi / self.step) * self.step).astype(np.float32)
        self._prior = self._make_prior(prior)
        self._code = np.clip(np.zeros(d, np.float32), self._lo, self._hi)

        w = _widgets()
        k = min(d, int(max_sliders))
        groups = self._dim_groups(k) if d > k else [("all", tuple(range(d)))]
        self.slider_dims = list(groups[0][1])
        self.sliders = []
        for j in self.slider_dims:
            lo, hi = float(self._lo[j]), float(self._hi[j])
            s = _slider_class()(value=float(self._code[j]), min=lo, max=hi,
                                step=self.step, description=f"z[{j}]",
                                continuous_update=True, readout_format=".2f",
                                layout=w.Layout(width="340px"))
            s.observe(self._on_slider, names="value")
            s.add_class("aelab-latent-slider")  # stable hooks for browser tests and styling
            self.sliders.append(s)
        self._holding = False

        if browser_decoder is None:
            self.image_widget = _pixel_image(self.scale, "aelab-latent-image", border="1px solid #ccc")
        else:
            self.image_widget = self._decoder_image()
        self._status = w.HTML()
        prior_btn = w.Button(description="sample from prior", icon="random", layout=w.Layout(width="auto"),
                             tooltip="draw a code from the prior and decode it")
        prior_btn.on_click(lambda _: self.sample_prior())
        self.prior_button = prior_btn
        zero_btn = w.Button(description="reset to zero", icon="undo", layout=w.Layout(width="auto"))
        zero_btn.on_click(lambda _: self.reset())
        self.reset_button = zero_btn
        buttons = [prior_btn, zero_btn]
        controls = []
        if d > k:
            self.dims_chooser = w.Dropdown(options=groups, value=groups[0][1],
                                           description="dims", layout=w.Layout(width="340px"))
            self.dims_chooser.observe(lambda c: self.show_dims(c["new"]), names="value")
            controls.append(self.dims_chooser)
        else:
            self.dims_chooser = None
        controls += self.sliders
        right = [self.image_widget]
        if encode is not None:
            n = len(self._shown_images)
            self.digit_index = w.BoundedIntText(value=0, min=0, max=n - 1, description="digit #",
                                                layout=w.Layout(width="160px"))
            real_btn = w.Button(description="start from this digit", icon="pencil",
                                layout=w.Layout(width="auto"),
                                tooltip="encode the chosen image and set the sliders to its code")
            real_btn.on_click(lambda _: self.start_from_digit(self.digit_index.value))
            self.digit_button = real_btn
            self.real_image_widget = _pixel_image(3)
            self.real_label = w.HTML()
            self.digit_index.observe(lambda c: self._show_real(c["new"]), names="value")
            self._show_real(0)
            buttons.append(w.HBox([self.digit_index, real_btn, self.real_image_widget, self.real_label],
                                  layout=w.Layout(align_items="center")))
        header = [w.HTML(f"<b>{title}</b>")] if title else []
        self.widget = w.VBox(header + [w.HBox([w.VBox(controls), w.VBox(right)]),
                                       w.HBox(buttons[:2]), *buttons[2:], self._status])
        self._render(raise_errors=True)
        if browser_decoder is not None:
            self._check_same_decoder()

    # ----- public API
    @property
    def code(self) -> np.ndarray:
        return self._code.copy()

    @property
    def image(self) -> np.ndarray:
        """The image shown, float32 (H, W), as decoded (before clipping)."""
        if self.browser_decoder is not None:   # decoded in the browser: decode it here on demand
            return images_from(self.decode, self._code[None, :])[0]
        return self._image

    @image.setter
    def image(self, value) -> None:
        self._image = value

    def set_label(self, label: int) -> None:
        """The label a conditional ``browser_decoder`` decodes with (0-9); the page redraws."""
        if self.browser_decoder is None or not self.browser_decoder.conditional:
            raise RuntimeError("set_label needs a conditional browser_decoder (e.g. the conditional VAE)")
        self._condition = self._check_browser_decoder(self.browser_decoder, label)
        self.image_widget.condition = self._condition

    def set_code(self, z) -> None:
        """Set the whole code (latent_dim,) at once; the sliders follow, the digit is redrawn once."""
        z = as_matrix(z, name="z", columns=self.latent_dim)
        if len(z) != 1:
            raise ValueError(f"z: expected one code of length {self.latent_dim}, got shape {z.shape}")
        self._code = self._snap(z[0])
        self._sync_sliders()
        self._render()

    def set_dim(self, dim: int, value: float) -> None:
        """Set one latent dimension, as if its slider were dragged there."""
        if not 0 <= int(dim) < self.latent_dim:
            raise ValueError(f"dim must be in 0..{self.latent_dim - 1}, got {dim}")
        z = self._code.copy()
        z[int(dim)] = value
        self.set_code(z)

    def sample_prior(self) -> np.ndarray:
        """Draw a code from the prior, show its decoding, return the code."""
        self.set_code(self._prior(self._rng))
        return self.code

    def reset(self) -> None:
        """All dimensions back to zero."""
        self.set_code(np.zeros(self.latent_dim, np.float32))

    def start_from_digit(self, index: int) -> np.ndarray:
        """Encode image ``index`` of ``images`` and set the sliders to its code."""
        if self.encode is None:
            raise RuntimeError("start_from_digit needs encode= and images= when building the widget")
        if not 0 <= int(index) < len(self._codes):
            raise ValueError(f"index must be in 0..{len(self._codes) - 1}, got {index}")
        self.set_code(self._codes[int(index)])
        return self.code

    def show_dims(self, dims) -> None:
        """Point the visible sliders at latent dimensions ``dims`` (as many as there are sliders)."""
        dims = [int(i) for i in dims]
        k = len(self.sliders)
        if len(dims) != k or len(set(dims)) != k or not all(0 <= i < self.latent_dim for i in dims):
            raise ValueError(f"dims: expected {k} different dims in 0..{self.latent_dim - 1}, got {dims}")
        self.slider_dims = dims
        self._sync_sliders()
        if self.browser_decoder is not None:   # the page decodes with the new dims
            self._render()

    # ----- internals
    def _check_browser_decoder(self, model, label) -> list[float]:
        """Check ``browser_decoder`` and ``label``; return the numbers after the code (one-hot label)."""
        if model is None:
            if label is not None:
                raise TypeError("label= is the label of a conditional browser_decoder; none was given")
            return []
        if not callable(getattr(model, "decoder_layers", None)) or not hasattr(model, "conditional"):
            raise TypeError(f"browser_decoder: expected a model that lists its decoder's layers, such as "
                            f"aelab.pretrained.numpy_model(name), got {type(model).__name__}")
        if getattr(model, "latent_dim", None) != self.latent_dim:
            raise ValueError(f"browser_decoder: its codes have {getattr(model, 'latent_dim', None)} numbers, "
                             f"latent_dim is {self.latent_dim}")
        if not model.conditional:
            if label is not None:
                raise TypeError(f"label: {getattr(model, 'name', 'browser_decoder')} is not conditional")
            return []
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= label <= 9:
            raise ValueError(f"label: a conditional browser_decoder needs the label to decode with, "
                             f"an int 0-9; got {label!r}")
        return [float(i == label) for i in range(10)]

    def _decoder_image(self):
        layers, weights, (h, w) = _decoder_spec(self.browser_decoder.decoder_layers(),
                                                self.latent_dim + len(self._condition))
        widget = _decoder_image_class()(layers=layers, weights=weights, width=w, height=h,
                                        scale=self.scale, vmin=self.vmin, vmax=self.vmax,
                                        condition=self._condition, sliders=self.sliders,
                                        layout=_widgets().Layout(border="1px solid #ccc"))
        widget.add_class("aelab-latent-image")
        return widget

    def _check_same_decoder(self):
        """ValueError unless ``decode`` and ``browser_decoder`` draw the same image of the code."""
        model, z = self.browser_decoder, self._code[None, :]
        labels = [self._condition.index(1.0)] if model.conditional else None
        theirs = as_images(model.decode(z) if labels is None else model.decode(z, np.array(labels)))[0]
        ours = self.image
        worst = float(np.abs(ours - theirs).max()) if ours.shape == theirs.shape else np.inf
        if not worst <= (self.vmax - self.vmin) / 255:
            raise ValueError(f"decode and browser_decoder disagree on the code {self._code.tolist()}: "
                             f"images {ours.shape} and {theirs.shape}, up to {worst:.3g} apart (pass the "
                             f"browser_decoder's own decode, with the same label)")
    def _snap(self, z: np.ndarray) -> np.ndarray:
        """With a slider step, round codes to it: the front end would snap them anyway."""
        z = np.asarray(z, np.float32).copy()
        return (np.round(z / self.step) * self.step).astype(np.float32) if self.step else z

    def _on_slider(self, change):
        if self._holding:
            return
        j = self.sliders.index(change["owner"])
        self._code[self.slider_dims[j]] = change["new"]
        if self.browser_decoder is None:   # else the page has drawn it already
            self._render()

    def _sync_sliders(self):
        """Move the sliders to the code without triggering one redraw per slider."""
        self._holding = True
        try:
            for s, dim in zip(self.sliders, self.slider_dims):
                v = float(self._code[dim])
                lo, hi = float(self._lo[dim]), float(self._hi[dim])
                lo, hi = min(lo, v), max(hi, v)  # widen rather than clip: slider == code always
                if self.step:
                    lo = float(np.floor(lo / self.step) * self.step)
                    hi = float(np.ceil(hi / self.step) * self.step)
                # The range goes to the browser in a message of its own, before the value: sent
                # together, the slider view applies the value first, clamps it to the old range
                # and sends the clamped value back.
                with s.hold_sync():
                    s.description = f"z[{dim}]"
                    if hi > s.min:
                        s.max, s.min = hi, lo
                    else:
                        s.min, s.max = lo, hi
                s.value = v
        finally:
            self._holding = False

    def _render(self, raise_errors: bool = False):
        if self.browser_decoder is None:
            self._show_decoded(self._code.astype(np.float32), raise_errors)
            return
        with self.image_widget.hold_sync():   # one message: the code and which dims the sliders move
            self.image_widget.code = [float(v) for v in self._code]
            self.image_widget.dims = list(self.slider_dims)
        self._rendered()

    def _show_real(self, index):
        self.real_image_widget.show(self._shown_images[int(index)], vmin=self.vmin, vmax=self.vmax)
        if self.labels is not None and int(index) < len(self.labels):
            self.real_label.value = f"label {self.labels[int(index)]}"

    def _ranges(self, ranges):
        d = self.latent_dim
        if ranges is None:
            ranges = "data" if self._codes is not None else (-3.0, 3.0)
        if isinstance(ranges, str):
            if ranges != "data" or self._codes is None:
                raise ValueError("ranges='data' needs encode= and images=; otherwise pass "
                                 "(low, high) or an array (latent_dim, 2)")
            lo = np.percentile(self._codes, 0.5, axis=0)
            hi = np.percentile(self._codes, 99.5, axis=0)
            pad = 0.1 * (hi - lo) + 1e-3
            lo, hi = np.minimum(lo - pad, 0.0), np.maximum(hi + pad, 0.0)
        else:
            arr = np.asarray(ranges, dtype=np.float64)
            if arr.shape == (2,):
                arr = np.tile(arr, (d, 1))
            if arr.shape != (d, 2) or not np.all(np.isfinite(arr)) or not np.all(arr[:, 1] > arr[:, 0]):
                raise ValueError(f"ranges: expected (low, high) with low < high, an array ({d}, 2), "
                                 f"or 'data'; got {ranges!r}")
            lo, hi = arr[:, 0], arr[:, 1]
        return lo.astype(np.float32), hi.astype(np.float32)

    def _make_prior(self, prior):
        d = self.latent_dim
        if callable(prior):
            return lambda rng: np.asarray(prior(rng), dtype=np.float32).reshape(d)
        if prior == "normal":
            return lambda rng: rng.standard_normal(d).astype(np.float32)
        if prior == "data":
            if self._codes is None:
                raise ValueError("prior='data' needs encode= and images= (a Gaussian fitted to their codes)")
            mean = self._codes.mean(axis=0)
            cov = np.atleast_2d(np.cov(self._codes, rowvar=False))
            return lambda rng: rng.multivariate_normal(mean, cov).astype(np.float32)
        raise ValueError(f"prior: expected 'normal', 'data' or a callable rng -> (latent_dim,), got {prior!r}")

    def _dim_groups(self, k):
        d = self.latent_dim
        groups = []
        if self._codes is not None:
            order = np.argsort(-self._codes.std(axis=0), kind="stable")[:k]
            groups.append((f"the {k} most varied dims", tuple(int(i) for i in order)))
        for start in range(0, d, k):
            start = min(start, d - k)  # the last group is the last k dims
            dims = tuple(range(start, start + k))
            groups.append((f"z[{dims[0]}]..z[{dims[-1]}]", dims))
        return groups


def latent_sliders(decode: Callable, latent_dim: int, *, encode: Callable | None = None,
                   images=None, labels=None, max_sliders: int = 8, ranges=None, prior="normal",
                   scale: int = 8, vmin: float = 0.0, vmax: float = 1.0,
                   step: float | None = None, seed: int = 0, title: str | None = None,
                   browser_decoder=None, label: int | None = None) -> LatentSliders:
    """Sliders over a latent code and the decoded digit, updating while you drag.

    decode : ``decode(z)`` with z float32 (n, latent_dim) -> n images (see module docstring).
    latent_dim : size of the code. With more dims than ``max_sliders``, the first
        ``max_sliders`` are shown and a "dims" chooser picks which ones (consecutive groups,
        plus "the most varied dims" when codes of real digits are known).
    encode, images, labels : optional; ``encode(images)`` -> (N, latent_dim) enables the
        "start from this digit" control and data-based slider ranges. ``images`` are passed to
        ``encode`` in the layout given; ``labels`` are only shown.
    ranges : slider range per dim: (low, high) for all, an array (latent_dim, 2), or "data"
        (0.5th-99.5th percentile of the codes of ``images``, widened 10 %, always containing 0).
        Default: "data" when ``encode`` is given, else (-3, 3) (the bulk of a N(0, 1) prior).
    prior : what "sample from prior" draws: "normal" (N(0, I), a VAE's prior), "data"
        (a Gaussian fitted to the codes of ``images``) or ``prior(rng) -> (latent_dim,)``.
    scale : screen pixels per image pixel (8: a 28x28 digit is shown 224x224).
    vmin, vmax : value range of the decoder's output (grey levels), default [0, 1].
    step : None (default): continuous sliders, any value. A number: sliders move in multiples of
        ``step``, and codes set from Python (prior samples, encoded digits) are rounded to it too,
        because the browser would snap them; what the sliders show is always what is decoded.
    seed : seed of the prior sampler.
    browser_decoder : optional, a model that lists its decoder's layers (an
        :class:`aelab.pretrained.NumpyVAE`, see its ``decoder_layers``): the page runs that decoder
        itself, in JavaScript, on the values the sliders show, so a drag draws without waiting for
        the kernel (the latent explorer). Its weights are sent once, as float32. The kernel still
        follows the sliders (``code``) and sends the code when Python sets it (buttons,
        ``set_code``, the dims chooser); ``decode`` must be the same decoder (checked on the
        starting code) and computes ``image`` on demand. Without it (the lessons: any model), the
        kernel decodes every slider event.
    label : for a conditional ``browser_decoder``: the label it decodes with (0-9), changed with
        ``set_label``; ``decode`` must use the same label.

    Returns a :class:`LatentSliders`; leave it as the last expression of a cell to show it.
    """
    return LatentSliders(decode, latent_dim, encode=encode, images=images, labels=labels,
                         max_sliders=max_sliders, ranges=ranges, prior=prior, scale=scale,
                         vmin=vmin, vmax=vmax, step=step, seed=seed, title=title,
                         browser_decoder=browser_decoder, label=label)


# --------------------------------------------------------------------------- interpolation

class InterpolationWidget(_Base):
    """A slider t in [0, 1] walking from the code of digit ``a`` to the code of digit ``b``.

    ``code`` is the current code (latent_dim,), ``image`` the decoded image shown (H, W),
    ``codes`` the two end codes (2, latent_dim). ``set_t(t)``, ``set_pair(a, b)``.
    """

    def __init__(self, decode, encode, images, *, labels=None, a: int = 0, b: int = 1,
                 method: str = "linear", scale: int = 8, vmin: float = 0.0, vmax: float = 1.0,
                 steps: int = 100):
        check_callable(decode, "decode", "decode(z: (n, latent_dim)) -> images")
        check_callable(encode, "encode", "encode(images) -> (n, latent_dim)")
        if images is None:
            raise ValueError("images: expected the images to pick the two end digits from")
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
            raise ValueError(f"steps must be a positive int, got {steps!r}")
        self.decode, self.encode, self.images, self.method = decode, encode, images, method
        self._steps = int(steps)
        self._shown_images = as_images(images)
        n = len(self._shown_images)
        self.labels = None if labels is None else np.asarray(labels)
        self.scale, self.vmin, self.vmax = int(scale), float(vmin), float(vmax)
        self.renders = 0
        w = _widgets()
        self.t_slider = _slider_class()(value=0.0, min=0.0, max=1.0, step=1.0 / steps, description="t",
                                      continuous_update=True, readout_format=".2f",
                                      layout=w.Layout(width="420px"))
        self.a_index = w.BoundedIntText(value=a, min=0, max=n - 1, description="from #",
                                        layout=w.Layout(width="150px"))
        self.b_index = w.BoundedIntText(value=b, min=0, max=n - 1, description="to #",
                                        layout=w.Layout(width="150px"))
        self.a_widget = _pixel_image(4)
        self.b_widget = _pixel_image(4)
        self.a_caption, self.b_caption = w.HTML(), w.HTML()
        self.image_widget = _pixel_image(self.scale, "aelab-interpolation-image", border="1px solid #ccc")
        self.t_slider.add_class("aelab-interpolation-slider")
        self._status = w.HTML()
        self.t_slider.observe(lambda c: self._render(), names="value")
        self.a_index.observe(lambda c: self.set_pair(c["new"], self.b_index.value), names="value")
        self.b_index.observe(lambda c: self.set_pair(self.a_index.value, c["new"]), names="value")
        label = w.HTML("the decoder's image of the interpolated code (t=0: first digit, t=1: second)")
        self.widget = w.VBox([w.HBox([self.a_index, self.b_index]), self.t_slider,
                              w.HBox([w.VBox([self.a_widget, self.a_caption]), self.image_widget,
                                      w.VBox([self.b_widget, self.b_caption])],
                                     layout=w.Layout(align_items="center")), label, self._status])
        self.set_pair(a, b, raise_errors=True)

    @property
    def t(self) -> float:
        return float(self.t_slider.value)

    @property
    def code(self) -> np.ndarray:
        return interpolate(self.codes[0], self.codes[1], self.t, self.method)

    def set_t(self, t: float) -> None:
        """Move the slider to t in [0, 1]."""
        if not 0.0 <= float(t) <= 1.0:
            raise ValueError(f"t must be in [0, 1], got {t}")
        self.t_slider.value = round(float(t) * self._steps) / self._steps  # on the slider's grid

    def set_pair(self, a: int, b: int, raise_errors: bool = False) -> None:
        """Interpolate between image ``a`` and image ``b`` of ``images``."""
        n = len(self._shown_images)
        if not (0 <= int(a) < n and 0 <= int(b) < n):
            raise ValueError(f"a and b must be image indices in 0..{n - 1}, got {a}, {b}")
        idx = [int(a), int(b)]
        pair = self.images[idx] if hasattr(self.images, "__getitem__") else np.asarray(self.images)[idx]
        self.codes = as_matrix(self.encode(pair), name="encode output")
        if len(self.codes) != 2:
            raise ValueError(f"encode: expected 2 codes for 2 images, got shape {self.codes.shape}")
        for widget, caption, i in ((self.a_widget, self.a_caption, idx[0]),
                                   (self.b_widget, self.b_caption, idx[1])):
            widget.show(self._shown_images[i], vmin=self.vmin, vmax=self.vmax)
            which = "from" if widget is self.a_widget else "to"
            label = f", label {self.labels[i]}" if self.labels is not None and i < len(self.labels) else ""
            caption.value = f"<center>{which} #{i}{label}</center>"
        self._render(raise_errors=raise_errors)

    def _render(self, raise_errors: bool = False):
        self._show_decoded(self.code, raise_errors)


def interpolation_widget(decode: Callable, encode: Callable, images, *, labels=None, a: int = 0,
                         b: int = 1, method: str = "linear", scale: int = 8, vmin: float = 0.0,
                         vmax: float = 1.0, steps: int = 100) -> InterpolationWidget:
    """One slider t in [0, 1] walks between the codes of two chosen digits; shows the decoding.

    decode, encode : as in :func:`latent_sliders`; ``images`` (N, ...) are passed to ``encode``
    two at a time in the layout given. a, b : indices of the start and end digits (changeable in
    the widget). method : "linear" or "slerp" (spherical, better for N(0, I) codes).
    steps : slider positions between the two digits. Returns an :class:`InterpolationWidget`.
    """
    return InterpolationWidget(decode, encode, images, labels=labels, a=a, b=b, method=method,
                         scale=scale, vmin=vmin, vmax=vmax, steps=steps)


# --------------------------------------------------------------------------- noise

class NoiseWidget(_Base):
    """Noise level and type controls; clean, noisy and denoised digit side by side.

    ``clean``, ``noisy``, ``output`` are the images shown (H, W); ``set_level(x)``,
    ``set_noise(name)``, ``set_index(i)``, ``new_noise()``.
    """

    def __init__(self, denoise, images, *, noises=None, level: float = 0.3,
                 level_range=(0.0, 1.0), index: int = 0, scale: int = 6, vmin: float = 0.0,
                 vmax: float = 1.0, seed: int = 0):
        check_callable(denoise, "denoise", "denoise(noisy images) -> images")
        if noises is None:
            from .noise import NOISES as noises
        if not noises:
            raise ValueError("noises: expected a dict {name: noise(images, level, rng)}, got an empty one")
        noises = dict(noises)
        for name, fn in noises.items():
            check_callable(fn, f"noises[{name!r}]", "noise(images, level, rng) -> noisy images")
        lo, hi = (float(v) for v in level_range)
        if not hi > lo or not lo <= level <= hi:
            raise ValueError(f"level_range: expected (low, high) with low < high containing level="
                             f"{level}, got {level_range!r}")
        if images is None:
            raise ValueError("images: expected clean images to add noise to")
        self.denoise, self.images, self.noises = denoise, images, noises
        self._shown_images = as_images(images)
        self.scale, self.vmin, self.vmax = int(scale), float(vmin), float(vmax)
        self.seed, self.renders = int(seed), 0
        n = len(self._shown_images)
        w = _widgets()
        self.level_slider = w.FloatSlider(value=level, min=lo, max=hi, step=(hi - lo) / 100,
                                          description="noise level", continuous_update=True,
                                          readout_format=".2f", style={"description_width": "80px"},
                                          layout=w.Layout(width="420px"))
        self.noise_chooser = w.ToggleButtons(options=list(noises), description="noise",
                                             style={"button_width": "110px"})
        self.index_box = w.BoundedIntText(value=index, min=0, max=n - 1, description="digit #",
                                          layout=w.Layout(width="160px"))
        new_btn = w.Button(description="new noise", icon="random", layout=w.Layout(width="auto"))
        new_btn.on_click(lambda _: self.new_noise())
        self.new_noise_button = new_btn
        px = f"{self._shown_images.shape[2] * self.scale + 6}px"
        self.clean_widget, self.noisy_widget, self.output_widget = (
            _pixel_image(self.scale, border="1px solid #ccc", margin="2px") for _ in range(3))
        captions = [w.HTML(f"<center>{t}</center>", layout=w.Layout(width=px))
                    for t in ("clean input", "noisy input", "model output")]
        self._status = w.HTML()
        self.level_slider.observe(lambda c: self._render(), names="value")
        self.noise_chooser.observe(lambda c: self._render(), names="value")
        self.index_box.observe(lambda c: self._render(), names="value")
        self.widget = w.VBox([self.noise_chooser, w.HBox([self.level_slider, self.index_box, new_btn]),
                              w.HBox([self.clean_widget, self.noisy_widget, self.output_widget]),
                              w.HBox(captions), self._status])
        self._render(raise_errors=True)

    def set_level(self, level: float) -> None:
        """Move the level slider (rounded to its grid of 100 steps, as the browser would)."""
        s = self.level_slider
        s.value = s.min + round((float(level) - s.min) / s.step) * s.step

    def set_noise(self, name: str) -> None:
        if name not in self.noises:
            raise ValueError(f"noise: expected one of {list(self.noises)}, got {name!r}")
        self.noise_chooser.value = name

    def set_index(self, index: int) -> None:
        self.index_box.value = int(index)

    def new_noise(self) -> None:
        """Draw a new noise pattern (same level and type)."""
        self.seed += 1
        self._render()

    def _render(self, raise_errors: bool = False):
        i = int(self.index_box.value)
        try:
            x = self.images[i:i + 1]
            rng = np.random.default_rng([self.seed, i])  # same pattern while the level moves
            noisy = self.noises[self.noise_chooser.value](x, float(self.level_slider.value), rng)
            noisy = np.asarray(to_numpy(noisy), dtype=np.float32)
            if noisy.shape != np.shape(x):
                raise ValueError(f"noise function: expected output shape {np.shape(x)} (same as "
                                 f"its input), got {noisy.shape}")
            output = images_from(self.denoise, noisy, name="denoise", per="image")[0]
            noisy_image = as_images(noisy, name="noisy image")[0]
        except Exception as err:
            if raise_errors:
                raise
            self._show_error(err)
            return
        self.clean = self._shown_images[i]
        self.noisy, self.output = noisy_image, output
        opts = dict(vmin=self.vmin, vmax=self.vmax)
        self.clean_widget.show(self.clean, **opts)
        self.noisy_widget.show(noisy_image, **opts)
        self.output_widget.show(output, **opts)
        self._rendered()


def noise_widget(denoise: Callable, images, *, noises: dict | None = None, level: float = 0.3,
                 level_range=(0.0, 1.0), index: int = 0, scale: int = 6, vmin: float = 0.0,
                 vmax: float = 1.0, seed: int = 0) -> NoiseWidget:
    """Noise explorer for a denoising autoencoder: level slider, noise type, before/after.

    denoise : ``denoise(noisy)`` with noisy images (1, ...) in the layout of ``images`` ->
        one image (see module docstring). images : clean images (N, ...) in [0, 1].
    noises : {name: noise(images, level, rng)}; default ``aelab.noise.NOISES`` (gaussian with
        std=level clipped to [0, 1], salt & pepper with fraction=level, block mask erasing 7x7
        squares with probability level).
    level, level_range : initial noise level and the slider's range.
    index : which image to start with. Returns a :class:`NoiseWidget`.
    """
    return NoiseWidget(denoise, images, noises=noises, level=level, level_range=level_range,
                         index=index, scale=scale, vmin=vmin, vmax=vmax, seed=seed)


# --------------------------------------------------------------------------- drawing pad

def mnist_style(drawing, *, box: int = 20, size: int = 28) -> np.ndarray:
    """A drawing turned into an MNIST-style digit, the way the MNIST digits were made.

    drawing : one grey image (H, W), any size, ink > 0 on a background of 0 (values in [0, 1]).
    Steps (as described by the MNIST authors): crop to the bounding box of the ink; scale it,
    keeping its aspect ratio, so its longer side is ``box`` pixels (anti-aliased: grey levels
    appear at the edges); place it in a ``size`` x ``size`` image and shift it by whole pixels so
    that its centre of mass is at the centre (size / 2, size / 2) — where the MNIST digits' centre
    of mass lies. Returns float32 (size, size) in [0, 1]; an empty drawing gives all zeros.
    """
    from scipy import ndimage
    from skimage.transform import resize

    d = np.asarray(to_numpy(drawing))
    if d.ndim != 2:
        raise ValueError(f"drawing: expected one grey image of shape (H, W), got shape {d.shape}")
    if not np.issubdtype(d.dtype, np.number) or np.issubdtype(d.dtype, np.complexfloating):
        raise TypeError(f"drawing: expected real numbers (grey levels), got dtype {d.dtype}")
    d = d.astype(np.float32)
    if not np.all(np.isfinite(d)) or d.min() < 0 or d.max() > 1:
        raise ValueError("drawing: expected finite grey levels in [0, 1] (ink > 0, background 0)")
    if not (isinstance(box, (int, np.integer)) and isinstance(size, (int, np.integer)) and 0 < box <= size):
        raise ValueError(f"box and size: expected integers with 0 < box <= size, got {box!r}, {size!r}")
    out = np.zeros((size, size), np.float32)
    rows, cols = np.flatnonzero(d.any(axis=1)), np.flatnonzero(d.any(axis=0))
    if rows.size == 0:
        return out
    crop = d[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    factor = box / max(h, w)
    nh, nw = max(1, round(h * factor)), max(1, round(w * factor))
    small = resize(crop, (nh, nw), order=1, anti_aliasing=factor < 1, preserve_range=True)
    top, left = (size - nh) // 2, (size - nw) // 2
    out[top:top + nh, left:left + nw] = np.clip(small, 0.0, 1.0)
    cy, cx = ndimage.center_of_mass(out)
    shift = (int(round(size / 2 - cy)), int(round(size / 2 - cx)))
    return ndimage.shift(out, shift, order=0, mode="constant", cval=0.0).astype(np.float32)


# Front end of the drawing canvas. Pointer events (mouse, pen and touch alike) draw round white
# strokes on black, like MNIST's ink, on a canvas of `resolution` x `resolution` pixels shown at
# `size` CSS pixels. After each stroke segment the view sends the canvas' grey levels (one byte per
# pixel, one binary buffer) right away; ipywidgets keeps at most one update of a widget in flight
# and, while one is pending, keeps only the newest, which it sends when the kernel is idle: a fast
# drawing never queues up, and the last state sent is the finished drawing. `data-sent` counts the sends (a hook
# for the browser tests). Python clears the canvas by bumping `clear_count`.
_DRAWING_CANVAS_ESM = """
function render({ model, el }) {
  const res = model.get("resolution"), size = model.get("size");
  const canvas = document.createElement("canvas");
  canvas.className = "aelab-drawing";
  canvas.width = canvas.height = res;
  Object.assign(canvas.style, {width: `${size}px`, height: `${size}px`, display: "block",
                               touchAction: "none", cursor: "crosshair", border: "1px solid #888"});
  el.appendChild(canvas);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  let down = false, last = null, sent = 0;
  function wipe() { ctx.fillStyle = "black"; ctx.fillRect(0, 0, res, res); }
  function send() {
    const d = ctx.getImageData(0, 0, res, res).data, grey = new Uint8Array(res * res);
    for (let i = 0; i < grey.length; i++) grey[i] = d[4 * i];
    model.set("drawing", new DataView(grey.buffer));
    model.save_changes();
    canvas.dataset.sent = String(++sent);
  }
  function at(e) {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * res / r.width, (e.clientY - r.top) * res / r.height];
  }
  function segment(a, b) {
    ctx.strokeStyle = "white"; ctx.fillStyle = "white";
    ctx.lineWidth = model.get("pen"); ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
  }
  canvas.addEventListener("pointerdown", (e) => {
    canvas.setPointerCapture(e.pointerId); down = true; last = at(e);
    segment(last, last); send(); e.preventDefault();
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!down) return;
    const p = at(e); segment(last, p); last = p; send();
  });
  for (const name of ["pointerup", "pointercancel"]) {
    canvas.addEventListener(name, () => { down = false; });
  }
  const onClear = () => { wipe(); send(); };
  model.on("change:clear_count", onClear);
  wipe();
  return () => model.off("change:clear_count", onClear);
}
export default { render };
"""

# Front end of the latent map: a PNG drawn once by matplotlib (scatter of known codes, axes,
# title, legend) and a marker drawn over it at pixel coordinates computed in Python from the
# axes' transform, so a move of the marker costs one small message and one drawImage.
_LATENT_MAP_ESM = """
function render({ model, el }) {
  const canvas = document.createElement("canvas");
  canvas.className = "aelab-latent-map";
  canvas.style.display = "block";
  el.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  let image = null, frame = 0;
  function draw() {
    if (!image) return;
    ctx.drawImage(image, 0, 0);
    const m = model.get("marker");
    if (m && m.length === 2) {
      ctx.lineWidth = 3; ctx.strokeStyle = "white";
      for (const [w, c] of [[5, "white"], [2.5, "black"]]) {
        ctx.lineWidth = w; ctx.strokeStyle = c; ctx.beginPath();
        ctx.moveTo(m[0] - 9, m[1]); ctx.lineTo(m[0] + 9, m[1]);
        ctx.moveTo(m[0], m[1] - 9); ctx.lineTo(m[0], m[1] + 9); ctx.stroke();
      }
    }
    canvas.dataset.marker = m && m.length === 2 ? `${m[0].toFixed(1)},${m[1].toFixed(1)}` : "";
    canvas.dataset.frame = String(++frame);
  }
  function load() {
    const v = model.get("background");
    if (!v || !v.byteLength) return;
    const url = URL.createObjectURL(new Blob([v], { type: "image/png" }));
    const im = new Image();
    im.onload = () => {
      image = im; canvas.width = im.width; canvas.height = im.height;
      const ratio = model.get("pixel_ratio");
      canvas.style.width = `${im.width / ratio}px`; canvas.style.height = `${im.height / ratio}px`;
      URL.revokeObjectURL(url); draw();
    };
    im.src = url;
  }
  model.on("change:background", load);
  model.on("change:marker", draw);
  load();
  return () => { model.off("change:background", load); model.off("change:marker", draw); };
}
export default { render };
"""


def _bytes_from_json(value, widget):
    """Binary buffers arrive from the browser as memoryviews; the trait keeps bytes."""
    return b"" if value is None else bytes(value)


@functools.cache
def _drawing_classes():
    import anywidget
    import traitlets

    class DrawingCanvas(anywidget.AnyWidget):
        """The drawing canvas: ``drawing`` holds the browser's grey levels, row by row.

        ``drawing`` is not echoed back to the browser (ipywidgets 8 echoes every trait a front end
        sets, here the whole canvas on every pointer move, before the kernel's handler runs): no
        view reads it, the canvas itself is what was drawn."""

        _esm = _DRAWING_CANVAS_ESM
        drawing = traitlets.Bytes(b"").tag(sync=True, from_json=_bytes_from_json, echo_update=False)
        resolution = traitlets.Int(112).tag(sync=True)
        size = traitlets.Int(280).tag(sync=True)
        pen = traitlets.Float(9.0).tag(sync=True)
        clear_count = traitlets.Int(0).tag(sync=True)

    class LatentMap(anywidget.AnyWidget):
        """A 2-D latent map (a PNG) with a marker at pixel coordinates ``marker`` = [x, y]."""

        _esm = _LATENT_MAP_ESM
        background = traitlets.Bytes(b"").tag(sync=True)
        pixel_ratio = traitlets.Float(1.0).tag(sync=True)
        marker = traitlets.List([]).tag(sync=True)

    for cls in (DrawingCanvas, LatentMap):
        cls.__module__ = __name__
    return DrawingCanvas, LatentMap


class DrawingPad(_Base):
    """Draw a digit with the mouse; see it MNIST-style and what the model makes of it (see
    :func:`drawing_pad`).

    Attributes and methods for notebooks and tests:
      ``drawing``     the canvas' grey levels, float32 (resolution, resolution) in [0, 1]
      ``digit``       the drawing made MNIST-style, float32 (28, 28) (:func:`mnist_style`)
      ``corrupted``   with ``corrupt``: what the model was given, float32 (28, 28); else None
      ``output``      what ``reconstruct`` returned for it (or for ``corrupted``), float32 (28, 28)
      ``code``        ``encode``'s code of it (latent_dim,), or None without ``encode``
      ``score``       ``score(x, output)``'s number for it, or None without ``score``
      ``nearest_label``  the most common label among the 10 known codes nearest to ``code``
      ``set_drawing(image)``  draw from Python (what the browser does); ``clear()``
      ``send_to_sliders()``   set the given ``sliders`` to ``code``
      ``input_widget``, ``corrupted_widget``, ``output_widget`` the :class:`PixelImage` views;
      ``canvas``, ``map``
    """

    def __init__(self, reconstruct, *, input_shape=(28, 28), encode=None, codes=None, labels=None,
                 score=None, threshold=None, score_name: str = "score", sliders=None, corrupt=None,
                 pen: float = 9.0, size: int = 280, resolution: int = 112, scale: int = 6,
                 vmin: float = 0.0, vmax: float = 1.0, title: str | None = None):
        check_callable(reconstruct, "reconstruct", "reconstruct(images) -> images")
        shape = tuple(int(s) for s in np.atleast_1d(input_shape))
        if int(np.prod(shape)) != 784:
            raise ValueError(f"input_shape: expected the layout of ONE 28x28 image the callables "
                             f"take, e.g. (28, 28), (1, 28, 28), (28, 28, 1) or (784,); got {input_shape!r}")
        if encode is not None:
            check_callable(encode, "encode", "encode(images) -> (n, latent_dim)")
        if score is not None:
            check_callable(score, "score", "score(images, outputs) -> (n,) numbers")
        if corrupt is not None:
            check_callable(corrupt, "corrupt", "corrupt(images) -> images of the same shape")
        if threshold is not None and score is None:
            raise ValueError("threshold was given without score=: the threshold is on the score")
        if (codes is None) != (labels is None):
            raise ValueError("codes and labels go together: the codes of known digits and their labels")
        if codes is not None and encode is None:
            raise ValueError("codes= needs encode=: the known codes are compared with encode(drawing)")
        if sliders is not None and (encode is None or not isinstance(sliders, LatentSliders)):
            raise TypeError("sliders: expected a LatentSliders widget (from aelab.widgets.latent_sliders), "
                            "together with encode=")
        self.reconstruct, self.encode, self.score_fn, self.corrupt = reconstruct, encode, score, corrupt
        self.threshold = None if threshold is None else float(threshold)
        self.score_name, self.sliders = score_name, sliders
        self.input_shape, self.vmin, self.vmax = shape, float(vmin), float(vmax)
        self.resolution, self.renders = int(resolution), 0
        self.digit = np.zeros((28, 28), np.float32)
        self.output, self.code, self.score, self.nearest_label = self.digit.copy(), None, None, None
        self.corrupted = None if corrupt is None else self.digit.copy()
        self.known_codes = self.known_labels = None
        if codes is not None:
            self.known_codes = as_matrix(codes, name="codes")
            self.known_labels = as_labels(labels, len(self.known_codes))

        w = _widgets()
        DrawingCanvas, LatentMap = _drawing_classes()
        self.canvas = DrawingCanvas(resolution=self.resolution, size=int(size), pen=float(pen))
        self.canvas.observe(lambda c: self._render(), names="drawing")
        self.pen_slider = w.FloatSlider(value=float(pen), min=2.0, max=24.0, step=0.5, description="pen",
                                        continuous_update=True, readout_format=".1f",
                                        layout=w.Layout(width="260px"))
        w.link((self.pen_slider, "value"), (self.canvas, "pen"))
        self.clear_button = w.Button(description="clear", icon="eraser", layout=w.Layout(width="auto"))
        self.clear_button.on_click(lambda _: self.clear())
        self.input_widget = _pixel_image(scale, "aelab-drawing-input", border="1px solid #ccc", margin="2px")
        self.output_widget = _pixel_image(scale, "aelab-drawing-output", border="1px solid #ccc", margin="2px")
        images, texts = [self.input_widget, self.output_widget], ["your digit, MNIST-style", "the model's output"]
        self.corrupted_widget = None
        if corrupt is not None:
            self.corrupted_widget = _pixel_image(scale, "aelab-drawing-corrupted", border="1px solid #ccc",
                                                 margin="2px")
            images.insert(1, self.corrupted_widget)
            texts.insert(1, "corrupted: the model's input")
        px = f"{28 * int(scale) + 6}px"
        captions = [w.HTML(f"<center>{t}</center>", layout=w.Layout(width=px)) for t in texts]
        self.readout = w.HTML()
        self.readout.add_class("aelab-drawing-readout")
        self._status = w.HTML()
        right = [w.HBox(images), w.HBox(captions), self.readout]
        self.map = None
        if codes is not None and self.known_codes.shape[1] == 2:
            self.map = LatentMap()
            self.map.add_class("aelab-drawing-map")
            self._draw_map_background()
            right.append(self.map)
        buttons = [self.clear_button]
        if sliders is not None:
            self.sliders_button = w.Button(description="send to the sliders", icon="sliders",
                                           layout=w.Layout(width="auto"),
                                           tooltip="set the latent sliders to the code of your drawing")
            self.sliders_button.on_click(lambda _: self.send_to_sliders())
            buttons.append(self.sliders_button)
        left = [self.canvas, w.HBox([self.pen_slider, *buttons])]
        header = [w.HTML(f"<b>{title}</b>")] if title else []
        self.widget = w.VBox(header + [w.HBox([w.VBox(left), w.VBox(right)]), self._status])
        self._render(raise_errors=True)

    # ----- public API
    @property
    def drawing(self) -> np.ndarray:
        raw = self.canvas.drawing
        n = self.resolution
        if len(raw) != n * n:
            return np.zeros((n, n), np.float32)
        return np.frombuffer(raw, np.uint8).reshape(n, n).astype(np.float32) / 255.0

    def set_drawing(self, image) -> None:
        """Put a drawing (resolution, resolution) with grey levels in [0, 1] on the pad, as if drawn
        in the browser (the browser's canvas itself is not redrawn)."""
        grey = _grey_levels(image)
        if grey.shape != (self.resolution, self.resolution):
            raise ValueError(f"image: expected shape ({self.resolution}, {self.resolution}), got {grey.shape}")
        self.canvas.drawing = grey.tobytes()

    def clear(self) -> None:
        """Empty the canvas (in the browser too)."""
        self.canvas.clear_count += 1
        self.canvas.drawing = bytes(self.resolution * self.resolution)

    def send_to_sliders(self) -> np.ndarray:
        """Set the latent sliders to the code of the drawing; returns the code."""
        if self.sliders is None or self.code is None:
            raise RuntimeError("send_to_sliders needs sliders= and encode= when building the pad, and a drawing")
        self.sliders.set_code(self.code)
        return self.code

    # ----- internals
    def _draw_map_background(self):
        import io

        from matplotlib.figure import Figure   # no pyplot: the notebook's backend stays as it is

        fig = Figure(figsize=(3.6, 3.2), dpi=100)
        ax = fig.add_subplot()
        z, y = self.known_codes, self.known_labels
        points = ax.scatter(z[:, 0], z[:, 1], c=y, cmap="tab10", vmin=-0.5, vmax=9.5, s=3, alpha=0.6)
        fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
        ax.set_xlabel("z[0]")
        ax.set_ylabel("z[1]")
        ax.set_title("where your drawing lands")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=fig.dpi)
        self._map_axes, self._map_height = ax, fig.bbox.height
        self.map.background = buf.getvalue()

    def _marker(self, code) -> list:
        x, y = self._map_axes.transData.transform((float(code[0]), float(code[1])))
        return [float(x), float(self._map_height - y)]

    def _render(self, raise_errors: bool = False):
        try:
            digit = mnist_style(self.drawing)
            x = model_input = digit.reshape((1,) + self.input_shape)
            corrupted = None
            if self.corrupt is not None:
                model_input = np.asarray(to_numpy(self.corrupt(x)), dtype=np.float32)
                if model_input.shape != x.shape or not np.all(np.isfinite(model_input)):
                    raise ValueError(f"corrupt: expected finite images of the shape it was given, "
                                     f"{x.shape}, got {model_input.shape}")
                corrupted = model_input.reshape(28, 28)
            output = images_from(self.reconstruct, model_input, name="reconstruct", per="image")[0]
            code = score = label = None
            if self.encode is not None:
                code = as_matrix(self.encode(model_input), name="encode output")[0]
                if self.known_codes is not None:
                    label = self._nearest_label(code)
            if self.score_fn is not None:   # from the output above: one model call per update
                s = self.score_fn(x, output.reshape(x.shape))
                s = np.asarray(to_numpy(s), dtype=np.float64).reshape(-1)
                if s.size != 1 or not np.isfinite(s[0]):
                    raise ValueError(f"score: expected one finite number per image, got {s!r}")
                score = float(s[0])
        except Exception as err:
            if raise_errors:
                raise
            self._show_error(err)
            return
        empty = not digit.any()
        self.digit, self.output, self.code, self.score, self.nearest_label = digit, output, code, score, label
        opts = dict(vmin=self.vmin, vmax=self.vmax)
        self.input_widget.show(digit, **opts)
        if corrupted is not None:
            self.corrupted = corrupted
            self.corrupted_widget.show(corrupted, **opts)
        self.output_widget.show(output, **opts)
        self.readout.value = self._readout(empty)
        if self.map is not None:
            self.map.marker = [] if empty or code is None else self._marker(code)
        self._rendered()

    def _nearest_label(self, code: np.ndarray, k: int = 10) -> int:
        """The most common label among the k known codes nearest to ``code`` (Euclidean; ties go
        to the smaller label). A plain numpy search: a few thousand codes take well under a
        millisecond, less than a fitted scikit-learn classifier's input checks."""
        if code.shape != self.known_codes.shape[1:]:
            raise ValueError(f"encode output: expected codes of length {self.known_codes.shape[1]} "
                             f"like codes=, got {code.shape[0]}")
        distances = ((self.known_codes - code) ** 2).sum(axis=1)
        k = min(k, len(distances))
        nearest = np.argpartition(distances, k - 1)[:k]
        return int(np.bincount(self.known_labels[nearest]).argmax())

    def _readout(self, empty: bool) -> str:
        if empty:
            return "Draw a digit in the black square."
        error = float(np.mean((self.output - self.digit) ** 2))
        if self.corrupt is None:
            parts = [f"reconstruction error (MSE): {error:.4f}"]
        else:
            parts = [f"error against your digit (MSE): the model's output {error:.4f}, its corrupted input "
                     f"{float(np.mean((self.corrupted - self.digit) ** 2)):.4f}"]
        if self.score is not None:
            text = f"{self.score_name}: {self.score:.4g}"
            if self.threshold is not None:
                above = self.score > self.threshold
                text += (f" &mdash; {'above' if above else 'not above'} the threshold {self.threshold:.4g}: "
                         f"<b>{'flagged as unusual' if above else 'looks normal'}</b>")
            parts.append(text)
        if self.code is not None and self.code.size <= 8:
            parts.append("code: [" + ", ".join(f"{v:.2f}" for v in self.code) + "]")
        if self.nearest_label is not None:
            parts.append(f"the known codes nearest to it are mostly <b>{self.nearest_label}</b>s")
        return "<br>".join(parts)


def drawing_pad(reconstruct: Callable, *, input_shape=(28, 28), encode: Callable | None = None,
                codes=None, labels=None, score: Callable | None = None, threshold: float | None = None,
                score_name: str = "score", sliders: LatentSliders | None = None,
                corrupt: Callable | None = None, pen: float = 9.0,
                size: int = 280, resolution: int = 112, scale: int = 6, vmin: float = 0.0,
                vmax: float = 1.0, title: str | None = None) -> DrawingPad:
    """A drawing pad: draw a digit with the mouse (or a finger), see it made MNIST-style and what
    the model makes of it, live while you draw.

    reconstruct : ``reconstruct(x)`` with x float32 (1, *input_shape) -> one image (an
        autoencoder's output, a denoiser's output ...; any layout of the module docstring).
    input_shape : the layout of one image the callables take: (28, 28), (1, 28, 28) for PyTorch
        convolutions, (28, 28, 1) for Keras ones, or (784,).
    encode : optional ``encode(x)`` -> (1, latent_dim): the code is shown (up to 8 numbers); with
        ``codes`` (N, latent_dim) of known digits and their ``labels`` (N,), the pad says which
        digit the 10 nearest known codes mostly are, and for a 2-D code it marks the drawing on a
        map of the known codes.
    score, threshold : optional ``score(x, output)`` -> (1,) (e.g. an anomaly score) shown as
        ``score_name``, and whether it is above ``threshold``. ``output`` is what ``reconstruct``
        returned for x, in x's layout (1, *input_shape): a reconstruction error needs no second
        run of the model (``score=reconstruction_error`` for a function of (images,
        reconstructions)); a score of the drawing alone ignores it (``lambda x, output: f(x)``).
    sliders : a :func:`latent_sliders` widget over the same decoder: a button sets its code to
        the drawing's ("start from my drawing").
    corrupt : optional ``corrupt(x)`` -> images of x's shape: what the model is given instead of
        the drawing x (e.g. x with noise, for a denoiser), shown between the digit and the
        output; ``reconstruct`` and ``encode`` get the corrupted images, ``score`` the clean x
        and the output, and the readout compares both the output and the corrupted input with
        the clean digit. Reseed any randomness inside it on every call (a fixed noise pattern),
        or the noise changes with every pen move.
    pen : pen width in canvas pixels (the canvas has ``resolution`` x ``resolution`` pixels shown
        ``size`` CSS pixels wide). scale : screen pixels per pixel of the 28x28 images.

    The drawing is made MNIST-style by :func:`mnist_style`. Returns a :class:`DrawingPad`; leave it
    as the last expression of a cell to show it.
    """
    return DrawingPad(reconstruct, input_shape=input_shape, encode=encode, codes=codes, labels=labels,
                      score=score, threshold=threshold, score_name=score_name, sliders=sliders,
                      corrupt=corrupt, pen=pen,
                      size=size, resolution=resolution, scale=scale, vmin=vmin, vmax=vmax, title=title)
