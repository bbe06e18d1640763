import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";

export class NoResponders extends Error {}
export class RequestTimeout extends Error {}
/**
 * The connection dropped and came back after the request was written: the server may or may not have taken it
 * (nats.js drops what it buffered while disconnected), and an answer it sent went to the dead connection. Failing it
 * once the connection is back lets a requester that can ask again safely (a fenced, de-duplicated journal append)
 * do so at once, not after its timeout.
 */
export class ConnectionLost extends Error {}

interface Waiting {
  resolve(m: Msg): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
  /** the connection's reconnects counted when it was written: one since means it may never have reached the server */
  written: number;
  subject: string;
}

/**
 * Request/reply over one wildcard reply subscription of our own. nc.request() builds three Error objects (for
 * async stack traces and a "canceled" rejection nobody hears) and a promise-wrapped timer per call, a large part
 * of the cost of a busy requester (the gateway per call, placement per lease renewal); here a call is a publish, a Map entry and one timer. No responders arrive, as
 * with nc.request(), as an empty status 503 message on the reply subject.
 */
export class ReplyInbox {
  private readonly prefix = `${createInbox()}.`;
  private readonly waiting = new Map<string, Waiting>();
  private sub: Subscription | undefined;
  private seq = 0;
  private reconnects = 0;
  private watching = false;

  constructor(private readonly nc: NatsConnection) {}

  request(subject: string, data: Uint8Array, headers: MsgHdrs | undefined, timeoutMs: number): Promise<Msg> {
    // a closed connection refuses the subscription: the caller hears it as a failed request, never as a throw
    try {
      this.sub ??= this.subscribe();
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const token = (this.seq++).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(token);
        reject(new RequestTimeout(subject));
      }, timeoutMs);
      this.waiting.set(token, { resolve, reject, timer, written: this.reconnects, subject });
      try {
        this.nc.publish(subject, data, headers ? { reply: this.prefix + token, headers } : { reply: this.prefix + token });
      } catch (e) {
        clearTimeout(timer);
        this.waiting.delete(token);
        reject(e as Error);
      }
    });
  }

  close(): void {
    this.failAll(new Error("requester stopping"));
    this.sub?.unsubscribe();
    this.sub = undefined;
  }

  private subscribe(): Subscription {
    this.watchReconnects();
    const sub = this.nc.subscribe(`${this.prefix}*`, {
      callback: (err, msg) => {
        if (err) return this.failAll(err);
        const token = msg.subject.slice(this.prefix.length);
        const w = this.waiting.get(token);
        if (!w) return; // answered after its deadline
        this.waiting.delete(token);
        clearTimeout(w.timer);
        if (msg.data.length === 0 && msg.headers?.code === 503) w.reject(new NoResponders());
        else w.resolve(msg);
      },
    });
    // A closed connection answers nobody: fail the waiting calls now rather than at their deadlines.
    void sub.closed.then(() => {
      if (this.sub === sub) this.sub = undefined;
      this.failAll(new Error("connection closed"));
    });
    return sub;
  }

  /** On each reconnect, fails the requests written before it (ConnectionLost). */
  private watchReconnects(): void {
    if (this.watching) return;
    this.watching = true;
    void (async () => {
      for await (const s of this.nc.status()) {
        if (s.type !== "reconnect") continue;
        const before = this.reconnects++;
        for (const [token, w] of this.waiting) {
          if (w.written > before) continue;
          clearTimeout(w.timer);
          this.waiting.delete(token);
          w.reject(new ConnectionLost(`${w.subject}: the connection dropped after the request was written (back on ${s.server})`));
        }
      }
    })();
  }

  private failAll(e: Error): void {
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.waiting.clear();
  }
}

const shared = new WeakMap<NatsConnection, ReplyInbox>();

/** One inbox per connection for requesters that come and go with their actors (journals, outboxes); never closed by them. */
export function sharedInbox(nc: NatsConnection): ReplyInbox {
  let inbox = shared.get(nc);
  if (!inbox) {
    inbox = new ReplyInbox(nc);
    shared.set(nc, inbox);
  }
  return inbox;
}
