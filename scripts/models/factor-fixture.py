"""Writes the fixture that ties the TypeScript factor code to train.py: one instrument's bars from train.py's
simulator and the factor set "bar-factors" v1 as train.py computes it on them.

Run: ~/.cache/alphamind/python/bin/python scripts/models/factor-fixture.py
Prices are rounded to the platform's fixed point (1e-8) first, so the TypeScript side reads the very same bars from
integer units; the factors are then train.py's own factors() on those bars.
"""

from __future__ import annotations

import json
import os

import numpy as np

from train import BAR_US, FACTORS, SEED, START_US, factors, simulate

BARS = 160
SCALE = 100_000_000
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "actors", "domain", "fixtures", "bar-factors-v1.json")


def main() -> None:
    b = simulate(np.random.default_rng(SEED), BARS)
    units = {k: np.rint(b[k] * SCALE) for k in ("open", "high", "low", "close", "volume")}
    fixed = {k: v / SCALE for k, v in units.items()}
    x = factors(fixed)
    doc = {
        "generator": "scripts/models/factor-fixture.py (train.py simulate() and factors())",
        "seed": SEED,
        "barUs": BAR_US,
        "fromUs": START_US,
        "factors": [f for f, _ in FACTORS],
        "bars": [[int(units[k][t]) for k in ("open", "high", "low", "close", "volume")] for t in range(BARS)],
        "expected": [None if np.isnan(row).any() else [float(v) for v in row] for row in x],
    }
    with open(OUT, "w") as f:
        json.dump(doc, f)
        f.write("\n")


if __name__ == "__main__":
    main()
