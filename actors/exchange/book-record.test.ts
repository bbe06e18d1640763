import t from "tap";
import type { Emitted } from "../contract/index.ts";
import { ExecType, type ExecutionReport, priceOf, quantityOf } from "../domain/index.ts";
import { decodePayload, decodeSnapshot, encodePayload, encodeSnapshot } from "../../infra/nats/codec.ts";
import type { VenueBookChanged } from "./book-record.ts";
import type { VenueSessionSnapshot } from "./session-snapshot.ts";
import { SimulatedVenueSession } from "./venue-session.ts";
import { limitBuy, quoteAt } from "./testing.ts";

const INSTRUMENT = "SIM001.SIMX";
const NOW = 1_700_000_000_000_000;

const session = (seqBase: number) =>
  new SimulatedVenueSession({
    venue: "SIMX",
    instruments: [{ id: INSTRUMENT, tickSize: priceOf(0.01), lotSize: quantityOf(1) }],
    background: { levels: 3, stepTicks: 1, quantity: quantityOf(5) },
    seqBase,
  });

const quote = (bid: number, ask: number) => quoteAt(INSTRUMENT, bid, ask, NOW);

const buy = (clientOrderId: string, price: number, quantity = 10) =>
  limitBuy(INSTRUMENT, clientOrderId, price, NOW, { quantity: quantityOf(quantity) });

const reports = (out: Emitted[]): ExecutionReport[] =>
  out.flatMap((e) => (e.type === "publish" && e.message.type === "ExecutionReport" ? [e.message as unknown as ExecutionReport] : []));

/** Through the codecs the runtime stores them with: plain data only. */
const stored = (s: SimulatedVenueSession): VenueSessionSnapshot => decodeSnapshot(encodeSnapshot(s.snapshot())) as VenueSessionSnapshot;
const journaled = (r: VenueBookChanged): VenueBookChanged => {
  const { type, ...body } = r;
  return { ...(decodePayload(encodePayload(body)) as Omit<VenueBookChanged, "type">), type };
};

const stateOf = (s: SimulatedVenueSession, nowUs: number) => {
  const out: Emitted[] = [];
  s.requestState(nowUs, 0, out);
  return (out[0] as unknown as { message: unknown }).message;
};

t.test("a snapshot and the records after it give the venue as it was, applied once or twice", async (t) => {
  const live = session(1_000);
  live.loggedOn = true;
  const out: Emitted[] = [];
  live.quote(quote(100, 100.02), NOW, out);
  t.equal(live.takeChange(NOW), undefined, "a quote that fills none of ours writes no record");
  live.newOrder(buy("early", 99), NOW + 1, out);
  live.takeChange(NOW + 1);
  const compacted = stored(live);
  const records: VenueBookChanged[] = [];
  const step = (nowUs: number, act: () => void) => {
    act();
    const r = live.takeChange(nowUs);
    if (r) records.push(journaled(r));
  };
  step(NOW + 2, () => live.newOrder(buy("late", 98, 3), NOW + 2, out));
  step(NOW + 3, () => live.newOrder(buy("gone", 97, 2), NOW + 3, out));
  step(NOW + 4, () =>
    live.cancel(
      { clientOrderId: "gone", version: 1, instrument: INSTRUMENT, side: "BUY", tsEvent: NOW, tsInit: NOW } as never,
      NOW + 4,
      out,
    ),
  );
  // the market falls to 98.99: the offer of 5 at 99 fills half of the buy at 99
  step(NOW + 5, () => live.quote(quote(98.99, 99), NOW + 5, out));
  t.match(
    reports(out).filter((r) => r.execType === ExecType.PartialFill),
    [{ clientOrderId: "early", cumQty: quantityOf(5) }],
  );
  t.equal(records.length, 4, "one record per input that changed our orders");
  t.match(records.at(-1), { open: [{ open: { clientOrderId: "early", cum: quantityOf(5), leaves: quantityOf(5) } }], closed: [] });
  t.match(records[2], { closed: ["gone"], open: [] });

  const restarted = session(2_000_000);
  restarted.restore(compacted);
  // a snapshot saved while these were in flight holds some of them already: applying one again changes nothing
  for (const r of [records[0]!, ...records]) restarted.replay(r);
  restarted.loggedOn = true;
  t.same(stateOf(restarted, NOW + 6), stateOf(live, NOW + 6), "the same open orders, fills and executions");
  t.equal(restarted.takeChange(NOW + 6), undefined, "replay reports nothing and writes nothing again");

  const after: Emitted[] = [];
  restarted.quote(quote(97, 97.01), NOW + 7, after);
  const fills = reports(after).filter((r) => r.clientOrderId === "early");
  t.match(fills.at(-1), { execType: ExecType.Fill, cumQty: quantityOf(10), lastQty: quantityOf(5) }, "only the rest fills");
  t.throws(() => restarted.replay({ ...records[0]!, venue: "OTHER" }), /record of venue OTHER replayed into venue SIMX/);
});

t.test("execution ids are new after a restart even when the clock gives the new session the same or an earlier base", async (t) => {
  const first = session(5_000);
  first.loggedOn = true;
  const out: Emitted[] = [];
  first.quote(quote(100, 100.02), NOW, out);
  first.newOrder(buy("a", 99), NOW + 1, out);
  first.quote(quote(98.99, 99), NOW + 2, out);
  const seen = new Set(reports(out).map((r) => r.execId));
  let previous = first;
  for (const seqBase of [5_000, 4_000]) {
    const next = session(seqBase);
    next.restore(stored(previous));
    next.loggedOn = true;
    const more: Emitted[] = [];
    next.newOrder(buy(`b${seqBase}`, 98, 1), NOW + 3, more);
    next.quote(quote(97, 97.01), NOW + 4, more);
    const ids = reports(more).map((r) => r.execId);
    t.ok(ids.length >= 2);
    t.notOk(
      ids.some((id) => seen.has(id)),
      `a session started with seqBase ${seqBase} uses no earlier execution id`,
    );
    for (const id of ids) seen.add(id);
    previous = next;
  }
});
