import * as grpc from "@grpc/grpc-js";
import t from "tap";
import { subjects } from "../actors/contract/index.ts";
import { call, failure } from "../gateway/testing.ts";
import { decodeMessage } from "../infra/nats/codec.ts";
import { command, startGatewayNode } from "../supervisors/node/testing.ts";
import { eventually, startTestServers } from "./testing.ts";

/**
 * The venue kill switch on the running platform (supervisors/node/main.ts as a child process, no QuestDB): over
 * NATS (am.cmd.venue.<venue>) and over gRPC (Trading.ActivateVenueKillSwitch), activating it cancels the open
 * orders and refuses new ones with KILL_SWITCH_ACTIVE; releasing it lets orders trade again.
 */

const secret = "venue-kill-switch-test-secret-of-32-bytes";
const VENUE = "SIMX";
const MINE = "SIM004.SIMX"; // in the demo book, traded by no demo strategy
type Msg = Record<string, unknown>;
const POLL = { timeoutMs: 30_000, everyMs: 200 };

t.test("the venue kill switch cancels open orders, refuses new ones and is released, over NATS and gRPC", async (t) => {
  const f = await startTestServers(t);
  const platform = await startGatewayNode(t, "venue-kill-node", f, secret, { AM_CELLS: "1" });
  const deadLetters: Msg[] = [];
  const dlq = f.nc.subscribe(subjects.dlq("venue", VENUE), {
    callback: (_e, m) => void deadLetters.push(decodeMessage(m.data, m.headers, true).message),
  });
  t.teardown(() => dlq.unsubscribe());

  const trading = platform.client("Trading");
  const _market = platform.client("MarketData");
  const _adminApi = platform.client("Admin");
  const [trader, viewer, operator] = await Promise.all([platform.as("trader"), platform.as("viewer"), platform.as("operator")]);
  const order = await platform.restingBuy(MINE, "venue-kill", "demo");
  let n = 0;
  const status = async (id: string) => String((await call<Msg>(trading, "GetOrder", { clientOrderId: id }, viewer)).status);
  /** Submits a resting order and waits until the venue has it (NEW). */
  const resting = async (): Promise<string> => {
    const id = `vks.${Date.now()}.${++n}`;
    await call(trading, "SubmitOrder", { ...order, clientOrderId: id }, trader);
    await eventually(`${id} acknowledged by the venue`, async () => (await status(id)) === "NEW", POLL);
    return id;
  };
  /**
   * Submits an order while the kill switch is on: the venue connection refuses it, and the order actor records a
   * venue rejection whose text starts with the venue's code.
   */
  const refused = async (): Promise<{ submit: string; rejection: Msg }> => {
    const id = `vks.${Date.now()}.${++n}`;
    const rejections: Msg[] = [];
    const sub = f.nc.subscribe(subjects.evt("order", id, "OrderRejected"), {
      callback: (_e, m) => void rejections.push(decodeMessage(m.data, m.headers, true).message),
    });
    try {
      const submit = await call(trading, "SubmitOrder", { ...order, clientOrderId: id }, trader).then(
        () => "accepted",
        (e: grpc.ServiceError) => `${grpc.status[e.code]} ${e.details}`,
      );
      await eventually(`${id} rejected`, async () => (await status(id)) === "REJECTED", POLL);
      return { submit, rejection: await eventually(`${id}'s OrderRejected`, async () => rejections[0], POLL) };
    } finally {
      sub.unsubscribe();
    }
  };

  await t.test("over NATS: activation cancels the open orders and refuses new ones; release trades again", async (t) => {
    const open = [await resting(), await resting()];
    const ts = Date.now() * 1000;
    const on = await command(f.nc, "venue", VENUE, {
      type: "ActivateVenueKillSwitch",
      by: "nats-ops",
      reason: "drill",
      tsEvent: ts,
      tsInit: ts,
    });
    t.equal(on.ok, true, `activated: ${JSON.stringify(on.error ?? on.result)}`);
    for (const id of open) await eventually(`${id} canceled`, async () => (await status(id)) === "CANCELED", POLL);
    const r = await refused();
    t.comment(`SubmitOrder while the venue is stopped: ${r.submit}`);
    t.match(r.rejection, { reason: "VENUE_REJECTED", message: /^KILL_SWITCH_ACTIVE: venue SIMX refused the order/ });
    const off = await command(f.nc, "venue", VENUE, { type: "ReleaseVenueKillSwitch", by: "nats-ops", tsEvent: ts + 1, tsInit: ts + 1 });
    t.equal(off.ok, true, "released");
    const again = await resting();
    t.equal(await status(again), "NEW", "a new order works again after release");
    await call(trading, "CancelOrder", { clientOrderId: again }, trader);
  });

  await t.test("over gRPC: fields are validated by name, roles enforced, and the switch works the same", async (t) => {
    const noReason = await failure(call(trading, "ActivateVenueKillSwitch", { venue: VENUE, reason: "" }, operator));
    t.equal(noReason.code, grpc.status.INVALID_ARGUMENT);
    t.match(noReason.details, /reason/, "the error names the field");
    const badVenue = await failure(call(trading, "ActivateVenueKillSwitch", { venue: "no venue!", reason: "x" }, operator));
    t.equal(badVenue.code, grpc.status.INVALID_ARGUMENT);
    t.match(badVenue.details, /venue/, "the error names the field");
    const asTrader = await failure(call(trading, "ActivateVenueKillSwitch", { venue: VENUE, reason: "x" }, trader));
    t.equal(asTrader.code, grpc.status.PERMISSION_DENIED, "a trader may not stop a venue");

    const open = await resting();
    const on = await call<Msg>(trading, "ActivateVenueKillSwitch", { venue: VENUE, reason: "grpc drill" }, operator);
    t.same(on, { venue: VENUE, active: true });
    await eventually(`${open} canceled`, async () => (await status(open)) === "CANCELED", POLL);
    const r = await refused();
    t.comment(`SubmitOrder while the venue is stopped: ${r.submit}`);
    t.match(r.rejection, { reason: "VENUE_REJECTED", message: /^KILL_SWITCH_ACTIVE: venue SIMX refused the order/ });
    const off = await call<Msg>(trading, "ReleaseVenueKillSwitch", { venue: VENUE, reason: "" }, operator);
    t.same(off, { venue: VENUE, active: false });
    const again = await resting();
    t.equal(await status(again), "NEW", "trading again after the gRPC release");
  });

  t.same(deadLetters, [], "nothing sent to the venue was dead-lettered");
});
