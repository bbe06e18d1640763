import t from "tap";
import { parseInstrumentId, subjects } from "../actors/contract/index.ts";
import { parseFixed } from "../actors/domain/index.ts";
import { call } from "../gateway/testing.ts";
import { decodeMessage, encodeMessage } from "../infra/nats/codec.ts";
import { startGatewayNode } from "../supervisors/node/testing.ts";
import { eventually, startTestServers } from "./testing.ts";

/**
 * Emulation on the running platform: AM_VENUE_CAPABILITIES says SIMX takes neither stops nor GTD, so the order
 * entity holds a stop until the market reaches it and then sends a market order, and cancels a GTD at its expiry.
 */

const secret = "order-emulation-test-secret-of-32-bytes";
const MINE = "SIM004.SIMX"; // in the demo book, traded by no demo strategy
type Msg = Record<string, unknown>;
const POLL = { timeoutMs: 30_000, everyMs: 200 };
const noStopsNoGtd = { SIMX: { orderTypes: ["MARKET", "LIMIT"], timesInForce: ["DAY", "GTC", "IOC", "FOK"] } };

t.test("a stop and a GTD on a venue without them are emulated by the order entity", async (t) => {
  const f = await startTestServers(t);
  const platform = await startGatewayNode(t, "emulation-node", f, secret, {
    AM_CELLS: "1",
    AM_VENUE_CAPABILITIES: JSON.stringify(noStopsNoGtd),
  });
  const trading = platform.client("Trading");
  const [trader, viewer] = await Promise.all([platform.as("trader"), platform.as("viewer")]);
  const resting = await platform.restingBuy(MINE, "emulation", "demo");
  const events = new Map<string, Msg[]>();
  const sub = f.nc.subscribe(subjects.evtAll("order"), {
    callback: (_e, m) => {
      const { message } = decodeMessage(m.data, m.headers, false);
      const id = String(message.clientOrderId);
      events.set(id, [...(events.get(id) ?? []), message]);
    },
  });
  t.teardown(() => sub.unsubscribe());
  const eventOf = (id: string, type: string) => events.get(id)?.find((e) => e.type === type);

  t.test("a buy stop waits for the market, then goes to the venue as a limit order and fills", async (t) => {
    const id = `emu-stop.${Date.now()}`;
    // the resting buy is at half the bid: a stop at 1.5 times the bid is out of the demo market's reach, so only
    // our quote below reaches it; its limit (twice the bid) is marketable then. A stop-limit, because the book
    // prices a market order by its mark, and the demo marks only what the demo strategies trade.
    const stop = String(Number(resting.price) * 3);
    const limit = String(Number(resting.price) * 4);
    await call(
      trading,
      "SubmitOrder",
      { ...resting, clientOrderId: id, orderType: "ORDER_TYPE_STOP_LIMIT", price: limit, stopPrice: stop },
      trader,
    );
    const accepted = await eventually("the stop accepted", async () => eventOf(id, "OrderAccepted"), POLL);
    t.equal(accepted.local, true, "held by the order entity, not sent to the venue");
    const held = await call<Msg>(trading, "GetOrder", { clientOrderId: id }, viewer);
    t.equal(held.status, "NEW");
    t.notOk(eventOf(id, "OrderTriggered"), "the demo market has not reached the stop");

    const stopPx = parseFixed(stop);
    const through = encodeMessage({
      type: "Quote",
      instrument: MINE,
      bid: stopPx,
      bidSize: 100_000_000,
      ask: stopPx + 1_000_000,
      askSize: 100_000_000,
      seq: 1,
      tsEvent: Date.now() * 1000,
      tsInit: Date.now() * 1000,
    });
    const triggered = await eventually(
      "the stop triggered by a quote at its price",
      async () => {
        f.nc.publish(subjects.md("quote", parseInstrumentId(MINE)), through.data, { headers: through.headers });
        return eventOf(id, "OrderTriggered");
      },
      POLL,
    );
    t.equal(triggered.venueType, "LIMIT", "it becomes a limit order");
    t.ok(Number(triggered.triggerPx) >= stopPx, "at a price at or through the stop");
    const filled = await eventually(
      "the fill at the venue",
      async () => ((await call<Msg>(trading, "GetOrder", { clientOrderId: id }, viewer)).status === "FILLED" ? true : undefined),
      POLL,
    );
    t.ok(filled);
  });

  t.test("a GTD resting at the venue is canceled by the order entity at its expiry", async (t) => {
    const id = `emu-gtd.${Date.now()}`;
    const expireAtUs = (Date.now() + 3_000) * 1000;
    await call(trading, "SubmitOrder", { ...resting, clientOrderId: id, timeInForce: "TIME_IN_FORCE_GTD", expireAtUs }, trader);
    const acked = await eventually("the venue's acknowledgement", async () => eventOf(id, "OrderAccepted"), POLL);
    t.notOk(acked.local, "the order rests at the venue (as GTC there)");
    const expired = await eventually("the order expired", async () => eventOf(id, "OrderExpired"), POLL);
    t.ok(Number(expired.tsEvent) >= expireAtUs, "not before its expiry");
    const pending = eventOf(id, "OrderCancelPending");
    t.equal(pending?.cause, "EXPIRED", "the entity asked the venue to cancel it, for its expiry");
    t.ok(Number(pending?.tsEvent) >= expireAtUs, "not before its expiry");
    const o = await call<Msg>(trading, "GetOrder", { clientOrderId: id }, viewer);
    t.equal(o.status, "EXPIRED");
  });
});
