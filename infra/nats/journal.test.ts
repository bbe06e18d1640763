import { setTimeout as sleep } from "node:timers/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import t from "tap";
import { startTestServers } from "../../test/testing.ts";
import { Header } from "./codec.ts";
import { Journal } from "./journal.ts";
import { streams } from "./resources.ts";

t.test("an append made while no server takes the event stream's messages is stored once one does, and once only", async (t) => {
  const { nc } = await startTestServers(t);
  const jsm = await jetstreamManager(nc);
  const { config } = await jsm.streams.info(streams.events);
  const journal = new Journal(nc, "am.evt.tally.j1.>", (type) => `am.evt.tally.j1.${type}`, "tally/j1");
  const typed = (e: { type: string }) => {
    const h = headers();
    h.set(Header.Type, e.type);
    return h;
  };

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
  const typed = (e: { type: string }) => {
    const h = headers();
    h.set(Header.Type, e.type);
    return h;
  };
  const journalOf = (id: string) => new Journal(nc, `am.evt.tally.${id}.*`, (type) => `am.evt.tally.${id}.${type}`, `tally/${id}`);
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
