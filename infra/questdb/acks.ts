import type { JsMsg } from "@nats-io/jetstream";
import type { NatsConnection, Status } from "@nats-io/transport-node";

const ACK = Uint8Array.of(43, 65, 67, 75); // "+ACK"

/**
 * A lane's acknowledgements, sent again after the connection comes back. An ack is a plain publish: one written
 * into a connection that drops never reaches the server, and nats.js discards what it buffered while disconnected,
 * so the messages a lane wrote to QuestDB just before or during an outage would stay unacknowledged until ack_wait
 * (30 s) and be delivered and written again. Acks of the last `windowMs` or more (all of those sent since the
 * connection dropped) are kept as their reply subjects and sent once more on reconnect; the server ignores an ack
 * of a message it has no longer pending.
 */
export class Acks {
  private recent: string[] = [];
  private older: string[] = [];
  private disconnected = false;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly statuses: AsyncIterator<Status>;

  constructor(
    private readonly nc: NatsConnection,
    windowMs = 1_000,
  ) {
    this.timer = setInterval(() => {
      // while disconnected every ack is kept: all of them may be lost
      if (this.disconnected) return;
      this.older = this.recent;
      this.recent = [];
    }, windowMs);
    this.timer.unref?.();
    this.statuses = nc.status()[Symbol.asyncIterator]();
    void this.watch();
  }

  /** Acknowledges the message and keeps its reply subject for a resend after a reconnect. */
  ack(m: JsMsg): void {
    m.ack();
    // the ack subject (JsMsg's implementation has it; without it an ack is not sent again, as before)
    const reply = (m as JsMsg & { reply?: string }).reply;
    if (reply) this.recent.push(reply);
  }

  stop(): void {
    void this.statuses.return?.();
    clearInterval(this.timer);
    this.recent = [];
    this.older = [];
  }

  private async watch(): Promise<void> {
    for (;;) {
      const next = await this.statuses.next();
      if (next.done) return;
      const s = next.value;
      if (s.type === "disconnect") this.disconnected = true;
      if (s.type !== "reconnect") continue;
      this.disconnected = false;
      for (const reply of [...this.older, ...this.recent]) this.nc.publish(reply, ACK);
      this.older = [];
      this.recent = [];
    }
  }
}
