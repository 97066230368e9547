"""The model card's sentences on the data (builder/site/datanote.py) follow metrics.json's
`data`: the test split, the conversion and its count of inverted images, files skipped."""

from __future__ import annotations

from builder.records.metrics import DataInfo
from builder.site.datanote import data_note


def info(**changes: object) -> DataInfo:
    base = dict(name="shapes", source="image folder shapes", fingerprint="0" * 64,
                classes=("a", "b"), n_train=81, n_val=9, n_test=10)
    return DataInfo(**{**base, **changes})  # type: ignore[arg-type]


def test_each_split_is_said_as_it_was_made() -> None:
    held = data_note(info(split="holdout", holdout={"fraction": 0.1, "seed": 7}, kind="images"))
    assert held[0] == ("The 10 test images were held out of the 100: 10\u202f% of each class, drawn at "
                       "random with seed 7; training never saw them.")
    assert data_note(info(split="given"))[0].startswith("The 10 test images are the data set's own test split")
    mnist = data_note(info(name="MNIST"))
    assert mnist == ["The 10 test digits are 10\u202f% of each class, evenly spaced within it; training "
                     "never saw them.", "The digits are used as the data set stores them, 28\u00d728 grey."]


def test_the_conversion_and_its_counts() -> None:
    none = data_note(info(converted=True))
    assert len(none) == 2 and none[1].endswith("none was inverted.")
    one = data_note(info(converted=True, inverted=1, skipped=1))
    assert one[1].endswith("; 1 of the 100 was inverted.")
    assert one[2] == "1 file beside them that is not an image was skipped."
    many = data_note(info(converted=True, inverted=12, skipped=3))
    assert many[1].endswith("; 12 of the 100 were inverted.") and many[2].startswith("3 files")
