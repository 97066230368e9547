"""The model card's sentences on the data: how its test images were chosen and how its
images were made 28×28 grey (`builder/data/convert.py`), from metrics.json's `data`
(`metrics.DataInfo`), in the data set's own nouns. Plain strings for `_card.html`."""

from __future__ import annotations

from builder.records.metrics import DataInfo
from builder.site.story import words


def _pct(fraction: float) -> str:
    return f"{100 * fraction:g}\u202f%"


def data_note(data: DataInfo) -> list[str]:
    """The sentences, in order: the test split, the conversion, the files skipped."""
    w = words(data.name)
    n_test, total = f"{data.n_test:,}", data.n_train + data.n_val + data.n_test
    if data.split == "holdout" and data.holdout:
        split = (f"The {n_test} test {w['nouns']} were held out of the {total:,}: "
                 f"{_pct(data.holdout['fraction'])} of each class, drawn at random with seed "
                 f"{int(data.holdout['seed'])}; training never saw them.")
    elif data.split == "given":
        split = f"The {n_test} test {w['nouns']} are the data set's own test split; training never saw them."
    else:
        split = (f"The {n_test} test {w['nouns']} are 10\u202f% of each class, evenly spaced "
                 "within it; training never saw them.")
    sentences = [split]
    if data.converted:
        k = data.inverted
        inverted = "none was inverted" if k == 0 else f"{k:,} of the {total:,} {'was' if k == 1 else 'were'} inverted"
        sentences.append(
            f"Every {w['noun']} was made 28\u00d728 grey the same way: its brightness (luminance), "
            "fitted into the 28\u00d728 square keeping its proportions (each pixel the average of "
            "the area it covers), centred on black, and inverted when its border was light (its "
            "outermost pixels brighter than mid-grey on average), so that the ink is light on "
            f"black as in MNIST; {inverted}.")
    else:
        sentences.append(f"The {w['nouns']} are used as the data set stores them, 28\u00d728 grey.")
    if data.skipped:
        k = data.skipped
        sentences.append(f"1 file beside them that is not {w['a_noun']} was skipped." if k == 1 else
                         f"{k:,} files beside them that are not {w['nouns']} were skipped.")
    return sentences
