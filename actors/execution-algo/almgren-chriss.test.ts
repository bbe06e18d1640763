import t from "tap";
import { holdings, trajectory, urgency } from "./almgren-chriss.ts";

const base = { quantity: 1_000_000, intervals: 5, tau: 1, volatility: 0.3, temporaryImpact: 2.5e-6, permanentImpact: 2.5e-7 };

t.test("κ solves (2/τ²)(cosh κτ − 1) = λσ²/η̃ with η̃ = η − γτ/2", async (t) => {
  const p = { ...base, riskAversion: 1e-6 };
  const k = urgency(p);
  const etaTilde = p.temporaryImpact - (p.permanentImpact * p.tau) / 2;
  t.ok(Math.abs((2 / (p.tau * p.tau)) * (Math.cosh(k * p.tau) - 1) - (p.riskAversion * p.volatility ** 2) / etaTilde) < 1e-12);
  t.throws(() => urgency({ ...p, permanentImpact: 10 }), /temporaryImpact .* must exceed permanentImpact/);
});

t.test("holdings follow X·sinh(κ(T − t))/sinh(κT), from X down to 0", async (t) => {
  const p = { ...base, riskAversion: 1e-6 };
  const k = urgency(p);
  const x = holdings(p);
  t.equal(x.length, 6);
  t.equal(x[0], p.quantity);
  t.equal(x[5], 0);
  for (let j = 0; j <= 4; j++) {
    const expected = (p.quantity * Math.sinh(k * (5 - j))) / Math.sinh(k * 5);
    t.ok(Math.abs((x[j] ?? Number.NaN) - expected) < 1e-6, `x_${j} = ${expected}`);
  }
});

t.test("the trade list sums to the quantity and front-loads with risk aversion", async (t) => {
  const n = trajectory({ ...base, riskAversion: 1e-5 });
  t.ok(Math.abs(n.reduce((s, v) => s + v, 0) - base.quantity) < 1e-6);
  for (let i = 1; i < n.length; i++) t.ok((n[i] ?? 0) < (n[i - 1] ?? 0), `trade ${i} smaller than trade ${i - 1}`);
});

t.test("as λ → 0 the trajectory tends to TWAP", async (t) => {
  const twap = base.quantity / base.intervals;
  for (const v of trajectory({ ...base, riskAversion: 0 })) t.ok(Math.abs(v - twap) < 1e-6, `λ = 0: ${v} is the TWAP slice`);
  const near = trajectory({ ...base, riskAversion: 1e-12 });
  for (const v of near) t.ok(Math.abs(v - twap) / twap < 1e-4, `${v} within 0.01% of ${twap}`);
});
