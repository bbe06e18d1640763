/**
 * Test kinds whose first start-up in a cell times out, as a JetStream request does while a new cluster elects its
 * leaders. FLAKY_START_MARKER names a file: absent, a cell's start creates it and fails; present, the start goes on.
 */
import { existsSync, writeFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";
import { TimeoutError } from "@nats-io/transport-node";
import { fixedKinds, type HostedKinds } from "../runtime/kinds-module.ts";
import { counterKind } from "../runtime/testing/counter-kind.ts";

export const createKinds = async (): Promise<HostedKinds> => {
  const marker = process.env.FLAKY_START_MARKER;
  if (!isMainThread && marker && !existsSync(marker)) {
    writeFileSync(marker, "");
    throw new TimeoutError();
  }
  return fixedKinds([counterKind("none")]);
};
