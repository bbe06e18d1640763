import t from "tap";
import { BayesianSearch } from "./bayesian-search.ts";
import { gridPoints, type ParameterSet } from "./parameter-space.ts";

// a smooth bowl with its top at (0.3, 0.7), on a 21 × 21 grid
const parameters = { x: { min: 0, max: 1, step: 0.05, integer: false }, y: { min: 0, max: 1, step: 0.05, integer: false } };
const f = (p: ParameterSet) => -(((p.x as number) - 0.3) ** 2) - ((p.y as number) - 0.7) ** 2;
const isTop = (p: ParameterSet) => p.x === 0.3 && p.y === 0.7;

/** Evaluations until the top is tried, proposing `batch` at a time. */
function evaluationsToTop(seed: number, batch: number, budget = 120): number {
  const search = new BayesianSearch(parameters, { seed, initial: 6 });
  for (let n = 0; n < budget; ) {
    for (const p of search.propose(batch)) {
      n++;
      if (isTop(p)) return n;
      search.observe(p, f(p));
    }
  }
  return Number.POSITIVE_INFINITY;
}

t.test("Bayesian search finds the top of a smooth function in far fewer evaluations than the grid", async (t) => {
  const grid = gridPoints(parameters);
  const gridToTop = grid.findIndex(isTop) + 1;
  t.equal(grid.length, 441);
  t.equal(gridToTop, 141, "the grid walks 141 sets before the top, and all 441 to know it is the top");
  for (const seed of [1, 2, 3]) {
    const one = evaluationsToTop(seed, 1);
    t.ok(one <= 30, `seed ${seed}: the top after ${one} evaluations, one at a time`);
    const four = evaluationsToTop(seed, 4);
    t.ok(four <= 30, `seed ${seed}: the top after ${four} evaluations, four at a time`);
  }
});

t.test("proposals are seeded, never repeat a set tried, and take lists and whole numbers", async (t) => {
  const space = { period: { min: 2, max: 9, integer: true }, mode: { values: ["fast", "slow"] } };
  const run = () => {
    const s = new BayesianSearch(space, { seed: 9, initial: 3, candidates: 200 });
    const seen: ParameterSet[] = [];
    for (let round = 0; round < 5; round++)
      for (const p of s.propose(2)) {
        seen.push(p);
        s.observe(p, (p.period as number) * (p.mode === "fast" ? 1 : -1));
      }
    return seen;
  };
  const a = run();
  t.same(run(), a, "the same seed, the same proposals");
  t.equal(new Set(a.map((p) => JSON.stringify(p))).size, a.length, "no set twice");
  t.ok(
    a.every(
      (p) =>
        Number.isInteger(p.period) && (p.period as number) >= 2 && (p.period as number) <= 9 && ["fast", "slow"].includes(p.mode as string),
    ),
  );
  t.ok(
    a.slice(6).some((p) => p.mode === "fast" && (p.period as number) >= 8),
    "the search moves toward the best corner",
  );
});
