import { status as Status } from "@grpc/grpc-js";
import { z } from "zod";
import { Role } from "../auth.ts";
import type { BacktestRunner, BacktestRunStatus } from "../backtests.ts";
import { GatewayError, invalidArgument } from "../errors.ts";
import { serverStream, type ServiceRpcs, unary } from "../rpc.ts";
import { SlowClientPolicy, StreamSink } from "../stream-sink.ts";
import { jsonObject } from "../validation.ts";
import type { Services } from "./context.ts";

const runId = z.string().min(1, "required").max(64, "at most 64 characters");
/** progress messages held for a slow reader: the newest say where the run is, older ones may go */
const PROGRESS_QUEUE = 64;

const states = {
  queued: "BACKTEST_STATE_QUEUED",
  running: "BACKTEST_STATE_RUNNING",
  done: "BACKTEST_STATE_DONE",
  failed: "BACKTEST_STATE_FAILED",
};

/** A run's status as the proto's BacktestStatus. */
function statusOf(r: BacktestRunStatus) {
  const span = r.endUs - r.startUs;
  return {
    id: r.id,
    name: r.name,
    state: states[r.state],
    startUs: r.startUs,
    endUs: r.endUs,
    simulatedUs: r.simulatedUs,
    progress: r.state === "done" ? 1 : span > 0 ? Math.min(1, Math.max(0, (r.simulatedUs - r.startUs) / span)) : 0,
    records: r.records,
    error: r.error ?? "",
    submittedBy: r.submittedBy,
    submittedAtUs: r.submittedAtUs,
  };
}

/** Money of the report (account currency, floats rounded to cents by the run) as decimal strings. */
const money = (x: number): string => x.toFixed(2);
const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function backtestRpcs(s: Services): ServiceRpcs {
  const runner = (): BacktestRunner => {
    if (!s.backtests) throw new GatewayError(Status.UNAVAILABLE, "backtests are not run by this node");
    return s.backtests;
  };
  const known = (id: string): BacktestRunStatus => {
    const r = runner().status(id);
    if (!r) throw new GatewayError(Status.NOT_FOUND, `id: no backtest ${id} on this node`);
    return r;
  };
  return {
    SubmitBacktest: unary({
      role: Role.Trader,
      request: z.object({ configJson: jsonObject }),
      async handle(req, ctx) {
        const r = runner().submit(req.configJson, ctx.principal.subject);
        if (!r.ok) throw invalidArgument(`config_json: ${r.error}`);
        return statusOf(r.status);
      },
    }),
    GetBacktest: unary({
      role: Role.Viewer,
      request: z.object({ id: runId }),
      handle: async (req) => statusOf(known(req.id)),
    }),
    ListBacktests: unary({
      role: Role.Viewer,
      request: z.object({}),
      handle: async () => ({ backtests: runner().list().map(statusOf) }),
    }),
    StreamProgress: serverStream({
      role: Role.Viewer,
      request: z.object({ id: runId }),
      open(req, ctx, call) {
        known(req.id);
        const sink = new StreamSink(call, PROGRESS_QUEUE, SlowClientPolicy.DropOldest, `backtest ${req.id} for ${ctx.principal.subject}`);
        s.sinks.add(sink as StreamSink<unknown>);
        // the status now, then each change; the stream ends with the run
        const stop = runner().watch(req.id, (r) => {
          sink.push(statusOf(r));
          if (r.state === "done" || r.state === "failed") queueMicrotask(() => sink.end());
        });
        sink.onEnd(() => {
          stop();
          s.sinks.delete(sink as StreamSink<unknown>);
        });
        return sink;
      },
    }),
    GetBacktestResult: unary({
      role: Role.Viewer,
      request: z.object({ id: runId }),
      async handle(req) {
        const r = known(req.id);
        const report = runner().report(req.id);
        if (r.state !== "done" || !report)
          throw new GatewayError(
            Status.FAILED_PRECONDITION,
            `id: backtest ${req.id} is ${r.state}${r.error ? ` (${r.error})` : ""}; its result comes when it is done`,
          );
        return {
          status: statusOf(r),
          initialEquity: money(report.initialEquity),
          finalEquity: money(report.finalEquity),
          pnl: money(report.pnl),
          fees: money(report.fees),
          orders: report.orders,
          fills: report.fills,
          records: report.records,
          actorSteps: report.actorSteps,
          deadLetters: report.deadLetters,
          journalSha256: report.journal.sha256,
          journalEvents: report.journal.events,
          performance: Object.fromEntries(Object.entries(report.performance).map(([k, v]: [string, number]) => [snake(k), v])),
          wallMs: report.wallMs,
          cpuMs: report.cpuMs,
          reportJson: JSON.stringify(report),
        };
      },
    }),
  };
}
