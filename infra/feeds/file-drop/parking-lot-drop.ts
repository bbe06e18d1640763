/**
 * A seeded series for a drop folder, the kind of file a satellite imagery vendor delivers: every `everyMs` a CSV of
 * the parking-lot car count (and the lot's fill ratio) at each company's stores, following store hours (US/Eastern,
 * busiest mid-afternoon, busier at weekends) and a slow monthly swing, with noise. Files are written under another
 * name and renamed into the folder, so the file feed never reads half a file; the history at start is one file. Each file is a function of the seed
 * and its time slot (seeded-schedule.ts), so a restart drops the same counts again, never new ones.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Xoshiro128 } from "../../../actors/feed/simulator/index.ts";
import { startSeededSchedule, type SeededSchedule } from "../seeded-schedule.ts";
import type { FileDropSchema } from "./schema.ts";

/** What the files hold, as AM_FILE_FEED_SCHEMA reads it. */
export const PARKING_LOT_SCHEMA: FileDropSchema = { time: "time", instrument: "ticker", values: ["car_count", "fill_ratio"] };

export interface ParkingLotDropOptions {
  dir: string;
  /** the names of the files' ticker column */
  tickers: readonly string[];
  seed: number;
  /** time between files, ms (default 60 000) */
  everyMs?: number;
  /** files already dropped at start, reaching this far back, ms (default 15 minutes) */
  historyMs?: number;
  now?: () => number;
  onError?: (e: unknown) => void;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Share of a lot's spaces taken at `ms`: stores open 07:00-22:00 US/Eastern (UTC-5 here), busiest mid-afternoon. */
function occupancy(ms: number, phase: number): number {
  const hour = ((((ms - 5 * HOUR_MS) % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
  const open = hour >= 7 && hour < 22 ? Math.sin((Math.PI * (hour - 7)) / 15) : 0;
  const weekday = new Date(ms - 5 * HOUR_MS).getUTCDay();
  const weekend = weekday === 0 || weekday === 6 ? 1.15 : 1;
  const month = 1 + 0.1 * Math.sin((2 * Math.PI * ms) / (30 * DAY_MS) + phase);
  return (0.06 + 0.62 * open) * weekend * month;
}

export function dropParkingLotCounts(o: ParkingLotDropOptions): SeededSchedule {
  if (o.tickers.length === 0) throw new RangeError("tickers: the parking-lot series needs at least one ticker");
  const everyMs = o.everyMs ?? 60_000;
  // each company's lot size and seasonal phase: fixed by the seed, the same in every file
  const lots = o.tickers.map((ticker, i) => {
    const r = new Xoshiro128(o.seed ^ 0x5a7e111e, i);
    return { ticker, capacity: 600 + Math.floor(r.next() * 2400), phase: r.next() * 2 * Math.PI };
  });
  const stamp = (slot: number): string => new Date(slot * everyMs).toISOString().replace(/\.\d{3}Z$/, "Z");
  const write = async (slots: readonly { slot: number; random: Xoshiro128 }[]): Promise<void> => {
    const rows = slots.flatMap(({ slot, random }) =>
      lots.map(({ ticker, capacity, phase }) => {
        const occupied = occupancy(slot * everyMs, phase) * (1 + 0.06 * random.normal());
        const cars = Math.max(0, Math.min(capacity, Math.round(capacity * occupied)));
        return `${stamp(slot)},${ticker},${cars},${(cars / capacity).toFixed(3)}`;
      }),
    );
    const first = stamp(slots[0]!.slot).replace(/[-:]/g, "");
    const last = stamp(slots[slots.length - 1]!.slot).replace(/[-:]/g, "");
    const name = `parking-lots-${first}${last === first ? "" : `-${last}`}.csv`;
    await mkdir(o.dir, { recursive: true });
    const part = join(o.dir, `.${name}.part`);
    await writeFile(part, `time,ticker,car_count,fill_ratio\n${rows.join("\n")}\n`);
    await rename(part, join(o.dir, name));
  };
  return startSeededSchedule({
    seed: o.seed,
    slotMs: everyMs,
    historyMs: o.historyMs ?? 15 * 60_000,
    ...(o.now ? { now: o.now } : {}),
    ...(o.onError ? { onError: o.onError } : {}),
    publish: (slot, _atMs, random) => write([{ slot, random }]),
    // the history in one file, as a vendor's backfill comes
    publishHistory: (events) => write(events),
  });
}
