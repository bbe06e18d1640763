import { readFileSync } from "node:fs";
import ort from "onnxruntime-node";
import t from "tap";
import { fromNumber, priceOf, quantityOf, StartAlgo } from "../domain/index.ts";
import { liquidationObservation } from "./liquidation-state.ts";
import { AlgoDriver, domain, forwards, INSTRUMENT, startAlgo, T0 } from "./testing.ts";

/**
 * A learned parent (RL) asks its model for each slice's action on the liquidation state and sends the child that
 * action sizes. The committed policy (models/rl) is run here with onnxruntime, as the model actor runs it.
 */

const POLICY = "exec-ddpg-liquidation";
const SLICE_US = 30_000_000;
const learned = (over: Record<string, unknown> = {}) =>
  startAlgo({
    side: "SELL",
    quantity: quantityOf(2_000),
    limitPrice: undefined,
    params: { algo: "RL", endAtUs: T0 + 10 * SLICE_US, slices: 10, model: POLICY, tickSize: priceOf(0.01), ...over },
  });
const quote = (bid: number, ask: number, bidSize: number) => ({
  type: "Quote",
  instrument: INSTRUMENT,
  bid: fromNumber(bid),
  ask: fromNumber(ask),
  bidSize: quantityOf(bidSize),
  askSize: quantityOf(100),
  tsEvent: T0,
  tsInit: T0,
});
type Predict = { type: "Predict"; requestId: string; replyTo: string; row: number[] };
const predicts = (out: { type: string; subject?: string; message?: unknown }[]) =>
  out.filter((e) => e.type === "publish" && e.subject === `am.cmd.model.${POLICY}`).map((e) => e.message as Predict);

async function policyAction(row: number[]): Promise<number> {
  const session = await ort.InferenceSession.create(readFileSync(new URL(`../../models/rl/${POLICY}.onnx`, import.meta.url)));
  try {
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor("float32", Float32Array.from(row), [1, row.length]) });
    return (out[session.outputNames[0]!]!.data as Float32Array)[0]!;
  } finally {
    await session.release();
  }
}

t.test("the learned parent asks its policy about the liquidation state and sends the child the policy's action sizes", async (t) => {
  const d = new AlgoDriver();
  d.send(learned());
  d.send(quote(49.99, 50.01, 300));
  const [ask, ...more] = predicts(d.advance(T0));
  t.equal(more.length, 0, "one question per slice");
  t.equal(ask?.replyTo, "am.cmd.execution-algo.p1", "the answer comes back to the parent");
  // the known state: all ten decisions and all 2 000 lots left, a 2-tick spread, 300 lots bid against a 200-lot
  // TWAP child, the mid at arrival
  const known = [1, 1, 0.2, 0.3, 0];
  t.equal(ask?.row.length, known.length);
  for (const [i, x] of known.entries()) t.ok(Math.abs(ask!.row[i]! - x) < 1e-9, `feature ${i}: ${ask!.row[i]} ≈ ${x}`);
  t.same(
    ask?.row,
    liquidationObservation({
      side: "SELL",
      decisions: 10,
      decisionsLeft: 10,
      lotsLeft: 2_000,
      parentLots: 2_000,
      bid: 49.99,
      ask: 50.01,
      tick: 0.01,
      touchLots: 300,
      arrivalMid: 50,
    }),
    "the training environment's observation, from the same function",
  );
  t.equal(forwards(d.emitted).length, 0, "no child before the policy answers");
  const action = await policyAction(ask!.row);
  t.ok(action >= 0 && action <= 1, `the policy's action ${action}`);
  const out = d.send({
    type: "Prediction",
    requestId: ask!.requestId,
    model: POLICY,
    version: 1,
    ok: true,
    values: [action],
    tsEvent: T0,
    tsInit: T0,
  });
  const lots = Math.round(2_000 * Math.min(1, (2 * action) / 10));
  const [child] = forwards(out);
  t.match(child, {
    subject: "am.cmd.risk-book.b1",
    message: { type: "SubmitOrder", side: "SELL", orderType: "MARKET", timeInForce: "IOC", quantity: quantityOf(lots) },
  });
  t.match(domain(out), [{ type: "AlgoChildSent", slice: 0, nextAtUs: T0 + SLICE_US }]);
  t.equal(d.context.pendingDecision, null);
  t.same(
    d.send({ type: "Prediction", requestId: ask!.requestId, model: POLICY, version: 1, ok: true, values: [1], tsEvent: T0, tsInit: T0 }),
    [],
    "an answer heard twice sends nothing more",
  );
});

t.test("a wait is a skipped slice, the last slice sends the rest without asking, and the parent completes", async (t) => {
  const d = new AlgoDriver();
  d.send(learned({ slices: 2, endAtUs: T0 + 2 * SLICE_US }));
  d.send(quote(49.99, 50.01, 300));
  const [ask] = predicts(d.advance(T0));
  const waited = d.send({
    type: "Prediction",
    requestId: ask!.requestId,
    model: POLICY,
    version: 1,
    ok: true,
    values: [0],
    tsEvent: T0,
    tsInit: T0,
  });
  t.match(domain(waited), [{ type: "AlgoSliceSkipped", slice: 0, why: /policy exec-ddpg-liquidation v1 waits \(action 0\.0000\)/ }]);
  const last = d.advance(T0 + SLICE_US);
  t.equal(predicts(last).length, 0, "nothing to decide on the last slice");
  const [child] = forwards(last);
  t.match(child, { message: { quantity: quantityOf(2_000) } });
  d.send({
    type: "OrderFilled",
    clientOrderId: child!.key,
    lastPx: fromNumber(50),
    cumQty: quantityOf(2_000),
    leavesQty: 0,
    tsEvent: T0,
    tsInit: T0,
  });
  t.equal(d.context.status, "completed");
});

t.test("a failed or missing answer pauses the parent, naming the model and why", async (t) => {
  const d = new AlgoDriver();
  d.send(learned());
  d.send(quote(49.99, 50.01, 300));
  const [ask] = predicts(d.advance(T0));
  const failed = d.send({
    type: "Prediction",
    requestId: ask!.requestId,
    model: POLICY,
    version: 1,
    ok: false,
    error: { code: "inference-failed", message: "worker exited" },
    tsEvent: T0,
    tsInit: T0,
  });
  t.match(domain(failed), [{ type: "AlgoPaused", reason: "model exec-ddpg-liquidation: inference-failed: worker exited" }]);
  t.equal(forwards(failed).length, 0);
  d.send({ type: "ResumeAlgo", tsEvent: T0, tsInit: T0 });
  const [again] = predicts(d.advance(d.nowUs));
  t.ok(again, "resumed, it asks afresh");
  const retried = d.advance(d.nowUs + SLICE_US);
  t.equal(domain(retried).length, 0, "an answer lost once (a restart in between) is asked again");
  t.equal(predicts(retried).length, 1);
  const silent = d.advance(d.nowUs + SLICE_US);
  t.match(domain(silent), [{ type: "AlgoPaused", reason: /did not answer slice 0's decision within a slice \(30000 ms\), twice/ }]);
});

t.test("bad learned parameters are refused naming the field, and change nothing", async (t) => {
  const d = new AlgoDriver();
  const tooMany = d.send({ ...learned(), quantity: quantityOf(5) });
  t.match(tooMany.at(-1), {
    type: "reply",
    ok: false,
    error: { code: "invalid-parameters", message: /^params\.slices: 10 slices for 5 lots/ },
  });
  t.equal(d.context.status, "idle");
  const { type: _type, ...body } = learned();
  const noTick = StartAlgo.schema.safeParse({ ...body, params: { ...body.params, tickSize: undefined } });
  t.equal(noTick.success, false);
  t.match(noTick.error?.issues, [{ path: ["params", "tickSize"] }]);
  const badModel = StartAlgo.schema.safeParse({ ...body, params: { ...body.params, model: "Exec DDPG" } });
  t.match(badModel.error?.issues, [{ path: ["params", "model"], message: /model name/ }]);
});
