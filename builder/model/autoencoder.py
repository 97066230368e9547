"""The deep autoencoder: forward pass, backprop, and its self-describing weights file.

Reads and writes `weights.npz`. Encoder 784→100→50→25→2 (ReLU hidden units, linear
code), decoder mirrored 2→25→50→100→784 (ReLU hidden units, sigmoid or ReLU output).
A layer computes `y = x @ W + b` with `W` of shape `(n_in, n_out)`; everything is float32.
Training works on one flat parameter vector θ (`Autoencoder.flat`, `views`) and writes
every activation and gradient into `Buffers` allocated once per batch size.

Display coordinates of a code `z` are `u = sign(z)·ln(1+|z|)` (`symlog`); the
decoder page maps `u` back with `symexp`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from builder.model.activations import activate
from builder.records.files import npz_bytes, write_bytes_atomic

SIZES = (784, 100, 50, 25, 2)
OUTPUTS = ("sigmoid", "relu")
F32 = np.float32


def symlog(z: np.ndarray) -> np.ndarray:
    """Display coordinates `u = sign(z)·ln(1+|z|)`, elementwise, same dtype."""
    return (np.sign(z) * np.log1p(np.abs(z))).astype(z.dtype, copy=False)


def symexp(u: np.ndarray) -> np.ndarray:
    """Inverse of `symlog`: `z = sign(u)·(e^|u| − 1)`, elementwise, same dtype."""
    return (np.sign(u) * np.expm1(np.abs(u))).astype(u.dtype, copy=False)


def unrolled(sizes: tuple[int, ...]) -> tuple[int, ...]:
    """Layer widths of the unrolled net: the encoder's `sizes`, then the mirrored decoder."""
    return tuple(sizes) + tuple(sizes[-2::-1])


def layer_activations(n_layers: int, output: str) -> list[str]:
    """The unit type of each of the `n_layers` layers (encoder first): the one rule.

    The encoder's last layer (the code) is `linear`, the decoder's last is `output`
    (`sigmoid` or `relu`), every other layer `relu`.
    """
    code = n_layers // 2 - 1
    return ["linear" if i == code else output if i == n_layers - 1 else "relu"
            for i in range(n_layers)]


def views(theta: np.ndarray, shapes: list[tuple[int, int]]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """`W[i] (n_in, n_out)` and `b[i] (n_out,)` as views of one flat vector `theta`.

    Layer by layer, each `W` then its `b`: layer i is `theta[o_i : o_i + (n_in + 1)·n_out]`.
    """
    W, b, at = [], [], 0
    for m, n in shapes:
        W.append(theta[at : at + m * n].reshape(m, n))
        b.append(theta[at + m * n : at + (m + 1) * n])
        at += (m + 1) * n
    if at != theta.size:
        raise ValueError(f"a flat vector of {theta.size} numbers for {at} parameters")
    return W, b


def n_params(shapes: list[tuple[int, int]]) -> int:
    """Numbers in the flat vector of layers of `shapes`: each `W` and its `b`."""
    return sum((m + 1) * n for m, n in shapes)


@dataclass
class Autoencoder:
    """Weights of the unrolled net: `W[i], b[i]` for the 8 layers, encoder first.

    Layer 3 (25→2) is the linear code layer; layer 7 (100→784) is the output layer.
    """

    W: list[np.ndarray]
    b: list[np.ndarray]
    output: str = "sigmoid"

    def __post_init__(self) -> None:
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {self.output!r}")
        if len(self.W) != len(self.b) or len(self.W) % 2:
            raise ValueError("need an even number of layers with one bias each")
        for i, (W, b) in enumerate(zip(self.W, self.b)):
            if W.dtype != F32 or b.dtype != F32:
                raise TypeError(f"layer {i}: weights must be float32, got {W.dtype}/{b.dtype}")
            if W.ndim != 2 or b.shape != (W.shape[1],):
                raise ValueError(f"layer {i}: W {W.shape} and b {b.shape} do not match")
            if i and W.shape[0] != self.W[i - 1].shape[1]:
                raise ValueError(
                    f"layer {i}: input size {W.shape[0]} does not chain with "
                    f"layer {i - 1} output size {self.W[i - 1].shape[1]}"
                )

    @property
    def n_enc(self) -> int:
        return len(self.W) // 2

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.W[0].shape[0],) + tuple(W.shape[1] for W in self.W[: self.n_enc])

    def copy(self) -> "Autoencoder":
        return Autoencoder([W.copy() for W in self.W], [b.copy() for b in self.b], self.output)

    @property
    def activations(self) -> list[str]:
        """Unit type of each layer (`layer_activations`)."""
        return layer_activations(len(self.W), self.output)

    def activation(self, i: int, a: np.ndarray) -> np.ndarray:
        """Nonlinearity of layer `i` (linear code, chosen output, ReLU elsewhere); a new array."""
        return activate(self.activations[i], a.copy())

    def run(self, x: np.ndarray, layers: range) -> np.ndarray:
        kinds = self.activations
        for i in layers:
            x = activate(kinds[i], x @ self.W[i] + self.b[i])
        return x

    def flat(self) -> tuple["Autoencoder", np.ndarray]:
        """A copy whose `W` and `b` are views of one new flat vector θ (`views`), and θ."""
        shapes = [W.shape for W in self.W]
        theta = np.empty(n_params(shapes), self.W[0].dtype)
        W, b = views(theta, shapes)
        for dst, src in zip(W + b, self.W + self.b):
            dst[...] = src
        return Autoencoder(W, b, self.output), theta

    def encode(self, x: np.ndarray) -> np.ndarray:
        """(n, 784) images → (n, 2) codes z."""
        return self.run(x, range(self.n_enc))

    def decode(self, z: np.ndarray) -> np.ndarray:
        """(n, 2) codes z → (n, 784) images."""
        return self.run(z, range(self.n_enc, len(self.W)))

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        return self.run(x, range(len(self.W)))

    def forward(self, x: np.ndarray, h: list[np.ndarray] | None = None) -> list[np.ndarray]:
        """All activations `[x, h1, …, x̂]` for backprop; (n, d_i) each.

        `h` (a `Buffers.h`) receives them in place: `h[0]` becomes `x`, h1 … x̂ are
        written into `h[1:]`, nothing is allocated.
        """
        if h is None:
            h = [x] + [np.empty((len(x), W.shape[1]), W.dtype) for W in self.W]
        h[0] = x
        for i, kind in enumerate(self.activations):
            a = np.matmul(h[i], self.W[i], out=h[i + 1])
            a += self.b[i]
            activate(kind, a)
        return h

    def loss_and_grads(self, x: np.ndarray, buf: "Buffers | None" = None,
                       ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """Mean squared reconstruction error `L` over all n·784 pixels and its gradients.

        Writes into `buf` (`Buffers` for n rows; one is made when not given) and returns
        its gradient arrays `buf.dW`, `buf.db`, overwritten by the next call.
        """
        buf = Buffers(self, len(x)) if buf is None else buf
        h, kinds = self.forward(x, buf.h), self.activations
        d = np.subtract(h[-1], x, out=buf.d[-1])  # x̂ − x
        loss = float(np.dot(d.ravel(), d.ravel())) / d.size
        d *= 2.0 / d.size  # dL/dx̂
        for i in reversed(range(len(self.W))):
            d = buf.d[i]  # dL/dh_{i+1}, turned into dL/da_i (a_i = h_i W_i + b_i) by f'(a_i)
            buf.backprop_units(kinds[i], i)
            np.matmul(h[i].T, d, out=buf.dW[i])
            np.matmul(buf.ones, d, out=buf.db[i])
            if i:
                np.matmul(d, self.W[i].T, out=buf.d[i - 1])  # dL/dh_i
        return loss, buf.dW, buf.db

    def save(self, path: Path, **meta: object) -> None:
        """Write `to_bytes(**meta)` to `path`."""
        write_bytes_atomic(path, self.to_bytes(**meta))

    def to_bytes(self, **meta: object) -> bytes:
        """An `.npz` that rebuilds this model alone (plus free-form metadata)."""
        arrays = {f"W{i}": W for i, W in enumerate(self.W)}
        arrays.update({f"b{i}": b for i, b in enumerate(self.b)})
        arrays["sizes"] = np.array(self.sizes, dtype=np.int64)
        arrays["activations"] = np.array(self.activations)
        arrays["output"] = np.array(self.output)
        for key, value in meta.items():
            arrays[f"meta_{key}"] = np.array(value)
        return npz_bytes(arrays)

    @classmethod
    def load(cls, path: Path) -> tuple["Autoencoder", dict[str, object]]:
        with np.load(path, allow_pickle=False) as f:
            n = sum(1 for k in f.files if k.startswith("W"))
            W = [f[f"W{i}"] for i in range(n)]
            b = [f[f"b{i}"] for i in range(n)]
            output = str(f["output"])
            meta = {k[5:]: f[k].item() for k in f.files if k.startswith("meta_")}
        return cls(W, b, output), meta


class Buffers:
    """What backprop through `model` on batches of `n` rows writes, allocated once.

    `h[i]` (n, d_i): the activations, `h[0]` the input batch (`x`, for the caller to
    fill); `d[i]` (n, d_{i+1}): the error signal of layer i; `dW[i]`, `db[i]`: the
    gradients, views of the flat vector `grads` when one is given (`views`); `mask`
    and `s` scratch for the units' derivatives; `ones` (n,) sums the bias gradients.
    """

    def __init__(self, model: Autoencoder, n: int, grads: np.ndarray | None = None) -> None:
        dt, shapes = model.W[0].dtype, [W.shape for W in model.W]
        self.x = np.empty((n, shapes[0][0]), dt)
        self.h = [self.x] + [np.empty((n, k), dt) for _, k in shapes]
        self.d = [np.empty((n, k), dt) for _, k in shapes]
        self.mask = [np.empty((n, k), bool) for _, k in shapes]
        self.s = np.empty((n, shapes[-1][1]), dt)
        self.ones = np.ones(n, dt)
        self.grads = np.zeros(n_params(shapes), dt) if grads is None else grads
        self.dW, self.db = views(self.grads, shapes)

    def backprop_units(self, kind: str, i: int) -> None:
        """`d[i] *= f'(a_i)` in place, from layer i's output `y = h[i + 1]`."""
        d, y = self.d[i], self.h[i + 1]
        if kind == "relu":  # f' = [y > 0]
            np.greater(y, 0, out=self.mask[i])
            np.multiply(d, self.mask[i], out=d)
        elif kind == "sigmoid":  # f' = y(1 − y)
            s = np.subtract(1, y, out=self.s)
            s *= y
            d *= s
