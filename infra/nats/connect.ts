import { type NatsConnection, connect } from "@nats-io/transport-node";
import { errorMessage } from "../../actors/contract/index.ts";

/** Connects with reconnects forever; a clear error when no server answers at first. */
export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  try {
    // noAsyncTraces: nats.js otherwise builds two Error objects (stack traces) per request up front, in case it
    // fails; with a KV lease renewal per actor and a request per command that was a tenth of a node's CPU.
    return await connect({ servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 5_000, noAsyncTraces: true });
  } catch (e) {
    throw new Error(`cannot connect to NATS at ${url}: ${errorMessage(e)}. Is nats-server running?`);
  }
}
