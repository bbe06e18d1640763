import type { NatsConnection } from "@nats-io/transport-node";
import { errorMessage } from "../../actors/contract/index.ts";
import { archivedBefore, type Journal } from "../../infra/nats/journal.ts";
import type { Logger } from "../../infra/telemetry/log.ts";

/** How an event-sourced kind's journal is compacted (ActorKind.compactJournal). */
export type CompactionRule = true | { archivedBy: string };

/**
 * Purges an actor's journal before its latest saved snapshot (which holds those events). Where an archive must hold
 * the events first, it purges as far as the archive's consumer has acknowledged, and while the archive is behind it
 * asks again every `retryMs`, so a book that has gone quiet since its last snapshot is compacted all the same.
 */
export class JournalCompaction {
  /** the latest saved snapshot's sequence: the journal before it may go */
  private target = 0;
  private purged = 0;
  private running = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly rule: CompactionRule,
    private readonly journal: Journal,
    private readonly nc: NatsConnection,
    private readonly retryMs: number,
    private readonly log: Logger,
    private readonly actor: string,
  ) {}

  /** A snapshot including every event before `seq` is saved. */
  saved(seq: number): void {
    if (seq <= this.target) return;
    this.target = seq;
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
  }

  private async run(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    try {
      const target = this.target;
      const before = this.rule === true ? target : await archivedBefore(this.nc, this.rule.archivedBy, target);
      if (before > this.purged + 1) {
        await this.journal.purgeBefore(before);
        this.purged = before - 1;
      }
      if (before < this.target && !this.stopped) {
        this.retry = setTimeout(() => void this.run(), this.retryMs);
        this.retry.unref?.();
      }
    } catch (e) {
      this.log.warn("journal not compacted", { actor: this.actor, error: errorMessage(e) });
    } finally {
      this.running = false;
    }
  }
}
