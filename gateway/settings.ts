import type { NatsConnection } from "@nats-io/transport-node";
import type { BacktestRunner } from "./backtests.ts";
import type { TrainingJobRunner } from "./training.ts";
import type { BarHistory } from "./history.ts";
import type { RateLimitSettings } from "./rate-limit.ts";

export interface StreamSettings {
  /** quotes held per slow StreamQuotes call before the oldest are dropped */
  quoteQueue: number;
  /** execution reports held per slow call before it is ended with RESOURCE_EXHAUSTED */
  executionReportQueue: number;
}

export interface TlsSettings {
  certFile: string;
  keyFile: string;
  /** PEM of CAs whose client certificates are required (mutual TLS); absent = no client certificates */
  clientCaFile?: string;
}

/**
 * Everything the gateway is configured with. The node passes it from the validated configuration (the keys to
 * add to infra/config/schema.ts are listed in gateway/README.md).
 */
export interface GatewayOptions {
  nc: NatsConnection;
  /** 0 = a free port */
  port: number;
  host?: string;
  /** HS256 secret, at least 32 bytes */
  jwtSecret: string;
  jwtIssuer?: string;
  jwtAudience?: string;
  /** cert/key files: TLS; absent: insecure (local development only) */
  tls?: TlsSettings;
  rateLimit?: RateLimitSettings;
  streams?: Partial<StreamSettings>;
  /** NATS request timeout of calls without a deadline */
  defaultTimeoutMs?: number;
  history?: BarHistory;
  /** runs the Backtests service's backtests; absent: its calls are UNAVAILABLE */
  backtests?: BacktestRunner;
  /** where Models.StartTrainingJob runs jobs (supervisors/research's TrainingJobs); none: UNAVAILABLE */
  training?: TrainingJobRunner;
}

export const defaultStreams: StreamSettings = { quoteQueue: 256, executionReportQueue: 1024 };
