import { nextRandom } from "../../actors/domain/index.ts";
import type { ParameterValues } from "./sweep-config.ts";

export type ParameterSet = Record<string, number | string | boolean>;

/** The grid points of one parameter; a range is walked from min by step (rounded to the step's decimals). */
export function gridValues(name: string, v: ParameterValues): (number | string | boolean)[] {
  if ("values" in v) return v.values;
  if (v.step === undefined) throw new RangeError(`parameter ${name}: a grid needs a step or a list of values`);
  const decimals = (String(v.step).split(".")[1] ?? "").length;
  const count = Math.floor((v.max - v.min) / v.step + 1e-9) + 1;
  return Array.from({ length: count }, (_, i) => Number((v.min + i * v.step!).toFixed(decimals)));
}

/** Every combination, the first parameter varying slowest (the order trials are numbered in). */
export function gridPoints(parameters: Record<string, ParameterValues>): ParameterSet[] {
  let points: ParameterSet[] = [{}];
  for (const [name, v] of Object.entries(parameters)) {
    const values = gridValues(name, v);
    points = points.flatMap((p) => values.map((x) => ({ ...p, [name]: x })));
  }
  return points;
}

/** `trials` draws from a seeded stream: the same seed, the same points (duplicates are kept, as drawn). */
export function randomPoints(parameters: Record<string, ParameterValues>, trials: number, seed: number): ParameterSet[] {
  let state = seed | 0;
  const draw = (): number => {
    const [u, next] = nextRandom(state);
    state = next;
    return u;
  };
  const out: ParameterSet[] = [];
  for (let t = 0; t < trials; t++) {
    const p: ParameterSet = {};
    for (const [name, v] of Object.entries(parameters)) {
      if ("values" in v || v.step !== undefined) {
        const values = gridValues(name, v);
        p[name] = values[Math.floor(draw() * values.length)]!;
      } else if (v.integer) {
        const lo = Math.ceil(v.min);
        p[name] = lo + Math.floor(draw() * (Math.floor(v.max) - lo + 1));
      } else p[name] = v.min + draw() * (v.max - v.min);
    }
    out.push(p);
  }
  return out;
}
