"""The numpy reference of the exported graphs: what `decoder.onnx`, `encoder.onnx` and the
30-D models compute, in float64 rounded to float32, and what each decoder unit draws alone
(`unit_pictures`). The export stage checks its ONNX files against these; findings and
compress measure the model with them (no onnxruntime needed)."""

from __future__ import annotations

import numpy as np

from builder.model.autoencoder import Autoencoder, symexp, symlog


def reference_decode(model: Autoencoder, u: np.ndarray) -> np.ndarray:
    """What `decoder.onnx` computes, in numpy: (n, 2) display coordinates → (n, 784) float32.

    Evaluated in float64 like the graph, then rounded to float32.
    """
    return model.decode(symexp(np.asarray(u, np.float64))).astype(np.float32)


def reference_layers(model: Autoencoder, u: np.ndarray) -> list[np.ndarray]:
    """What `decoder.onnx`'s outputs `layer1…` hold: the decoder's hidden activations at
    (n, 2) display coordinates, float32 (n, width) each, evaluated in float64."""
    h, out = symexp(np.asarray(u, np.float64)), []
    for i in range(model.n_enc, len(model.W) - 1):
        h = model.activation(i, h @ model.W[i].astype(np.float64) + model.b[i])
        out.append(h.astype(np.float32))
    return out


def unit_pictures(model: Autoencoder, u: np.ndarray, n_layers: int = 2) -> dict[str, np.ndarray]:
    """What each unit of the decoder's first `n_layers` hidden layers draws alone (see the
    module docstring), at its largest activation over the display points `u (n, 2)`."""
    acts, out = reference_layers(model, u), {}
    first = model.n_enc
    for k in range(n_layers):
        a = acts[k].astype(np.float64)
        value = np.array([np.median(col[col > 0]) if np.any(col > 0) else 0.0 for col in a.T])  # when firing
        h = np.diag(value)                                        # one unit on per row
        for i in range(first + k + 1, len(model.W)):
            h = model.activation(i, h @ model.W[i].astype(np.float64) + model.b[i])
        grey = np.rint(np.clip(h, 0.0, 1.0) * 255.0).astype(np.uint8)
        out[f"layer{k + 1}"] = np.where(value[:, None] > 0, grey, 0).astype(np.uint8)
        out[f"value{k + 1}"] = value.astype(np.float32)
    return out


def reference_encode(model: Autoencoder, images: np.ndarray) -> np.ndarray:
    """What `encoder.onnx` computes: (n, 784) images → (n, 2) float32 display coordinates."""
    return symlog(model.encode(np.asarray(images, np.float64))).astype(np.float32)


def reference_decode_code(model: Autoencoder, z: np.ndarray) -> np.ndarray:
    """What a decoder exported with `plane=False` computes (the 30-D one): (n, code) codes
    → (n, 784) float32, evaluated in float64."""
    return model.decode(np.asarray(z, np.float64)).astype(np.float32)


def reference_encode_code(model: Autoencoder, images: np.ndarray) -> np.ndarray:
    """What an encoder exported with `plane=False` computes: (n, 784) images → (n, code)
    float32 codes, evaluated in float64."""
    return model.encode(np.asarray(images, np.float64)).astype(np.float32)
