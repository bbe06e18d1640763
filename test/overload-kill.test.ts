import { jetstreamManager } from "@nats-io/jetstream";
import t from "tap";
import { fromNumber } from "../actors/domain/index.ts";
import { errorMessage, subjects } from "../actors/contract/index.ts";
import { decodeMessage, envelopeOf } from "../infra/nats/codec.ts";
import { streams } from "../infra/nats/resources.ts";
import { connectAs, eventually, startTestServers } from "./testing.ts";
import { admin, command, startNodeProcess } from "../supervisors/node/testing.ts";

const INSTRUMENT = "SIM004.SIMX"; // listed and in the book, traded by no demo strategy
const ORDERS = 200;
const IN_FLIGHT = 25;
const KILL_AFTER = 70;
const terminal = (type: string, leavesQty: unknown) =>
  type === "OrderCanceled" || type === "OrderRejected" || type === "OrderExpired" || (type === "OrderFilled" && leavesQty === 0);

t.test(
  "hundreds of concurrent submissions with the book's node SIGKILLed midway: every approved order exists, and the book's reservations equal its open orders",
  async (t) => {
    const f = await startTestServers(t);
    const env = { AM_NATS_URL: f.infra.natsUrl, AM_DEMO_INSTRUMENTS: "5", AM_CELLS: "2" };
    const nodes = new Map([
      ["node-a", startNodeProcess(t, "node-a", env)],
      ["node-b", startNodeProcess(t, "node-b", env)],
    ]);
    await Promise.all([...nodes.values()].map((n) => n.waitFor(/node up/, 60_000)));
    const status = async (kind: string, id: string) =>
      (await admin(f.nc, "status", { type: "AdminActorRequest", kind, id }, 1_000).catch(() => undefined))?.result as
        | { state?: unknown; node?: string }
        | undefined;
    await eventually("the venue connection ready", async () => (await status("venue", "SIMX"))?.state === "ready", { timeoutMs: 30_000 });
    // no limits: every order is approved unless the book is gone
    const changed = f.nc.subscribe(subjects.evt("risk-book", "demo", "RiskLimitsChanged"), { max: 1 });
    await admin(await connectAs(t, f.infra, "operator"), "configure", {
      type: "AdminConfigureRequest",
      section: "limits",
      id: "demo",
      value: "{}",
    });
    for await (const _ of changed) break;
    let bid = 0;
    const quotes = f.nc.subscribe(subjects.md("quote", { venue: "SIMX", symbol: "SIM004" }), {
      callback: (_e, m) => {
        bid = (decodeMessage(m.data, m.headers, false).message as unknown as { bid: number }).bid;
      },
    });
    t.teardown(() => quotes.unsubscribe());
    await eventually("a quote of SIM004", () => bid > 0, { timeoutMs: 20_000 });
    const price = Math.max(fromNumber(1), Math.floor(bid / 2 / fromNumber(1)) * fromNumber(1));

    const victim = (await status("risk-book", "demo"))!.node!;
    let answered = 0;
    let killed = false;
    const submit = async (id: string) => {
      const now = Date.now() * 1000;
      const order = {
        type: "SubmitOrder",
        clientOrderId: id,
        instrument: INSTRUMENT,
        side: "BUY",
        orderType: "LIMIT",
        price,
        quantity: fromNumber(1),
        timeInForce: "GTC",
        postOnly: false,
        reduceOnly: false,
        strategy: "overload",
        book: "demo",
        tsEvent: now,
        tsInit: now,
      };
      await command(f.nc, "risk-book", "demo", order, 20_000).catch(() => undefined);
      if (++answered === KILL_AFTER && !killed) {
        killed = true;
        nodes.get(victim)!.proc.kill("SIGKILL");
        nodes.set(victim, startNodeProcess(t, victim, env));
      }
    };
    const ids = Array.from({ length: ORDERS }, (_, i) => `ovl.${i}`);
    const queue = [...ids];
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let id = queue.shift(); id; id = queue.shift()) await submit(id);
      }),
    );
    t.ok(killed, `node ${victim} (the book's) was killed after ${KILL_AFTER} answers`);

    const jsm = await jetstreamManager(f.nc);
    const approvedIds = async () => {
      const out = new Set<string>();
      const it = await jsm.direct.getBatch(streams.events, {
        seq: 1,
        next_by_subj: subjects.evt("risk-book", "demo", "OrderApproved"),
        batch: 1_000,
      });
      for await (const m of it)
        out.add((decodeMessage(m.data, m.header, false).message as unknown as { clientOrderId: string }).clientOrderId);
      return out;
    };
    const lastOf = async (id: string) => {
      const m = await jsm.direct.getMessage(streams.events, { last_by_subj: subjects.evtOf("order", id) });
      return m
        ? {
            type: envelopeOf(m.header)?.type ?? "",
            leavesQty: (decodeMessage(m.data, m.header, false).message as { leavesQty?: unknown }).leavesQty,
          }
        : undefined;
    };
    const approved = [...(await approvedIds())].filter((id) => id.startsWith("ovl."));
    t.ok(approved.length > KILL_AFTER, `${approved.length} of ${ORDERS} orders approved`);
    const missing = async () =>
      (await Promise.all(approved.map(async (id) => ((await lastOf(id)) ? undefined : id)))).filter((id): id is string => id !== undefined);
    await eventually("every approved order journaled by its order entity", async () => (await missing()).length === 0, {
      timeoutMs: 60_000,
    }).then(
      () => t.pass("every approved order was journaled by its order entity"),
      async (e) => t.fail(`${errorMessage(e)}: ${(await missing()).slice(0, 10).join(", ")}`),
    );
    const open = new Set<string>();
    for (const id of approved) {
      const last = await lastOf(id);
      if (last && !terminal(last.type, last.leavesQty)) open.add(id);
    }
    const pending = async () =>
      new Set(
        (
          (await command(f.nc, "risk-book", "demo", { type: "GetRiskReport", tsEvent: 1, tsInit: 1 }, 5_000)).result as {
            pending: { clientOrderId: string }[];
          }
        ).pending
          .map((p) => p.clientOrderId)
          .filter((id) => id.startsWith("ovl.")),
      );
    await eventually(
      "the book's reservations equal its open orders",
      async () => {
        const p = await pending();
        return p.size === open.size && [...open].every((id) => p.has(id));
      },
      { timeoutMs: 30_000 },
    ).then(
      () => t.pass(`the book's reservations equal its ${open.size} open orders`),
      async (e) => t.fail(`${errorMessage(e)}: book ${(await pending()).size}, open ${open.size}`),
    );
  },
);
