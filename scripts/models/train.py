"""Trains the repository's small models and exports them as ONNX with their metadata.

Run: bash scripts/models/setup-python.sh && ~/.cache/alphamind/python/bin/python scripts/models/train.py

Everything is seeded: the bars come from a seeded simulator of the same shape as the TypeScript feed simulator's
(a random walk whose returns carry a little autocorrelation and clustered volatility, so there is something to
learn), the models are fitted with fixed random states, and the exported files are byte-for-byte reproducible.
Outputs, each an .onnx file of kilobytes and a .json of its metadata (what the registry stores in KV):
  models/gbt-return-5f.onnx   gradient-boosted trees: the next bar's return from the factor set "bar-factors" v1
  models/seq-return-16.onnx   a sequence model: the next bar's return from the last 16 bar returns (a small MLP over
                              the window; no recurrent layer, to keep the toolchain to scikit-learn)
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

import numpy as np
import onnx
from skl2onnx import to_onnx
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.neural_network import MLPRegressor

SEED = 15
INSTRUMENTS = ["AAPL.SIM", "MSFT.SIM", "BRK.B.SIM", "EURUSD.SIM"]
BARS = 3000
START_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z, one-minute bars
BAR_US = 60_000_000
WINDOW = 16
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "models")

# The factor set "bar-factors" v1, in the order of the model's input columns. Each is point-in-time: it reads the
# bar it is computed on and earlier bars only.
FACTORS = [
    ("ret1", "close / previous close - 1"),
    ("ret5", "close / close 5 bars back - 1"),
    ("vol20", "standard deviation of the last 20 one-bar returns"),
    ("range", "(high - low) / close"),
    ("volumeRatio", "volume / mean volume of the last 20 bars"),
]


def simulate(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """One instrument's bars: AR(1) returns with GARCH(1,1)-like volatility; volume rises with the move's size."""
    r = np.zeros(n)
    var = np.full(n, 1e-6)
    phi, omega, alpha, beta = 0.18, 2e-8, 0.08, 0.9
    eps = rng.standard_normal(n)
    for t in range(1, n):
        var[t] = omega + alpha * r[t - 1] ** 2 + beta * var[t - 1]
        r[t] = phi * r[t - 1] + np.sqrt(var[t]) * eps[t]
    close = 100.0 * np.exp(np.cumsum(r))
    open_ = np.concatenate([[100.0], close[:-1]])
    wiggle = np.abs(rng.standard_normal(n)) * np.sqrt(var) * close
    high = np.maximum(open_, close) + wiggle
    low = np.minimum(open_, close) - wiggle
    volume = np.round(rng.lognormal(8.0, 0.3, n) * (1 + 200 * np.abs(r)))
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume, "ret": r}


def factors(b: dict[str, np.ndarray]) -> np.ndarray:
    c = b["close"]
    n = len(c)
    out = np.full((n, len(FACTORS)), np.nan)
    ret1 = np.full(n, np.nan)
    ret1[1:] = c[1:] / c[:-1] - 1
    for t in range(20, n):
        out[t, 0] = ret1[t]
        out[t, 1] = c[t] / c[t - 5] - 1
        out[t, 2] = np.std(ret1[t - 19 : t + 1])
        out[t, 3] = (b["high"][t] - b["low"][t]) / c[t]
        out[t, 4] = b["volume"][t] / np.mean(b["volume"][t - 19 : t + 1])
    return out


def windows(b: dict[str, np.ndarray]) -> np.ndarray:
    c = b["close"]
    n = len(c)
    ret1 = np.full(n, np.nan)
    ret1[1:] = c[1:] / c[:-1] - 1
    out = np.full((n, WINDOW), np.nan)
    for t in range(WINDOW, n):
        out[t] = ret1[t - WINDOW + 1 : t + 1]
    return out


def dataset(make) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features and next-bar return per instrument; the last 30% of each instrument's bars are held out (time split)."""
    rng = np.random.default_rng(SEED)
    xs_tr, ys_tr, xs_te, ys_te = [], [], [], []
    for _ in INSTRUMENTS:
        b = simulate(rng, BARS)
        x = make(b)
        y = np.full(BARS, np.nan)
        y[:-1] = b["close"][1:] / b["close"][:-1] - 1
        ok = ~np.isnan(x).any(axis=1) & ~np.isnan(y)
        cut = int(BARS * 0.7)
        idx = np.arange(BARS)
        xs_tr.append(x[ok & (idx < cut)])
        ys_tr.append(y[ok & (idx < cut)])
        xs_te.append(x[ok & (idx >= cut)])
        ys_te.append(y[ok & (idx >= cut)])
    return np.vstack(xs_tr), np.concatenate(ys_tr), np.vstack(xs_te), np.concatenate(ys_te)


def metrics(pred: np.ndarray, y: np.ndarray) -> dict[str, float]:
    ic = float(np.corrcoef(pred, y)[0, 1])
    rank = lambda v: np.argsort(np.argsort(v))  # noqa: E731
    rank_ic = float(np.corrcoef(rank(pred), rank(y))[0, 1])
    hit = float(np.mean(np.sign(pred) == np.sign(y)))
    rmse = float(np.sqrt(np.mean((pred - y) ** 2)))
    return {"ic": round(ic, 6), "rankIc": round(rank_ic, 6), "hitRate": round(hit, 6), "rmse": round(rmse, 9), "samples": int(len(y))}


def export(name: str, model, x_tr: np.ndarray, input_name: str, feature_set: dict, m: dict[str, float]) -> None:
    onx = to_onnx(model, x_tr[:1].astype(np.float32), target_opset={"": 17, "ai.onnx.ml": 3}, initial_types=None)
    # Stable, documented names for the graph's ends, whatever the converter called them.
    old_in, old_out = onx.graph.input[0].name, onx.graph.output[0].name
    for node in onx.graph.node:
        node.input[:] = [input_name if i == old_in else i for i in node.input]
        node.output[:] = ["forecast" if o == old_out else o for o in node.output]
    onx.graph.input[0].name = input_name
    onx.graph.output[0].name = "forecast"
    # A symbolic batch dimension, so one inference serves any number of rows.
    onx.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    onx.graph.output[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    onx.producer_name = "alphamind scripts/models/train.py"
    onx.doc_string = f"{name}: next-bar return forecast"
    onnx.checker.check_model(onx)
    data = onx.SerializeToString()
    path = os.path.join(OUT, f"{name}.onnx")
    with open(path, "wb") as f:
        f.write(data)
    width = x_tr.shape[1]
    meta = {
        "name": name,
        "version": 1,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "inputs": [{"name": input_name, "type": "float32", "shape": ["batch", width]}],
        "outputs": [{"name": "forecast", "type": "float32", "shape": ["batch", 1]}],
        "featureSet": feature_set,
        "trainingData": {
            "generator": "scripts/models/train.py simulate()",
            "seed": SEED,
            "instruments": INSTRUMENTS,
            "barsPerInstrument": BARS,
            "fromUs": START_US,
            "toUs": START_US + (BARS - 1) * BAR_US,
            "barUs": BAR_US,
            "holdout": "last 30% of each instrument's bars",
        },
        "validation": m,
        "registeredBy": "scripts/models/train.py",
    }
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(json.dumps({"model": name, "bytes": len(data), **m}), file=sys.stderr)


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    x_tr, y_tr, x_te, y_te = dataset(factors)
    gbt = GradientBoostingRegressor(n_estimators=40, max_depth=3, learning_rate=0.05, subsample=0.8, random_state=SEED)
    gbt.fit(x_tr, y_tr)
    export(
        "gbt-return-5f",
        gbt,
        x_tr,
        "features",
        {"name": "bar-factors", "version": 1, "features": [f for f, _ in FACTORS], "doc": dict(FACTORS)},
        metrics(gbt.predict(x_te), y_te),
    )

    s_tr, sy_tr, s_te, sy_te = dataset(windows)
    # Returns are ~1e-3: scale them inside the data so the MLP trains well, and fold the scale back into the net's
    # first layer weights (so the exported model takes raw returns).
    scale = 1000.0
    seq = MLPRegressor(hidden_layer_sizes=(8,), activation="tanh", max_iter=400, random_state=SEED, alpha=1e-3)
    seq.fit(s_tr * scale, sy_tr * scale)
    seq.coefs_[0] = seq.coefs_[0] * scale
    seq.coefs_[-1] = seq.coefs_[-1] / scale
    seq.intercepts_[-1] = seq.intercepts_[-1] / scale
    export(
        "seq-return-16",
        seq,
        s_tr,
        "returns",
        {"name": "bar-returns-window", "version": 1, "features": [f"ret1_lag{WINDOW - 1 - i}" for i in range(WINDOW)], "doc": {"ret1_lagK": "one-bar return K bars back (lag0 = the current bar)"}},
        metrics(seq.predict(s_te), sy_te),
    )


if __name__ == "__main__":
    main()
