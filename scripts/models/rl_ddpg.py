"""DDPG (deep deterministic policy gradient, Lillicrap et al. 2015) for liquidating a parent order, in numpy.

The market is the platform's: this script starts supervisors/execution-learning/env-server.ts (the simulated
exchange's matching engine, fill model and fees, with the seeded market simulator's quotes as its background) and
drives it over stdin/stdout; it holds no market code of its own. It learns an actor (state -> action in [0, 1]:
the share of twice TWAP's child to sell now) and a critic Q(state, action) with target networks, a replay buffer
and Gaussian exploration, then writes the actor as ONNX with its model card (the registry's metadata).

Run: ~/.cache/alphamind/python/bin/python scripts/models/rl_ddpg.py [--episodes 1500] [--seed 1] [--out models/rl]
(`npx tsx scripts/research-rl.ts train` runs it and then evaluates the policy on held-out seeds). Seeded: the same
arguments give the same weights and the same .onnx bytes. Progress on stderr, a JSON summary line on stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NAME = "exec-ddpg-liquidation"
# training seeds count up from here; research-rl.ts evaluates on seeds from 1_000_000 (held out)
TRAIN_SEED_BASE = 1


class Env:
    """The TypeScript environment server as a child process, one JSON line each way."""

    def __init__(self, settings: dict | None):
        args = ["npx", "tsx", os.path.join(ROOT, "supervisors/execution-learning/env-server.ts")]
        if settings:
            args.append(json.dumps(settings))
        self.proc = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def call(self, req: dict) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"environment server exited (code {self.proc.poll()}) on {req}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"environment server refused {req}: {reply['error']}")
        return reply

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


class Mlp:
    """Fully connected layers, ReLU between them; the output is linear or a sigmoid. Adam on its own parameters."""

    def __init__(self, sizes: list[int], rng: np.random.Generator, sigmoid: bool, lr: float):
        self.W: list[np.ndarray] = []
        self.b: list[np.ndarray] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            bound = 3e-3 if last else 1 / np.sqrt(n_in)
            self.W.append(rng.uniform(-bound, bound, (n_in, n_out)))
            self.b.append(np.zeros(n_out) if last else rng.uniform(-bound, bound, n_out))
        self.sigmoid = sigmoid
        self.lr = lr
        self.m = [np.zeros_like(p) for p in self.params()]
        self.v = [np.zeros_like(p) for p in self.params()]
        self.t = 0

    def params(self) -> list[np.ndarray]:
        return [*self.W, *self.b]

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.acts = [x]
        h = x
        for i, (W, b) in enumerate(zip(self.W, self.b)):
            z = h @ W + b
            h = np.maximum(z, 0) if i < len(self.W) - 1 else z
            self.acts.append(h)
        if self.sigmoid:
            h = 1 / (1 + np.exp(-h))
            self.out = h
        return h

    def backward(self, grad: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """Gradients of the parameters and of the input, given d(loss)/d(output) of the last forward."""
        if self.sigmoid:
            grad = grad * self.out * (1 - self.out)
        gW: list[np.ndarray] = [np.empty(0)] * len(self.W)
        gb: list[np.ndarray] = [np.empty(0)] * len(self.b)
        for i in range(len(self.W) - 1, -1, -1):
            gW[i] = self.acts[i].T @ grad
            gb[i] = grad.sum(axis=0)
            grad = grad @ self.W[i].T
            if i > 0:
                grad = grad * (self.acts[i] > 0)
        return [*gW, *gb], grad

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        for k, (p, g) in enumerate(zip(self.params(), grads)):
            self.m[k] = 0.9 * self.m[k] + 0.1 * g
            self.v[k] = 0.999 * self.v[k] + 0.001 * g * g
            mh = self.m[k] / (1 - 0.9**self.t)
            vh = self.v[k] / (1 - 0.999**self.t)
            p -= self.lr * mh / (np.sqrt(vh) + 1e-8)

    def soft_update(self, src: "Mlp", tau: float) -> None:
        for p, q in zip(self.params(), src.params()):
            p *= 1 - tau
            p += tau * q

    def copy_from(self, src: "Mlp") -> None:
        for p, q in zip(self.params(), src.params()):
            p[...] = q


def export_onnx(actor: Mlp, width: int) -> bytes:
    nodes, inits = [], []
    h = "state"
    for i, (W, b) in enumerate(zip(actor.W, actor.b)):
        inits += [numpy_helper.from_array(W.astype(np.float32), f"W{i}"), numpy_helper.from_array(b.astype(np.float32), f"b{i}")]
        nodes.append(helper.make_node("Gemm", [h, f"W{i}", f"b{i}"], [f"z{i}"], name=f"dense{i}"))
        h = f"z{i}"
        if i < len(actor.W) - 1:
            nodes.append(helper.make_node("Relu", [h], [f"h{i}"], name=f"relu{i}"))
            h = f"h{i}"
    nodes.append(helper.make_node("Sigmoid", [h], ["action"], name="squash"))
    graph = helper.make_graph(
        nodes,
        "ddpg_actor",
        [helper.make_tensor_value_info("state", TensorProto.FLOAT, ["batch", width])],
        [helper.make_tensor_value_info("action", TensorProto.FLOAT, ["batch", 1])],
        inits,
    )
    model = helper.make_model(graph, producer_name="alphamind-rl-ddpg", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "rl"))
    ap.add_argument("--settings", default="", help="JSON over the environment's defaults")
    ap.add_argument("--gamma", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    if args.episodes < 10:
        sys.exit("--episodes must be at least 10 (the first 5 are random warm-up)")

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    rng = np.random.default_rng(args.seed)
    env = Env(json.loads(args.settings) if args.settings else None)
    info = env.call({"op": "settings"})
    width = info["observationWidth"]
    actor = Mlp([width, 32, 32, 1], rng, sigmoid=True, lr=1e-3)
    critic = Mlp([width + 1, 64, 64, 1], rng, sigmoid=False, lr=2e-3)
    actor_t = Mlp([width, 32, 32, 1], rng, sigmoid=True, lr=0)
    critic_t = Mlp([width + 1, 64, 64, 1], rng, sigmoid=False, lr=0)
    actor_t.copy_from(actor)
    critic_t.copy_from(critic)

    cap = 200_000
    S = np.zeros((cap, width))
    A = np.zeros((cap, 1))
    R = np.zeros((cap, 1))
    S2 = np.zeros((cap, width))
    D = np.zeros((cap, 1))
    n = 0
    reward_scale = 0.1
    warmup = 5
    returns: list[float] = []
    for ep in range(args.episodes):
        obs = np.array(env.call({"op": "reset", "seed": TRAIN_SEED_BASE + ep})["observation"])
        noise = 0.25 * max(0.1, 1 - ep / (0.7 * args.episodes))
        total = 0.0
        done = False
        while not done:
            if ep < warmup:
                a = rng.uniform()
            else:
                a = float(np.clip(actor.forward(obs[None])[0, 0] + noise * rng.standard_normal(), 0, 1))
            out = env.call({"op": "step", "action": a})
            obs2 = np.array(out["observation"])
            done = bool(out["done"])
            total += out["reward"]
            k = n % cap
            S[k], A[k, 0], R[k, 0], S2[k], D[k, 0] = obs, a, out["reward"] * reward_scale, obs2, float(done)
            n += 1
            obs = obs2
            if ep >= warmup:
                idx = rng.integers(0, min(n, cap), args.batch)
                s, a_, r, s2, d = S[idx], A[idx], R[idx], S2[idx], D[idx]
                q2 = critic_t.forward(np.hstack([s2, actor_t.forward(s2)]))
                y = r + args.gamma * (1 - d) * q2
                q = critic.forward(np.hstack([s, a_]))
                grads, _ = critic.backward(2 * (q - y) / len(idx))
                critic.step(grads)
                # the actor climbs Q(s, μ(s)): dQ/da from the critic, back through the actor
                mu = actor.forward(s)
                critic.forward(np.hstack([s, mu]))
                _, g_in = critic.backward(np.full((len(idx), 1), -1.0 / len(idx)))
                actor.forward(s)
                grads, _ = actor.backward(g_in[:, -1:])
                actor.step(grads)
                actor_t.soft_update(actor, 0.01)
                critic_t.soft_update(critic, 0.01)
        returns.append(total)
        if (ep + 1) % max(1, args.episodes // 20) == 0 or ep == args.episodes - 1:
            recent = np.mean(returns[-max(1, args.episodes // 20) :])
            print(f"[rl-train] episode {ep + 1}/{args.episodes} mean reward {recent:.3f} noise {noise:.3f} {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    env.close()

    os.makedirs(args.out, exist_ok=True)
    data = export_onnx(actor, width)
    with open(os.path.join(args.out, f"{NAME}.onnx"), "wb") as f:
        f.write(data)
    wall = time.perf_counter() - t0
    tail = returns[-max(1, args.episodes // 10) :]
    card = {
        "name": NAME,
        "version": 1,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "inputs": [{"name": "state", "type": "float32", "shape": ["batch", width]}],
        "outputs": [{"name": "action", "type": "float32", "shape": ["batch", 1]}],
        "featureSet": {"name": "liquidation-state", "version": 1, "features": info["features"], "doc": info["doc"]},
        "trainingData": {
            # every episode spans the same simulated time; the seeds make them differ
            "fromUs": info["episodeRangeUs"]["fromUs"],
            "toUs": info["episodeRangeUs"]["toUs"],
            "generator": "supervisors/execution-learning/env-server.ts (simulated exchange + seeded market simulator)",
            "algorithm": "DDPG (numpy): actor 5-32-32-1 sigmoid, critic 6-64-64-1, Adam, target networks tau 0.01, Gaussian exploration",
            "trainSeeds": [TRAIN_SEED_BASE, TRAIN_SEED_BASE + args.episodes - 1],
            "episodes": args.episodes,
            "learnerSeed": args.seed,
            "settings": info["settings"],
        },
        "validation": {"trainTailReward": round(float(np.mean(tail)), 6)},
        "registeredBy": "scripts/models/rl_ddpg.py",
    }
    with open(os.path.join(args.out, f"{NAME}.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    summary = {"model": NAME, "episodes": args.episodes, "wallS": round(wall, 2), "cpuS": round(time.process_time() - cpu0, 2), "trainTailReward": card["validation"]["trainTailReward"], "sha256": card["sha256"], "out": args.out}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
