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
