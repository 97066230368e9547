"""The ONNX files of a build folder (`decoder.onnx`, `encoder.onnx`, and the 30-D pair):
`OnnxModel.read` parses one, checks it has one input and an output of rank 2, and keeps
its bytes (shipped to the page unchanged), its input and output names and widths, and
its other outputs (the decoder's hidden layers, which the page's layer panel reads)."""

from __future__ import annotations

from dataclasses import dataclass

from builder.records.files import BuildError


@dataclass(frozen=True)
class OnnxModel:
    data: bytes  # the file's bytes, as the page loads them
    input: str  # the graph's input name
    output: str  # its first output (the image, or the code)
    n_in: int | None  # the input's last dimension (None when it is not fixed)
    n_out: int | None
    layers: tuple[tuple[str, int], ...]  # the outputs after the first: (name, width)

    @classmethod
    def read(cls, data: bytes, where: str) -> "OnnxModel":
        import onnx

        try:
            graph = onnx.load_model_from_string(data).graph
        except Exception as e:  # noqa: BLE001 - onnx raises several kinds
            raise BuildError(f"{where}: not an ONNX model ({str(e)[:200]})") from None
        inits = {i.name for i in graph.initializer}
        inputs = [i for i in graph.input if i.name not in inits]
        if len(inputs) != 1 or len(graph.output) < 1:
            raise BuildError(f"{where}: need one input and an output")

        def last_dim(v) -> int | None:
            dims = v.type.tensor_type.shape.dim
            return dims[-1].dim_value if len(dims) == 2 and dims[-1].HasField("dim_value") else None

        return cls(data, inputs[0].name, graph.output[0].name, last_dim(inputs[0]), last_dim(graph.output[0]),
                   tuple((o.name, int(o.type.tensor_type.shape.dim[-1].dim_value)) for o in graph.output[1:]))

    def shaped(self, n_in: int, n_out: int, where: str) -> "OnnxModel":
        """Self, after checking that it maps [N, n_in] to [N, n_out]."""
        if self.n_in != n_in or self.n_out != n_out:
            raise BuildError(f"{where}: need input [N,{n_in}] and output [N,{n_out}]")
        return self

    @property
    def io(self) -> tuple[str, str]:
        return self.input, self.output
