import t from "tap";
import { startTestServers } from "../../test/testing.ts";
import { SnapshotFencedError } from "./snapshot-store.ts";

const snap = (n: number) => ({ snapshot: { value: "on", context: { n } }, seq: n, count: n, timers: [] });

t.test("a stale owner cannot overwrite a snapshot another owner saved after it loaded", async (t) => {
  const f = await startTestServers(t);
  const first = await f.store.load("counter", "a");
  t.equal(first.stored, undefined, "nothing stored yet");
  const r1 = await f.store.save("counter", "a", snap(1), first.revision);
  // two owners both read revision r1
  const mine = await f.store.load("counter", "a");
  const theirs = await f.store.load("counter", "a");
  t.equal(mine.revision, r1);
  await f.store.save("counter", "a", snap(2), theirs.revision);
  await t.rejects(f.store.save("counter", "a", snap(3), mine.revision), SnapshotFencedError, "the stale save is refused");
  t.same((await f.store.load("counter", "a")).stored?.seq, 2, "the newer snapshot stays");
  await t.rejects(
    f.store.save("counter", "b", snap(1), 5),
    SnapshotFencedError,
    "a save expecting a snapshot that was never written is refused",
  );
});
