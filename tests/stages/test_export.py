"""Tests of the ONNX export (`builder/stages/export.py`).

Unit tests use tiny synthetic models (6→5→4→3→2, mirrored). Parity tests use the
quick-preset builds of `conftest.py` (sigmoid and all-ReLU decoders) and compare
onnxruntime, in Python and in onnxruntime-web's wasm backend under Node, with the
numpy model.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from click.testing import CliRunner
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from onnxruntime.capi.onnxruntime_pybind11_state import InvalidArgument

from builder.cli import main
from builder.data import Dataset
from builder.model.autoencoder import Autoencoder, symexp, symlog
from builder.records import layout
from builder.records.files import BuildError, write_npz
from builder.stages import export

ORT_WEB = ROOT / "node_modules" / "onnxruntime-web"
TINY = (6, 5, 4, 3, 2)
META = {"seed": 7, "data": "tiny", "source": "synthetic", "test_mse": 0.0123}
WEB_OPS = {"Cast", "Gemm", "Relu", "Sigmoid", "Abs", "Sign", "Exp", "Log", "Add", "Sub", "Mul"}
EPS32 = float(np.finfo(np.float32).eps)
BATCHES = (1, 7, 1024)


# ---------------------------------------------------------------- helpers


def tiny_model(output: str = "sigmoid", seed: int = 0) -> Autoencoder:
    """Random weights of a reasonable scale (variance-preserving), small random biases."""
    rng = np.random.default_rng(seed)
    sizes = TINY + TINY[-2::-1]
    W = [(rng.standard_normal((m, n)) / np.sqrt(m)).astype(np.float32)
         for m, n in zip(sizes, sizes[1:])]
    b = [(0.1 * rng.standard_normal(n)).astype(np.float32) for n in sizes[1:]]
    return Autoencoder(W, b, output)


def save_tiny(folder: Path, output: str = "sigmoid") -> Path:
    """A build folder holding only the tiny model's `weights.npz`."""
    folder.mkdir(parents=True, exist_ok=True)
    tiny_model(output).save(folder / "weights.npz", **META)
    return folder


def run_proto(proto: onnx.ModelProto, x: np.ndarray,
              outputs: tuple[str, ...] = ()) -> list[np.ndarray]:
    """Run `proto` on `x`: its first output, then the intermediate (float64) values `outputs` names."""
    proto = onnx.ModelProto.FromString(proto.SerializeToString())
    first = proto.graph.output[0].name
    for name in outputs:
        value = onnx.helper.make_tensor_value_info(name, onnx.TensorProto.DOUBLE, None)
        proto.graph.output.append(value)
    sess = export.session(proto.SerializeToString())
    return sess.run([first, *outputs], {sess.get_inputs()[0].name: x})


def onnx_files(folder: Path) -> dict[str, bytes]:
    """Every file in `folder` but the weights, the manifest and the writers' lock (an empty
    file that stays): the models and any leftovers."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.suffix != ".npz" and p.name not in ("manifest.json", layout.LOCK)}


def shape(value: onnx.ValueInfoProto) -> list[str | int]:
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]


# ---------------------------------------------------------------- graph structure (tiny)


@pytest.mark.parametrize("output", ["sigmoid", "relu"])
def test_tiny_graphs_compute_the_numpy_model(output: str, rng: np.random.Generator) -> None:
    model = tiny_model(output)
    u = rng.uniform(-3, 3, (500, 2)).astype(np.float32)
    images = rng.random((300, TINY[0]), dtype=np.float32)
    (decoded,) = run_proto(export.decoder_proto(model, META), u)
    (encoded,) = run_proto(export.encoder_proto(model, META), images)
    assert decoded.shape == (500, TINY[0]) and encoded.shape == (300, 2)
    assert export.max_abs_diff(decoded, export.reference_decode(model, u)) <= export.TOLERANCE
    assert export.max_abs_diff(encoded, export.reference_encode(model, images)) <= export.TOLERANCE


def test_graphs_use_only_plain_ops_and_never_clamp() -> None:
    relu = tiny_model("relu")
    for proto in (export.decoder_proto(relu, META), export.encoder_proto(relu, META)):
        ops = {node.op_type for node in proto.graph.node}
        assert ops <= WEB_OPS and "Clip" not in ops
        assert len({node.name for node in proto.graph.node}) == len(proto.graph.node)
    relu_ops = {n.op_type for n in export.decoder_proto(relu, META).graph.node}
    sigmoid_ops = {n.op_type for n in export.decoder_proto(tiny_model(), META).graph.node}
    assert "Sigmoid" not in relu_ops and "Sigmoid" in sigmoid_ops


def test_weights_are_float32_initializers_equal_to_the_model() -> None:
    model = tiny_model()
    proto = export.decoder_proto(model, META)
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    assert all(a.dtype == np.float32 for a in inits.values())
    for i in range(4, 8):
        np.testing.assert_array_equal(inits[f"W{i}"], model.W[i])
        np.testing.assert_array_equal(inits[f"b{i}"], model.b[i])


def test_graphs_compute_in_float64_between_float32_ends() -> None:
    for proto, x, y in ((export.decoder_proto(tiny_model(), META), "u", "image"),
                        (export.encoder_proto(tiny_model(), META), "image", "u")):
        casts = {n.input[0]: onnx.helper.get_attribute_value(n.attribute[0])
                 for n in proto.graph.node if n.op_type == "Cast"}
        assert casts[x] == onnx.TensorProto.DOUBLE
        assert all(casts[t.name] == onnx.TensorProto.DOUBLE for t in proto.graph.initializer)
        last = next(n for n in proto.graph.node if n.output[0] == y)
        assert last.op_type == "Cast" and casts[last.input[0]] == onnx.TensorProto.FLOAT


floats12 = st.floats(-12, 12, width=32, allow_subnormal=True)


@settings(max_examples=60, deadline=None)
@given(u=hnp.arrays(np.float32, st.tuples(st.integers(1, 40), st.just(2)), elements=floats12))
def test_inverse_symlog_in_the_graph_matches_expm1(u: np.ndarray) -> None:
    """exp(|u|) − 1, computed in float64, is within float32 rounding of expm1."""
    _, z = run_proto(export.decoder_proto(tiny_model(), META), u, ("z",))
    want = symexp(u)
    assert np.all(z * want >= 0)
    assert np.all(np.abs(z - want) <= EPS32 + 4 * EPS32 * np.abs(want))


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(np.float32, st.tuples(st.integers(1, 40), st.just(TINY[0])),
                    elements=st.floats(-1e4, 1e4, width=32)))
def test_symlog_in_the_graph_matches_log1p(x: np.ndarray) -> None:
    """ln(1 + |z|), computed in float64, is within float32 rounding of log1p."""
    u, z = run_proto(export.encoder_proto(tiny_model(), META), x, ("z",))
    want = symlog(z)
    assert np.all(np.abs(u - want) <= EPS32 + 4 * EPS32 * np.abs(want))


# ---------------------------------------------------------------- metadata, determinism (tiny)


def test_protos_carry_metadata_and_doc() -> None:
    model = tiny_model("relu")
    decoder, encoder = export.decoder_proto(model, META), export.encoder_proto(model, META)
    for proto in (decoder, encoder):
        assert proto.producer_name == "aedemo"
        assert proto.producer_version == export.producer_version()
        assert "image [N, 6]" in proto.doc_string
        assert {p.key: p.value for p in proto.metadata_props} == {
            "dataset": "tiny", "dataset_source": "synthetic", "seed": "7",
            "output_activation": "relu", "test_mse": "0.0123"}
    assert "Input u [N, 2]" in decoder.doc_string
    assert "relu output, not clamped" in decoder.doc_string
    assert "Output u [N, 2]" in encoder.doc_string


def test_missing_metadata_is_refused() -> None:
    with pytest.raises(BuildError, match="test_mse"):
        export.decoder_proto(tiny_model(), {"seed": 1, "data": "tiny"})


def test_same_weights_same_bytes_and_any_change_shows() -> None:
    model = tiny_model()
    first = export.decoder_proto(model, META).SerializeToString()
    assert export.decoder_proto(model.copy(), META).SerializeToString() == first
    nudged = model.copy()
    nudged.W[5][0, 0] = np.nextafter(nudged.W[5][0, 0], np.float32(np.inf))
    assert export.decoder_proto(nudged, META).SerializeToString() != first


def test_exporting_twice_into_two_folders_gives_identical_bytes(tmp_path: Path) -> None:
    a, b = save_tiny(tmp_path / "a"), save_tiny(tmp_path / "b")
    export.export_models(a)
    export.export_models(b)
    files = onnx_files(a)
    assert set(files) == {"decoder.onnx", "encoder.onnx"}
    assert files == onnx_files(b)


def test_export_reports_sizes_and_differences(tmp_path: Path) -> None:
    figures = export.export_models(save_tiny(tmp_path))
    assert figures["decoder_bytes"] == (tmp_path / "decoder.onnx").stat().st_size
    assert figures["encoder_bytes"] == (tmp_path / "encoder.onnx").stat().st_size
    for part in ("decoder", "decoder_far", "encoder"):
        assert 0 <= figures[f"{part}_max_abs_diff"] <= export.TOLERANCE


# ---------------------------------------------------------------- refusals, all or nothing (tiny)


def unchained_weights(folder: Path) -> None:
    """Rewrite `folder/weights.npz` with layer 5 taking 4 inputs where layer 4 gives 3."""
    with np.load(folder / "weights.npz") as f:
        arrays = {k: f[k] for k in f.files}
    arrays["W5"] = np.ones((4, 4), np.float32)
    write_npz(folder / "weights.npz", arrays)


def test_unchained_weights_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    unchained_weights(save_tiny(tmp_path))
    with pytest.raises(BuildError) as err:
        export.export_models(tmp_path)
    message = str(err.value)
    assert "weights.npz" in message and "layer 5" in message and "\n" not in message
    assert onnx_files(tmp_path) == {}


def test_a_failed_export_keeps_the_previous_files(tmp_path: Path) -> None:
    export.export_models(save_tiny(tmp_path))
    before = onnx_files(tmp_path)
    unchained_weights(tmp_path)
    with pytest.raises(BuildError, match="layer 5"):
        export.export_models(tmp_path)
    assert onnx_files(tmp_path) == before


def test_missing_weights_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="weights.npz: not found"):
        export.export_models(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_disagreeing_runtime_fails_the_export_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_tiny(tmp_path)
    real_run = export.run
    monkeypatch.setattr(export, "run", lambda sess, x, batch=1024: real_run(sess, x, batch) + 1.0)
    with pytest.raises(BuildError, match=rf"decoder.onnx at \|u\| ≤ {export.NEAR:g}: onnxruntime"):
        export.export_models(tmp_path)
    assert onnx_files(tmp_path) == {}


def test_a_write_error_replaces_neither_file(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    export.export_models(save_tiny(tmp_path))
    before = onnx_files(tmp_path)
    save_tiny(tmp_path, "relu")  # new weights, so both files would change
    manifest = (tmp_path / "manifest.json").read_bytes()
    real_write, calls = layout.write_bytes_atomic, []

    def failing_second_write(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(path))
        real_write(path, data)

    monkeypatch.setattr(layout, "write_bytes_atomic", failing_second_write)
    with pytest.raises(OSError, match="No space left"):
        export.export_models(tmp_path)
    assert len(calls) == 2 and onnx_files(tmp_path) == before
    assert (tmp_path / "manifest.json").read_bytes() == manifest


def test_cli_export_runs_the_stage_alone(tmp_path: Path) -> None:
    save_tiny(tmp_path)
    result = CliRunner().invoke(main, ["export", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert set(onnx_files(tmp_path)) == {"decoder.onnx", "encoder.onnx"}
    unchained_weights(tmp_path)
    result = CliRunner().invoke(main, ["export", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "layer 5" in result.output
    assert result.output.count("\n") == 1


# ---------------------------------------------------------------- the quick builds


@pytest.fixture(scope="module", params=["quick_build", "quick_build_relu"])
def build(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def model(build: Path) -> Autoencoder:
    return Autoencoder.load(build / "weights.npz")[0]


@pytest.fixture(scope="module")
def decoder_points(build: Path) -> dict[str, np.ndarray]:
    """16,000 display coordinates: a 100×100 grid over the test codes' range plus 50 %
    margin, 4,000 random points in that box, and 2,000 far-out points up to |u| = 12."""
    with np.load(build / "points.npz") as f:
        u_test = f["u"][f["test"]]
    lo, hi = u_test.min(axis=0), u_test.max(axis=0)
    lo, hi = lo - 0.5 * (hi - lo), hi + 0.5 * (hi - lo)
    axes = [np.linspace(lo[d], hi[d], 100, dtype=np.float32) for d in range(2)]
    rng = np.random.default_rng(5)
    far = rng.uniform(-12, 12, (20_000, 2)).astype(np.float32)
    far = far[np.any((far < lo) | (far > hi), axis=1)][:1992]
    edges = np.array([[12, 12], [-12, -12], [12, -12], [-12, 12],
                      [12, 0], [-12, 0], [0, 12], [0, -12]])
    return {
        "grid": np.stack(np.meshgrid(*axes), axis=-1).reshape(-1, 2),
        "random": rng.uniform(lo, hi, (4000, 2)).astype(np.float32),
        "far": np.concatenate([far, edges.astype(np.float32)]),
    }


def session_for(build: Path, name: str) -> ort.InferenceSession:
    return export.session((build / name).read_bytes())


def test_quick_build_points_are_enough(decoder_points: dict[str, np.ndarray]) -> None:
    assert sum(len(u) for u in decoder_points.values()) >= 10_000
    assert len(decoder_points["far"]) == 2000 and np.abs(decoder_points["far"]).max() == 12


@pytest.mark.parametrize("batch", BATCHES)
def test_decoder_parity_in_the_data_range(build: Path, model: Autoencoder, batch: int,
                                          decoder_points: dict[str, np.ndarray]) -> None:
    sess = session_for(build, "decoder.onnx")
    for name in ("grid", "random"):
        u = decoder_points[name]
        diff = export.max_abs_diff(export.run(sess, u, batch), export.reference_decode(model, u))
        print(f"{build.name} decoder {name} batch {batch}: max abs diff {diff:.3g}")
        assert diff <= export.TOLERANCE


def check_far_out(got: np.ndarray, model: Autoencoder, u: np.ndarray) -> str:
    """Assert parity of decoder outputs `got` (n, 784) at far-out points `u` (n, 2).

    Far out |z| reaches 1.6e5, where a float32 evaluation would amplify rounding to
    ~1e-3; the graph computes in float64, so 1e-5 holds there too. Returns the figures.
    """
    diff = export.max_abs_diff(got, export.reference_decode(model, u))
    assert np.all(np.isfinite(got)) and diff <= export.TOLERANCE
    return f"max abs diff {diff:.3g}, outputs up to {np.abs(got).max():.3g}"


@pytest.mark.parametrize("batch", BATCHES)
def test_decoder_parity_far_out(build: Path, model: Autoencoder, batch: int,
                                decoder_points: dict[str, np.ndarray]) -> None:
    u = decoder_points["far"]
    figures = check_far_out(export.run(session_for(build, "decoder.onnx"), u, batch), model, u)
    print(f"{build.name} decoder far batch {batch}: {figures}")


@pytest.mark.parametrize("batch", BATCHES)
def test_encoder_parity_on_every_test_image(build: Path, model: Autoencoder, batch: int,
                                            mnist: Dataset) -> None:
    x = mnist.x_test
    diff = export.max_abs_diff(export.run(session_for(build, "encoder.onnx"), x, batch),
                               export.reference_encode(model, x))
    print(f"{build.name} encoder batch {batch}: max abs diff {diff:.3g} on {len(x)} test images")
    assert diff <= export.TOLERANCE


def test_encoder_then_decoder_reproduce_the_test_mse(build: Path, mnist: Dataset) -> None:
    x = mnist.x_test
    u = export.run(session_for(build, "encoder.onnx"), x)
    image = export.run(session_for(build, "decoder.onnx"), u)
    mse = float(np.mean((image.astype(np.float64) - x) ** 2))
    want = json.loads((build / "metrics.json").read_text())["test_mse"]
    print(f"{build.name} test MSE through onnxruntime {mse:.9f}, metrics.json {want:.9f}, "
          f"difference {abs(mse - want):.3g}")
    assert abs(mse - want) <= 1e-5


def test_decoder_output_is_not_clamped(build: Path, model: Autoencoder,
                                       decoder_points: dict[str, np.ndarray]) -> None:
    image = export.run(session_for(build, "decoder.onnx"), decoder_points["grid"])
    assert image.min() >= 0.0
    assert image.max() > 1.0 if model.output == "relu" else image.max() <= 1.0


def test_onnxruntime_rejects_wrong_shapes_and_dtypes(build: Path) -> None:
    cases = {"decoder.onnx": ("u", 2), "encoder.onnx": ("image", 784)}
    for name, (input_name, width) in cases.items():
        sess = session_for(build, name)
        good = np.zeros((3, width), np.float32)
        assert sess.run(None, {input_name: good})[0].shape[0] == 3
        for bad, message in [(good.astype(np.float64), "Unexpected input data type"),
                             (good.astype(np.float16), "Unexpected input data type"),
                             (np.zeros((3, width + 1), np.float32), "invalid dimensions"),
                             (np.zeros(width, np.float32), "Invalid rank")]:
            with pytest.raises(InvalidArgument, match=message):
                sess.run(None, {input_name: bad})


def test_exported_files_declare_what_the_page_needs(build: Path) -> None:
    metrics = json.loads((build / "metrics.json").read_text())
    output = metrics["architecture"]["output"]
    layers = [("layer1", ["N", 25]), ("layer2", ["N", 50]), ("layer3", ["N", 100])]
    for name, (x, n_in, y, n_out, extra) in {"decoder.onnx": ("u", 2, "image", 784, layers),
                                             "encoder.onnx": ("image", 784, "u", 2, [])}.items():
        proto = onnx.load(build / name)
        onnx.checker.check_model(proto, full_check=True)
        assert proto.ir_version == export.IR_VERSION == 8
        assert [(o.domain, o.version) for o in proto.opset_import] == [("", 17)]
        assert [(v.name, shape(v)) for v in proto.graph.input] == [(x, ["N", n_in])]
        assert [(v.name, shape(v)) for v in proto.graph.output] == [(y, ["N", n_out]), *extra]
        assert all(t.data_type == onnx.TensorProto.FLOAT for t in proto.graph.initializer)
        assert proto.producer_name == "aedemo" and proto.producer_version
        props = {p.key: p.value for p in proto.metadata_props}
        assert props["dataset"] == metrics["data"]["name"]
        assert props["dataset_source"] == metrics["data"]["source"]
        assert props["seed"] == str(metrics["config"]["seed"])
        assert props["output_activation"] == output
        assert float(props["test_mse"]) == metrics["test_mse"]


def test_a_fresh_process_exports_identical_bytes(build: Path, tmp_path: Path) -> None:
    shutil.copy(build / "weights.npz", tmp_path / "weights.npz")
    code = "import sys; from builder.stages.export import export_models; export_models(sys.argv[1])"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, cwd=ROOT, env=env)
    for name in ("decoder.onnx", "encoder.onnx"):
        assert (tmp_path / name).read_bytes() == (build / name).read_bytes()


# ---------------------------------------------------------------- onnxruntime-web (wasm, Node)

WEB_RUNNER = """
// node run.cjs ORT_WEB MODEL ROWS COLS < float32 rows; prints the float32 output
const ort = require(process.argv[2]);
const fs = require("fs");
(async () => {
  const [model, rows, cols] = [process.argv[3], +process.argv[4], +process.argv[5]];
  ort.env.wasm.numThreads = 1;
  const options = { executionProviders: ["wasm"] };
  const sess = await ort.InferenceSession.create(fs.readFileSync(model), options);
  const buf = fs.readFileSync(0);
  const x = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const feed = { [sess.inputNames[0]]: new ort.Tensor("float32", x, [rows, cols]) };
  const out = await sess.run(feed);
  const y = out[sess.outputNames[0]].data;
  process.stdout.write(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
})().catch((e) => { console.error(String(e)); process.exit(1); });
"""


def run_web(model_path: Path, x: np.ndarray, tmp_path: Path) -> np.ndarray:
    """Run `x` (n, d) through `model_path` in onnxruntime-web's wasm backend under Node."""
    if shutil.which("node") is None or not (ORT_WEB / "package.json").is_file():
        pytest.skip("needs node and node_modules/onnxruntime-web (make install)")
    runner = tmp_path / "run.cjs"
    runner.write_text(WEB_RUNNER)
    x = np.ascontiguousarray(x, np.float32)
    done = subprocess.run(["node", str(runner), str(ORT_WEB), str(model_path), *map(str, x.shape)],
                          input=x.tobytes(), capture_output=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    return np.frombuffer(done.stdout, np.float32).reshape(len(x), -1)


def test_onnxruntime_web_matches_numpy(build: Path, model: Autoencoder, mnist: Dataset,
                                       tmp_path: Path,
                                       decoder_points: dict[str, np.ndarray]) -> None:
    """The page's runtime: onnxruntime-web 1.30, wasm backend, one thread."""
    for name in ("grid", "random"):
        u = decoder_points[name]
        decoded = run_web(build / "decoder.onnx", u, tmp_path)
        diff = export.max_abs_diff(decoded, export.reference_decode(model, u))
        print(f"{build.name} onnxruntime-web decoder {name}: max abs diff {diff:.3g}")
        assert decoded.shape == (len(u), 784) and diff <= export.TOLERANCE
    u = decoder_points["far"]
    figures = check_far_out(run_web(build / "decoder.onnx", u, tmp_path), model, u)
    print(f"{build.name} onnxruntime-web decoder far: {figures}")
    encoded = run_web(build / "encoder.onnx", mnist.x_test, tmp_path)
    diff = export.max_abs_diff(encoded, export.reference_encode(model, mnist.x_test))
    print(f"{build.name} onnxruntime-web encoder: max abs diff {diff:.3g}")
    assert diff <= export.TOLERANCE


@pytest.mark.parametrize("output", ["sigmoid", "relu"])
def test_the_decoders_layer_outputs_are_its_hidden_activations(output: str, rng: np.random.Generator) -> None:
    model = tiny_model(output)
    u = np.concatenate([rng.uniform(-3, 3, (300, 2)), rng.uniform(-12, 12, (100, 2))]).astype(np.float32)
    sess = export.session(export.decoder_proto(model, META).SerializeToString())
    got = sess.run(None, {"u": u})
    want = export.reference_layers(model, u)
    assert [g.shape for g in got[1:]] == [w.shape for w in want] == [(400, 3), (400, 4), (400, 5)]
    for g, w in zip(got[1:], want):
        assert np.max(np.abs(g.astype(np.float64) - w)) <= export.TOLERANCE
    # and they are the layers the image is made of: the last layer applied to them gives it
    last = model.activation(len(model.W) - 1, got[-1].astype(np.float64) @ model.W[-1] + model.b[-1])
    np.testing.assert_allclose(last, got[0], rtol=1e-5, atol=1e-5)   # layers are float32-rounded


def test_unit_pictures_are_the_rest_of_the_decoder_on_one_unit(rng: np.random.Generator) -> None:
    model = tiny_model("sigmoid")
    model.b[model.n_enc] = np.array([-1e6, 0.0, 0.0], np.float32)   # unit 0 of layer 1 never fires
    u = rng.uniform(-3, 3, (400, 2)).astype(np.float32)
    pics = export.unit_pictures(model, u)
    acts = export.reference_layers(model, u)
    assert pics["layer1"].shape == (3, TINY[0]) and pics["layer2"].shape == (4, TINY[0])
    assert pics["value1"][0] == 0 and not pics["layer1"][0].any(), "a dead unit draws nothing"
    j = 1
    col = acts[0][:, j].astype(np.float64)
    assert pics["value1"][j] == pytest.approx(np.median(col[col > 0]))
    h = np.zeros((1, 3))
    h[0, j] = pics["value1"][j]
    for i in range(model.n_enc + 1, len(model.W)):
        h = model.activation(i, h @ model.W[i].astype(np.float64) + model.b[i])
    np.testing.assert_array_equal(pics["layer1"][j], np.rint(np.clip(h[0], 0, 1) * 255).astype(np.uint8))
