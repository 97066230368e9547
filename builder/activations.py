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
