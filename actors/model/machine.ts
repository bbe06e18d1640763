/**
 * The model actor: one deployed model serving Predict requests with dynamic batching.
 *
 * loading → serving: the actor asks the inference port for its version's session; requests queue until it is
 * loaded. A load that fails or outlives loadTimeoutMs fails the queued callers (model-unavailable) and restarts.
 *
 * A valid request queues; the queue goes to the inference port as one batch when it holds maxBatch requests, when
 * the first of them has waited maxWaitMs, or at once when an inference finishes and requests queued meanwhile. One
 * batch is in flight at a time, so batches grow with the load. Each caller gets its own row back on its replyTo.
 * An inference that fails or outlives timeoutMs fails its callers with the reason, resets the port's session and
 * then ends the incarnation (ModelFailed), so the supervisor restarts the actor with its queue intact.
 * PromoteVersion: the new version loads beside the serving one and takes over between batches (same features, or the
 * swap is refused with the reason); no request is dropped or failed by a swap.
 * Raised events carry the nowUs of the step that raised them; the runtime stamps its own on delivery.
 */
import { enqueueActions, setup } from "xstate";
import type { Emitted } from "../contract/index.ts";
import {
  type Challenger,
  canarySplit,
  challengerRefusal,
  compare,
  MAX_TRIALS,
  newChallenger,
  sameChallenge,
  type Trial,
  timed,
} from "./challenger.ts";
import { answers, failed, refused, rowOf } from "./decide.ts";
import { enqueue as enqueueRequest, inFlightCount, initialContext, settle, takeBatch } from "./evolve.ts";
import type { InferenceJob, InferencePort } from "./inference-port.ts";
import { ModelErrorCode } from "./messages.ts";
import { REPORT_EVERY_US, recordBatch, servingReport } from "./serving-stats.ts";
import type { ModelContext, ModelEvent, ModelMachineInput, Waiting } from "./state.ts";

const FLUSH = "flush";
const LOAD_TIMEOUT = "load-timeout";
const timeoutId = (batchId: number) => `timeout-${batchId}`;

export function createModelMachine(port: InferencePort) {
  return setup({
    types: {
      context: {} as ModelContext,
      events: {} as ModelEvent,
      input: {} as ModelMachineInput,
      emitted: {} as Emitted,
    },
    actions: {
      infer: (_, job: InferenceJob) => port.infer(job),
      loadSession: (_, p: { model: string; version: number }) => port.load(p.model, p.version),
      unloadSession: (_, p: { model: string; version: number }) => port.unload(p.model, p.version),
      promote: enqueueActions(({ context: c, event, enqueue }) => {
        if (event.type !== "PromoteVersion" || event.version === c.version || event.version === c.swapTo) return;
        enqueue.assign({ swapTo: event.version, swapRefused: undefined });
        enqueue({ type: "loadSession", params: { model: c.name, version: event.version } } as never);
      }),
      // Between batches: the batch in flight finishes on the old version (the port closes its session after it).
      swap: enqueueActions(({ context: c, event, enqueue }) => {
        if (event.type !== "ModelLoaded" || event.version !== c.swapTo) return;
        if (event.features.join() !== c.features.join()) {
          enqueue.assign({
            swapTo: undefined,
            swapRefused: `v${event.version} takes features ${event.features.join(", ")}, v${c.version} ${c.features.join(", ")}: deploy it under a new name`,
          });
          enqueue({ type: "unloadSession", params: { model: c.name, version: event.version } } as never);
          return;
        }
        // a challenger promoted is the champion now
        const challenger = c.challenger?.version === event.version ? undefined : c.challenger;
        enqueue.assign({ version: event.version, swapTo: undefined, provider: event.provider, challenger });
        enqueue({ type: "unloadSession", params: { model: c.name, version: c.version } } as never);
      }),
      startChallenger: enqueueActions(({ context: c, event, enqueue }) => {
        if (event.type !== "StartChallenger") return;
        const refusal = challengerRefusal(c.name, c.version, event);
        if (refusal)
          return void enqueue.emit({ type: "reply", ok: false, error: { code: ModelErrorCode.ChallengerRefused, message: refusal } });
        const old = c.challenger;
        // the same challenge again (the registry's watch telling it twice): its figures go on
        if (sameChallenge(old, event))
          return void enqueue.emit({ type: "reply", ok: true, result: { version: event.version, mode: event.mode } });
        const same = old?.version === event.version;
        if (old && !same) enqueue({ type: "unloadSession", params: { model: c.name, version: old.version } } as never);
        const next = {
          ...newChallenger(event.version, event.mode, event.mode === "canary" ? (event.share ?? 0) : 0),
          loaded: same && old.loaded,
        };
        enqueue.assign({ challenger: next, challengerRefused: undefined });
        if (!next.loaded) enqueue({ type: "loadSession", params: { model: c.name, version: event.version } } as never);
        enqueue.emit({ type: "reply", ok: true, result: { version: event.version, mode: event.mode } });
      }),
      stopChallenger: enqueueActions(({ context: c, enqueue }) => {
        // a challenger being promoted keeps its session: it is about to serve (the registry ends its challenge then)
        if (c.challenger && c.challenger.version !== c.swapTo)
          enqueue({ type: "unloadSession", params: { model: c.name, version: c.challenger.version } } as never);
        enqueue.assign({ challenger: undefined });
        enqueue.emit({ type: "reply", ok: true });
      }),
      challengerLoaded: enqueueActions(({ context: c, event, enqueue }) => {
        const ch = c.challenger;
        if (event.type !== "ModelLoaded" || !ch || ch.version !== event.version || ch.loaded || event.version === c.version) return;
        if (event.features.join() !== c.features.join()) {
          enqueue.assign({
            challenger: undefined,
            challengerRefused: `v${event.version} takes features ${event.features.join(", ")}, v${c.version} ${c.features.join(", ")}: it cannot score the same rows`,
          });
          enqueue({ type: "unloadSession", params: { model: c.name, version: event.version } } as never);
          return;
        }
        enqueue.assign({ challenger: { ...ch, loaded: true } });
      }),
      challengerLoadFailed: enqueueActions(({ context: c, event, enqueue }) => {
        if (event.type !== "ModelLoadFailed" || c.challenger?.version !== event.version) return;
        enqueue.assign({ challenger: undefined, challengerRefused: `v${event.version}: ${event.reason}` });
      }),
      // A challenger's failure drops it; its canary callers get the reason; the champion serves on, untouched.
      challengerFailed: enqueueActions(({ context: c, event, enqueue }) => {
        const ch = c.challenger;
        if ((event.type !== "InferenceFailed" && event.type !== "InferenceTimedOut") || !ch) return;
        const timedOut = event.type === "InferenceTimedOut";
        const message = `model ${c.name} v${ch.version} (${ch.mode}): ${timedOut ? `no inference result within ${c.timeoutMs} ms` : event.reason}`;
        let after: ModelContext = { ...c, challenger: undefined, challengerRefused: message };
        const batch = c.inFlight[event.batchId];
        if (batch) {
          const code = timedOut ? ModelErrorCode.InferenceTimeout : ModelErrorCode.InferenceFailed;
          for (const e of failed(c, batch, { code, message }, event.nowUs)) enqueue.emit(e);
          enqueue.cancel(timeoutId(event.batchId));
          after = { ...after, ...settle(c, event.batchId) };
        }
        enqueue.assign({ challenger: undefined, challengerRefused: message, inFlight: after.inFlight });
        enqueue({ type: "unloadSession", params: { model: c.name, version: ch.version } } as never);
        if (inFlightCount(after) === 0 && after.pending.length) dispatch(after, enqueue, event.nowUs);
      }),
      swapFailed: enqueueActions(({ context: c, event, enqueue }) => {
        if (event.type !== "ModelLoadFailed" || event.version !== c.swapTo) return;
        enqueue.assign({ swapTo: undefined, swapRefused: `v${event.version}: ${event.reason}` });
      }),
      resetSession: (_, p: { model: string; reason: string }) => port.reset(p.model, p.reason),
      predict: enqueueActions(({ context: c, event, enqueue }) => {
        const requests = event.type === "PredictBatch" ? event.items : event.type === "Predict" ? [event] : [];
        let queued = 0;
        for (const p of requests) {
          const row = rowOf(c, p);
          const caller = {
            requestId: p.requestId,
            replyTo: p.replyTo,
            tsInit: p.tsInit ?? event.nowUs,
            takenUs: event.nowUs,
            ...(p.forecastFor ? { forecastFor: p.forecastFor } : {}),
          };
          if (!Array.isArray(row)) {
            for (const e of refused(c, caller, row, event.nowUs)) enqueue.emit(e);
            continue;
          }
          // the queue grows in place (c.pending is the array enqueueRequest returns): no copy of the context per request
          queued = enqueueRequest(c, { ...caller, row }).length;
        }
        // While loading, requests queue: the load's end sends them.
        if (queued === 0 || !c.loaded) return;
        if (inFlightCount(c) === 0 && (queued >= c.maxBatch || c.maxWaitMs === 0)) dispatch(c, enqueue, event.nowUs);
        else if (!c.flushArmed) {
          enqueue.raise({ type: "FlushBatch", nowUs: event.nowUs }, { delay: c.maxWaitMs, id: FLUSH });
          enqueue.assign({ flushArmed: true });
        }
      }),
      flush: enqueueActions(({ context: c, event, enqueue }) => {
        enqueue.assign({ flushArmed: false });
        if (inFlightCount(c) === 0 && c.pending.length) dispatch({ ...c, flushArmed: false }, enqueue, event.nowUs);
      }),
      complete: enqueueActions(({ context: c, event, enqueue }) => {
        if (event.type !== "InferenceCompleted") return;
        const ch = c.challenger;
        // a shadow job's outputs: compared with the champion's, never answered
        if (ch?.trials[event.batchId])
          return void enqueue.assign({
            challenger: timed(trialPart(ch, event.batchId, { challenger: event.values }), "challenger", event.runUs),
          });
        const batch = c.inFlight[event.batchId];
        if (!batch) return; // answered already: it timed out
        for (const e of answers(c, batch, event.values, event.width, event.nowUs)) enqueue.emit(e);
        enqueue.cancel(timeoutId(event.batchId));
        let challenger = ch;
        if (ch) {
          const shadowId = Object.keys(ch.trials).find((k) => ch.trials[Number(k)]!.championBatchId === event.batchId);
          if (shadowId !== undefined) challenger = trialPart(ch, Number(shadowId), { champion: event.values });
          const canary = batch[0]?.version === ch.version && ch.version !== c.version;
          if (canary) challenger = { ...(challenger ?? ch), canaryServed: ch.canaryServed + batch.length };
          challenger = timed(challenger ?? ch, canary ? "challenger" : "champion", event.runUs);
        }
        const next: ModelContext = {
          ...c,
          challenger,
          ...settle(c, event.batchId),
          served: c.served + batch.length,
          batches: c.batches + 1,
          recent: recordBatch(c.recent, batch, event.nowUs),
          provider: event.provider,
        };
        const report = event.nowUs - c.reportedUs >= REPORT_EVERY_US;
        if (report) enqueue.emit(servingReport(next, event.nowUs));
        enqueue.assign({
          inFlight: next.inFlight,
          served: next.served,
          batches: next.batches,
          recent: next.recent,
          provider: next.provider,
          reportedUs: report ? event.nowUs : c.reportedUs,
          challenger,
        });
        if (next.pending.length) dispatch(next, enqueue, event.nowUs);
      }),
      fail: enqueueActions(({ context: c, event, enqueue }) => {
        if (event.type !== "InferenceFailed" && event.type !== "InferenceTimedOut") return;
        const batch = c.inFlight[event.batchId];
        if (!batch) return;
        const error =
          event.type === "InferenceFailed"
            ? { code: ModelErrorCode.InferenceFailed, message: `model ${c.name} v${c.version}: ${event.reason}` }
            : {
                code: ModelErrorCode.InferenceTimeout,
                message: `model ${c.name} v${c.version}: no inference result within ${c.timeoutMs} ms`,
              };
        for (const e of failed(c, batch, error, event.nowUs)) enqueue.emit(e);
        enqueue.cancel(timeoutId(event.batchId));
        enqueue.assign({ ...settle(c, event.batchId), failures: c.failures + 1, loaded: false });
        enqueue({ type: "resetSession", params: { model: c.name, reason: error.message } } as never);
        enqueue.raise({ type: "ModelFailed", reason: error.message, nowUs: event.nowUs }, { delay: 0, id: "model-failed" });
      }),
      load: enqueueActions(({ context: c, event, enqueue }) => {
        enqueue({ type: "loadSession", params: { model: c.name, version: c.version } } as never);
        // a challenge the actor started with (the registry's) loads beside it
        if (c.challenger && !c.challenger.loaded)
          enqueue({ type: "loadSession", params: { model: c.name, version: c.challenger.version } } as never);
        enqueue.raise(
          { type: "LoadTimedOut", nowUs: (event as { nowUs?: number }).nowUs ?? 0 },
          { delay: c.loadTimeoutMs, id: LOAD_TIMEOUT },
        );
      }),
      loaded: enqueueActions(({ context: c, event, enqueue }) => {
        if (event.type !== "ModelLoaded") return;
        enqueue.cancel(LOAD_TIMEOUT);
        enqueue.assign({ provider: event.provider, loaded: true });
        if (c.pending.length) dispatch(c, enqueue, event.nowUs);
      }),
      unavailable: enqueueActions(({ context: c, event, enqueue }) => {
        if (event.type !== "ModelLoadFailed" && event.type !== "LoadTimedOut") return;
        const reason = event.type === "ModelLoadFailed" ? event.reason : `not loaded within ${c.loadTimeoutMs} ms`;
        const error = { code: ModelErrorCode.ModelUnavailable, message: `model ${c.name} v${c.version}: ${reason}` };
        for (const e of failed(c, c.pending, error, event.nowUs)) enqueue.emit(e);
        enqueue.cancel(LOAD_TIMEOUT);
        enqueue.assign({ pending: [], failures: c.failures + 1, flushArmed: false, loaded: false });
        enqueue.cancel(FLUSH);
        enqueue({ type: "resetSession", params: { model: c.name, reason: error.message } } as never);
        enqueue.raise({ type: "ModelFailed", reason: error.message, nowUs: event.nowUs }, { delay: 0, id: "model-failed" });
      }),
    },
    guards: {
      /** a failure of the challenger's own work: a shadow job or a canary batch */
      challengerJob: ({ context: c, event }) => {
        if ((event.type !== "InferenceFailed" && event.type !== "InferenceTimedOut") || !c.challenger) return false;
        if (c.challenger.trials[event.batchId]) return true;
        const batch = c.inFlight[event.batchId];
        return batch?.[0]?.version === c.challenger.version && c.challenger.version !== c.version;
      },
      /** a load answer for the version being served (not a promoted one) */
      current: ({ context, event }) =>
        (event.type === "ModelLoaded" || event.type === "ModelLoadFailed") && event.version === context.version,
    },
  }).createMachine({
    id: "model",
    context: ({ input }) => initialContext(input),
    initial: "loading",
    // A failure ends the incarnation only after the callers are answered and the next load is asked for: the
    // runtime restarts the actor from that committed state, so the restart resumes loading.
    on: {
      ModelFailed: {
        actions: ({ event }) => {
          throw new Error(event.reason);
        },
      },
    },
    states: {
      loading: {
        entry: "load",
        on: {
          Predict: { actions: "predict" },
          PredictBatch: { actions: "predict" },
          ModelLoaded: [{ guard: "current", target: "serving", actions: "loaded" }, { actions: "challengerLoaded" }],
          ModelLoadFailed: [
            { guard: "current", target: "loading", reenter: true, actions: "unavailable" },
            { actions: ["swapFailed", "challengerLoadFailed"] },
          ],
          PromoteVersion: { actions: "promote" },
          StartChallenger: { actions: "startChallenger" },
          StopChallenger: { actions: "stopChallenger" },
          LoadTimedOut: { target: "loading", reenter: true, actions: "unavailable" },
        },
      },
      serving: {
        on: {
          Predict: { actions: "predict" },
          PredictBatch: { actions: "predict" },
          FlushBatch: { actions: "flush" },
          InferenceCompleted: { actions: "complete" },
          InferenceFailed: [
            { guard: "challengerJob", actions: "challengerFailed" },
            { target: "loading", actions: "fail" },
          ],
          InferenceTimedOut: [
            { guard: "challengerJob", actions: "challengerFailed" },
            { target: "loading", actions: "fail" },
          ],
          PromoteVersion: { actions: "promote" },
          ModelLoaded: { actions: ["swap", "challengerLoaded"] },
          ModelLoadFailed: { actions: ["swapFailed", "challengerLoadFailed"] },
          StartChallenger: { actions: "startChallenger" },
          StopChallenger: { actions: "stopChallenger" },
        },
      },
    },
  });
}

type Enqueue = Parameters<
  Parameters<typeof enqueueActions<ModelContext, ModelEvent, undefined, ModelEvent, never, never, never, never, Emitted>>[0]
>[0]["enqueue"];

/**
 * Hands the oldest queued requests to the port as one batch and arms its timeout. With a canary, the share of them it
 * answers goes to it as a batch of its own (callers waiting, timeout armed); with a shadow, the same rows go to it
 * as a job no caller waits on.
 */
function dispatch(c: ModelContext, enqueue: Enqueue, nowUs: number): void {
  const { batchId, batch, next } = takeBatch(c);
  const ch = c.challenger?.loaded ? c.challenger : undefined;
  const answered: [number, number, Waiting[]][] = [];
  let shadow: InferenceJob | undefined;
  let challenger = c.challenger;
  let nextBatchId = batchId + 1;
  if (ch?.mode === "canary") {
    const split = canarySplit(batch, ch.share, ch.credit);
    challenger = { ...ch, credit: split.credit };
    nextBatchId = batchId;
    if (split.champion.length) answered.push([nextBatchId++, c.version, split.champion]);
    if (split.canary.length) answered.push([nextBatchId++, ch.version, split.canary.map((w) => ({ ...w, version: ch.version }))]);
  } else {
    answered.push([batchId, c.version, batch]);
    if (ch?.mode === "shadow") {
      const shadowId = nextBatchId++;
      shadow = jobOf(c, ch.version, shadowId, batch);
      challenger = { ...ch, trials: newestTrials({ ...ch.trials, [shadowId]: { championBatchId: batchId } }) };
    }
  }
  const inFlight = { ...c.inFlight };
  for (const [id, , callers] of answered) inFlight[id] = callers;
  enqueue.assign({ ...next, inFlight, nextBatchId, challenger });
  for (const [id, version, callers] of answered) {
    enqueue({ type: "infer", params: jobOf(c, version, id, callers) } as never);
    enqueue.raise({ type: "InferenceTimedOut", batchId: id, nowUs }, { delay: c.timeoutMs, id: timeoutId(id) });
  }
  if (shadow) enqueue({ type: "infer", params: shadow } as never);
  if (c.flushArmed && next.pending?.length === 0) {
    enqueue.cancel(FLUSH);
    enqueue.assign({ flushArmed: false });
  }
}

const jobOf = (c: ModelContext, version: number, batchId: number, rows: readonly Waiting[]): InferenceJob => ({
  model: c.name,
  version,
  batchId,
  count: rows.length,
  width: c.features.length,
  rows: rows.flatMap((w) => w.row),
});

/** The newest MAX_TRIALS shadow jobs: a half that never comes (a lost answer) does not keep the rest forever. */
function newestTrials(trials: Record<number, Trial>): Record<number, Trial> {
  const ids = Object.keys(trials).map(Number);
  if (ids.length <= MAX_TRIALS) return trials;
  const keep = ids.sort((a, b) => a - b).slice(-MAX_TRIALS);
  return Object.fromEntries(keep.map((id) => [id, trials[id]!]));
}

/** One half of a shadow trial arrived; with both, the outputs are compared and the trial ends. */
function trialPart(ch: Challenger, shadowId: number, part: Partial<Pick<Trial, "champion" | "challenger">>): Challenger {
  const t = { ...ch.trials[shadowId]!, ...part };
  const { [shadowId]: _done, ...rest } = ch.trials;
  if (t.champion && t.challenger) return { ...ch, trials: rest, comparison: compare(ch.comparison, t.champion, t.challenger) };
  return { ...ch, trials: { ...rest, [shadowId]: t } };
}

export type ModelMachine = ReturnType<typeof createModelMachine>;
