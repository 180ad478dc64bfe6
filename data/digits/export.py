"""Exports scikit-learn's bundled 8×8 handwritten digits (1797 images) as .npy files.

The data ship inside scikit-learn itself (sklearn/datasets/data/digits.csv.gz), so this
needs no network beyond installing the package:

    python3 -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn numpy
    /tmp/skl/bin/python data/digits/export.py

Writes, next to this script:
  features.npy  uint8, 1797 × 64: pixel intensities 0–16, row-major 8 × 8 images
  digit.npy     int64, 1797: the digit shown, 0–9
  parity.npy    int8, 1797: +1 for an even digit, −1 for an odd one (the regression
                target of the example configs and of figure F11)
"""

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

here = Path(__file__).resolve().parent
d = load_digits()
x = d.data.astype(np.uint8)
assert x.shape == (1797, 64) and np.array_equal(x, d.data), "pixels are integers 0–16"
y = d.target.astype(np.int64)
np.save(here / "features.npy", x)
np.save(here / "digit.npy", y)
np.save(here / "parity.npy", np.where(y % 2 == 0, 1, -1).astype(np.int8))
print(f"wrote {x.shape[0]} images of {x.shape[1]} pixels to {here}")
