/**
 * A drop folder of alternative data files (satellite counts, card spend...): every `.csv` and `.jsonl` file that
 * appears in it is read whole, checked row by row against the schema, and its good rows delivered as
 * SeriesObservations, then the file moves to done/ (rejected/ when it cannot be read at all, delivering nothing).
 * A bad row is named by file and line and skipped. Writers must drop a finished file (write elsewhere or under
 * another extension, then rename), so a half-written file is never read. The folder is scanned on a timer rather
 * than watched: file-system events are lost on network mounts and across restarts, a scan is not.
 */
import { mkdir, readdir, readFile, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Clock, parseInstrumentId, systemClock } from "../../../actors/contract/index.ts";
import type { SeriesObservation } from "../../../actors/domain/index.ts";
import type { Logger } from "../../telemetry/index.ts";
import { pollEvery } from "../backoff.ts";
import { FeedError, FeedErrorReason, type FeedIssue } from "../feed-error.ts";
import { type FileRows, readCsv, readJsonl } from "./rows.ts";
import { cellTimeMs, type FileDropSchema } from "./schema.ts";

export interface FileDropOptions {
  /** the folder watched; done/ and rejected/ are made inside it */
  dir: string;
  /** the feed's name, the observations' source */
  source: string;
  schema: FileDropSchema;
  /** names in the instrument column → instrument ids; a name not here must itself be SYMBOL.VENUE */
  instruments?: ReadonlyMap<string, string>;
  onObservation: (o: SeriesObservation) => void;
  onIssue?: (issue: FeedIssue) => void;
  logger?: Logger;
  /** time between scans, ms (default 5 000) */
  pollMs?: number;
  clock?: Clock;
}

export interface FileOutcome {
  file: string;
  delivered: number;
  /** "file:line: reason" */
  rejected: string[];
  moved: "done" | "rejected";
}

export class FileDrop {
  private readonly abort = new AbortController();
  private readonly clock: Clock;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: FileDropOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Reads the files already there (rejecting when the folder cannot be read), then scans until stop(). */
  async start(): Promise<void> {
    await this.scan();
    this.loop = pollEvery(
      this.opts.pollMs ?? 5_000,
      this.abort.signal,
      async () => void (await this.scan()),
      (e) => this.issue({ reason: e instanceof FeedError ? e.reason : FeedErrorReason.Network, detail: (e as Error).message }),
    );
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /** One pass over the folder, files in name order. */
  async scan(): Promise<FileOutcome[]> {
    let names: string[];
    try {
      names = (await readdir(this.opts.dir)).filter((n) => /\.(csv|jsonl)$/i.test(n)).sort();
    } catch (e) {
      throw new FeedError(
        FeedErrorReason.Network,
        `file feed ${this.opts.source}: cannot read folder ${this.opts.dir}: ${(e as Error).message}`,
      );
    }
    const out: FileOutcome[] = [];
    for (const name of names) {
      if (this.abort.signal.aborted) break;
      const path = join(this.opts.dir, name);
      if (!(await stat(path)).isFile()) continue;
      out.push(await this.ingest(name));
    }
    return out;
  }

  private async ingest(name: string): Promise<FileOutcome> {
    const { schema, source } = this.opts;
    const path = join(this.opts.dir, name);
    let parsed: FileRows;
    try {
      const text = await readFile(path, "utf8");
      parsed = /\.csv$/i.test(name) ? readCsv(text, [schema.time, schema.instrument]) : readJsonl(text);
    } catch (e) {
      const reason = `${name}:${(e as Error).message.replace(/^line /, "")}`;
      this.issue({
        reason: FeedErrorReason.Malformed,
        detail: `file feed ${source}: ${reason}; the file is moved to rejected/ with nothing applied`,
      });
      await this.move(name, "rejected");
      return { file: name, delivered: 0, rejected: [reason], moved: "rejected" };
    }
    const rejected = parsed.rejected.map((r) => `${name}:${r.replace(/^line /, "")}`);
    // the whole file is checked before anything of it leaves: a file is applied as a unit, its bad rows left out
    const good: SeriesObservation[] = [];
    const tsInit = this.clock.nowUs();
    for (const row of parsed.rows) {
      try {
        good.push(...this.observations(row.cells, tsInit));
      } catch (e) {
        rejected.push(`${name}:${row.line}: ${(e as Error).message}`);
      }
    }
    for (const r of rejected) this.issue({ reason: FeedErrorReason.Malformed, detail: `file feed ${source}: ${r} (row skipped)` });
    for (const o of good) this.opts.onObservation(o);
    await this.move(name, "done");
    this.opts.logger?.info("file feed applied a file", { file: name, observations: good.length, rejected: rejected.length });
    return { file: name, delivered: good.length, rejected, moved: "done" };
  }

  private observations(cells: Record<string, unknown>, tsInit: number): SeriesObservation[] {
    const { schema } = this.opts;
    const time = cells[schema.time];
    const timeText = typeof time === "number" ? String(time) : time;
    if (typeof timeText !== "string" || !timeText) throw new TypeError(`${schema.time} is missing`);
    let ms: number;
    try {
      ms = cellTimeMs(timeText);
    } catch (e) {
      throw new TypeError(`${schema.time} ${(e as Error).message}`);
    }
    const name = cells[schema.instrument];
    if (typeof name !== "string" || !name) throw new TypeError(`${schema.instrument} is missing`);
    const instrument = this.opts.instruments?.get(name) ?? name;
    try {
      parseInstrumentId(instrument);
    } catch {
      throw new TypeError(`${schema.instrument} ${JSON.stringify(name)} is neither in the symbol map nor SYMBOL.VENUE`);
    }
    const out: SeriesObservation[] = [];
    for (const series of schema.values) {
      const v = cells[series];
      // an empty cell is no observation of that series on that row, not an error
      if (v === undefined || v === null || v === "") continue;
      const value =
        typeof v === "number"
          ? v
          : typeof v === "string" && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim())
            ? Number(v)
            : Number.NaN;
      if (!Number.isFinite(value)) throw new TypeError(`${series} ${JSON.stringify(v)} is not a finite number`);
      out.push({ instrument, source: this.opts.source, series, value, tsEvent: ms * 1000, tsInit });
    }
    if (!out.length) throw new TypeError(`no value in ${schema.values.join(", ")}`);
    return out;
  }

  private async move(name: string, to: "done" | "rejected"): Promise<void> {
    const dir = join(this.opts.dir, to);
    await mkdir(dir, { recursive: true });
    await rename(join(this.opts.dir, name), join(dir, name));
  }

  private issue(i: FeedIssue): void {
    this.opts.logger?.warn("file feed issue", { reason: i.reason, detail: i.detail });
    this.opts.onIssue?.(i);
  }
}
