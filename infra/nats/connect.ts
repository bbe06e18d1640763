import { type NatsConnection, connect } from "@nats-io/transport-node";

/** Connects with reconnects forever; a clear error when no server answers at first. */
export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  try {
    return await connect({ servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 5_000 });
  } catch (e) {
    throw new Error(`cannot connect to NATS at ${url}: ${(e as Error).message}. Is nats-server running?`);
  }
}
