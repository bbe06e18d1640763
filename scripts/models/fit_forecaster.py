"""One training job's Python side: a small hyperparameter search over purged cross-validation folds, then the
winner refitted on every row and exported as ONNX with its card.

Run by supervisors/research's training jobs (never by hand): python fit_forecaster.py <spec.json>
The spec (written by the job) names the dataset's rows, the folds (the platform's purged k-fold: train and test row
indices, purged and embargoed in TypeScript, so Python never decides what leaks), the trials (hyperparameters), the
(trial, fold) results already journaled (a resumed job skips them), and where the model and its card go.

Each line on stdout is one JSON event the job journals:
  {"event": "fold", "trial": t, "fold": k, "metrics": {...}, "fitMs": ms}
  {"event": "selected", "trial": t, "params": {...}, "metrics": {...}}      (mean of the trial's fold metrics)
  {"event": "exported", "file": path, "card": path, "sha256": hex, "bytes": n, "fitMs": ms}
Errors go to stderr and the exit status is 1.

Models:
  gbt  scikit-learn GradientBoostingRegressor on the bar's factors (bar-factors v1). HistGradientBoostingRegressor's
       ONNX converter (skl2onnx 1.20) fails on numpy 2's integer types, so the exact booster is used; at these
       sizes (tens of thousands of rows, 5 features) it fits in well under a second.
  seq  a temporal MLP with quantile outputs: the last `window` bars' factors of the instrument (oldest first) →
       one tanh hidden layer → the median and two non-crossing offsets (softplus), trained with the pinball loss
       of the quantiles 0.1, 0.5, 0.9 by Adam in numpy, exported as a hand-built ONNX graph. Output columns:
       q50, q10, q90 (the median first, so a consumer of one forecast reads the median).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

QUANTILES = (0.5, 0.1, 0.9)
TARGET_SCALE = 1000.0  # returns are ~1e-3: fit in per-mille, fold the scale back into the exported graph


def emit(event: dict) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def read_rows(path: str, features: list[str]) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    xs, ys, inst, t0 = [], [], [], []
    with open(path) as f:
        for line in f:
            o = json.loads(line)
            xs.append([o[k] for k in features])
            ys.append(o["ret"])
            inst.append(o["instrument"])
            t0.append(o["t0"])
    return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64), inst, np.asarray(t0)


def windows(x: np.ndarray, inst: list[str], window: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's window: its instrument's last `window` rows (itself last), flattened oldest first; ok marks rows
    with a full window. Rows are in t0 order, so an instrument's earlier rows are its earlier bars."""
    width = x.shape[1]
    out = np.zeros((len(x), window * width))
    ok = np.zeros(len(x), dtype=bool)
    history: dict[str, list[int]] = {}
    for i, name in enumerate(inst):
        h = history.setdefault(name, [])
        h.append(i)
        if len(h) > window:
            h.pop(0)
        if len(h) == window:
            out[i] = x[h].reshape(-1)
            ok[i] = True
    return out, ok


def forecast_metrics(pred: np.ndarray, y: np.ndarray) -> dict[str, float]:
    ic = float(np.corrcoef(pred, y)[0, 1]) if np.std(pred) > 0 else 0.0
    rank = lambda v: np.argsort(np.argsort(v, kind="stable"), kind="stable")  # noqa: E731
    rp = rank(pred)
    rank_ic = float(np.corrcoef(rp, rank(y))[0, 1]) if np.std(rp) > 0 else 0.0
    return {
        "ic": round(ic, 6),
        "rankIc": round(rank_ic, 6),
        "hitRate": round(float(np.mean(np.sign(pred) == np.sign(y))), 6),
        "rmse": round(float(np.sqrt(np.mean((pred - y) ** 2))), 9),
        "samples": int(len(y)),
    }


def pinball(q: np.ndarray, y: np.ndarray) -> float:
    """Mean pinball loss over the quantile columns (in return units)."""
    total = 0.0
    for j, tau in enumerate(QUANTILES):
        e = y - q[:, j]
        total += float(np.mean(np.maximum(tau * e, (tau - 1) * e)))
    return total / len(QUANTILES)


# ---- gradient-boosted trees ---------------------------------------------------------------------------------


def fit_gbt(x: np.ndarray, y: np.ndarray, p: dict, seed: int):
    from sklearn.ensemble import GradientBoostingRegressor

    m = GradientBoostingRegressor(
        n_estimators=int(p["trees"]),
        max_depth=int(p["depth"]),
        learning_rate=float(p["learningRate"]),
        subsample=0.8,
        min_samples_leaf=int(p.get("minLeaf", 50)),
        random_state=seed,
    )
    return m.fit(x, y)


def export_gbt(model, width: int) -> onnx.ModelProto:
    from skl2onnx import to_onnx

    onx = to_onnx(model, np.zeros((1, width), dtype=np.float32), target_opset={"": 17, "ai.onnx.ml": 3})
    old_in, old_out = onx.graph.input[0].name, onx.graph.output[0].name
    for node in onx.graph.node:
        node.input[:] = ["features" if i == old_in else i for i in node.input]
        node.output[:] = ["forecast" if o == old_out else o for o in node.output]
    onx.graph.input[0].name = "features"
    onx.graph.output[0].name = "forecast"
    onx.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    onx.graph.output[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    return onx


# ---- temporal MLP with quantile heads ------------------------------------------------------------------------


def softplus(v: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, v)


class QuantileMlp:
    def __init__(self, means: np.ndarray, scales: np.ndarray, w1, b1, w2, b2):
        self.means, self.scales, self.w1, self.b1, self.w2, self.b2 = means, scales, w1, b1, w2, b2

    def heads(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        z = (x - self.means) / self.scales
        h = np.tanh(z @ self.w1 + self.b1)
        return h, z, h @ self.w2 + self.b2

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Columns q50, q10, q90 in return units."""
        _, _, o = self.heads(x)
        m = o[:, 0]
        return np.stack([m, m - softplus(o[:, 1]), m + softplus(o[:, 2])], axis=1) / TARGET_SCALE


def fit_seq(x: np.ndarray, y: np.ndarray, p: dict, seed: int) -> QuantileMlp:
    rng = np.random.default_rng(seed)
    hidden, epochs, decay, lr = int(p["hidden"]), int(p["epochs"]), float(p["weightDecay"]), float(p.get("learningRate", 0.01))
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    yt = y * TARGET_SCALE
    n, width = x.shape
    params = [
        rng.standard_normal((width, hidden)) / np.sqrt(width),
        np.zeros(hidden),
        rng.standard_normal((hidden, 3)) * 0.1 / np.sqrt(hidden),
        np.array([0.0, 0.0, 0.0]),
    ]
    # offsets start near the data's 10/90 spread, so the quantiles need not crawl there from zero
    spread = max(float(np.quantile(yt, 0.9) - np.quantile(yt, 0.1)) / 2, 1e-6)
    params[3][1:] = np.log(np.expm1(spread))
    model = QuantileMlp(means, scales, *params)
    moments = [np.zeros_like(v) for v in params]
    squares = [np.zeros_like(v) for v in params]
    step, batch = 0, 256
    taus = np.asarray(QUANTILES)
    for _ in range(epochs):
        order = rng.permutation(n)
        for s in range(0, n, batch):
            idx = order[s : s + batch]
            h, z, o = model.heads(x[idx])
            m, a, b = o[:, 0], o[:, 1], o[:, 2]
            q = np.stack([m, m - softplus(a), m + softplus(b)], axis=1)
            e = yt[idx, None] - q
            dq = ((e < 0).astype(np.float64) - taus) / (len(idx) * len(taus))  # d pinball / d q
            do = np.stack([dq.sum(axis=1), -dq[:, 1] / (1 + np.exp(-a)), dq[:, 2] / (1 + np.exp(-b))], axis=1)
            grads = [z.T @ ((do @ model.w2.T) * (1 - h**2)), ((do @ model.w2.T) * (1 - h**2)).sum(axis=0), h.T @ do, do.sum(axis=0)]
            grads[0] += decay * model.w1
            grads[2] += decay * model.w2
            step += 1
            for i, g in enumerate(grads):
                moments[i] = 0.9 * moments[i] + 0.1 * g
                squares[i] = 0.999 * squares[i] + 0.001 * g * g
                mh = moments[i] / (1 - 0.9**step)
                vh = squares[i] / (1 - 0.999**step)
                params[i] -= lr * mh / (np.sqrt(vh) + 1e-8)
            model.w1, model.b1, model.w2, model.b2 = params
    return model


def export_seq(model: QuantileMlp) -> onnx.ModelProto:
    """features [batch, width] → forecast [batch, 3] (q50, q10, q90): standardisation folded into the first layer,
    the target scale into the last."""
    width = model.w1.shape[0]
    w1 = model.w1 / model.scales[:, None]
    b1 = model.b1 - (model.means / model.scales) @ model.w1
    f32 = lambda name, v: numpy_helper.from_array(np.asarray(v, dtype=np.float32), name)  # noqa: E731
    inits = [
        f32("w1", w1),
        f32("b1", b1),
        f32("w2", model.w2),
        f32("b2", model.b2),
        f32("pick_m", [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
        f32("pick_off", [[0.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]]),
        f32("mask_off", [0.0, 1.0, 1.0]),
        f32("unscale", [1.0 / TARGET_SCALE]),
    ]
    nodes = [
        helper.make_node("MatMul", ["features", "w1"], ["z1"]),
        helper.make_node("Add", ["z1", "b1"], ["a1"]),
        helper.make_node("Tanh", ["a1"], ["h"]),
        helper.make_node("MatMul", ["h", "w2"], ["z2"]),
        helper.make_node("Add", ["z2", "b2"], ["o"]),
        # median broadcast to the three columns, plus the signed softplus offsets of columns 1 and 2
        helper.make_node("MatMul", ["o", "pick_m"], ["med"]),
        helper.make_node("Softplus", ["o"], ["sp"]),
        helper.make_node("Mul", ["sp", "mask_off"], ["spm"]),
        helper.make_node("MatMul", ["spm", "pick_off"], ["off"]),
        helper.make_node("Add", ["med", "off"], ["q"]),
        helper.make_node("Mul", ["q", "unscale"], ["forecast"]),
    ]
    graph = helper.make_graph(
        nodes,
        "quantile-mlp",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", width])],
        [helper.make_tensor_value_info("forecast", TensorProto.FLOAT, ["batch", 3])],
        inits,
    )
    onx = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onx.ir_version = 8
    return onx


# ---- the search ----------------------------------------------------------------------------------------------


def mean_metrics(results: list[dict]) -> dict[str, float]:
    keys = [k for k in results[0] if k != "samples"]
    out = {k: round(float(np.mean([r[k] for r in results])), 9) for k in keys}
    out["samples"] = int(sum(r["samples"] for r in results))
    return out


def main() -> None:
    spec = json.load(open(sys.argv[1]))
    kind, seed = spec["model"], int(spec.get("seed", 7))
    x, y, inst, _ = read_rows(spec["rows"], spec["features"])
    if kind == "seq":
        x, ok = windows(x, inst, int(spec["window"]))
    else:
        ok = np.ones(len(x), dtype=bool)
    done = {(d["trial"], d["fold"]): d["metrics"] for d in spec.get("done", [])}
    score_key, higher = ("pinball", False) if kind == "seq" else ("ic", True)
    trial_scores = []
    for t, params in enumerate(spec["trials"]):
        results = []
        for k, fold in enumerate(spec["folds"]):
            if (t, k) in done:
                results.append(done[(t, k)])
                continue
            train = np.asarray([i for i in fold["train"] if ok[i]], dtype=np.int64)
            test = np.asarray([i for i in fold["test"] if ok[i]], dtype=np.int64)
            started = time.perf_counter()
            if kind == "seq":
                model = fit_seq(x[train], y[train], params, seed)
                q = model.predict(x[test])
                m = forecast_metrics(q[:, 0], y[test])
                m["pinball"] = round(pinball(q, y[test]), 9)
                m["coverage80"] = round(float(np.mean((y[test] >= q[:, 1]) & (y[test] <= q[:, 2]))), 6)
            else:
                model = fit_gbt(x[train], y[train], params, seed)
                m = forecast_metrics(model.predict(x[test]), y[test])
            emit({"event": "fold", "trial": t, "fold": k, "metrics": m, "fitMs": round((time.perf_counter() - started) * 1000)})
            results.append(m)
        trial_scores.append(mean_metrics(results))
    pick = (max if higher else min)(range(len(trial_scores)), key=lambda i: trial_scores[i][score_key])
    params = spec["trials"][pick]
    emit({"event": "selected", "trial": pick, "params": params, "metrics": trial_scores[pick]})

    started = time.perf_counter()
    every = np.flatnonzero(ok)
    if kind == "seq":
        onx = export_seq(fit_seq(x[every], y[every], params, seed))
    else:
        onx = export_gbt(fit_gbt(x[every], y[every], params, seed), x.shape[1])
    onx.producer_name = "alphamind scripts/models/fit_forecaster.py"
    onx.doc_string = f"{spec['name']} v{spec['version']}: {kind} forecaster of {spec['dataset']}"
    onnx.checker.check_model(onx)
    data = onx.SerializeToString()
    os.makedirs(spec["out"], exist_ok=True)
    file = os.path.join(spec["out"], f"{spec['name']}-v{spec['version']}.onnx")
    with open(file, "wb") as f:
        f.write(data)
    width = x.shape[1]
    card = {
        "name": spec["name"],
        "version": spec["version"],
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "inputs": [{"name": "features", "type": "float32", "shape": ["batch", width]}],
        "outputs": [{"name": "forecast", "type": "float32", "shape": ["batch", 3 if kind == "seq" else 1]}],
        "featureSet": spec["featureSet"],
        "trainingData": spec["trainingData"],
        "validation": {k: v for k, v in trial_scores[pick].items()},
        "registeredBy": spec["registeredBy"],
    }
    card_file = os.path.join(spec["out"], f"{spec['name']}-v{spec['version']}.json")
    with open(card_file, "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    emit({"event": "exported", "file": file, "card": card_file, "sha256": card["sha256"], "bytes": len(data), "fitMs": round((time.perf_counter() - started) * 1000)})


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the job journals the reason; a traceback would only bury it
        sys.stderr.write(f"{type(e).__name__}: {e}\n")
        sys.exit(1)
