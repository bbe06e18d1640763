import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { defineKind, subjects, systemClock } from "../../actors/contract/index.ts";
import { connectNats } from "../../infra/nats/connect.ts";
import { decodeMessage, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import { streams } from "../../infra/nats/resources.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { eventually, startTestServers, type Teardown } from "../../test/testing.ts";
import { counterKind } from "../runtime/testing/counter-kind.ts";
import { shardName, shardOf } from "./shard-of.ts";
import { ShardRegion, type TransitOptions } from "./shard-region.ts";

const log = createLogger({ level: "error" });
const kind = defineKind({ ...counterKind("event-sourced", "counter-tr"), sharding: { shards: 4, idleMs: 60_000, doneIdleMs: 60_000 } });
/** short beats so that a silent region is taken for dead within 300 ms */
const transit: TransitOptions = { announceMs: 100, holdMs: 4_000 };

type Answer = { ok: boolean; result?: { count: number }; error?: { code: string; message: string } };

function ask(nc: NatsConnection, id: string, message: Message, timeout = 8_000): Promise<Answer> {
  const { data, headers } = encodeMessage(message);
  return nc
    .request(subjects.cmd(kind.name, id), data, { headers, timeout })
    .then((reply) => decodeMessage(reply.data, reply.headers, true).message as unknown as Answer);
}

/** The totals an entity journaled, in order: one per Increment handled. */
async function journal(nc: NatsConnection, id: string): Promise<number[]> {
  const jsm = await jetstreamManager(nc);
  const totals: number[] = [];
  // an entity that journaled nothing: the batch get answers 404
  if (!(await jsm.direct.getMessage(streams.events, { last_by_subj: subjects.evtOf(kind.name, id) }).catch(() => null))) return totals;
  const it = await jsm.direct.getBatch(streams.events, { seq: 1, next_by_subj: subjects.evtOf(kind.name, id), batch: 100 });
  for await (const m of it) totals.push((decodeMessage(m.data, m.header, false).message as unknown as { total: number }).total);
  return totals;
}

async function cluster(t: Teardown, n: number, options: TransitOptions = transit) {
  const f = await startTestServers(t);
  const conns = await Promise.all(Array.from({ length: n }, (_, i) => connectNats(f.infra.natsUrl, `region-${i}`)));
  const regions = conns.map((nc) => new ShardRegion(kind, { nc, store: f.store, clock: systemClock, log }, () => {}, options));
  t.teardown(async () => {
    await Promise.all(regions.map((r) => r.stop()));
    await Promise.all(conns.map((c) => c.close()));
  });
  return { f, conns, regions };
}

const id = "moving-1";
const shard = shardName(shardOf(id, 4));

t.test("a command sent while its shard is released and not yet taken is handled once, by the region that takes it", async (t) => {
  const {
    f,
    conns,
    regions: [a, b, c],
  } = await cluster(t, 3);
  await a!.own(shard);
  t.equal((await ask(f.nc, id, { type: "Increment", by: 1 })).ok, true, "the first owner answered");
  await a!.disown(shard);
  // the release is at the server, then at every other region before its flush returns
  await conns[0]!.flush();
  await Promise.all([conns[1]!.flush(), conns[2]!.flush()]);

  const answer = ask(f.nc, id, { type: "Increment", by: 1 });
  await eventually("b and c hold the command", () => b!.stats.held === 1 && c!.stats.held === 1, { timeoutMs: 3_000 });
  await new Promise((r) => setTimeout(r, 300)); // the shard stays without an owner a while
  t.equal(a!.entity(id), undefined, "the old owner did not take it");
  await b!.own(shard);
  const got = await answer;
  t.equal(got.ok, true, "the held command is answered by the new owner");
  t.equal(c!.entity(id), undefined, "the region that held a copy but did not take the shard never activated the entity");
  await new Promise((r) => setTimeout(r, 500)); // a second handling, if any, would journal by now
  t.same(await journal(f.nc, id), [1, 2], "the command was journaled exactly once after the move");
  t.same((await ask(f.nc, id, { type: "GetCount" })).result, { count: 2, fired: 0 });
  t.equal(c!.stats.expired + b!.stats.expired, 0, "no held copy was refused");
});

t.test("a command sent after its owner went silent is held and handled once by the region that takes the shard", async (t) => {
  const {
    f,
    conns,
    regions: [a, b],
  } = await cluster(t, 2);
  await a!.own(shard);
  t.equal((await ask(f.nc, id, { type: "Increment", by: 1 })).ok, true);
  // the owner's process dies: its connection goes without a word
  await conns[0]!.close();
  await new Promise((r) => setTimeout(r, 400)); // three beats without a word: b takes the shard for unowned
  const answer = ask(f.nc, id, { type: "Increment", by: 1 });
  await eventually("b holds the command", () => b!.stats.held === 1, { timeoutMs: 3_000 });
  await b!.own(shard);
  t.equal((await answer).ok, true, "answered once b owns the shard");
  await new Promise((r) => setTimeout(r, 300));
  t.same(await journal(f.nc, id), [1, 2], "journaled exactly once");
});

t.test("a command whose shard no region takes within holdMs is refused with its shard and subject named", async (t) => {
  const {
    f,
    regions: [b],
  } = await cluster(t, 1, { announceMs: 100, holdMs: 600, maxHeld: 1 });
  await b!.own(shardName((shardOf(id, 4) + 1) % 4)); // b serves another shard, never this one
  const started = Date.now();
  const first = ask(f.nc, id, { type: "Increment", by: 1 });
  await eventually("held", () => b!.stats.held === 1, { timeoutMs: 3_000 });
  const second = await ask(f.nc, id, { type: "GetCount" });
  t.equal(second.ok, false, "past the bound a message is refused at once");
  t.match(second.error?.message, /messages already wait/);
  const refused = await first;
  t.ok(Date.now() - started < 3_000, "the refusal came at holdMs, not at the caller's timeout");
  t.equal(refused.ok, false);
  t.equal(refused.error?.code, "not-here");
  t.match(refused.error?.message, new RegExp(`${kind.name}/${shard}`), "the error names the shard");
  t.match(refused.error?.message, subjects.cmd(kind.name, id), "and the subject");
  t.same(await journal(f.nc, id), [], "nothing was handled");
});

t.test("a region that serves the shard keeps others from holding its messages", async (t) => {
  const {
    f,
    regions: [a, b],
  } = await cluster(t, 2);
  await a!.own(shard);
  await eventually("b heard a", async () => {
    await ask(f.nc, id, { type: "GetCount" });
    return b!.stats.ignored > 0;
  });
  const held = b!.stats.held;
  for (let i = 0; i < 5; i++) t.equal((await ask(f.nc, id, { type: "Increment", by: 1 })).ok, true);
  t.equal(b!.stats.held, held, "nothing more held while a serves the shard");
});

t.test("commands in flight when the owner lets its shard go are each handled once, before or after the cut", async (t) => {
  const {
    f,
    regions: [a, b, c],
  } = await cluster(t, 3);
  await a!.own(shard);
  t.equal((await ask(f.nc, id, { type: "Increment", by: 1 })).ok, true);
  // one command every 3 ms while the shard moves: some reach the old owner, some wait for the new one
  const burst: Promise<Answer>[] = [];
  const sending = (async () => {
    for (let i = 0; i < 60; i++) {
      burst.push(ask(f.nc, id, { type: "Increment", by: 1 }));
      await new Promise((r) => setTimeout(r, 3));
    }
  })();
  await new Promise((r) => setTimeout(r, 50));
  await a!.disown(shard);
  await new Promise((r) => setTimeout(r, 100));
  await b!.own(shard);
  await sending;
  const answers = await Promise.all(burst);
  t.ok(
    answers.every((r) => r.ok),
    `every command of the burst answered ok (${answers.filter((r) => !r.ok).length} not)`,
  );
  await new Promise((r) => setTimeout(r, 500));
  const totals = await journal(f.nc, id);
  t.same(
    totals,
    Array.from({ length: 61 }, (_, i) => i + 1),
    `each command journaled once, old owner then new: ${totals.length} appends`,
  );
  t.equal(c!.entity(id), undefined, "the bystander region handled none");
  t.ok(b!.stats.held > 0 && b!.stats.held < 60, `the move fell inside the burst (b held ${b!.stats.held}, c ${c!.stats.held})`);
});
