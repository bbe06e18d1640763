import { createHash, type Hash } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import type { Message } from "../../infra/nats/codec.ts";

const NUL = new Uint8Array([0]);
const encoder = new TextEncoder();

/**
 * The run's event journal: every domain event (am.evt) and dead letter (am.dlq) in publication order, as subject,
 * type and the codec's bytes. Its SHA-256 is the run's fingerprint (same inputs and seed, same hash); with a file,
 * one JSON line per event is written too.
 */
export class EventJournal {
  private readonly hash: Hash = createHash("sha256");
  private readonly file: WriteStream | undefined;
  count = 0;

  constructor(path?: string) {
    this.file = path ? createWriteStream(path) : undefined;
  }

  record(subject: string, message: Message, data: Uint8Array): void {
    this.count++;
    this.hash.update(encoder.encode(subject));
    this.hash.update(NUL);
    this.hash.update(encoder.encode(message.type));
    this.hash.update(NUL);
    this.hash.update(data);
    this.file?.write(`${JSON.stringify({ subject, ...message }, bigintsAsText)}\n`);
  }

  /** Ends the file (when there is one) and returns the journal's hash, hex. */
  async close(): Promise<string> {
    const file = this.file;
    if (file) await new Promise<void>((resolve, reject) => file.end((e?: Error | null) => (e ? reject(e) : resolve())));
    return this.hash.digest("hex");
  }
}

const bigintsAsText = (_key: string, value: unknown): unknown => (typeof value === "bigint" ? value.toString() : value);
