import t from "tap";
import { bucketOf, ownerOf } from "./rendezvous.ts";

const keys = Array.from({ length: 2000 }, (_, i) => `instrument/SYM${i}.SIMX`);

t.test("every node computes the same owner, and the keys spread over the nodes", async (t) => {
  const nodes = ["n1", "n2", "n3"];
  const counts = new Map<string, number>();
  for (const k of keys) {
    const o = ownerOf(k, nodes)!;
    t.equal(o, ownerOf(k, [...nodes].reverse()), "order of the node list does not matter");
    counts.set(o, (counts.get(o) ?? 0) + 1);
  }
  for (const n of nodes) t.ok(counts.get(n)! > 500 && counts.get(n)! < 830, `${n} owns about a third (${counts.get(n)})`);
});

t.test("a node leaving moves only the keys it owned, and a node joining takes only keys it wins", async (t) => {
  const before = new Map(keys.map((k) => [k, ownerOf(k, ["n1", "n2", "n3"])]));
  for (const k of keys) {
    const after = ownerOf(k, ["n1", "n3"]);
    if (before.get(k) !== "n2") t.equal(after, before.get(k), `${k} stays`);
  }
  let moved = 0;
  for (const k of keys) {
    const after = ownerOf(k, ["n1", "n2", "n3", "n4"]);
    if (after !== before.get(k)) {
      moved++;
      t.equal(after, "n4");
    }
  }
  t.ok(moved > 350 && moved < 650, `about a quarter moves to the new node (${moved})`);
  t.end();
});

t.test("buckets stay within range", async (t) => {
  for (const k of keys.slice(0, 100)) {
    const b = bucketOf(k, 3);
    t.ok(b >= 0 && b < 3);
  }
});
