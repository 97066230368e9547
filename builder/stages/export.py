"""ONNX export of the decoder and encoder, checked against the numpy model.

Reads `weights.npz` (the trained `Autoencoder` and its metadata) from the build
folder (`layout`) and switches in, both or neither, beside it, recording in the
folder's manifest the sha256 of the weights they were made from:

- `decoder.onnx`: `u` float32 `[N, 2]` display coordinates (the symlog plane) →
  `image` float32 `[N, 784]`, and the activations of the decoder's hidden layers as
  further outputs `layer1` `[N, 25]`, `layer2` `[N, 50]`, `layer3` `[N, 100]` (a
  session asked only for `image` computes them anyway; they are a cast away). The
  graph applies `z = sign(u)·(e^|u| − 1)` and then the decoder layers, so the page
  holds nothing of the model.
- `encoder.onnx`: `image` float32 `[N, 784]` in [0, 1] → `u` float32 `[N, 2]`
  (encoder layers, then `sign(z)·ln(1 + |z|)`).

Beside them, `units.npz`: what each unit of the decoder's first two hidden layers draws
(`layer1`, `layer2`: uint8 (units, 784) grey images and `value` float32: the unit alone
switched on at its median activation when it fires on the plane around the data's codes, every
other unit of its layer off, decoded by the rest of the decoder; a unit that never
fires there draws nothing and has value 0).

Both graphs keep their weights as float32 initializers but compute in float64 (Cast
nodes, folded by onnxruntime when the session is made) and return float32. Far from
the data (|u| up to 12, |z| up to 1.6e5) a float32 evaluation of the net amplifies
rounding to ~1e-3, so two float32 runtimes summing in different orders disagree by
that much; in float64 every runtime agrees with numpy's float64 evaluation of the
same weights to well under 1e-5 everywhere. The cost is ~2.5× on large batches in
onnxruntime-web and nothing visible on single decodes.

`code_models` builds the same graphs for a net whose code is not the plane (the compress
stage's 30-D net, `plane=False`: input and output `code`, the linear code, no symlog and no
layer outputs), with the same checks; the compress stage switches them in.

Both models pass `onnx.checker` (full check) and are run in onnxruntime on fixed
probe batches against the numpy model before anything is written. Their bytes depend
only on the weights, the weights' metadata and the package version.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from builder.model.autoencoder import Autoencoder
from builder.model.reference import (reference_decode, reference_decode_code, reference_encode,
                                     reference_encode_code, reference_layers, unit_pictures)
from builder.records import layout
from builder.records.weights import Weights
from builder.records.files import BuildError, npz_bytes
from builder.records.layout import DECODER, ENCODER

# Opset 17 with IR version 8, the pair onnx 1.12 introduced (2022). Every op used
# here (Gemm, Relu, Sigmoid, Abs, Sign, Exp, Log, Add, Sub, Mul) has had its current
# definition since opset 13 or 14, so a newer opset would change nothing, while an
# older pair is one that every runtime of the last years loads: the Python
# onnxruntime (checked here on every export) and onnxruntime-web 1.30's wasm
# backend (checked by tests/stages/test_export.py under Node).
OPSET = 17
IR_VERSION = 8
PRODUCER = "aedemo"
TOLERANCE = 1e-5  # max |onnxruntime − numpy| allowed on the probe batches
COMPUTE = TensorProto.DOUBLE  # the graphs' arithmetic; inputs, outputs, weights are float32
NEAR, FAR = 6.0, 12.0  # half-widths of the probe grids: around the data's codes, far out
REQUIRED_META = ("data", "seed", "test_mse")  # saved with the weights by training

Reference = Callable[[np.ndarray], np.ndarray]  # (n, d_in) → (n, d_out) float32


def producer_version() -> str:
    """The installed aedemo version; fixed for a given release, so bytes stay stable."""
    try:
        return importlib.metadata.version("aedemo")
    except importlib.metadata.PackageNotFoundError:
        return "0.1.0"


# --- building the graphs -----------------------------------------------------


@dataclasses.dataclass
class _Graph:
    """Nodes and initializers gathered while one graph is assembled."""

    nodes: list[onnx.NodeProto] = dataclasses.field(default_factory=list)
    inits: list[TensorProto] = dataclasses.field(default_factory=list)

    def op(self, op_type: str, inputs: list[str], output: str) -> str:
        """Append a node named after its output; returns the output's name."""
        node = helper.make_node(op_type, inputs, [output], name=f"{output}_{op_type}")
        self.nodes.append(node)
        return output

    def const(self, name: str, value: np.ndarray | float) -> str:
        """Add a float32 initializer and its cast to the compute type; returns the cast."""
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=np.float32), name))
        return self.cast(name, f"{name}_f64", COMPUTE)

    def cast(self, x: str, out: str, to: int) -> str:
        self.nodes.append(helper.make_node("Cast", [x], [out], name=f"{out}_Cast", to=to))
        return out


ONNX_OPS = {"relu": "Relu", "sigmoid": "Sigmoid", "linear": None}  # unit type → ONNX op


def _activation_op(model: Autoencoder, i: int) -> str | None:
    """ONNX op of layer `i`'s nonlinearity (`Autoencoder.activations`)."""
    return ONNX_OPS[model.activations[i]]


def _dense(g: _Graph, model: Autoencoder, x: str, layers: range, out: str) -> str:
    """`act_i(x @ W[i] + b[i])` per layer: Gemm, then Relu/Sigmoid unless linear.

    `x` is `[N, n_in]` of the first layer; the last layer's output is named `out`.
    """
    for i in layers:
        y = out if i == layers[-1] else f"h{i + 1}"
        gemm = [x, g.const(f"W{i}", model.W[i]), g.const(f"b{i}", model.b[i])]
        act = _activation_op(model, i)
        if act is None:
            x = g.op("Gemm", gemm, y)
        else:
            x = g.op(act, [g.op("Gemm", gemm, f"a{i + 1}")], y)
    return x


def _symexp(g: _Graph, u: str, out: str) -> str:
    """`out = sign(u)·(e^|u| − 1)`: codes from display coordinates (see `autoencoder.symexp`).

    ONNX has no Expm1; Exp then Sub (in float64) loses about one float64 ulp of 1.0
    absolute near u = 0 against numpy's expm1, far inside the 1e-5 budget.
    """
    exp = g.op("Exp", [g.op("Abs", [u], "u_abs")], "u_exp")
    magnitude = g.op("Sub", [exp, g.const("one", 1.0)], "z_abs")
    return g.op("Mul", [g.op("Sign", [u], "u_sign"), magnitude], out)


def _symlog(g: _Graph, z: str, out: str) -> str:
    """`out = sign(z)·ln(1 + |z|)`: display coordinates from codes (see `autoencoder.symlog`).

    ONNX has no Log1p; Add then Log (in float64) loses about one float64 ulp of 1.0
    absolute near z = 0 against numpy's log1p, far inside the 1e-5 budget.
    """
    shifted = g.op("Add", [g.op("Abs", [z], "z_abs"), g.const("one", 1.0)], "z_abs_plus_1")
    magnitude = g.op("Log", [shifted], "u_abs")
    return g.op("Mul", [g.op("Sign", [z], "z_sign"), magnitude], out)


def _metadata(model: Autoencoder, meta: dict[str, object]) -> dict[str, str]:
    """`metadata_props`: data set, seed and test MSE saved with the weights, output units."""
    missing = [key for key in REQUIRED_META if key not in meta]
    if missing:
        raise BuildError(f"weights.npz: metadata lacks {', '.join(missing)} (retrain to save it)")
    props = {
        "dataset": str(meta["data"]),
        "seed": str(int(meta["seed"])),  # type: ignore[call-overload]
        "test_mse": repr(float(meta["test_mse"])),  # type: ignore[arg-type]
        "output_activation": model.output,
    }
    if "source" in meta:
        props["dataset_source"] = str(meta["source"])
    return dict(sorted(props.items()))


def _model(g: _Graph, name: str, doc: str, io: tuple[str, int, str, int],
           model: Autoencoder, meta: dict[str, object],
           extra: tuple[tuple[str, int], ...] = ()) -> onnx.ModelProto:
    """Wrap a finished graph with input `io[0]` `[N, io[1]]` and output `io[2]` `[N, io[3]]`,
    then the `extra` outputs `(name, width)`, each `[N, width]`."""
    x, n_in, y, n_out = io
    outputs = [(y, n_out), *extra]
    graph = helper.make_graph(
        g.nodes, name,
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["N", n_in])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, ["N", n]) for o, n in outputs],
        initializer=g.inits,
    )
    proto = helper.make_model(
        graph, ir_version=IR_VERSION, opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=PRODUCER, producer_version=producer_version(), doc_string=doc,
    )
    helper.set_model_props(proto, _metadata(model, meta))
    return proto


def _sizes(model: Autoencoder) -> str:
    return "→".join(map(str, model.sizes))


def decoder_proto(model: Autoencoder, meta: dict[str, object], plane: bool = True) -> onnx.ModelProto:
    """The decoder graph: `u` `[N, 2]` display coordinates → `image` `[N, 784]`.

    With `plane=False` (a code too wide for the plane, the 30-D net): input `code`
    `[N, code]`, the linear code itself, no symexp and no layer outputs.
    """
    model = dataclasses.replace(model)  # re-validates the layer shapes
    g = _Graph()
    layers = range(model.n_enc, len(model.W))
    if not plane:
        image = _dense(g, model, g.cast("code", "code_f64", COMPUTE), layers, "image_f64")
        g.cast(image, "image", TensorProto.FLOAT)
        doc = (f"Decoder of an aedemo deep autoencoder ({_sizes(model)}, mirrored). Input code "
               f"[N, {model.sizes[-1]}]: the linear code. Output image [N, {model.sizes[0]}]: pixels, "
               f"row-major, {model.output} output, not clamped (clamp to [0, 1] to show).")
        io = ("code", model.sizes[-1], "image", model.sizes[0])
        return _model(g, f"aedemo_decoder{model.sizes[-1]}", doc, io, model, meta)
    z = _symexp(g, g.cast("u", "u_f64", COMPUTE), "z")
    image = _dense(g, model, z, layers, "image_f64")
    g.cast(image, "image", TensorProto.FLOAT)
    extra = []
    for k, i in enumerate(layers[:-1], start=1):   # the hidden layers' activations
        g.cast(f"h{i + 1}", f"layer{k}", TensorProto.FLOAT)
        extra.append((f"layer{k}", model.W[i].shape[1]))
    doc = (
        f"Decoder of an aedemo deep autoencoder ({_sizes(model)}, mirrored). Input u [N, "
        f"{model.sizes[-1]}]: display coordinates; the graph maps them to codes "
        f"z = sign(u)·(exp|u| − 1) and decodes. Output image [N, {model.sizes[0]}]: "
        f"pixels, row-major, {model.output} output, not clamped (clamp to [0, 1] to show). "
        f"Outputs layer1…layer{len(extra)}: the activations of the decoder's hidden layers "
        f"({', '.join(str(n) for _, n in extra)} units)."
    )
    io = ("u", model.sizes[-1], "image", model.sizes[0])
    return _model(g, "aedemo_decoder", doc, io, model, meta, tuple(extra))


def encoder_proto(model: Autoencoder, meta: dict[str, object], plane: bool = True) -> onnx.ModelProto:
    """The encoder graph: `image` `[N, 784]` in [0, 1] → `u` `[N, 2]` display coordinates.

    With `plane=False`: output `code` `[N, code]`, the linear code itself (no symlog).
    """
    model = dataclasses.replace(model)  # re-validates the layer shapes
    g = _Graph()
    if not plane:
        z = _dense(g, model, g.cast("image", "image_f64", COMPUTE), range(model.n_enc), "code_f64")
        g.cast(z, "code", TensorProto.FLOAT)
        doc = (f"Encoder of an aedemo deep autoencoder ({_sizes(model)}). Input image [N, "
               f"{model.sizes[0]}]: pixels in [0, 1], row-major. Output code [N, {model.sizes[-1]}]: "
               f"the linear code.")
        io = ("image", model.sizes[0], "code", model.sizes[-1])
        return _model(g, f"aedemo_encoder{model.sizes[-1]}", doc, io, model, meta)
    z = _dense(g, model, g.cast("image", "image_f64", COMPUTE), range(model.n_enc), "z")
    g.cast(_symlog(g, z, "u_f64"), "u", TensorProto.FLOAT)
    doc = (
        f"Encoder of an aedemo deep autoencoder ({_sizes(model)}). Input image [N, "
        f"{model.sizes[0]}]: pixels in [0, 1], row-major. Output u [N, {model.sizes[-1]}]: "
        f"display coordinates sign(z)·ln(1 + |z|) of the linear code z."
    )
    io = ("image", model.sizes[0], "u", model.sizes[-1])
    return _model(g, "aedemo_encoder", doc, io, model, meta)


# --- checking ----------------------------------------------------------------


def session(model_bytes: bytes) -> ort.InferenceSession:
    """An onnxruntime CPU session for a serialized model."""
    return ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])


def run(sess: ort.InferenceSession, x: np.ndarray, batch: int = 1024, output: int = 0) -> np.ndarray:
    """Run `x` (n, d_in) through the model's single input, `batch` rows at a time: its
    output number `output` (the first, `image` or `u`, by default)."""
    name = sess.get_inputs()[0].name
    want = [sess.get_outputs()[output].name]
    parts = [sess.run(want, {name: x[i : i + batch]})[0] for i in range(0, len(x), batch)]
    return np.concatenate(parts)


def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Max |a − b| over all elements, computed in float64."""
    return float(np.max(np.abs(np.asarray(a, np.float64) - b)))


def probe_codes(extent: float, n: int) -> np.ndarray:
    """(n², 2) display coordinates: a regular n × n grid on [−extent, extent]²."""
    t = np.linspace(-extent, extent, n, dtype=np.float32)
    return np.stack(np.meshgrid(t, t), axis=-1).reshape(-1, 2)


def probe_images(model: Autoencoder, u: np.ndarray) -> np.ndarray:
    """(n + 64, d) images in [0, 1]: the model's drawings at `u`, then blank, full and noise."""
    drawn = np.clip(reference_decode(model, u), 0.0, 1.0)
    d = drawn.shape[1]
    noise = np.random.default_rng(0).random((62, d))
    return np.concatenate([drawn, np.zeros((1, d)), np.ones((1, d)), noise]).astype(np.float32)


def _check(name: str, model_bytes: bytes, reference: Reference,
           x: np.ndarray) -> dict[str, float]:
    """Run `model_bytes` on `x` in onnxruntime; BuildError unless within TOLERANCE of `reference`."""
    diff = max_abs_diff(run(session(model_bytes), x), reference(x))
    if not diff <= TOLERANCE:
        raise BuildError(f"{name}: onnxruntime differs from the numpy model by {diff:.3g} "
                         f"(allowed {TOLERANCE:g})")
    return {"max_abs_diff": diff}


def _check_layers(model_bytes: bytes, model: Autoencoder, u: np.ndarray,
                  name: str = DECODER) -> dict[str, float]:
    """`decoder.onnx`'s layer outputs against `reference_layers`; BuildError beyond TOLERANCE."""
    sess, want = session(model_bytes), reference_layers(model, u)
    diff = max(max_abs_diff(run(sess, u, output=k + 1), ref) for k, ref in enumerate(want))
    if not diff <= TOLERANCE:
        raise BuildError(f"{name} layer outputs: onnxruntime differs from the numpy model by "
                         f"{diff:.3g} (allowed {TOLERANCE:g})")
    return {"max_abs_diff": diff}


def _serialized(proto: onnx.ModelProto) -> bytes:
    """The model's bytes, after `onnx.checker` with the full check (shape inference too)."""
    onnx.checker.check_model(proto, full_check=True)
    return proto.SerializeToString()


def checked_decoder(model: Autoencoder, meta: dict[str, object],
                    name: str) -> tuple[bytes, dict[str, dict[str, float]]]:
    """A decoder graph of `model` (`decoder_proto`) as bytes, after `onnx.checker` and
    onnxruntime against numpy on the probe grids (|u| ≤ NEAR and ≤ FAR, and its layer
    outputs): the final decoder, a training checkpoint's or the no-pretraining twin's.
    `name` names it in errors. Returns the bytes and the max differences seen."""
    decoder = _serialized(decoder_proto(model, meta))
    near, far = probe_codes(NEAR, 49), probe_codes(FAR, 25)
    decode = partial(reference_decode, model)
    checks = {
        "decoder": _check(f"{name} at |u| ≤ {NEAR:g}", decoder, decode, near),
        "decoder_far": _check(f"{name} at |u| ≤ {FAR:g}", decoder, decode, far),
        "layers": _check_layers(decoder, model, np.concatenate([near, far]), name),
    }
    return decoder, checks


# --- the stage ---------------------------------------------------------------


CODE_SIZE = 2  # the page's plane: the decoder's input


def load_weights(path: Path, data: bytes | None = None,
                 code_size: int = CODE_SIZE) -> tuple[Autoencoder, dict[str, object]]:
    """`records.weights.Weights` of the file at `path` (or of its bytes `data`), any problem a
    one-line BuildError; the code must have `code_size` units."""
    if data is None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise BuildError(f"{path}: not found (train the model first)") from None
    w = Weights.read(data, str(path)).with_code(code_size, str(path))
    return w.model, w.meta


def export_models(build_dir: Path) -> dict[str, float | int]:
    """Export `decoder.onnx` and `encoder.onnx` from `build_dir/weights.npz`, checked.

    Both models are checked (`onnx.checker`, then onnxruntime against numpy on the
    probe batches) before either file is replaced. Returns the file sizes in bytes and,
    per probe, the max abs difference seen: the decoder on grids over |u| ≤ NEAR (around the data's codes) and |u| ≤ FAR, the encoder
    on the decoder's drawings at the near grid plus blank, full and noise images.
    """
    build_dir = Path(build_dir)
    weights = build_dir / layout.WEIGHTS
    try:
        weights_bytes = weights.read_bytes()
    except FileNotFoundError:
        raise BuildError(f"{weights}: not found (train the model first)") from None
    model, meta = load_weights(weights, weights_bytes)
    decoder, checks = checked_decoder(model, meta, DECODER)
    encoder = _serialized(encoder_proto(model, meta))
    near = probe_codes(NEAR, 49)
    encode = partial(reference_encode, model)
    checks["encoder"] = _check(f"{ENCODER} on probe images", encoder, encode, probe_images(model, near))
    figures: dict[str, float | int] = {"decoder_bytes": len(decoder), "encoder_bytes": len(encoder)}
    for part, found in checks.items():
        figures.update({f"{part}_{key}": value for key, value in found.items()})
    units = npz_bytes(unit_pictures(model, near))
    figures["units_bytes"] = len(units)
    layout.switch_in(build_dir, "export", {DECODER: decoder, ENCODER: encoder, layout.UNITS: units},
                     {layout.WEIGHTS: layout.sha256(weights_bytes)})
    return figures


def code_models(model: Autoencoder, meta: dict[str, object], codes: np.ndarray,
                images: np.ndarray) -> tuple[bytes, bytes, dict[str, float]]:
    """The decoder and encoder of a net whose code is not the plane (`plane=False`: the
    30-D one), serialized after the same checks as `export_models`: `onnx.checker`, then
    onnxruntime against numpy within TOLERANCE, the decoder on `codes (n, code)`, the
    encoder on `images (n, 784)` in [0, 1] plus blank, full and noise images. Returns
    (decoder bytes, encoder bytes, the max abs differences seen)."""
    decoder = _serialized(decoder_proto(model, meta, plane=False))
    encoder = _serialized(encoder_proto(model, meta, plane=False))
    n = model.sizes[-1]
    d = images.shape[1]
    extra = np.concatenate([np.zeros((1, d)), np.ones((1, d)),
                            np.random.default_rng(0).random((62, d))]).astype(np.float32)
    checks = {
        "decoder": _check(f"decoder ({n}-D) on probe codes", decoder,
                          partial(reference_decode_code, model), codes.astype(np.float32)),
        "encoder": _check(f"encoder ({n}-D) on probe images", encoder,
                          partial(reference_encode_code, model),
                          np.concatenate([images.astype(np.float32), extra])),
    }
    return decoder, encoder, {f"{part}_max_abs_diff": c["max_abs_diff"] for part, c in checks.items()}
