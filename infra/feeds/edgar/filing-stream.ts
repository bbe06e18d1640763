/**
 * A seeded stream of 8-K filings for a local EDGAR: every `everyMs` or so one of the companies files, with the item
 * mix real 8-Ks show (results with exhibits, officer changes, Regulation FD, material agreements, other events,
 * shareholder votes), now and then an amendment. Each filing is a function of the seed and its time slot
 * (seeded-schedule.ts), its accession number too, so a restart files the same filings again, never new ones.
 */
import { startSeededSchedule, type SeededSchedule } from "../seeded-schedule.ts";
import { easternWallTime, type LocalEdgar } from "./local-provider.ts";

export interface FilingCompany {
  cik: string;
  name: string;
}

export interface FilingStreamOptions {
  companies: readonly FilingCompany[];
  seed: number;
  /** mean time between filings, ms (default 45 000) */
  everyMs?: number;
  /** filings already on file at start, reaching this far back, ms (default 30 minutes) */
  historyMs?: number;
  now?: () => number;
  onError?: (e: unknown) => void;
}

/** 8-K item sets with their weights: earnings releases and Regulation FD most often, votes least. */
const ITEM_MIX: readonly (readonly [weight: number, items: readonly string[]])[] = [
  [5, ["2.02", "9.01"]],
  [3, ["7.01", "9.01"]],
  [3, ["8.01"]],
  [2, ["5.02"]],
  [2, ["1.01", "9.01"]],
  [2, ["8.01", "9.01"]],
  [1, ["5.07"]],
];
const MIX_TOTAL = ITEM_MIX.reduce((s, [w]) => s + w, 0);

function pickItems(at: number): readonly string[] {
  let left = at;
  for (const [weight, items] of ITEM_MIX) {
    left -= weight;
    if (left < 0) return items;
  }
  return ITEM_MIX[0]![1];
}

export function streamFilings(edgar: LocalEdgar, o: FilingStreamOptions): SeededSchedule {
  if (o.companies.length === 0) throw new RangeError("companies: the filing stream needs at least one company");
  for (const c of o.companies) edgar.company(c.cik, c.name);
  return startSeededSchedule({
    seed: o.seed,
    slotMs: o.everyMs ?? 45_000,
    historyMs: o.historyMs ?? 30 * 60_000,
    ...(o.now ? { now: o.now } : {}),
    ...(o.onError ? { onError: o.onError } : {}),
    publish: (slot, atMs, random) => {
      const company = o.companies[Math.floor(random.next() * o.companies.length)]!;
      const items = pickItems(random.next() * MIX_TOTAL);
      const acceptedEt = easternWallTime(atMs);
      // ##########-YY-######: the slot numbers the filing; a year holds under a million slots of 32 s or more, so
      // with everyMs of at least that a company's accession numbers never repeat
      const accession = `${company.cik.padStart(10, "0")}-${acceptedEt.slice(2, 4)}-${String(slot % 1_000_000).padStart(6, "0")}`;
      edgar.file({
        cik: company.cik,
        company: company.name,
        form: random.next() < 0.1 ? "8-K/A" : "8-K",
        items: [...items],
        acceptedEt,
        accession,
      });
    },
  });
}
