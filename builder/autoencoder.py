"""The deep autoencoder: forward pass, backprop, and its self-describing weights file.

Reads and writes `weights.npz`. Encoder 784→100→50→25→2 (ReLU hidden units, linear
code), decoder mirrored 2→25→50→100→784 (ReLU hidden units, sigmoid or ReLU output).
A layer computes `y = x @ W + b` with `W` of shape `(n_in, n_out)`; everything is float32.

Display coordinates of a code `z` are `u = sign(z)·ln(1+|z|)` (`symlog`); the
decoder page maps `u` back with `symexp`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .activations import relu, sigmoid
from .files import npz_bytes, write_bytes_atomic

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


def linear(a: np.ndarray) -> np.ndarray:
    return a


UNITS = {"relu": relu, "sigmoid": sigmoid, "linear": linear}


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
        """Nonlinearity of layer `i`: linear code, chosen output, ReLU elsewhere."""
        return UNITS[self.activations[i]](a)

    def run(self, x: np.ndarray, layers: range) -> np.ndarray:
        for i in layers:
            x = self.activation(i, x @ self.W[i] + self.b[i])
        return x

    def encode(self, x: np.ndarray) -> np.ndarray:
        """(n, 784) images → (n, 2) codes z."""
        return self.run(x, range(self.n_enc))

    def decode(self, z: np.ndarray) -> np.ndarray:
        """(n, 2) codes z → (n, 784) images."""
        return self.run(z, range(self.n_enc, len(self.W)))

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        return self.run(x, range(len(self.W)))

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """All activations `[x, h1, …, x̂]` for backprop; (n, d_i) each."""
        hs = [x]
        for i in range(len(self.W)):
            hs.append(self.activation(i, hs[-1] @ self.W[i] + self.b[i]))
        return hs

    def loss_and_grads(self, x: np.ndarray) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """Mean squared reconstruction error over all n·784 pixels and its gradients."""
        hs = self.forward(x)
        diff = hs[-1] - x
        loss = float(np.mean(diff * diff, dtype=np.float64))
        d = (2.0 / diff.size) * diff
        dW: list[np.ndarray] = [None] * len(self.W)  # type: ignore[list-item]
        db: list[np.ndarray] = [None] * len(self.W)  # type: ignore[list-item]
        kinds = self.activations
        for i in reversed(range(len(self.W))):
            y = hs[i + 1]
            if kinds[i] == "sigmoid":
                d = d * y * (1 - y)
            elif kinds[i] == "relu":
                d = d * (y > 0)
            dW[i] = hs[i].T @ d
            db[i] = d.sum(axis=0)
            if i:
                d = d @ self.W[i].T
        return loss, dW, db

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
