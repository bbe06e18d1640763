import type { NatsConnection } from "@nats-io/transport-node";
import { type TestInfra, startTestInfra } from "../../../infra/local/index.ts";
import { connectNats, declareResources, SnapshotStore } from "../../../infra/nats/index.ts";

export interface NatsFixture {
  infra: TestInfra;
  nc: NatsConnection;
  store: SnapshotStore;
}

/** A throwaway nats-server with the platform's resources declared; `t.teardown` stops and removes it. */
export async function natsFixture(t: { teardown(fn: () => unknown): void }): Promise<NatsFixture> {
  const infra = await startTestInfra();
  t.teardown(() => infra.stop());
  const nc = await connectNats(infra.natsUrl, "test");
  t.teardown(() => nc.close());
  await declareResources(nc, { replicas: 1 });
  return { infra, nc, store: await SnapshotStore.open(nc) };
}

/** Polls until `check` returns a value (not undefined/false) or the deadline passes. */
export async function eventually<T>(check: () => T | Promise<T>, what: string, timeoutMs = 5_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false && v !== null) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
