"""Make any image 28×28 grey the one way the docs and the model card state.

1. Grey: Pillow's luminance (ITU-R 601-2: L = 0.299 R + 0.587 G + 0.114 B); transparent
   pixels count as white (the image is laid on white first); 16-bit grey is scaled to 0–255;
   a JPEG's EXIF orientation is applied.
2. Inverted when its background is light: when the mean of its border pixels (the
   outermost rows and columns) is above 127.5 of 255, every pixel v becomes 255 − v, so
   dark-on-white scans and white-on-black digits both end up ink on black, like MNIST.
3. Fitted into the 28×28 box keeping its aspect ratio (the longer side becomes 28, the
   other rounded half up, at least 1) with area (box) resampling; an image already
   28 pixels on its longer side is not resampled.
4. Centred on black (0), the extra column or row right or below; rounded to 0–255.

A 28×28 grey image with a dark border comes back unchanged, so the conversion is
idempotent and MNIST-like arrays pass through it untouched.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageOps

SIDE = 28
LIGHT = 127.5  # mean border level above which an image is inverted
SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")
ORIENTATION = 0x0112  # the EXIF tag


def grey(img: Image.Image) -> np.ndarray:
    """Pillow image → its luminance, float32 `(h, w)` in [0, 255]."""
    if img.format == "JPEG" and img.getexif().get(ORIENTATION, 1) != 1:
        img = ImageOps.exif_transpose(img)
    if img.mode in SIXTEEN_BIT:
        return np.clip(np.asarray(img, dtype=np.float64) / 257.0, 0, 255).astype(np.float32)
    if img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    if img.mode != "L":
        img = img.convert("RGB").convert("L") if img.mode not in ("1", "RGB") else img.convert("L")
    return np.asarray(img, dtype=np.float32)


def array_grey(a: np.ndarray) -> np.ndarray:
    """One stored image, uint8 `(h, w)` grey or `(h, w, 3|4)` RGB(A) → as `grey`."""
    if a.ndim == 2:
        return a.astype(np.float32)
    mode = {3: "RGB", 4: "RGBA"}[a.shape[2]]
    return grey(Image.fromarray(np.ascontiguousarray(a, dtype=np.uint8), mode=mode))


def border(g: np.ndarray) -> np.ndarray:
    """The outermost rows and columns of `g (h, w)` (each pixel once)."""
    inner = np.zeros(g.shape, dtype=bool)
    inner[1:-1, 1:-1] = True
    return g[~inner]


def fitted_size(h: int, w: int) -> tuple[int, int]:
    scale = SIDE / max(h, w)
    return max(1, math.floor(h * scale + 0.5)), max(1, math.floor(w * scale + 0.5))


def to_mnist(g: np.ndarray) -> tuple[np.ndarray, bool]:
    """Grey `(h, w)` float32 in [0, 255] → uint8 `(28, 28)`, and whether it was inverted."""
    light = bool(border(g).astype(np.float64).mean() > LIGHT)
    if light:
        g = np.float32(255) - g
    h, w = g.shape
    nh, nw = fitted_size(h, w)
    if (nh, nw) != (h, w):
        g = np.asarray(Image.fromarray(np.ascontiguousarray(g, dtype=np.float32))
                       .resize((nw, nh), Image.Resampling.BOX), dtype=np.float32)
    out = np.zeros((SIDE, SIDE), dtype=np.float32)
    top, left = (SIDE - nh) // 2, (SIDE - nw) // 2
    out[top: top + nh, left: left + nw] = g
    return np.clip(np.rint(out), 0, 255).astype(np.uint8), light


def image_to_mnist(img: Image.Image) -> tuple[np.ndarray, bool]:
    """A decoded Pillow image → uint8 `(28, 28)` and whether it was inverted."""
    return to_mnist(grey(img))


def batch_to_mnist(a: np.ndarray) -> tuple[np.ndarray, int]:
    """Stored images uint8 `(n, h, w)` or `(n, h, w, 3|4)` → uint8 `(n, 784)` and the
    number inverted; 28×28 grey batches in one vectorised pass (the same result)."""
    if a.ndim == 3 and a.shape[1:] == (SIDE, SIDE):
        inner = np.zeros((SIDE, SIDE), dtype=bool)
        inner[1:-1, 1:-1] = True
        means = a[:, ~inner].astype(np.float64).mean(axis=1)
        light = means > LIGHT
        out = a.reshape(len(a), SIDE * SIDE).astype(np.uint8, copy=True)
        out[light] = 255 - out[light]
        return out, int(light.sum())
    rows, inverted = [], 0
    for item in a:
        img, light = to_mnist(array_grey(item))
        rows.append(img.reshape(-1))
        inverted += light
    return (np.stack(rows) if rows else np.zeros((0, SIDE * SIDE), np.uint8)), inverted
