import type { NatsConnection } from "@nats-io/transport-node";
import { readFileSync } from "node:fs";
import t from "tap";
import { type ActorKind, subjects, systemClock } from "../../actors/contract/index.ts";
import { connectNats } from "../../infra/nats/connect.ts";
import { decodeMessage, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import type { SnapshotStore } from "../../infra/nats/snapshot-store.ts";
import { ActorHost, type HostEnv } from "./actor-host.ts";
import { counterKind } from "./testing/counter-kind.ts";
import { eventually, restartNatsServer, startTestServers } from "../../test/testing.ts";

const log = createLogger({ level: "error" });

async function ask(nc: NatsConnection, kind: string, id: string, message: Message) {
  const { data, headers } = encodeMessage(message);
  const reply = await nc.request(subjects.cmd(kind, id), data, { headers, timeout: 5_000 });
  return decodeMessage(reply.data, reply.headers, true).message as unknown as {
    ok: boolean;
    result?: { count: number; fired: number };
    error?: { code: string; message: string };
  };
}

function host(
  kind: ActorKind,
  id: string,
  env: Omit<HostEnv, "onExit" | "clock" | "log">,
  onExit: HostEnv["onExit"] = (h) => void h.restart(),
) {
  return new ActorHost(kind, id, { ...env, clock: systemClock, log, onExit });
}

/** A running counter that restarts on each failure and lists them, with one increment journaled. */
async function restartingCounter(
  kind: ActorKind,
  id: string,
  env: Omit<HostEnv, "onExit" | "clock" | "log">,
): Promise<{ a: ActorHost; failures: string[] }> {
  const failures: string[] = [];
  const a = host(kind, id, env, (h, r) => {
    failures.push(r.error.message);
    void h.restart();
  });
  await a.incarnate();
  const first = await ask(env.nc, kind.name, id, { type: "Increment", by: 1 });
  if (!first.ok) throw new Error(`the first increment was refused: ${first.error?.code} ${first.error?.message}`);
  return { a, failures };
}

t.test("a command is answered over request/reply and changes the actor's state", async (t) => {
  const f = await startTestServers(t);
  const h = host(counterKind("none"), "a", f);
  await h.incarnate();
  t.same((await ask(f.nc, "counter-none", "a", { type: "Increment", by: 2 })).ok, true);
  t.same((await ask(f.nc, "counter-none", "a", { type: "GetCount" })).result, { count: 2, fired: 0 });
  await h.stop();
});

t.test("a malformed message is dead-lettered with its reason and the actor goes on", async (t) => {
  const f = await startTestServers(t);
  const h = host(counterKind("none"), "p", f);
  await h.incarnate();
  const dlq = f.nc.subscribe(subjects.dlq("counter-none", "p"), { max: 1 });
  const bad = await ask(f.nc, "counter-none", "p", { type: "Increment", by: -5 });
  t.equal(bad.ok, false);
  t.equal(bad.error?.code, "invalid");
  t.match(bad.error?.message, /by/);
  for await (const m of dlq) {
    const dl = decodeMessage(m.data, m.headers, false).message;
    t.equal(dl.type, "DeadLetter");
    t.equal(dl.code, "invalid");
    t.match(String(dl.reason), /Increment: by/);
  }
  t.same((await ask(f.nc, "counter-none", "p", { type: "GetCount" })).result?.count, 0);
  t.equal(h.stats.deadLettered, 1);
  await h.stop();
});

t.test("a kind validating commands only hands its market data to the machine unchecked and still refuses a bad command", async (t) => {
  const f = await startTestServers(t);
  const md = subjects.md("quote", { venue: "TEST", symbol: "v" });
  const h = host({ ...counterKind("none"), validate: "commands", consumes: () => [md] }, "v", f);
  await h.incarnate();
  const big = encodeMessage({ type: "Increment", by: 2_000_000 });
  f.nc.publish(md, big.data, { headers: big.headers });
  await eventually(
    "the market data increment applied",
    async () => (await ask(f.nc, "counter-none", "v", { type: "GetCount" })).result?.count === 2_000_000 || undefined,
  );
  const bad = await ask(f.nc, "counter-none", "v", { type: "Increment", by: 2_000_000 });
  t.equal(bad.ok, false);
  t.equal(bad.error?.code, "invalid");
  t.same((await ask(f.nc, "counter-none", "v", { type: "GetCount" })).result?.count, 2_000_000, "the command changed nothing");
  await h.stop();
});

t.test("an action or guard that throws restarts the actor from its last state, and the message is not retried", async (t) => {
  const f = await startTestServers(t);
  let exits = 0;
  const h = host(counterKind("none"), "x", f, (hh) => {
    exits++;
    void hh.restart();
  });
  await h.incarnate();
  await ask(f.nc, "counter-none", "x", { type: "Increment", by: 7 });
  for (const where of ["action", "guard"] as const) {
    const r = await ask(f.nc, "counter-none", "x", { type: "Explode", where });
    t.equal(r.error?.code, "actor-failed", `${where}: the caller is told`);
    t.match(r.error?.message, new RegExp(`${where} exploded`));
  }
  t.equal(exits, 2);
  t.same((await ask(f.nc, "counter-none", "x", { type: "GetCount" })).result?.count, 7, "state before the failure survives");
  t.equal(h.stats.deadLettered, 2, "each poison message dead-lettered once");
  await h.stop();
});

t.test("a snapshot actor stopped and started again on a new host resumes its state and its delayed event", async (t) => {
  const f = await startTestServers(t);
  const kind = counterKind("snapshot");
  const h1 = host(kind, "s", f);
  await h1.incarnate();
  await ask(f.nc, "counter-snapshot", "s", { type: "Increment", by: 3 });
  await ask(f.nc, "counter-snapshot", "s", { type: "Arm" });
  await h1.stop();
  const h2 = host(kind, "s", f);
  await h2.incarnate();
  t.same((await ask(f.nc, "counter-snapshot", "s", { type: "GetCount" })).result, { count: 3, fired: 0 });
  const fired = await eventually(
    "the re-armed timer",
    async () => (await ask(f.nc, "counter-snapshot", "s", { type: "GetCount" })).result?.fired === 1,
  );
  t.ok(fired, "the after(300) transition fires on the new host");
  await h2.stop();
});

t.test("a snapshot actor whose state did not change is not written again", async (t) => {
  const f = await startTestServers(t);
  const h = host(counterKind("snapshot"), "u", f);
  await h.incarnate();
  await ask(f.nc, "counter-snapshot", "u", { type: "Increment", by: 1 });
  const saved = (await f.store.load("counter-snapshot", "u")).revision;
  t.ok(saved > 0, "an acknowledged change is saved before its reply");
  for (let i = 0; i < 5; i++) {
    await ask(f.nc, "counter-snapshot", "u", { type: "GetCount" });
    await new Promise((r) => setTimeout(r, 80)); // past snapshotEveryMs (50 ms)
  }
  t.equal((await f.store.load("counter-snapshot", "u")).revision, saved, "questions change nothing, so nothing is written");
  await ask(f.nc, "counter-snapshot", "u", { type: "Increment", by: 1 });
  t.ok((await f.store.load("counter-snapshot", "u")).revision > saved, "the next change is written");
  await h.stop();
});

t.test("an event-sourced actor journals its events and a new host rebuilds it by replay", async (t) => {
  const f = await startTestServers(t);
  const kind = counterKind("event-sourced");
  // The first host has its own connection: closing it is the crash of its process, with no final snapshot.
  const nc1 = await connectNats(f.infra.natsUrl, "doomed");
  const h1 = new ActorHost(kind, "e", { nc: nc1, store: f.store, clock: systemClock, log, onExit: () => {} });
  await h1.incarnate();
  const seen: string[] = [];
  const sub = f.nc.subscribe(subjects.evtOf("counter-es", "e"), { callback: (_e, m) => void seen.push(m.subject) });
  for (const by of [1, 2, 3]) await ask(f.nc, "counter-es", "e", { type: "Increment", by });
  t.same((await ask(f.nc, "counter-es", "e", { type: "GetCount" })).result?.count, 6);
  await nc1.close();
  const h2 = host(kind, "e2", f);
  await h2.incarnate();
  t.same((await ask(f.nc, "counter-es", "e2", { type: "GetCount" })).result?.count, 0, "another id has its own journal");
  const h3 = new ActorHost(kind, "e", { nc: f.nc, store: f.store, clock: systemClock, log, onExit: () => {} });
  await h3.incarnate();
  t.same((await ask(f.nc, "counter-es", "e", { type: "GetCount" })).result?.count, 6);
  await eventually("three published events", () => seen.length === 3);
  t.same(seen, Array(3).fill(subjects.evt("counter-es", "e", "Incremented")));
  sub.unsubscribe();
  await Promise.all([h2.stop(), h3.stop()]);
});

t.test("a second writer of the same journal is fenced out and nothing it decided is committed", async (t) => {
  const f = await startTestServers(t);
  const kind = counterKind("event-sourced");
  const a = new ActorHost(kind, "f", { nc: f.nc, store: f.store, clock: systemClock, log, onExit: () => {} });
  await a.incarnate();
  let bFailed: Error | undefined;
  const b = new ActorHost(kind, "f", { nc: f.nc, store: f.store, clock: systemClock, log, onExit: (_h, r) => (bFailed = r.error) });
  await b.incarnate();
  // Both hosts are subscribed; a direct delivery to each shows the fence.
  a.deliver({ type: "Increment", by: 1 });
  await eventually("a's append", () => a.stats.processed === 1);
  b.deliver({ type: "Increment", by: 100 });
  await eventually("b fenced", () => bFailed);
  t.match(bFailed?.message, /another writer/);
  await a.stop();
  await b.stop();
  const c = new ActorHost(kind, "f", { nc: f.nc, store: f.store, clock: systemClock, log, onExit: () => {} });
  await c.incarnate();
  t.same((c.snapshot as unknown as { context: { count: number } }).context.count, 1, "only the fenced-in writer's event exists");
  await c.stop();
});

t.test("an event-sourced actor stopped while its appends are in flight writes no snapshot after its stop", async (t) => {
  const f = await startTestServers(t);
  const kind = counterKind("event-sourced", "counter-stopping"); // a compaction snapshot at most every 50 ms
  const h = host(kind, "s", f);
  await h.incarnate();
  for (let i = 0; i < 20; i++) h.deliver({ type: "Increment", by: 1 });
  // the drain decides them all and their appends go out; the stop comes before the journal has acknowledged them
  await new Promise((r) => setImmediate(r));
  await h.stop();
  const atStop = (await f.store.load(kind.name, "s")).revision;
  await new Promise((r) => setTimeout(r, 300)); // six snapshot periods
  t.equal((await f.store.load(kind.name, "s")).revision, atStop, "no save came after the stop");
  // the next owner restores and saves without being fenced by a save of the stopped one
  const next = host(kind, "s", f, () => t.fail("the next owner failed"));
  await next.incarnate();
  t.same((await ask(f.nc, kind.name, "s", { type: "GetCount" })).result?.count, 20, "every acknowledged append restored");
  await ask(f.nc, kind.name, "s", { type: "Increment", by: 1 });
  await next.saveSnapshot();
  t.equal(next.status, "running");
  await next.stop();
});

t.test("commands queued when an actor stops are answered stopped, not left to their senders' timeouts", async (t) => {
  const f = await startTestServers(t);
  const kind = counterKind("none", "counter-queued");
  const h = host(kind, "q", f);
  h.open(); // subscribed, no incarnation yet: commands queue, as while an actor restores
  const { data, headers } = encodeMessage({ type: "GetCount" });
  const asked = f.nc.request(subjects.cmd(kind.name, "q"), data, { headers, timeout: 5_000 });
  await eventually("the command queued", () => h.mailbox.depth === 1);
  await h.stop();
  const reply = await asked;
  t.match(decodeMessage(reply.data, reply.headers, true).message, {
    ok: false,
    error: { code: "stopped", message: /counter-queued\/q stopped on this node before it handled GetCount: ask again with the same ids/ },
  });
});

t.test("an actor stopped while it restores stays stopped: it neither runs nor arms what it restored", async (t) => {
  const f = await startTestServers(t);
  const kind = counterKind("event-sourced", "counter-stopped-early");
  const first = host(kind, "s", f);
  await first.incarnate();
  t.same((await ask(f.nc, kind.name, "s", { type: "Increment", by: 2 })).result, undefined);
  await first.stop();

  const h = host(kind, "s", f);
  const restoring = h.incarnate(); // reads its journal: the stop comes while that read is out
  await h.stop();
  await restoring;
  t.equal(h.status, "stopped", "still stopped once its restore ends");
  t.equal(h.armedTimers, 0, "no delayed event armed");
  const { data, headers } = encodeMessage({ type: "GetCount" });
  await t.rejects(f.nc.request(subjects.cmd(kind.name, "s"), data, { headers, timeout: 500 }), "nobody answers its commands");
});

t.test("appends that fail together restart the actor once, and the restarted incarnation decides and journals again", async (t) => {
  const f = await startTestServers(t);
  const kind = counterKind("event-sourced", "counter-refenced");
  const { a, failures } = await restartingCounter(kind, "r", f);
  // another writer appends behind a's back: a's next appends, decided in one drain, all fail their fence
  const b = new ActorHost(kind, "r", { nc: f.nc, store: f.store, clock: systemClock, log, onExit: () => {} });
  await b.incarnate();
  b.deliver({ type: "Increment", by: 10 });
  await eventually("b's append", () => b.stats.processed === 1);
  await b.stop();
  a.deliver({ type: "Increment", by: 100 });
  a.deliver({ type: "Increment", by: 1000 });
  await eventually("a fenced", () => failures.length > 0);
  await eventually("a running again", () => a.status === "running" || undefined);
  // the restarted incarnation holds the journal (1 + 10) and commits what it decides next
  const reply = await ask(f.nc, kind.name, "r", { type: "Increment", by: 5 });
  t.same(reply.ok, true, "an increment after the restart is journaled and acknowledged");
  t.same((await ask(f.nc, kind.name, "r", { type: "GetCount" })).result?.count, 16);
  t.equal(failures.length, 1, "one failure, not one per failed append");
  await a.stop();
  const c = host(kind, "r", f);
  await c.incarnate();
  t.same(
    (c.snapshot as unknown as { context: { count: number } }).context.count,
    16,
    "its journal holds the restarted incarnation's event",
  );
  await c.stop();
});

t.test("a restart that cannot read its journal runs on none of it: the next restart reads it whole", async (t) => {
  const f = await startTestServers(t);
  const kind = counterKind("event-sourced", "counter-unread");
  const failures: string[] = [];
  const [pid] = f.infra.pids;
  // once asked to: the server stops reading as soon as the snapshot is loaded, so the journal's read is what fails
  let stallAfterLoad = false;
  const store: SnapshotStore = Object.create(f.store);
  store.load = async (k, id) => {
    const loaded = await f.store.load(k, id);
    if (!stallAfterLoad) return loaded;
    process.kill(pid!, "SIGSTOP");
    // a stop takes effect when the kernel next schedules the server's threads: the journal's get, sent at once,
    // could still be answered before it (the test failed so once), so the read waits until the server is stopped
    while (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "T") await new Promise((r) => setTimeout(r, 1));
    return loaded;
  };
  // restarted here, by hand, as a supervisor would after each failure
  const a = host(kind, "u", { ...f, store }, (_h, r) => void failures.push(r.error.message));
  await a.incarnate();
  t.same((await ask(f.nc, kind.name, "u", { type: "Increment", by: 1 })).ok, true);
  // another writer appends behind a's back (its journal only: it saves no snapshot), so a's next append fails its
  // fence and a must read its journal again to know the count
  const unsaved: SnapshotStore = Object.create(f.store);
  unsaved.save = async () => 0;
  const b = new ActorHost(kind, "u", { nc: f.nc, store: unsaved, clock: systemClock, log, onExit: () => {} });
  await b.incarnate();
  b.deliver({ type: "Increment", by: 10 });
  await eventually("b's append", () => b.stats.processed === 1);
  await b.stop();
  a.deliver({ type: "Increment", by: 100 });
  await eventually("a fenced", () => failures.length === 1);
  stallAfterLoad = true;
  // a failure before the SIGCONT below must not leave the server stopped for the teardown (gone by then: no matter)
  t.teardown(() => {
    try {
      process.kill(pid!, "SIGCONT");
    } catch {}
  });
  await t.rejects(a.restart(), "the restart that cannot read its journal fails");
  stallAfterLoad = false;
  process.kill(pid!, "SIGCONT");
  t.not(a.status, "running", "it does not run on the state read so far");
  await a.restart();
  t.same((await ask(f.nc, kind.name, "u", { type: "GetCount" })).result?.count, 11, "the next restart read the journal whole");
  t.same((await ask(f.nc, kind.name, "u", { type: "Increment", by: 5 })).ok, true, "and appends after it");
  await a.stop();
});

t.test("an append lost with its connection is sent again once the connection is back: the actor goes on, not restarted", async (t) => {
  const f = await startTestServers(t);
  const kind = counterKind("event-sourced", "counter-reconnect");
  const { a, failures } = await restartingCounter(kind, "c", f);
  const [pid] = f.infra.pids;
  process.kill(pid!, "SIGSTOP"); // the server reads nothing more off its sockets
  a.deliver({ type: "Increment", by: 10 });
  await eventually(
    "the append written to the socket",
    () => ({ status: a.status, queued: a.mailbox.depth, busy: a.busy, failures: failures.length }),
    { until: (s) => s.status === "running" && s.queued === 0 && s.busy },
  );
  await new Promise((r) => setTimeout(r, 100));
  process.kill(pid!, "SIGKILL"); // what it had not read dies with it
  await restartNatsServer(t, f.infra);
  await eventually(
    "the increment journaled on the server that came back",
    async () => (await ask(f.nc, kind.name, "c", { type: "GetCount" }).catch(() => undefined))?.result?.count === 11 || undefined,
    { timeoutMs: 20_000 },
  );
  t.same(failures, [], "the actor was not restarted");
  await a.stop();
  const b = host(kind, "c", f);
  await b.incarnate();
  t.same((b.snapshot as unknown as { context: { count: number } }).context.count, 11, "its journal holds both increments, once each");
  await b.stop();
});
