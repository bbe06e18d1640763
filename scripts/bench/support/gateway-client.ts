import * as http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { appendedSubject, storedSubject, subjects } from "../../../actors/contract/index.ts";
import { loadProtos } from "../../../gateway/index.ts";
import { connectNats } from "../../../infra/nats/index.ts";

/** What one concurrency step of the client measured. */
export interface ClientStep {
  concurrency: number;
  calls: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** gRPC status name → count */
  errorCodes: Record<string, number>;
  clientCpuMsPer1k: number;
  /** with `natsUrl`: orders of this step whose OrderAccepted was seen (within 2 s of the step's end) */
  accepted?: number;
  /** call start → OrderAccepted as stored (am.stored.order.<id>) */
  acceptP50Ms?: number;
  acceptP99Ms?: number;
}

/** Where the client sends its orders. */
export interface ClientSpec {
  port: number;
  token: string;
  instrument: string;
  book: string;
  price: string;
  /** where to watch OrderAccepted: `rps` then counts orders the venue accepted; absent, answered calls */
  natsUrl?: string;
}

type Submit = (req: Record<string, unknown>, done: (code: number, details: string) => void) => void;

/** grpc-js's client: what applications use, and about as costly per call as the gateway itself. */
function grpcJsClient(spec: ClientSpec): { submit: Submit; close(): void } {
  const Trading = loadProtos().client("Trading");
  const c = new Trading(`127.0.0.1:${spec.port}`, grpc.credentials.createInsecure());
  const call = (
    c as unknown as Record<string, (r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void) => void>
  ).SubmitOrder!;
  const meta = new grpc.Metadata();
  meta.set("authorization", `Bearer ${spec.token}`);
  return {
    submit: (req, done) => call.call(c, req, meta, { deadline: Date.now() + 2_000 }, (e) => done(e ? e.code : 0, e?.details ?? "")),
    close: () => c.close(),
  };
}

/**
 * The same unary call framed by hand over node:http2 (length-prefixed protobuf, grpc-status in the trailers): a
 * load generator that leaves more of a 2-core machine to the gateway. The response message is not decoded.
 */
function rawHttp2Client(spec: ClientSpec): { submit: Submit; close(): void } {
  const method = (loadProtos().client("Trading").service as grpc.ServiceDefinition).SubmitOrder!;
  const session = http2.connect(`http://127.0.0.1:${spec.port}`);
  const headers = {
    ":method": "POST",
    ":path": method.path,
    "content-type": "application/grpc",
    te: "trailers",
    "grpc-timeout": "2000m",
    authorization: `Bearer ${spec.token}`,
  };
  return {
    submit: (req, done) => {
      const body = method.requestSerialize(req);
      const frame = Buffer.allocUnsafe(5 + body.length);
      frame.writeUInt8(0, 0);
      frame.writeUInt32BE(body.length, 1);
      body.copy(frame, 5);
      const stream = session.request(headers);
      let code = -1;
      let details = "";
      const take = (h: http2.IncomingHttpHeaders) => {
        if (h["grpc-status"] !== undefined) {
          code = Number(h["grpc-status"]);
          details = decodeURIComponent(String(h["grpc-message"] ?? ""));
        }
      };
      stream.on("response", take); // a trailers-only answer (an error) carries the status in its headers
      stream.on("trailers", take);
      stream.on("data", () => {});
      stream.on("close", () =>
        done(code < 0 ? grpc.status.UNKNOWN : code, code < 0 ? `stream closed without grpc-status (${stream.rstCode})` : details),
      );
      stream.end(frame);
    },
    close: () => session.close(),
  };
}

/**
 * The load generator (run in a child process): a warm-up, then SubmitOrder calls at each concurrency of `steps`
 * for `stepMs`, reporting each step to the parent over IPC (`{ start }` before it, a ClientStep after).
 */
export async function runClient(spec: ClientSpec, steps: number[], stepMs: number): Promise<void> {
  const c = process.env.GATEWAY_BENCH_CLIENT === "grpc-js" ? grpcJsClient(spec) : rawHttp2Client(spec);
  let n = 0;
  const codes: Record<string, number> = {};
  let lastError = "";
  // by OrderAccepted subject: when its call started, and when the venue accepted it
  const started = new Map<string, number>();
  const acceptedAfter: number[] = [];
  let lastAcceptAt = 0;
  const nc = spec.natsUrl ? await connectNats(spec.natsUrl, "bench-gateway-client") : undefined;
  nc?.subscribe(storedSubject("am.evt.order.*.OrderAccepted"), {
    callback: (_e, m) => {
      const subject = appendedSubject(m.subject);
      const s = started.get(subject);
      if (s === undefined) return;
      started.delete(subject);
      lastAcceptAt = performance.now();
      acceptedAfter.push(lastAcceptAt - s);
    },
  });
  await nc?.flush();
  let watching = false;
  const submit = () =>
    new Promise<boolean>((resolve) => {
      const id = `b${process.pid}-${n++}`;
      if (watching) started.set(subjects.evt("order", id, "OrderAccepted"), performance.now());
      const req = {
        clientOrderId: id,
        instrument: spec.instrument,
        side: "SIDE_BUY",
        orderType: "ORDER_TYPE_LIMIT",
        quantity: "1",
        price: spec.price,
        timeInForce: "TIME_IN_FORCE_DAY",
        strategy: "bench",
        book: spec.book,
      };
      c.submit(req, (code, details) => {
        if (code !== 0) {
          const name = grpc.status[code] ?? String(code);
          codes[name] = (codes[name] ?? 0) + 1;
          lastError = details;
        }
        resolve(code === 0);
      });
    });
  for (let i = 0; i < 300; i++) await submit(); // warm-up: JIT, connection, token cache, actor spawn paths
  if (Object.keys(codes).length) process.stderr.write(`warm-up errors ${JSON.stringify(codes)}: ${lastError}\n`);
  for (const concurrency of steps) {
    for (const k of Object.keys(codes)) delete codes[k];
    started.clear();
    acceptedAfter.length = 0;
    watching = nc !== undefined;
    const lat: number[] = [];
    let errors = 0;
    process.send?.({ start: concurrency });
    await new Promise((r) => setTimeout(r, 20)); // the parent reads /proc before the load starts
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + stepMs;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const s = performance.now();
          if (await submit()) lat.push(performance.now() - s);
          else errors++;
        }
      }),
    );
    const callsEnd = performance.now();
    watching = false;
    // acceptances still on their way count, up to 2 s late, and so does the time they took
    for (let w = 0; nc && w < 200 && acceptedAfter.length < lat.length; w++) await new Promise((r) => setTimeout(r, 10));
    const cpu = process.cpuUsage(cpu0);
    const q = (xs: number[], p: number) => {
      xs.sort((a, b) => a - b);
      return Number((xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0).toFixed(3));
    };
    const r: ClientStep = {
      concurrency,
      calls: lat.length,
      // venue-accepted orders per second until the last of them, or answered calls per second
      rps: Math.round(nc ? (acceptedAfter.length * 1000) / (Math.max(callsEnd, lastAcceptAt) - t0) : (lat.length * 1000) / (callsEnd - t0)),
      p50Ms: q(lat, 0.5),
      p99Ms: q(lat, 0.99),
      ...(nc ? { accepted: acceptedAfter.length, acceptP50Ms: q(acceptedAfter, 0.5), acceptP99Ms: q(acceptedAfter, 0.99) } : {}),
      errors,
      errorCodes: { ...codes },
      clientCpuMsPer1k: lat.length ? Number(((cpu.user + cpu.system) / lat.length).toFixed(1)) : 0,
    };
    if (errors) process.stderr.write(`  last error: ${lastError}\n`);
    process.send?.(r);
  }
  c.close();
  await nc?.close();
}
