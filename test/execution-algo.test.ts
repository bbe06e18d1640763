import t from "tap";
import { fromNumber } from "../actors/domain/index.ts";
import { subjects } from "../actors/contract/index.ts";
import { decodeMessage } from "../infra/nats/codec.ts";
import { eventually, startTestServers } from "./testing.ts";
import { admin, command, startNodeProcess, venueReady } from "../supervisors/node/testing.ts";

type Ev = { type: string; [k: string]: unknown };

/** Collects decoded messages of a subject. */
function collect(nc: Parameters<typeof command>[0], subject: string, t: { teardown(fn: () => void): void }): Ev[] {
  const out: Ev[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_e, m) => {
      out.push(decodeMessage(m.data, m.headers, false).message as Ev);
    },
  });
  t.teardown(() => sub.unsubscribe());
  return out;
}

/** Sends again while nobody is subscribed (nothing was delivered, so nothing can happen twice). */
async function retryUnheard<T>(send: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await send();
    } catch (e) {
      if (!/no responders/.test(String(e)) || Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const INSTRUMENT = "SIM004.SIMX"; // listed and in the demo book, traded by no demo strategy
const LOT = fromNumber(1);

t.test(
  "execution algorithms in a node process: children go through the risk book to the simulated exchange; pause, resume, cancel and a restart",
  async (t) => {
    const f = await startTestServers(t);
    const node = startNodeProcess(t, "node-algo", { AM_NATS_URL: f.infra.natsUrl, AM_DEMO_INSTRUMENTS: "4", AM_CELLS: "1" });
    await node.waitFor(/node up/, 60_000);
    // an actor's verbs are answered by its host only: a short timeout, so a probe of one not hosted yet fails fast
    const actor = (verb: string, id: string) =>
      admin(f.nc, verb, { type: "AdminActorRequest", kind: "execution-algo", id }, verb === "status" ? 1_000 : 10_000);
    const ready = () => venueReady(f.nc, "SIMX");
    await eventually("the venue connection ready", ready, { timeoutMs: 30_000 });
    const quotes = collect(f.nc, subjects.md("quote", { venue: "SIMX", symbol: "SIM004" }), t);
    const q = await eventually("a quote of SIM004", () => quotes.at(-1) as { bid: number; ask: number } | undefined, { timeoutMs: 20_000 });
    const algoEvents = collect(f.nc, subjects.evtAll("execution-algo"), t);
    const orderEvents = collect(f.nc, subjects.evtAll("order"), t);
    const of = (parent: string, type: string) => algoEvents.filter((e) => e.parentId === parent && e.type === type);
    const childFills = (parent: string) =>
      orderEvents
        .filter((e) => e.type === "OrderFilled" && String(e.clientOrderId).startsWith(`algo.${parent}.`))
        .reduce((s, e) => s + (e.lastQty as number), 0);
    // placement starts a spawned actor shortly after it answers: wait until it runs here
    const spawn = async (parent: string) => {
      t.match(await actor("spawn", parent), { ok: true }, `${parent} spawned`);
      await eventually(`${parent} running`, async () => (await actor("status", parent).catch(() => undefined))?.ok === true, {
        timeoutMs: 10_000,
      });
    };
    const start = async (parent: string, over: Record<string, unknown>) => {
      await spawn(parent);
      const now = Date.now() * 1000;
      // a request no one received can be sent again: the actor's subscription may reach the server just after placement reports it
      const r = await retryUnheard(() =>
        command(f.nc, "execution-algo", parent, {
          type: "StartAlgo",
          instrument: INSTRUMENT,
          side: "BUY",
          quantity: fromNumber(3),
          lotSize: LOT,
          // marketable: well through the ask, so each IOC child fills against the background's offer
          limitPrice: q.ask + fromNumber(1),
          params: { algo: "TWAP", endAtUs: now + 2_000_000, slices: 3 },
          book: "demo",
          strategy: "algo-tester",
          tsEvent: now,
          tsInit: now,
          ...over,
        }),
      );
      t.equal(r.ok, true, `${parent} started (${JSON.stringify(r.error ?? "")})`);
    };
    const cmd = async (parent: string, type: string, extra: Record<string, unknown> = {}) => {
      const now = Date.now() * 1000;
      return command(f.nc, "execution-algo", parent, { type, tsEvent: now, tsInit: now, ...extra });
    };

    // TWAP: three one-lot children, one per slice, each through the book to the exchange
    await start("twap-1", {});
    const completed = await eventually("twap-1 completed", () => of("twap-1", "AlgoCompleted")[0], { timeoutMs: 30_000 });
    t.equal(completed.filledQty, fromNumber(3), "the parent is filled");
    t.equal(of("twap-1", "AlgoChildSent").length, 3, "one child per slice");
    await eventually("the children's fills on am.evt.order", () => childFills("twap-1") === fromNumber(3), { timeoutMs: 10_000 });
    const tca = completed.tca as { avgPx: number; arrivalMid: number; arrivalBps: number | null };
    t.ok(tca.avgPx > 0 && tca.arrivalMid > 0 && tca.arrivalBps !== null, `TCA attached: ${JSON.stringify(tca)}`);

    // iceberg resting below the market: pause cancels the showing child, resume shows a new one, cancel cancels it
    await start("ice-1", { limitPrice: q.bid - fromNumber(5), params: { algo: "ICEBERG", displayQuantity: LOT, checkEveryMs: 200 } });
    const firstChild = await eventually("ice-1 shows a child", () => of("ice-1", "AlgoChildSent")[0]?.clientOrderId as string | undefined, {
      timeoutMs: 10_000,
    });
    await eventually(
      "the child rests at the venue",
      () => orderEvents.find((e) => e.type === "OrderAccepted" && e.clientOrderId === firstChild),
      {
        timeoutMs: 10_000,
      },
    );
    t.match(await cmd("ice-1", "PauseAlgo"), { ok: true });
    await eventually("pause canceled the child", () => of("ice-1", "AlgoChildClosed").find((e) => e.clientOrderId === firstChild), {
      timeoutMs: 10_000,
    });
    await new Promise((r) => setTimeout(r, 1_000));
    t.equal(of("ice-1", "AlgoChildSent").length, 1, "no child is sent while paused");
    t.match(await cmd("ice-1", "ResumeAlgo"), { ok: true });
    const second = await eventually(
      "resume shows a new child",
      () => of("ice-1", "AlgoChildSent")[1]?.clientOrderId as string | undefined,
      {
        timeoutMs: 10_000,
      },
    );
    await eventually("the new child rests", () => orderEvents.find((e) => e.type === "OrderAccepted" && e.clientOrderId === second), {
      timeoutMs: 10_000,
    });
    t.match(await cmd("ice-1", "CancelAlgo", { reason: "test" }), { ok: true });
    await eventually(
      "cancel canceled the open child",
      () => orderEvents.find((e) => e.type === "OrderCanceled" && e.clientOrderId === second),
      {
        timeoutMs: 10_000,
      },
    );
    t.equal(of("ice-1", "AlgoCanceled").length, 1);

    // a restart mid-schedule: the parent comes back from its journal and sends no slice twice
    const endAtUs = Date.now() * 1000 + 6_000_000;
    await start("twap-2", { quantity: fromNumber(4), params: { algo: "TWAP", endAtUs, slices: 4 } });
    await eventually("twap-2 sent its first child", () => of("twap-2", "AlgoChildSent").length >= 1, { timeoutMs: 10_000 });
    t.match(await actor("stop", "twap-2"), { ok: true }, "stopped");
    const sentBeforeStop = of("twap-2", "AlgoChildSent").length;
    t.ok(sentBeforeStop < 4, `stopped mid-schedule (${sentBeforeStop} of 4 slices sent)`);
    await eventually("twap-2 gone", async () => (await actor("status", "twap-2").catch(() => undefined))?.ok !== true, {
      timeoutMs: 10_000,
    });
    await spawn("twap-2");
    const done = await eventually("twap-2 completed after the restart", () => of("twap-2", "AlgoCompleted")[0], { timeoutMs: 30_000 });
    t.equal(done.filledQty, fromNumber(4));
    const sent = of("twap-2", "AlgoChildSent");
    t.equal(
      sent.reduce((s, e) => s + (e.quantity as number), 0),
      fromNumber(4),
      "the children add up to the parent: nothing sent twice",
    );
    t.equal(new Set(sent.map((e) => e.clientOrderId)).size, sent.length, "every child id once");
    await eventually("fills on am.evt.order equal the parent", () => childFills("twap-2") === fromNumber(4), { timeoutMs: 10_000 });
    const view = (await cmd("twap-2", "GetAlgo")).result as { status: string; filled: number };
    t.match(view, { status: "completed", filled: fromNumber(4) });
  },
);
