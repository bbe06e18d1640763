import { createInbox, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { subjects } from "../../actors/contract/index.ts";
import { decodeAs, encodeMessage } from "../nats/codec.ts";
import { Prediction } from "../../actors/model/index.ts";

/**
 * Asks model actors for predictions over NATS, as tests and the bench do: a Predict published to
 * am.cmd.model.<name> with replyTo on one wildcard inbox of ours, the Prediction matched back by its requestId.
 */
export class PredictClient {
  private readonly inbox = createInbox();
  private readonly sub: Subscription;
  private readonly waiting = new Map<
    string,
    { resolve(p: Prediction): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }
  >();
  private seq = 0;

  constructor(private readonly nc: NatsConnection) {
    this.sub = nc.subscribe(`${this.inbox}.*`, {
      callback: (err, msg) => {
        if (err) return;
        let p: Prediction;
        try {
          p = decodeAs(Prediction, msg.data, msg.headers);
        } catch {
          return; // not a Prediction: no request here is answered by it
        }
        const w = this.waiting.get(p.requestId);
        if (!w) return;
        this.waiting.delete(p.requestId);
        clearTimeout(w.timer);
        w.resolve(p);
      },
    });
  }

  predict(model: string, body: { features?: Record<string, number>; row?: number[] }, timeoutMs = 5_000): Promise<Prediction> {
    const requestId = (this.seq++).toString(36);
    return new Promise<Prediction>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        reject(new Error(`no Prediction from model ${model} for request ${requestId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(requestId, { resolve, reject, timer });
      const { data, headers } = encodeMessage({ type: "Predict", requestId, replyTo: `${this.inbox}.${requestId}`, ...body });
      this.nc.publish(subjects.cmd("model", model), data, { headers });
    });
  }

  close(): void {
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new Error("predict client closing"));
    }
    this.waiting.clear();
    this.sub.unsubscribe();
  }
}
