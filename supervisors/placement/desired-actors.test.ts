import t from "tap";
import { DesiredActors } from "./desired-actors.ts";

const ref = (id: string) => ({ kind: "execution-algo", id });
const keys = (d: DesiredActors) => [...d.entries()].map(([k]) => k);

t.test("a declaration the watch delivers after this node unassigned the actor does not bring it back", (t) => {
  const d = new DesiredActors();
  d.declared("a", ref("a"), 7); // spawn: put at revision 7
  d.removed("a"); // stop: deleted (revision 8), before the watch has delivered the put
  d.watched("a", true, 7, () => ref("a")); // the watch catching up with the put
  t.same(keys(d), [], "still unassigned");
  d.watched("a", false, 8, () => ref("a")); // then the delete itself
  d.watched("a", true, 9, () => ref("a")); // declared again later, by any node
  t.same(keys(d), ["a"], "a later declaration counts");
  t.end();
});

t.test("a removal the watch delivers after this node declared the actor again does not remove it", (t) => {
  const d = new DesiredActors();
  d.watched("a", true, 3, () => ref("a"));
  d.declared("a", ref("a"), 5); // deleted by another node at 4, declared again here at 5
  d.watched("a", false, 4, () => ref("a"));
  t.ok(d.has("a"), "the older removal is stale");
  d.watched("a", false, 6, () => ref("a"));
  t.notOk(d.has("a"), "a newer removal counts");
  t.end();
});

t.test("the watch alone applies every change in order, as the bucket holds them", (t) => {
  const d = new DesiredActors();
  d.watched("a", true, 1, () => ref("a"));
  d.watched("b", true, 2, () => ref("b"));
  d.watched("a", false, 3, () => ref("a"));
  d.watched("a", true, 4, () => ref("a"));
  d.watched("b", true, 5, () => ref("b")); // rewritten: no change
  t.same(keys(d).sort(), ["a", "b"]);
  t.end();
});
