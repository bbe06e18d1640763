import { Kvm } from "@nats-io/kv";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { errorMessage, RuntimeError } from "../../../actors/contract/index.ts";
import { parseRetrainDefinition, RETRAIN_SCHEDULE_KIND } from "../../../actors/retrain-schedule/index.ts";
import { buckets } from "../../../infra/nats/resources.ts";
import { command } from "../admin-client.ts";
import { configuredByHeader } from "../config-watch.ts";
import { DeployError, DeployRefusal } from "./deployments.ts";

/** The config bucket's key of a retrain schedule: what operators list (`scripts/admin.ts retrain list`). */
export const retrainScheduleKey = (name: string): string => `retrain.${name}`;

const NAME = /^[a-z][a-z0-9-]{0,63}$/;
/** answers that mean the schedule's shard is between owners or its node is starting: asked again */
const TRANSIENT = new Set<string>([RuntimeError.NotHere, RuntimeError.Busy, RuntimeError.Stopped, RuntimeError.ActorFailed]);

/**
 * An operator's retrain schedule (am.admin.configure, section `retrain`): the definition is checked field by field
 * (a refusal names `value.<field>` and stores nothing), given to the schedule's actor (which journals it and runs
 * it, on whichever node the runtime places it), then kept in the config bucket under `retrain.<name>` with the
 * requester's name. `{"remove": true}` removes the schedule: its actor stops starting runs, its entry is deleted.
 */
export async function storeRetrainSchedule(
  nc: NatsConnection,
  name: string,
  text: string,
  by: string,
): Promise<{ key: string; by: string; schedule: unknown }> {
  if (!NAME.test(name)) throw new DeployError(DeployRefusal.Invalid, `id: a retrain schedule's name is lower-case kebab, got ${name}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DeployError(DeployRefusal.Invalid, `value: not JSON (${errorMessage(e)})`);
  }
  const remove = typeof json === "object" && json !== null && (json as Record<string, unknown>).remove === true;
  const key = retrainScheduleKey(name);
  if (remove) {
    if (Object.keys(json as object).length !== 1)
      throw new DeployError(DeployRefusal.Invalid, 'value: a removal is {"remove": true} alone');
    const schedule = await tell(nc, name, { type: "RemoveRetrainSchedule", by });
    await (await new Kvm(nc).open(buckets.config)).delete(key);
    return { key, by, schedule };
  }
  let definition: unknown;
  try {
    definition = parseRetrainDefinition(json);
  } catch (e) {
    throw new DeployError(DeployRefusal.Invalid, `value.${errorMessage(e)}`);
  }
  const schedule = await tell(nc, name, { type: "DefineRetrainSchedule", definition, by });
  const h = headers();
  h.set(configuredByHeader, by);
  await jetstream(nc).publish(`$KV.${buckets.config}.${key}`, JSON.stringify(definition), { headers: h });
  return { key, by, schedule };
}

/** Commands the schedule's actor, again while its shard has no owner yet; its refusal is the operator's answer. */
async function tell(nc: NatsConnection, name: string, message: { type: string; [k: string]: unknown }): Promise<unknown> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const reply = await command(nc, RETRAIN_SCHEDULE_KIND, name, message).catch((e: unknown) => ({
      ok: false as const,
      error: { code: RuntimeError.NotHere, message: errorMessage(e) },
    }));
    if (reply.ok) return reply.result;
    if (!TRANSIENT.has(reply.error?.code ?? "") || Date.now() > deadline)
      throw new DeployError(DeployRefusal.Invalid, `${RETRAIN_SCHEDULE_KIND}/${name}: ${reply.error?.message ?? "refused"}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
