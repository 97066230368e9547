"""`findings.json`: the findings stage's record (the story's numbers), read through
`Findings.read`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builder.records.files import BuildError, json_bytes, parse_json

FORMAT = 1
PARTS = ("split", "transitions", "translation", "mixed", "roundtrip", "method")


@dataclass(frozen=True)
class Findings:
    """The story's measurements, by part (`PARTS`), as the stage wrote them."""

    parts: dict[str, Any]

    def to_bytes(self) -> bytes:
        return json_bytes({"format": FORMAT, **self.parts})

    @classmethod
    def read(cls, data: bytes, where: str) -> "Findings":
        obj = parse_json(data, where)
        if not isinstance(obj, dict) or obj.get("format") != FORMAT or any(k not in obj for k in PARTS):
            raise BuildError(f"{where}: not aedemo findings (need format {FORMAT} and {', '.join(PARTS)}): "
                             f"run `aedemo findings`")
        return cls({k: v for k, v in obj.items() if k != "format"})
