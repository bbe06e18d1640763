import {
  FixMsgStoreRecord,
  type IFixMsgStore,
  type IFixMsgStoreRecord,
  type IFixMsgStoreState,
  type IFixSessionStore,
  type IFixSessionStoreFactory,
  type SessionId,
} from "./engine.ts";

/**
 * Where FIX sessions keep what must survive a restart or a move to another node: a key-value bucket of the
 * node's durable store (JetStream KV on a node, a Map in tests and backtests). Keys are dot-separated tokens.
 */
export interface FixSessionBucket {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
}

/** A bucket in memory, for tests and backtests (nothing survives the process). */
export function memoryFixSessionBucket(): FixSessionBucket & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    get: async (key) => entries.get(key),
    put: async (key, value) => void entries.set(key, value),
  };
}

interface StoredSequences {
  sender: number;
  target: number;
  createdMs: number;
  /** bumped by a sequence reset: messages of an earlier generation are never resent */
  generation: number;
}

/**
 * Sent messages kept for resends, in memory and in the bucket: the bucket's keys form a ring of this many slots
 * (a message overwrites the one this many numbers before it), so a long session never grows the bucket.
 */
const KEPT_MESSAGES = 10_000;

const token = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, "_");

/**
 * The sequence numbers and sent messages of one FIX session, written through to a `FixSessionBucket`: sequence
 * numbers coalesced (one write in flight, the latest value wins), each sent message under its own key when
 * `keepMessages` (an acceptor resending execution reports; an initiator answers resends with gap fills only).
 * A crash loses at most the writes still in flight, which the counterparty's resend request or our reconciliation
 * then covers.
 */
export class DurableFixSessionStore implements IFixSessionStore {
  private seq: StoredSequences = { sender: 1, target: 1, createdMs: Date.now(), generation: 0 };
  private readonly recent = new Map<number, IFixMsgStoreRecord>();
  private readonly prefix: string;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private failure: Error | undefined;
  private loaded = false;

  constructor(
    readonly sessionId: SessionId,
    private readonly bucket: FixSessionBucket,
    private readonly keepMessages: boolean,
    namespace: string,
  ) {
    this.prefix = `${token(namespace)}.${token(sessionId.senderCompID)}.${token(sessionId.targetCompID)}`;
  }

  get senderSeqNum(): number {
    return this.seq.sender;
  }
  get targetSeqNum(): number {
    return this.seq.target;
  }
  get creationTime(): Date {
    return new Date(this.seq.createdMs);
  }
  /** the last write error, if the bucket refused one (surfaced by flush) */
  get lastFailure(): Error | undefined {
    return this.failure;
  }

  /** Reads the bucket once: a later connection of the same session continues from what this process holds. */
  async initialize(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    const stored = await this.bucket.get(`${this.prefix}.seq`);
    if (stored !== undefined) this.seq = JSON.parse(stored) as StoredSequences;
  }

  async setSenderSeqNum(value: number): Promise<void> {
    this.seq.sender = value;
    this.persist();
  }
  async setTargetSeqNum(value: number): Promise<void> {
    this.seq.target = value;
    this.persist();
  }
  async nextSenderSeqNum(): Promise<number> {
    const n = this.seq.sender++;
    this.persist();
    return n;
  }
  async nextTargetSeqNum(): Promise<number> {
    const n = this.seq.target++;
    this.persist();
    return n;
  }

  async reset(): Promise<void> {
    this.seq = { sender: 1, target: 1, createdMs: Date.now(), generation: this.seq.generation + 1 };
    this.recent.clear();
    this.persist();
    await this.flush();
  }

  async put(record: IFixMsgStoreRecord): Promise<void> {
    if (!this.keepMessages || !record.encoded) return;
    this.recent.set(record.seqNum, record);
    if (this.recent.size > KEPT_MESSAGES) this.recent.delete(this.recent.keys().next().value as number);
    const value = JSON.stringify({ n: record.seqNum, t: record.msgType, ms: record.timestamp.getTime(), e: record.encoded });
    await this.bucket.put(this.messageKey(record.seqNum), value).catch((e: unknown) => {
      this.failure = e instanceof Error ? e : new Error(String(e));
    });
  }

  async get(seqNum: number): Promise<IFixMsgStoreRecord | null> {
    const cached = this.recent.get(seqNum);
    if (cached) return cached;
    const stored = await this.bucket.get(this.messageKey(seqNum));
    if (stored === undefined) return null;
    const m = JSON.parse(stored) as { n: number; t: string; ms: number; e: string };
    // the slot holds a later message once the ring has come round: this one is gone
    if (m.n !== seqNum) return null;
    return new FixMsgStoreRecord(m.t, new Date(m.ms), seqNum, undefined, m.e);
  }

  async getRange(fromSeqNum: number, toSeqNum: number): Promise<IFixMsgStoreRecord[]> {
    const out: IFixMsgStoreRecord[] = [];
    const last = Math.min(toSeqNum, this.seq.sender - 1);
    for (let n = fromSeqNum; n <= last; n++) {
      const r = await this.get(n);
      if (r) out.push(r);
    }
    return out;
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure) throw this.failure;
  }

  async dispose(): Promise<void> {
    await this.flush();
  }

  /** The view the engine's resender reads (FixMsgAsciiStoreResend): the same messages, by sequence range. */
  messageStore(): IFixMsgStore {
    const state = (): IFixMsgStoreState => ({ length: this.recent.size, firstSeq: 1, lastSeq: this.seq.sender - 1, id: this.prefix });
    return {
      clear: async () => state(),
      getState: async () => state(),
      put: async (r) => {
        await this.put(r);
        return state();
      },
      get: async (n) => {
        const r = await this.get(n);
        if (!r) throw new Error(`FIX message ${n} of ${this.prefix} is not stored`);
        return r;
      },
      exists: async (n) => (await this.get(n)) !== null,
      getSeqNumRange: (from, to) => this.getRange(from, to === undefined || to === 0 ? Number.MAX_SAFE_INTEGER : to),
      getMsgType: async (msgType) => [...this.recent.values()].filter((r) => r.msgType === msgType),
    };
  }

  private messageKey(seqNum: number): string {
    return `${this.prefix}.g${this.seq.generation}.${seqNum % KEPT_MESSAGES}`;
  }

  private persist(): void {
    this.dirty = true;
    if (this.writing) return;
    this.writing = (async () => {
      while (this.dirty) {
        this.dirty = false;
        await this.bucket.put(`${this.prefix}.seq`, JSON.stringify(this.seq)).catch((e: unknown) => {
          this.failure = e instanceof Error ? e : new Error(String(e));
        });
      }
      this.writing = undefined;
    })();
  }
}

/**
 * Stores of the sessions of one endpoint, in one bucket namespace (e.g. `fix-initiator-SIMX`). Each connection of
 * a session gets the same store: its numbers in this process are ahead of the bucket while a write is in flight.
 */
export class DurableFixSessionStores implements IFixSessionStoreFactory {
  readonly opened: DurableFixSessionStore[] = [];
  constructor(
    private readonly bucket: FixSessionBucket,
    private readonly namespace: string,
    private readonly keepMessages: boolean,
  ) {}

  create(sessionId: SessionId): DurableFixSessionStore {
    const open = this.opened.find((s) => s.sessionId.toString() === sessionId.toString());
    if (open) return open;
    const store = new DurableFixSessionStore(sessionId, this.bucket, this.keepMessages, this.namespace);
    this.opened.push(store);
    return store;
  }
}
