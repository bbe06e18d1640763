import { readFileSync } from "node:fs";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  checkDefinitions,
  type InstrumentDefinition,
  InstrumentDefinitionError,
  loadInstrumentDefinitions,
  parseDefinitionRecord,
} from "../../actors/instrument/index.ts";
import { createLogger, type Logger } from "../telemetry/log.ts";
import { type BucketEntry, BucketWatch, readBucket } from "./bucket-watch.ts";
import { buckets } from "./resources.ts";
import { kvToken, parseKvToken } from "./snapshot-store.ts";
import { errorMessage } from "../../actors/contract/index.ts";

/**
 * Instrument definitions in the am-instruments bucket: one key per instrument (its id as one escaped KV token,
 * `BRK.B.XNYS` → `BRK=2EB=2EXNYS`), the value the definition as JSON with decimals as strings. Every value is
 * validated on write (a bad set is refused whole) and on read (a bad entry is reported and skipped, so it never
 * reaches an actor).
 */
export const instrumentKey = (id: string): string => kvToken(id);
export const instrumentIdOfKey = (key: string): string => parseKvToken(key);

export type Catalogue = Map<string, InstrumentDefinition>;

export function openInstrumentBucket(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).open(buckets.instruments);
}

export interface PutReport {
  /** ids written */
  written: string[];
  /** ids left as they were: already stored with the same value, or (onlyAbsent) already defined */
  kept: string[];
}

/**
 * Stores definitions after checking all of them: one bad definition refuses the whole set and nothing is written
 * (InstrumentDefinitionError naming each instrument and field). An unchanged definition is not written again.
 * `onlyAbsent` writes only ids with no live value (the demo seed must never overwrite what an operator changed).
 */
export async function putDefinitions(
  kv: KV,
  defs: readonly InstrumentDefinition[],
  opts: { onlyAbsent?: boolean } = {},
): Promise<PutReport> {
  const records = checkDefinitions(defs);
  const report: PutReport = { written: [], kept: [] };
  for (const r of records) {
    const value = JSON.stringify(r);
    if (!opts.onlyAbsent) {
      // re-loading the same file is no change: the bucket's history keeps only real edits
      const live = await kv.get(instrumentKey(r.id));
      if (live?.operation === "PUT" && live.string() === value) report.kept.push(r.id);
      else {
        await kv.put(instrumentKey(r.id), value);
        report.written.push(r.id);
      }
      continue;
    }
    try {
      // create() fails when a live value exists: atomic against another node seeding at the same time
      await kv.create(instrumentKey(r.id), value);
      report.written.push(r.id);
    } catch (e) {
      const live = await kv.get(instrumentKey(r.id));
      if (live?.operation !== "PUT") throw e;
      report.kept.push(r.id);
    }
  }
  return report;
}

/** The definition of one instrument; undefined when there is none (or it was deleted). Throws if the value is bad. */
export async function getDefinition(kv: KV, id: string): Promise<InstrumentDefinition | undefined> {
  const key = instrumentKey(id);
  const e = await kv.get(key);
  if (e?.operation !== "PUT") return undefined;
  return parseDefinitionRecord(e.string(), key, id);
}

export async function deleteDefinition(kv: KV, id: string): Promise<void> {
  await kv.delete(instrumentKey(id));
}

export interface CatalogueHooks {
  /** a stored value that fails validation: it is skipped (a live catalogue keeps the last good definition) */
  onInvalid?(key: string, error: Error): void;
  /** a change applied to a live catalogue (after the initial load) */
  onChange?(change: { op: "put"; definition: InstrumentDefinition } | { op: "delete"; id: string }): void;
  /** who reads (the node id; its watch consumer is named after it) and where an interrupted watch is reported */
  reader?: { owner: string; log: Logger };
}

const anonymousReader = (): { owner: string; log: Logger } => ({ owner: "catalogue", log: createLogger({ level: "warn" }) });

/** Applies one entry to `catalogue`; answers the change, or undefined when nothing changed. */
function applyEntry(
  catalogue: Catalogue,
  e: BucketEntry,
  hooks: CatalogueHooks,
): Parameters<NonNullable<CatalogueHooks["onChange"]>>[0] | undefined {
  const id = instrumentIdOfKey(e.key);
  if (e.operation !== "PUT") return catalogue.delete(id) ? { op: "delete", id } : undefined;
  try {
    const d = parseDefinitionRecord(new TextDecoder().decode(e.value), e.key, id);
    catalogue.set(d.id, d);
    return { op: "put", definition: d };
  } catch (err) {
    // a corrupt write (not through putDefinitions) must not take a live instrument away: the last good one stays
    hooks.onInvalid?.(e.key, err as Error);
    return undefined;
  }
}

/**
 * Every valid definition in the bucket, by id; bad entries are passed to onInvalid and skipped. Read by a watch
 * that is deleted at once (a key listing left a consumer on the bucket for five minutes).
 */
export async function loadCatalogue(kv: KV, hooks: CatalogueHooks = {}): Promise<Catalogue> {
  const entries = await readBucket(kv, { bucket: buckets.instruments, ...(hooks.reader ?? anonymousReader()) });
  const out: Catalogue = new Map();
  for (const e of entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) applyEntry(out, e, hooks);
  return out;
}

export interface CatalogueWatch {
  /** ends the watch and deletes its consumer */
  stop(): Promise<void>;
}

/**
 * Fills `catalogue` with the bucket's definitions, then keeps it live: added, changed and deleted definitions are
 * applied to the same Map object, so whoever closes over it sees them. One watch does both (last values, then
 * changes), so a change made while loading is never lost.
 */
export async function watchCatalogue(kv: KV, catalogue: Catalogue, hooks: CatalogueHooks = {}): Promise<CatalogueWatch> {
  const watch = new BucketWatch(kv, {
    bucket: buckets.instruments,
    ...(hooks.reader ?? anonymousReader()),
    onEntry: (e) => {
      const change = applyEntry(catalogue, e, hooks);
      if (change && !e.initial) hooks.onChange?.(change);
    },
  });
  await watch.start();
  return { stop: () => watch.stop() };
}

/** Definitions from a JSON file (see loadInstrumentDefinitions); errors name the file, the instrument and the field. */
export function readDefinitionsFile(path: string): InstrumentDefinition[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new InstrumentDefinitionError(`instrument file ${path} cannot be read: ${errorMessage(e)}`);
  }
  try {
    return loadInstrumentDefinitions(text);
  } catch (e) {
    throw new InstrumentDefinitionError(`instrument file ${path}: ${errorMessage(e)}`);
  }
}
