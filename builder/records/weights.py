"""`weights.npz` (and `weights30.npz`): a trained net's weights and the metadata the export
needs, written by train (`Autoencoder.to_bytes`) and read through `Weights.read`."""

from __future__ import annotations

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
        bad = lambda why: BuildError(f"{where}: not an aedemo weights file ({why})")  # noqa: E731
        try:
            f = read_npz(data, where)  # every array, each header checked before it is read
        except BuildError as e:
            raise bad(str(e).removeprefix(f"{where}: ")) from None
        n = sum(1 for k in f if k.startswith("W"))
        try:
            model = Autoencoder([f[f"W{i}"] for i in range(n)], [f[f"b{i}"] for i in range(n)], str(f["output"]))
            meta = {k[5:]: v.item() for k, v in f.items() if k.startswith("meta_")}
        except (ValueError, TypeError, KeyError) as e:
            raise bad(f"{type(e).__name__}: {e}") from None
        return cls(model, meta)

    def with_code(self, size: int, where: str) -> "Weights":
        """Self, after checking that the code has `size` units (the page's plane has 2)."""
        if self.model.sizes[-1] != size:
            raise BuildError(f"{where}: the code has {self.model.sizes[-1]} units; the page needs a "
                             f"{size}-D code ({'→'.join(map(str, self.model.sizes))} given)")
        return self
