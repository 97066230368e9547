"""Elementwise nonlinearities shared by the autoencoder and the RBMs; float32 in, float32 out.

Reads and writes nothing.
"""

from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic function without overflow warnings for large |a|."""
    return (0.5 * (1.0 + np.tanh(0.5 * a))).astype(a.dtype, copy=False)


def relu(a: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0, dtype=a.dtype)


def activate(kind: str, a: np.ndarray) -> np.ndarray:
    """Units of type `kind` applied to the pre-activations `a` in place; returns `a`.

    The same values as `relu` and `sigmoid` (½(1 + tanh(a/2)),
    each step rounded alike), without temporaries; `linear` leaves `a` as it is.
    """
    if kind == "relu":
        np.maximum(a, 0, out=a)
    elif kind == "sigmoid":
        a *= 0.5
        np.tanh(a, out=a)
        a *= 0.5
        a += 0.5
    return a
