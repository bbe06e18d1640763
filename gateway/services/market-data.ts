import { status as Status } from "@grpc/grpc-js";
import { z } from "zod";
import { parseInstrumentId, subjects } from "../../actors/contract/index.ts";
import { decodeMessage } from "../../infra/nats/index.ts";
import { Role } from "../auth.ts";
import { GatewayError } from "../errors.ts";
import { serverStream, unary, type ServiceRpcs } from "../rpc.ts";
import { SlowClientPolicy, StreamSink } from "../stream-sink.ts";
import { arr, dec, instrument, int, limitOf, obj, str } from "../validation.ts";
import type { Services } from "./context.ts";

export const GET_BOOK = "GetBook";

export interface QuoteOut {
  instrument: string;
  bid: string;
  bidSize: string;
  ask: string;
  askSize: string;
  seq: number;
  crossed: boolean;
  tsEventUs: number;
  tsInitUs: number;
}

const levels = (v: unknown) =>
  arr(v).map((l) => {
    const [price, size] = arr(l);
    return { price: dec(price), size: dec(size) };
  });

export function marketDataRpcs(s: Services): ServiceRpcs {
  return {
    StreamQuotes: serverStream({
      role: Role.Viewer,
      request: z.object({
        instruments: z
          .array(instrument)
          .min(1, "name at least one instrument")
          .max(100, "at most 100 instruments")
          .transform((a) => [...new Set(a)]),
      }),
      open(req, ctx, call) {
        const sink = new StreamSink<QuoteOut>(
          call,
          s.streams.quoteQueue,
          SlowClientPolicy.DropOldest,
          `quotes for ${ctx.principal.subject}`,
        );
        const subs = req.instruments.map((i) =>
          s.nc.subscribe(subjects.md("quote", parseInstrumentId(i)), {
            callback: (err, msg) => {
              if (err) return;
              let q: Record<string, unknown>;
              try {
                q = decodeMessage(msg.data, msg.headers, false).message;
              } catch {
                return; // the instrument actor publishes only codec messages; anything else is not a quote
              }
              sink.push({
                instrument: str(q.instrument) || i,
                bid: dec(q.bid),
                bidSize: dec(q.bidSize),
                ask: dec(q.ask),
                askSize: dec(q.askSize),
                seq: int(q.seq),
                crossed: q.crossed === true,
                tsEventUs: int(q.tsEvent),
                tsInitUs: int(q.tsInit),
              });
            },
          }),
        );
        s.sinks.add(sink as StreamSink<unknown>);
        sink.onEnd(() => {
          for (const sub of subs) sub.unsubscribe();
          s.sinks.delete(sink as StreamSink<unknown>);
        });
        return sink;
      },
    }),
    GetBars: unary({
      role: Role.Viewer,
      request: z
        .object({
          instrument,
          barType: z.string().regex(/^\d+(ms|s|m|h|d|t|v)$/, 'must be like "1s", "1m", "1h", "1d", "100t" or "10000v"'),
          fromUs: z.number().int().min(0, "must not be negative"),
          toUs: z.number().int().min(0, "must not be negative"),
          limit: limitOf(1000, 10_000),
        })
        .refine((r) => r.toUs === 0 || r.toUs > r.fromUs, { message: "must be after from_us", path: ["toUs"] }),
      async handle(req, ctx) {
        if (!s.history) throw new GatewayError(Status.UNAVAILABLE, "history store not configured");
        const bars = await s.history.bars(req.instrument, req.barType, req.fromUs, req.toUs || ctx.nowUs(), req.limit);
        return {
          bars: bars.map((b) => ({
            instrument: b.instrument,
            barType: b.barType,
            tsOpenUs: b.tsOpen,
            tsEventUs: b.tsEvent,
            open: dec(b.open),
            high: dec(b.high),
            low: dec(b.low),
            close: dec(b.close),
            volume: dec(b.volume),
            vwap: dec(b.vwap),
            trades: b.trades,
          })),
        };
      },
    }),
    GetBook: unary({
      role: Role.Viewer,
      request: z.object({ instrument, depth: limitOf(10, 500) }),
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        const result = obj(
          await s.bus.command(
            subjects.cmd("instrument", req.instrument),
            { type: GET_BOOK, instrument: req.instrument, depth: req.depth, tsEvent: ts, tsInit: ts },
            ctx.remainingMs(),
          ),
        );
        return {
          instrument: req.instrument,
          bids: levels(result.bids).slice(0, req.depth),
          asks: levels(result.asks).slice(0, req.depth),
          seq: int(result.seq),
          tsEventUs: int(result.tsEvent),
        };
      },
    }),
  };
}
