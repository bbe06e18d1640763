import { type ActorKind, systemClock } from "../../../actors/contract/index.ts";
import type { TestServers, Teardown } from "../../../test/testing.ts";
import { createLogger, type Logger } from "../../../infra/telemetry/log.ts";
import { ActorTree, type LifecycleEvent } from "../actor-tree.ts";

/** An actor tree of `kinds` on the test servers' connection, as a node's cell runs it, started and stopped at teardown. */
export async function startTestTree(
  t: Teardown,
  servers: Pick<TestServers, "nc" | "store">,
  kinds: ActorKind[],
  o: { log?: Logger; onLifecycle?: (e: LifecycleEvent) => void } = {},
): Promise<ActorTree> {
  const tree = new ActorTree(kinds, {
    nc: servers.nc,
    store: servers.store,
    clock: systemClock,
    log: o.log ?? createLogger({ level: "error" }),
    onLifecycle: o.onLifecycle ?? (() => {}),
  });
  await tree.start();
  t.teardown(() => tree.stop());
  return tree;
}
