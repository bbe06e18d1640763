import { setTimeout as sleep } from "node:timers/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { startTestServers } from "../../test/testing.ts";
import { Header } from "./codec.ts";
import { Journal } from "./journal.ts";
import { streams } from "./resources.ts";

/** an event's headers as the actor host writes them: its type */
const typed = (e: { type: string }) => {
  const h = headers();
  h.set(Header.Type, e.type);
  return h;
};
/** the journal of tally <id>, on all its event subjects */
const tallyJournal = (nc: NatsConnection, id: string) =>
  new Journal(nc, `am.evt.tally.${id}.*`, (type) => `am.evt.tally.${id}.${type}`, `tally/${id}`);

t.test("an append made while no server takes the event stream's messages is stored once one does, and once only", async (t) => {
  const { nc } = await startTestServers(t);
  const jsm = await jetstreamManager(nc);
  const { config } = await jsm.streams.info(streams.events);
  const journal = new Journal(nc, "am.evt.tally.j1.>", (type) => `am.evt.tally.j1.${type}`, "tally/j1");

  // no stream listens on the subject, as between a leader's death and the next leader's election: no responders
  await jsm.streams.delete(streams.events);
  let stored: number | undefined;
  const append = journal.append([{ type: "Counted", n: 1 }], typed).then((seq) => {
    stored = seq;
    return seq;
  });
  await sleep(600);
  t.equal(stored, undefined, "the append waits for a stream to take it");

  await jsm.streams.add(config);
  const seq = await append;
  t.equal(seq, 1, "stored as the stream's first message");
  t.equal((await jsm.streams.info(streams.events)).state.messages, 1, "sent while nobody took it, stored once");
  t.equal(await journal.append([{ type: "Counted", n: 2 }], typed), 2, "the next append is fenced on it");
});

t.test("a journal learns where its history ends from the stream's leader and replays all of it, past other actors' events", async (t) => {
  const { nc } = await startTestServers(t);
  const journalOf = (id: string) => tallyJournal(nc, id);
  t.equal(await journalOf("none").lastSequence(), 0, "no history: 0");
  const a = journalOf("a");
  const b = journalOf("b");
  for (let n = 1; n <= 3; n++) {
    await a.append([{ type: "Counted", n }], typed);
    await b.append([{ type: "Counted", n }], typed);
  }
  t.equal(await journalOf("a").lastSequence(), 5, "the last of a's events (the stream's 5th) through its wildcard filter");
  const replayed: number[] = [];
  const again = journalOf("a");
  for await (const r of again.read()) replayed.push(r.event.n as number);
  t.same(replayed, [1, 2, 3], "every event of a, in order");
  t.equal(again.lastSeq, 5, "fenced where its history ends");
  t.equal(await again.append([{ type: "Counted", n: 4 }], typed), 7, "and appends after it");
});

t.test("a journal taken to be empty without a read commits nothing where it has history, and confirms where it has none", async (t) => {
  const { nc } = await startTestServers(t);
  const journalOf = (id: string) => tallyJournal(nc, id);
  const old = journalOf("old");
  await old.append([{ type: "Counted", n: 1 }], typed);
  await old.append([{ type: "Counted", n: 2 }], typed);
  const jsm = await jetstreamManager(nc);
  const before = (await jsm.streams.info(streams.events)).state.messages;

  const assumed = journalOf("old");
  assumed.assumeEmpty();
  t.ok(assumed.assuming, "assumed, not confirmed");
  await t.rejects(
    assumed.append([{ type: "Counted", n: 99 }], typed),
    { name: "FencingError" },
    "its first append, fenced on 0, is refused",
  );
  await t.rejects(assumed.append([{ type: "Counted", n: 100 }], typed), { name: "FencingError" }, "and every later one, until a read");
  t.equal((await jsm.streams.info(streams.events)).state.messages, before, "nothing was stored");

  const asked = journalOf("old");
  asked.assumeEmpty();
  await t.rejects(
    asked.settled(),
    { name: "FencingError" },
    "an answer that appends nothing first waits for a get, which finds the history",
  );
  await t.rejects(asked.append([{ type: "Counted", n: 99 }], typed), { name: "FencingError" }, "nothing commits after it");

  const reread: number[] = [];
  for await (const r of assumed.read()) reread.push(r.event.n as number);
  t.same(reread, [1, 2], "a read after the refusal finds the history");
  t.notOk(assumed.assuming, "and ends the assumption");

  const fresh = journalOf("fresh");
  fresh.assumeEmpty();
  t.equal(await fresh.settled(), 0, "where there is no history, the get confirms it");
  t.notOk(fresh.assuming, "confirmed");
  t.equal(await fresh.append([{ type: "Counted", n: 1 }], typed), before + 1, "and it appends");

  const raced = journalOf("raced");
  raced.assumeEmpty();
  const confirmed = raced.settled();
  const first = raced.append([{ type: "Counted", n: 1 }], typed);
  t.equal(await first, before + 2, "an append made while the get is out is stored");
  t.equal(await confirmed, 0, "and the get, which may see that append, still confirms the journal was empty");
  t.equal(await raced.append([{ type: "Counted", n: 2 }], typed), before + 3, "the next append is fenced on the first");
});

t.test(
  "on a single-replica stream a few queued decisions are stored one by one, many as one batch, a decision's events together",
  async (t) => {
    const { nc } = await startTestServers(t);
    const journal = tallyJournal(nc, "g");
    const counted = (...ns: number[]) => ns.map((n) => ({ type: "Counted", n }));
    // four decisions made at once (one drain of an actor): few enough to go one by one
    const few = [
      journal.append(counted(1), typed),
      journal.append(counted(2), typed),
      journal.append(counted(3, 4), typed),
      journal.append(counted(5), typed),
    ];
    t.same(await Promise.all(few), [1, 2, 4, 5], "each decision stored on its own, its events together (3 and 4 at 3–4)");

    // more than six decided at once: one atomic batch, cheaper than as many round trips
    const many: Promise<number>[] = [];
    for (let n = 6; n <= 16; n++) many.push(journal.append(counted(n), typed));
    t.same(new Set(await Promise.all(many)), new Set([16]), "the eleven stored together, in one batch");

    const replayed: number[] = [];
    for await (const r of tallyJournal(nc, "g").read()) replayed.push(r.event.n as number);
    t.same(
      replayed,
      Array.from({ length: 16 }, (_, i) => i + 1),
      "all of them, once each, in the order decided",
    );
  },
);
