import t from "tap";
import { fromNumber, quantityOf } from "../domain/index.ts";
import { executionAlgoKind } from "./kind.ts";
import { AlgoDriver, cancels, domain, forwards, INSTRUMENT, startAlgo, T0 } from "./testing.ts";

const filled = (clientOrderId: string, cumQty: number, leavesQty = 0) => ({
  type: "OrderFilled",
  clientOrderId,
  lastPx: fromNumber(100),
  cumQty,
  leavesQty,
  tsEvent: T0,
  tsInit: T0,
});

t.test("a TWAP parent sends one child per slice to the risk book and completes when its children fill", async (t) => {
  const d = new AlgoDriver();
  const started = d.send(startAlgo());
  // the arrival price is the first mid the parent sees once started
  d.send({ type: "Quote", instrument: INSTRUMENT, bid: fromNumber(99), ask: fromNumber(101), tsEvent: T0, tsInit: T0 });
  t.match(started.at(-1), { type: "reply", ok: true });
  t.equal(domain(started)[0]?.type, "AlgoStarted");
  const children: string[] = [];
  for (let i = 0; i < 5; i++) {
    const out = d.advance(T0 + i * 2_000_000);
    const f = forwards(out);
    t.equal(f.length, 1, `slice ${i}: one child`);
    t.match(f[0], {
      subject: "am.cmd.risk-book.b1",
      message: { type: "SubmitOrder", quantity: fromNumber(2), orderType: "LIMIT", timeInForce: "IOC" },
    });
    children.push(f[0]?.key ?? "");
    d.send(filled(f[0]?.key ?? "", fromNumber(2)));
  }
  t.equal(new Set(children).size, 5, "every child has its own id");
  t.equal(d.context.status, "completed");
  t.equal(d.context.filled, fromNumber(10));
  const completed = d.journal.find((e) => e.type === "AlgoCompleted");
  t.match(completed, { filledQty: fromNumber(10), tca: { avgPx: 100, arrivalMid: 100, arrivalBps: 0 } });
  t.equal(d.armed, 0, "no timer left once completed");
});

t.test("pause cancels the open child and clears the timer; resume sends again", async (t) => {
  const d = new AlgoDriver();
  d.send(startAlgo({ params: { algo: "ICEBERG", displayQuantity: quantityOf(3), checkEveryMs: 1_000 } }));
  const first = forwards(d.advance(T0));
  t.match(first[0], { message: { quantity: fromNumber(3), timeInForce: "DAY" } });
  const paused = d.send({ type: "PauseAlgo", tsEvent: T0, tsInit: T0 });
  t.match(
    cancels(paused),
    [
      {
        key: `cancel:${first[0]?.key}`,
        subject: "am.cmd.risk-book.b1",
        message: { type: "CancelOrder", clientOrderId: first[0]?.key },
        detached: true,
      },
    ],
    "the cancel is forwarded to the book (asked again until answered) and the pause is not held for it",
  );
  t.match(paused.at(-1), { type: "reply", ok: true });
  t.equal(d.armed, 0, "the schedule's timer is cleared while paused");
  t.equal(forwards(d.advance(T0 + 60_000_000)).length, 0, "nothing is sent while paused");
  d.send({ type: "OrderCanceled", clientOrderId: first[0]?.key, cumQty: 0, tsEvent: T0, tsInit: T0 });
  t.equal(d.context.open, 0);
  d.send({ type: "ResumeAlgo", tsEvent: T0, tsInit: T0 });
  const again = forwards(d.advance(d.nowUs));
  t.equal(again.length, 1, "a new slice is shown on resume");
  d.send(filled(again[0]?.key ?? "", fromNumber(3)));
  t.equal(forwards(d.emitted).length, 3, "an iceberg refills as soon as its slice filled");
});

t.test("cancel cancels the open children, ends the parent with its TCA and sends nothing more", async (t) => {
  const d = new AlgoDriver();
  d.send(startAlgo({ params: { algo: "ICEBERG", displayQuantity: quantityOf(3), checkEveryMs: 1_000 } }));
  const [child] = forwards(d.advance(T0));
  d.send(filled(child?.key ?? "", fromNumber(1), fromNumber(2)));
  const out = d.send({ type: "CancelAlgo", reason: "trader", tsEvent: T0, tsInit: T0 });
  t.match(out, [
    { type: "domain", event: { type: "AlgoCanceled", filledQty: fromNumber(1) } },
    { type: "forward", key: `cancel:${child?.key}`, message: { type: "CancelOrder" }, detached: true },
    { type: "reply", ok: true },
  ]);
  t.equal(d.armed, 0);
  t.equal(forwards(d.advance(T0 + 60_000_000)).length, 0);
});

t.test("after a restart a working parent owes its unheard children, a paused or canceled one their cancels", async (t) => {
  const owed = (d: AlgoDriver) => executionAlgoKind().outbox!(d.context).map((f) => [f.message.type, f.key]);
  const d = new AlgoDriver();
  d.send(startAlgo({ params: { algo: "ICEBERG", displayQuantity: quantityOf(3), checkEveryMs: 1_000 } }));
  const [child] = forwards(d.advance(T0));
  const id = child?.key ?? "";
  t.same(owed(d), [["SubmitOrder", id]], "a child never heard of is sent again");
  d.send({ type: "PauseAlgo", tsEvent: T0, tsInit: T0 });
  t.same(owed(d), [["CancelOrder", `cancel:${id}`]], "paused: the open child is canceled again, not sent");
  d.send({ type: "CancelAlgo", reason: "trader", tsEvent: T0, tsInit: T0 });
  t.same(owed(d), [["CancelOrder", `cancel:${id}`]], "canceled: the same");
  const interest = () => executionAlgoKind().interest!(d.context);
  t.same(interest(), ["am.evt.order.>"], "a canceled parent hears its children until they close");
  d.send({ type: "OrderCanceled", clientOrderId: id, cumQty: 0, tsEvent: T0, tsInit: T0 });
  t.same(owed(d), [], "its child closed: nothing owed");
  t.same(interest(), [], "and nothing more is heard");
});

t.test("a replayed journal rebuilds the parent, and it sends no child twice", async (t) => {
  const d = new AlgoDriver();
  d.send(startAlgo());
  d.advance(T0 + 2_000_000); // two slices sent
  const restored = new AlgoDriver();
  restored.nowUs = d.nowUs;
  for (const e of d.journal) restored.send({ ...e, replay: true });
  t.same(restored.context.children, d.context.children);
  t.equal(restored.context.slice, 2);
  const next = forwards(restored.advance(T0 + 4_000_000));
  t.equal(next.length, 1, "only the third slice");
  t.notOk(Object.keys(d.context.children).includes(next[0]?.key ?? ""), "a new child id");
});

t.test("bad parameters are refused with the field and change nothing", async (t) => {
  const d = new AlgoDriver();
  t.match(d.send(startAlgo({ quantity: quantityOf(1.5) })), [
    { type: "reply", ok: false, error: { code: "invalid-parameters", message: /quantity: .* multiple of lotSize/ } },
  ]);
  t.match(d.send(startAlgo({ params: { algo: "ICEBERG", displayQuantity: quantityOf(1), checkEveryMs: 1000 }, limitPrice: undefined })), [
    { type: "reply", ok: false, error: { message: /limitPrice: required for ICEBERG/ } },
  ]);
  t.match(d.send(startAlgo({ params: { algo: "VWAP", endAtUs: T0 + 1, slices: 3, profile: [1, 2], minChildLots: 1 } })), [
    { type: "reply", ok: false, error: { message: /params.profile: 2 weights for 3 slices/ } },
  ]);
  t.equal(d.context.status, "idle");
  t.equal(d.journal.length, 0);
});

t.test("amend lowers the quantity to what is filled and the parent completes", async (t) => {
  const d = new AlgoDriver();
  d.send(startAlgo());
  const [child] = forwards(d.advance(T0));
  d.send(filled(child?.key ?? "", fromNumber(2)));
  t.match(d.send({ type: "AmendAlgo", quantity: fromNumber(1), tsEvent: T0, tsInit: T0 }), [
    { type: "reply", ok: false, error: { message: /below what is filled/ } },
  ]);
  d.send({ type: "AmendAlgo", quantity: fromNumber(2), tsEvent: T0, tsInit: T0 });
  t.equal(d.context.status, "completed");
});

t.test("POV sends its rate of the instrument's traded volume", async (t) => {
  const d = new AlgoDriver();
  d.send(startAlgo({ params: { algo: "POV", rate: 0.2, checkEveryMs: 1_000, minChildLots: 1 } }));
  t.equal(forwards(d.advance(T0 + 1_000_000)).length, 0, "nothing traded yet");
  d.send({ type: "Trade", instrument: INSTRUMENT, price: fromNumber(100), size: fromNumber(20), tsEvent: T0, tsInit: T0 });
  d.send({ type: "Trade", instrument: "MSFT.XNAS", price: fromNumber(100), size: fromNumber(500), tsEvent: T0, tsInit: T0 });
  t.match(forwards(d.advance(T0 + 2_000_000)), [{ message: { quantity: fromNumber(4) } }]);
  t.equal(d.journal.filter((e) => e.type === "AlgoSliceSkipped").length, 0, "a quiet tick journals nothing");
});

t.test("VWAP follows its profile and IS front-loads its slices; λ = 0 is TWAP", async (t) => {
  const sizes = (params: Record<string, unknown>) => {
    const d = new AlgoDriver();
    d.send(startAlgo({ quantity: quantityOf(20), params: params as never }));
    return forwards(d.advance(T0 + 10_000_000)).map((f) => Number(f.message.quantity));
  };
  const end = T0 + 4_000_000;
  t.same(sizes({ algo: "VWAP", endAtUs: end, slices: 4, profile: [4, 1, 1, 4], minChildLots: 1 }), [8, 2, 2, 8].map(fromNumber));
  const is = { algo: "IS", endAtUs: end, slices: 4, volatility: 0.5, temporaryImpact: 0.01, permanentImpact: 0, minChildLots: 1 };
  const urgent = sizes({ ...is, riskAversion: 0.02 });
  t.equal(
    urgent.reduce((s, q) => s + q, 0),
    fromNumber(20),
  );
  t.ok(urgent.length === 4 && Number(urgent[0]) > Number(urgent[3]), `front-loaded: ${urgent.join(", ")}`);
  t.same(sizes({ ...is, riskAversion: 0 }), [5, 5, 5, 5].map(fromNumber));
});

t.test("amending the end time reschedules what is left over the new horizon", async (t) => {
  const d = new AlgoDriver();
  d.send(startAlgo({ params: { algo: "TWAP", endAtUs: T0 + 10_000_000, slices: 5, minChildLots: 1 } }));
  const [first] = forwards(d.advance(T0));
  d.send(filled(first?.key ?? "", fromNumber(2)));
  t.match(d.send({ type: "AmendAlgo", endAtUs: T0 + 2_000_000, tsEvent: T0, tsInit: T0 }), [
    { type: "domain" },
    { type: "reply", ok: true },
  ]);
  const rest = forwards(d.advance(T0 + 2_000_000));
  t.equal(
    rest.reduce((s, f) => s + Number(f.message.quantity), 0),
    fromNumber(8),
    "the remaining 8 within the new end",
  );
  t.match(d.send({ type: "AmendAlgo", endAtUs: T0, tsEvent: T0, tsInit: T0 }), [
    { type: "reply", ok: false, error: { message: /endAtUs: .* must be in the future/ } },
  ]);
});

t.test("a child the risk book denies pauses the parent with the reason instead of sending it again every slice", async (t) => {
  const d = new AlgoDriver();
  d.send(startAlgo());
  const [child] = forwards(d.advance(T0));
  const out = d.send({
    type: "ForwardRefused",
    key: child?.key,
    subject: child?.subject,
    messageType: "SubmitOrder",
    error: { code: "denied", message: "kill switch engaged" },
  });
  t.match(domain(out), [
    { type: "AlgoChildClosed", outcome: "DENIED" },
    { type: "AlgoPaused", reason: /child algo\.p1\.1 denied: denied: kill switch engaged/ },
  ]);
  t.equal(d.context.status, "paused");
  t.equal(d.context.open, 0);
  t.equal(forwards(d.advance(T0 + 20_000_000)).length, 0, "nothing more is sent");
});
