import t from "tap";
import { parseSubject, Reply, subjects } from "../contract/index.ts";
import { decodeAs, decodeMessage, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { riskBookKind } from "./kind.ts";
import { AAPL, px, qty, testConfig } from "./testing.ts";
import { startTestTree } from "../../supervisors/runtime/testing/tree.ts";

t.test("the global kill switch engages every book, journaled once per book, and is released likewise", async (t) => {
  const f = await startTestServers(t);
  const books = new Map([
    ["north", testConfig({ book: "north" })],
    ["south", testConfig({ book: "south" })],
  ]);
  const tree = await startTestTree(t, f, [riskBookKind({ books, marked: [] })]);
  await tree.spawn("risk-book", "north");
  await tree.spawn("risk-book", "south");

  // every journaled kill switch event of every book, by book
  const journaled: { book: string; type: string; scope: string }[] = [];
  for (const event of ["KillSwitchEngaged", "KillSwitchReleased"]) {
    const sub = f.nc.subscribe(subjects.evtAny("risk-book", event), {
      callback: (_e, m) => {
        const { message } = decodeMessage(m.data, m.headers, true);
        journaled.push({ book: parseSubject(m.subject).id ?? "", type: event, scope: String(message.scope) });
      },
    });
    t.teardown(() => sub.unsubscribe());
  }
  const ask = async (book: string, message: Message) => {
    const { data, headers } = encodeMessage(message);
    const r = await f.nc.request(subjects.cmd("risk-book", book), data, { headers, timeout: 5_000 });
    return decodeAs(Reply, r.data, r.headers);
  };
  const now = () => Date.now() * 1000;
  let n = 0;
  const check = (book: string) =>
    ask(book, {
      type: "CheckOrder",
      clientOrderId: `o${++n}`,
      instrument: AAPL,
      side: "BUY",
      orderType: "LIMIT",
      quantity: qty(1),
      price: px(100),
      strategy: "s1",
      tsEvent: now(),
      tsInit: now(),
    });
  const count = (book: string, type: string) => journaled.filter((j) => j.book === book && j.type === type && j.scope === "GLOBAL").length;
  const settle = () => new Promise((r) => setTimeout(r, 500));

  t.equal((await check("south")).ok, true, "south trades before the switch");
  t.equal(
    (await ask("north", { type: "EngageKillSwitch", scope: "GLOBAL", by: "cro", reason: "drill", tsEvent: now(), tsInit: now() })).ok,
    true,
  );
  await eventually(
    "both books journaled the global switch",
    () => count("north", "KillSwitchEngaged") && count("south", "KillSwitchEngaged"),
  );
  await settle();
  t.equal(count("north", "KillSwitchEngaged"), 1, "the book it was sent to journals it once");
  t.equal(count("south", "KillSwitchEngaged"), 1, "the other book journals it once");
  t.match(await check("south"), { ok: false, error: { code: "GLOBAL_KILL_SWITCH" } }, "the other book denies new orders");

  // engaging again anywhere changes nothing
  await ask("south", { type: "EngageKillSwitch", scope: "GLOBAL", by: "cro", reason: "again", tsEvent: now(), tsInit: now() });
  await settle();
  t.equal(count("north", "KillSwitchEngaged") + count("south", "KillSwitchEngaged"), 2, "an engaged switch is not journaled again");

  t.equal((await ask("south", { type: "ReleaseKillSwitch", scope: "GLOBAL", by: "cro", tsEvent: now(), tsInit: now() })).ok, true);
  await eventually("both books journaled the release", () => count("north", "KillSwitchReleased") && count("south", "KillSwitchReleased"));
  await settle();
  t.equal(count("north", "KillSwitchReleased"), 1, "released once in the other book");
  t.equal(count("south", "KillSwitchReleased"), 1, "released once in the book it was sent to");
  t.equal(count("north", "KillSwitchEngaged"), 1, "the engage heard late does not engage the released books again");
  t.equal((await check("north")).ok, true, "north trades again");

  // a restarted book replays its journal without following its own events a second time
  await tree.restartActor("risk-book", "north");
  await settle();
  t.equal((await check("north")).ok, true, "north restored released");
  t.equal(count("north", "KillSwitchEngaged") + count("north", "KillSwitchReleased"), 2, "nothing journaled again on restore");

  // a book that was down when the switch was engaged reads it back from the event stream when it comes back
  await tree.stopActor("risk-book", "south");
  t.equal(
    (await ask("north", { type: "EngageKillSwitch", scope: "GLOBAL", by: "cro", reason: "halt", tsEvent: now(), tsInit: now() })).ok,
    true,
  );
  await tree.spawn("risk-book", "south");
  await eventually("south engaged on its return", async () => !(await check("south")).ok);
  await settle();
  t.equal(count("south", "KillSwitchEngaged"), 2, "journaled once more by the book that was down");
  t.equal(count("north", "KillSwitchEngaged"), 2, "and once more by the book it was sent to");
});
