import { z } from "zod";
import { algoParams } from "../../actors/domain/index.ts";
import { instrumentDefinitionSchema } from "../../actors/instrument/index.ts";
import { defaultAnalyticsSettings } from "../../actors/risk-book/index.ts";
import { strategySampleNames } from "../../actors/strategy/index.ts";

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** A time as integer µs since the epoch, or ISO 8601 UTC text. */
export const time = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(ISO_RE, "an ISO 8601 UTC time like 2024-01-02T00:00:00Z")
    .transform((s) => {
      const [whole, frac = ""] = s.slice(0, -1).split(".");
      return Date.parse(`${whole}Z`) * 1000 + Number(frac.padEnd(6, "0"));
    }),
]);

/** the kinds a backtest hosts, between which messages may be delayed */
export const ACTOR_KINDS = ["instrument", "exchange", "venue", "order", "risk-book", "strategy", "feed", "execution-algo"] as const;

const decimalText = (example: string) => z.string().regex(/^\d+(\.\d{1,8})?$/, `a decimal like ${example}`);

/** Fees and latency of a simulated venue, and the order rate its connection keeps to. */
const venueCosts = z
  .object({
    makerFeeBps: z.number().default(0),
    takerFeeBps: z.number().default(0),
    latencyUs: z.number().int().nonnegative().default(0),
    jitterUs: z.number().int().nonnegative().default(0),
    /**
     * new orders and replaces a second the venue connection sends (and the burst it allows), refusing the rest with
     * RATE_LIMITED as on a node; unset: the platform's 50
     */
    orderRatePerSecond: z.number().int().positive().optional(),
  })
  .strict();

/**
 * A parent order worked by an execution algorithm (actors/execution-algo) from `at`: the platform's StartAlgo with
 * the quantity and limit as decimal text; `params` as the platform takes them (times in µs, a display quantity in
 * 1e-8 units). Its children go through the run's book like a strategy's orders.
 */
const algoParent = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, "1-40 of A-Z a-z 0-9 _ -"),
    at: time,
    instrument: z.string().min(1),
    side: z.enum(["BUY", "SELL"]),
    quantity: decimalText("100"),
    limitPrice: decimalText("101.25").optional(),
    params: algoParams,
  })
  .strict();

const csvData = z
  .object({
    kind: z.literal("csv"),
    /** quote, trade or bar files (actors/feed/replay/csv.ts), each in time order; relative to the config file */
    files: z.array(z.string().min(1)).min(1),
    /**
     * Bar data has no book: a quote is made at each bar's close, this many ticks either side of the close, so the
     * simulated exchange has liquidity there and the risk book a mark (the bar-based fill model)
     */
    halfSpreadTicks: z.number().int().min(1).default(1),
  })
  .strict();

const parquetData = z
  .object({
    kind: z.literal("parquet"),
    /** quote, trade or bar files (supervisors/backtest/parquet-records.ts), each in time order; relative to the config file */
    files: z.array(z.string().min(1)).min(1),
    halfSpreadTicks: z.number().int().min(1).default(1),
    /** rows read at a time from each file: memory is one batch per file */
    batchRows: z.number().int().positive().default(65_536),
  })
  .strict();

const simulatorData = z
  .object({
    kind: z.literal("simulator"),
    seed: z.number().int(),
    /** mean market events per instrument per second */
    eventsPerSecond: z.number().positive().default(20),
    /** the feed actor publishes what the market did every stepMs of simulated time */
    stepMs: z.number().int().positive().default(20),
  })
  .strict();

const questdbData = z
  .object({
    kind: z.literal("questdb"),
    /** the QuestDB HTTP endpoint, e.g. http://127.0.0.1:9000 */
    url: z.string().url(),
    /** recorded series of the run's instruments to replay over [start, end) */
    quotes: z.boolean().default(false),
    trades: z.boolean().default(false),
    barType: z.string().optional(),
    halfSpreadTicks: z.number().int().min(1).default(1),
    /** rows per query: memory is one page per instrument and series */
    pageSize: z.number().int().positive().default(5_000),
  })
  .strict()
  .refine((d) => d.quotes || d.trades || d.barType !== undefined, { message: "name quotes, trades or a barType to replay" });

const strategy = z
  .object({
    id: z.string().min(1),
    sample: z.enum(strategySampleNames),
    /** instrument ids it trades (default: all of the run's instruments) */
    instruments: z.array(z.string()).optional(),
    channels: z.array(z.enum(["quote", "trade", "bar", "features"])).min(1),
    /** models whose forecasts it hears (each must be in `features.models`) */
    signals: z.array(z.string().min(1)).default([]),
    /** it hears the regime actors' estimates for its instruments (needs the run's `regime`) */
    regimes: z.boolean().default(false),
    barType: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const corporateAction = z
  .object({
    instrument: z.string().min(1),
    /** effective from this time: records before it are adjusted */
    exDate: time,
    action: z.enum(["split", "dividend"]),
    /** split: new shares per old share; dividend: cash per share (decimal text) */
    value: z.string().regex(/^\d+(\.\d{1,8})?$/, "a decimal like 2 or 0.25"),
  })
  .strict();

const rollRule = z
  .object({
    /** the continuous instrument the strategies trade (one of the run's instruments) */
    instrument: z.string().min(1),
    /** the contracts it is made of, each with its expiry (any order) */
    contracts: z.array(z.object({ instrument: z.string().min(1), expiry: time }).strict()).min(2),
    /** roll to the next contract this many days before the front's expiry */
    rollDaysBefore: z.number().int().min(0).max(366).default(5),
    /** difference: later contracts shifted by the gaps at the rolls (no jump); none: prices as recorded */
    adjust: z.enum(["difference", "none"]).default("difference"),
  })
  .strict();

export const runConfigSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, _ . -")
      .default("backtest"),
    /** the run's simulated time starts here; data before is skipped */
    start: time,
    /** data at or after this time is not read */
    end: time,
    instruments: z.array(instrumentDefinitionSchema).min(1),
    data: z.discriminatedUnion("kind", [csvData, parquetData, questdbData, simulatorData]),
    /** strategies trading the run (none where it only works parents: `algos`) */
    strategies: z.array(strategy).default([]),
    /** parent orders worked by execution algorithms and the smart router over the run's venues */
    algos: z.array(algoParent).default([]),
    /**
     * splits and cash dividends, as a CSV file (instrument,ex_date,action,value; relative to the config file) or a
     * list: recorded prices before an ex-date are back-adjusted as of the run's end (supervisors/backtest/corporate-actions.ts)
     */
    corporateActions: z.union([z.string().min(1), z.array(corporateAction)]).optional(),
    /** futures contracts rolled into continuous instruments (supervisors/backtest/continuous-futures.ts) */
    rolls: z.array(rollRule).default([]),
    /**
     * a feature actor per instrument (factor set bar-factors v1 from its bars of `barType`), feeding the committed
     * models named (models/<name>.onnx, each taking that factor set), hosted as model actors
     */
    features: z
      .object({
        barType: z
          .string()
          .regex(/^\d+(ms|s|m|h|d|t|v)$/, "a bar type like 1m")
          .default("1m"),
        models: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .optional(),
    /**
     * a regime actor per instrument (actors/regime: Bayesian online changepoint detection on its bars of `barType`),
     * whose estimates strategies with `regimes` and the book's `regimeScale` hear, as live; unset fields take the
     * actor's defaults
     */
    regime: z
      .object({
        barType: z
          .string()
          .regex(/^\d+(ms|s|m|h|d|t|v)$/, "a bar type like 1m")
          .default("1m"),
        warmupBars: z.number().int().min(2).optional(),
        hazard: z.number().gt(0).lt(1).optional(),
        window: z.number().int().nonnegative().optional(),
        maxRunLength: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    book: z
      .object({
        id: z.string().min(1).max(64).default("backtest"),
        /** account currency, decimal text */
        initialCash: z
          .string()
          .regex(/^\d+(\.\d{1,8})?$/, "a decimal like 1000000")
          .default("1000000"),
        /** the risk book's limits (actors/risk-book/limits.ts), as the platform takes them */
        limits: z.record(z.string(), z.unknown()).default({}),
        /**
         * simulated ms between the risk book's scheduled analytics reports (VaR, stress, counterparty CVA by Monte
         * Carlo; the platform's 5 minutes by default); none feeds a decision, and over a year of bars they can cost
         * more than the run's trading; 0 = none
         */
        analyticsEveryMs: z.number().int().nonnegative().default(defaultAnalyticsSettings.everyMs),
      })
      .strict()
      .prefault({}),
    /** fees and latency of every venue of the run's instruments */
    venue: venueCosts.optional(),
    /** fees and latency of named venues (over `venue`): venues that differ, for the smart router to weigh */
    venues: z.record(z.string().regex(/^[A-Z0-9][A-Z0-9_-]{0,31}$/, "a venue id like SIMX"), venueCosts).default({}),
    /** queue position and slippage at the simulated exchange (actors/exchange/fill-model.ts) */
    fills: z
      .object({
        /**
         * ladder: fill when the quote touches the order's price; visible: behind the quote's size, after trades;
         * l2: resting limit orders queue in the recorded L2 book of `l2` (behind the shown size, after prints)
         */
        queue: z.enum(["ladder", "visible", "l2"]).default("ladder"),
        /** the recorded L2 book the `l2` queue model replays (supervisors/backtest/l2-records.ts) */
        l2: z
          .object({
            /** L2 CSV or Parquet files (.parquet), each in time order; relative to the config file */
            files: z.array(z.string().min(1)).min(1),
          })
          .strict()
          .optional(),
        slippage: z
          .discriminatedUnion("model", [
            z.object({ model: z.literal("none") }).strict(),
            z.object({ model: z.literal("fixed-bps"), bps: z.number().min(0).max(10_000) }).strict(),
            z
              .object({
                model: z.literal("square-root"),
                coefficientBps: z.number().min(0).max(10_000),
                /** the instrument's typical traded volume, decimal text in the quantity's units */
                volume: z
                  .string()
                  .regex(/^\d+(\.\d{1,8})?$/, "a decimal like 250000")
                  .refine((v) => /[1-9]/.test(v), "must be more than 0"),
              })
              .strict(),
          ])
          .default({ model: "none" }),
      })
      .strict()
      .optional(),
    /**
     * One-way delays of messages between actor kinds on the simulated clock, e.g. strategy → risk-book, order →
     * venue, instrument → strategy (market data); replies travel the reverse link's delay. The exchange's own
     * inbound latency is venue.latencyUs.
     */
    latency: z
      .array(
        z
          .object({
            from: z.enum(ACTOR_KINDS),
            to: z.enum(ACTOR_KINDS),
            us: z.number().int().nonnegative().max(60_000_000),
          })
          .strict(),
      )
      .default([]),
    report: z
      .object({
        /** equity is sampled this often for the return series (default one day) */
        sampleEveryMs: z.number().int().positive().default(86_400_000),
        /** where report.html, report.json and events.jsonl go (relative to the config file); none: no files */
        outDir: z.string().min(1).optional(),
        /** write every domain event as a JSON line (events.jsonl) */
        journalFile: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.end <= c.start) ctx.addIssue({ code: "custom", path: ["end"], message: "must be after start" });
    const links = new Set<string>();
    for (const [i, l] of c.latency.entries()) {
      const key = `${l.from}→${l.to}`;
      if (links.has(key)) ctx.addIssue({ code: "custom", path: ["latency", i], message: `${key} is given twice` });
      links.add(key);
    }
    const ids = new Set(c.instruments.map((i) => i.id));
    if (c.strategies.length === 0 && c.algos.length === 0)
      ctx.addIssue({ code: "custom", path: ["strategies"], message: "a run needs a strategy or a parent order (algos)" });
    const venuesOfRun = new Set(c.instruments.map((i) => i.id.slice(i.id.lastIndexOf(".") + 1)));
    for (const v of Object.keys(c.venues))
      if (!venuesOfRun.has(v)) ctx.addIssue({ code: "custom", path: ["venues", v], message: `no instrument of the run trades on ${v}` });
    const parents = new Set<string>();
    for (const [i, a] of c.algos.entries()) {
      if (parents.has(a.id)) ctx.addIssue({ code: "custom", path: ["algos", i, "id"], message: `${a.id} is given twice` });
      parents.add(a.id);
      if (!ids.has(a.instrument))
        ctx.addIssue({ code: "custom", path: ["algos", i, "instrument"], message: `${a.instrument} is not in instruments` });
      if (a.at < c.start || a.at >= c.end)
        ctx.addIssue({ code: "custom", path: ["algos", i, "at"], message: "must be within the run, from start to before end" });
      if (a.params.algo === "SOR") {
        const symbol = a.instrument.slice(0, a.instrument.lastIndexOf("."));
        for (const [k, v] of a.params.venues.entries())
          if (!ids.has(`${symbol}.${v}`))
            ctx.addIssue({ code: "custom", path: ["algos", i, "params", "venues", k], message: `${symbol}.${v} is not in instruments` });
      }
    }
    const models = new Set(c.features?.models ?? []);
    for (const [i, s] of c.strategies.entries()) {
      if (s.channels.includes("features") && !c.features)
        ctx.addIssue({ code: "custom", path: ["strategies", i, "channels"], message: "channel features needs the run's features" });
      if (s.regimes && !c.regime)
        ctx.addIssue({ code: "custom", path: ["strategies", i, "regimes"], message: "hearing regimes needs the run's regime" });
      for (const [k, m] of s.signals.entries())
        if (!models.has(m))
          ctx.addIssue({ code: "custom", path: ["strategies", i, "signals", k], message: `model ${m} is not in features.models` });
    }
    const recorded = c.data.kind !== "simulator";
    if (c.fills?.queue === "l2") {
      if (!c.fills.l2)
        ctx.addIssue({
          code: "custom",
          path: ["fills", "l2"],
          message: "required by queue l2: the L2 book files (fills.l2.files) it replays",
        });
      else if (!recorded)
        ctx.addIssue({
          code: "custom",
          path: ["fills", "l2"],
          message: "replays recorded L2 data beside recorded market data: not the simulator",
        });
      // the L2 queue takes an order when it reaches the exchange: a venue latency would be skipped, so it is refused
      const late = [["venue", c.venue] as const, ...Object.entries(c.venues).map(([v, x]) => [`venues.${v}`, x] as const)].find(
        ([, x]) => x && (x.latencyUs > 0 || x.jitterUs > 0),
      );
      if (late)
        ctx.addIssue({
          code: "custom",
          path: [...late[0].split("."), "latencyUs"],
          message: "queue l2 takes orders as they reach the exchange: model the delay with latency (order → venue) instead",
        });
    } else if (c.fills?.l2)
      ctx.addIssue({ code: "custom", path: ["fills", "l2"], message: `L2 files are replayed by queue l2 only, not ${c.fills.queue}` });
    if (c.corporateActions && !recorded)
      ctx.addIssue({ code: "custom", path: ["corporateActions"], message: "adjusts recorded data: not the simulator" });
    if (Array.isArray(c.corporateActions))
      for (const [i, a] of c.corporateActions.entries())
        if (!ids.has(a.instrument))
          ctx.addIssue({ code: "custom", path: ["corporateActions", i, "instrument"], message: `${a.instrument} is not in instruments` });
    const contracts = new Set<string>();
    for (const [i, r] of c.rolls.entries()) {
      if (!recorded) ctx.addIssue({ code: "custom", path: ["rolls", i], message: "rolls recorded data: not the simulator" });
      if (!ids.has(r.instrument))
        ctx.addIssue({ code: "custom", path: ["rolls", i, "instrument"], message: `${r.instrument} is not in instruments` });
      for (const [k, x] of r.contracts.entries()) {
        if (ids.has(x.instrument))
          ctx.addIssue({
            code: "custom",
            path: ["rolls", i, "contracts", k, "instrument"],
            message: `${x.instrument} is one of the run's instruments: a contract is traded through its continuous instrument`,
          });
        if (contracts.has(x.instrument))
          ctx.addIssue({ code: "custom", path: ["rolls", i, "contracts", k, "instrument"], message: `${x.instrument} is given twice` });
        contracts.add(x.instrument);
      }
    }
    for (const [i, s] of c.strategies.entries())
      for (const [k, id] of (s.instruments ?? []).entries())
        if (!ids.has(id))
          ctx.addIssue({ code: "custom", path: ["strategies", i, "instruments", k], message: `${id} is not in instruments` });
  });

export type RunConfigInput = z.input<typeof runConfigSchema>;
export type RunConfig = z.output<typeof runConfigSchema>;

export class RunConfigError extends Error {
  override name = "RunConfigError";
}

/** Validates a run configuration; every problem is named by its path. */
export function parseRunConfig(input: unknown): RunConfig {
  const r = runConfigSchema.safeParse(input);
  if (!r.success)
    throw new RunConfigError(r.error.issues.map((i) => `run config ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n"));
  return r.data;
}
