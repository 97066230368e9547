"""`weights.npz` (and `weights30.npz`): a trained net's weights and the metadata the export
needs, written by train (`Autoencoder.to_bytes`) and read through `Weights.read`."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from builder.model.autoencoder import Autoencoder
from builder.records.arrays import read_npz
from builder.records.files import BuildError


@dataclass(frozen=True)
class Weights:
    """A net (`model`) and its metadata (`meta`: the display's scale and the like)."""

    model: Autoencoder
    meta: dict[str, object]

    @classmethod
    def read(cls, data: bytes, where: str) -> "Weights":
        """The one validating reader: any problem of the archive is one `BuildError` naming `where`."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = tuple(n[:-4] for n in z.namelist() if n.endswith(".npy"))
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            raise BuildError(f"{where}: not an aedemo weights file ({type(e).__name__}: {e})") from None
        f = read_npz(data, where, names)  # each array's header checked before it is read
        n = sum(1 for k in names if k.startswith("W"))
        try:
            model = Autoencoder([f[f"W{i}"] for i in range(n)], [f[f"b{i}"] for i in range(n)], str(f["output"]))
            meta = {k[5:]: f[k].item() for k in names if k.startswith("meta_")}
        except (ValueError, TypeError, KeyError) as e:
            raise BuildError(f"{where}: not an aedemo weights file ({type(e).__name__}: {e})") from None
        return cls(model, meta)

    def with_code(self, size: int, where: str) -> "Weights":
        """Self, after checking that the code has `size` units (the page's plane has 2)."""
        if self.model.sizes[-1] != size:
            raise BuildError(f"{where}: the code has {self.model.sizes[-1]} units; the page needs a "
                             f"{size}-D code ({'→'.join(map(str, self.model.sizes))} given)")
        return self
