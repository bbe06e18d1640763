/**
 * The I/O side of the vendor-feed actors, in the node process (never in a machine): one FeedAdapter per configured
 * feed owns the vendor session, answers the actor's FeedAdapterConnect / FeedAdapterDisconnect on
 * am.cmd.feed-adapter.<feed>, reports FeedConnected / FeedConnectFailed / FeedDisconnected / FeedProgress on the
 * actor's am.cmd.vendor-feed.<feed>, and publishes each vendor record as raw feed input on
 * am.feed.<feed>.<venue>.<symbol>, which the instrument actors take like simulator ticks. Alternative data
 * (edgar, news, files) is normalised by its connector and goes straight to am.md.<filing|news|series>.<venue>.<symbol>
 * (AM_MD), where the recorder writes it to QuestDB.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { errorMessage, MdChannel, parseInstrumentId, subjects } from "../../actors/contract/index.ts";
import { FeedAdapterConnect, FeedAdapterDisconnect, mergeMarks, type Watermarks } from "../../actors/feed/connection/index.ts";
import type { Config } from "../../infra/config/index.ts";
import {
  type AltDataRecord,
  FeedError,
  FeedErrorReason,
  type FeedIssue,
  openSession,
  parseFileDropSchema,
  type RawFeedRecord,
  Redactor,
  type VendorSession,
  type VendorSpec,
} from "../../infra/feeds/index.ts";
import { type Decoded, decodeAs, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import type { Logger } from "../../infra/telemetry/index.ts";

export const VENDOR_FEED_KIND = "vendor-feed";

/** A feed as configured: how to reach the vendor, and which instrument each vendor symbol feeds. */
export interface VendorFeed {
  spec: VendorSpec;
  /** vendor symbol → instrument id (SYMBOL.VENUE); empty for alternative data, whose connectors resolve their own */
  instruments: Map<string, string>;
}

/** "320193=AAPL.XNAS,320193=AAPL.XLON" → CIK → its instruments; every entry needs its instrument. */
export function parseCompanyMap(text: string, setting: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const entry of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [cik, id] = entry.split("=").map((s) => s.trim());
    if (!cik || !/^\d{1,10}$/.test(cik))
      throw new Error(`${setting}: entry ${JSON.stringify(entry)} does not start with a CIK of 1-10 digits`);
    if (!id) throw new Error(`${setting}: entry ${JSON.stringify(entry)} names no instrument (CIK=SYMBOL.VENUE)`);
    try {
      parseInstrumentId(id);
    } catch (e) {
      throw new Error(`${setting}: ${JSON.stringify(id)} is not an instrument id SYMBOL.VENUE (${errorMessage(e)})`);
    }
    out.set(cik, [...(out.get(cik) ?? []), id]);
  }
  return out;
}

/** The alternative data feeds' specs (edgar, news, files); throws naming the setting that is missing or wrong. */
function altDataFeed(id: "edgar" | "news" | "files", config: Config): VendorFeed {
  const none = new Map<string, string>();
  if (id === "edgar") {
    if (!config.edgarUserAgent) throw new Error("AM_FEEDS names edgar but AM_EDGAR_USER_AGENT is not set (EDGAR refuses undeclared tools)");
    const companies = parseCompanyMap(config.edgarCompanies, "AM_EDGAR_COMPANIES");
    if (!companies.size) throw new Error("AM_FEEDS names edgar but AM_EDGAR_COMPANIES lists no company");
    return {
      spec: {
        feed: "edgar",
        userAgent: config.edgarUserAgent,
        dataUrl: config.edgarDataUrl,
        wwwUrl: config.edgarWwwUrl,
        companies,
        pollMs: config.edgarPollMs,
        requestsPerSecond: config.edgarRequestsPerSecond,
      },
      instruments: none,
    };
  }
  if (id === "news") {
    if (!config.polygonApiKey) throw new Error("AM_FEEDS names news but AM_POLYGON_API_KEY is not set (the news feed is Polygon's)");
    const tickers = parseSymbolMap(config.newsSymbols, "XNAS", "AM_NEWS_SYMBOLS");
    if (!tickers.size) throw new Error("AM_FEEDS names news but AM_NEWS_SYMBOLS lists no ticker");
    return {
      spec: { feed: "news", apiKey: config.polygonApiKey, baseUrl: config.newsUrl, tickers, pollMs: config.newsPollMs },
      instruments: none,
    };
  }
  if (!config.fileFeedDir) throw new Error("AM_FEEDS names files but AM_FILE_FEED_DIR is not set");
  const schema = parseFileDropSchema(config.fileFeedSchema, "AM_FILE_FEED_SCHEMA");
  const bare = config.fileFeedSymbols
    .split(",")
    .map((e) => e.trim())
    .find((e) => e && !e.includes("="));
  if (bare !== undefined) throw new Error(`AM_FILE_FEED_SYMBOLS: entry ${JSON.stringify(bare)} is not NAME=SYMBOL.VENUE`);
  const instruments = parseSymbolMap(config.fileFeedSymbols, "", "AM_FILE_FEED_SYMBOLS");
  return {
    spec: { feed: "files", dir: config.fileFeedDir, source: config.fileFeedName, schema, instruments, pollMs: config.fileFeedPollMs },
    instruments: none,
  };
}

/**
 * "AAPL=AAPL.XNAS,MSFT" → AAPL → AAPL.XNAS, MSFT → MSFT.<defaultVenue>. The vendor symbol is what the vendor
 * calls it; the instrument id is the platform's (the catalogue's) id.
 */
export function parseSymbolMap(text: string, defaultVenue: string, setting: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [vendor, id] = entry.split("=").map((s) => s.trim());
    if (!vendor) throw new Error(`${setting}: entry ${JSON.stringify(entry)} has no vendor symbol`);
    const instrument = id ?? `${vendor}.${defaultVenue}`;
    try {
      parseInstrumentId(instrument);
    } catch (e) {
      throw new Error(`${setting}: ${JSON.stringify(instrument)} is not an instrument id SYMBOL.VENUE (${errorMessage(e)})`);
    }
    out.set(vendor, instrument);
  }
  return out;
}

/** The vendor feeds of a configuration (AM_FEEDS); throws naming the setting that is missing. */
export function vendorFeedsFrom(config: Config): VendorFeed[] {
  const ids = config.feeds
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return ids.map((id): VendorFeed => {
    if (id === "edgar" || id === "news" || id === "files") return altDataFeed(id, config);
    if (id === "polygon") {
      if (!config.polygonApiKey) throw new Error("AM_FEEDS names polygon but AM_POLYGON_API_KEY is not set");
      const instruments = parseSymbolMap(config.polygonSymbols, "XNAS", "AM_POLYGON_SYMBOLS");
      const channels = config.polygonChannels.split(",") as Array<"T" | "Q" | "AM">;
      return {
        spec: {
          feed: "polygon",
          apiKey: config.polygonApiKey,
          restUrl: config.polygonRestUrl,
          wsUrl: config.polygonWsUrl,
          tickers: [...instruments.keys()],
          channels,
        },
        instruments,
      };
    }
    if (id === "alpha-vantage") {
      if (!config.alphaVantageApiKey) throw new Error("AM_FEEDS names alpha-vantage but AM_ALPHA_VANTAGE_API_KEY is not set");
      const instruments = parseSymbolMap(config.alphaVantageSymbols, "XNAS", "AM_ALPHA_VANTAGE_SYMBOLS");
      const s = config.alphaVantageSeries;
      const series = s === "daily" ? ({ fn: "TIME_SERIES_DAILY" } as const) : ({ fn: "TIME_SERIES_INTRADAY", interval: s } as const);
      return {
        spec: {
          feed: "alpha-vantage",
          apiKey: config.alphaVantageApiKey,
          baseUrl: config.alphaVantageUrl,
          symbols: [...instruments.keys()],
          series,
          pollMs: config.alphaVantagePollMs,
        },
        instruments,
      };
    }
    const instruments = parseSymbolMap(config.binanceSymbols, "BINANCE", "AM_BINANCE_SYMBOLS");
    return {
      spec: { feed: "binance", restUrl: config.binanceRestUrl, wsUrl: config.binanceWsUrl, symbols: [...instruments.keys()] },
      instruments,
    };
  });
}

/** Vendor record → the raw feed message instrument actors accept (actors/domain/messages/feed.ts). */
function rawMessage(r: RawFeedRecord, instrument: string, bookSeq: number, nowUs: number): Message {
  switch (r.kind) {
    case "quote":
      return {
        type: "RawQuote",
        instrument,
        bid: r.bid,
        bidSize: r.bidSize,
        ask: r.ask,
        askSize: r.askSize,
        seq: r.seq,
        tsEvent: r.tsEvent,
        tsInit: nowUs,
      };
    case "trade":
      return {
        type: "RawTrade",
        instrument,
        price: r.price,
        size: r.size,
        aggressor: r.aggressor,
        tradeId: r.tradeId,
        tsEvent: r.tsEvent,
        tsInit: nowUs,
      };
    case "book":
      return {
        type: "RawBookUpdate",
        instrument,
        kind: r.update,
        bids: r.bids,
        asks: r.asks,
        seq: bookSeq,
        tsEvent: r.tsEvent,
        tsInit: nowUs,
      };
    case "bar":
      // Instruments build their bars from prints: a vendor bar arrives as one print of its volume at its close.
      return {
        type: "RawTrade",
        instrument,
        price: r.close,
        size: r.volume,
        aggressor: "NONE",
        tradeId: `bar-${r.barType}-${r.seq}`,
        tsEvent: r.tsEvent,
        tsInit: nowUs,
      };
  }
}

export interface FeedAdapterOptions {
  nc: NatsConnection;
  feed: VendorFeed;
  log: Logger;
  /** how often delivery progress (watermarks, counts) goes to the actor, ms; default 1000 */
  progressEveryMs?: number;
  nowUs?: () => number;
  /**
   * Whether the feed's actor runs on this node (default: always). With a feed configured on several nodes, every
   * adapter hears the actor's commands, but only the node its lease placed the actor on opens the vendor session;
   * another one ends the session it still holds (the actor moved away).
   */
  actorHere?: () => boolean;
}

interface Live {
  gen: number;
  session: VendorSession;
  live: boolean;
  ended: boolean;
  /** the session's stop, once: a connector's stop() is not safe to repeat */
  stopping?: Promise<void>;
}

const stopOnce = (l: Live): Promise<void> => {
  l.stopping ??= l.session.stop().catch(() => {});
  return l.stopping;
};

export class FeedAdapter {
  readonly id: string;
  private readonly redactor: Redactor;
  private readonly log: Logger;
  private sub: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private current: Live | undefined;
  private gen = 0;
  private marks: Watermarks = {};
  /** per instrument: the contiguous book sequence instruments expect (vendor ids are not contiguous) */
  private readonly bookSeq = new Map<string, number>();
  private readonly subjectOf = new Map<string, string>();
  private pending = { delivered: 0, duplicates: 0, gaps: 0, resyncs: 0 };
  private reportedDuplicates = 0;
  private readonly nowUs: () => number;

  constructor(private readonly o: FeedAdapterOptions) {
    this.id = o.feed.spec.feed;
    this.redactor = new Redactor("apiKey" in o.feed.spec ? [o.feed.spec.apiKey] : []);
    this.log = o.log.child({ feed: this.id });
    this.nowUs = o.nowUs ?? (() => Date.now() * 1000);
    for (const [vendor, id] of o.feed.instruments) this.subjectOf.set(vendor, subjects.feed(this.id, parseInstrumentId(id)));
  }

  start(): void {
    this.sub = this.o.nc.subscribe(subjects.cmd("feed-adapter", this.id), {
      callback: (err, msg) => {
        if (err) return;
        let m: Decoded<typeof FeedAdapterConnect | typeof FeedAdapterDisconnect>;
        try {
          m = decodeAs([FeedAdapterConnect, FeedAdapterDisconnect], msg.data, msg.headers);
        } catch (e) {
          this.log.warn("feed adapter refused a command", { error: this.redactor.error(e) });
          return;
        }
        if (this.o.actorHere && !this.o.actorHere()) {
          if (this.current) void this.end(`the ${this.id} feed's actor runs on another node`);
        } else if (m.type === "FeedAdapterConnect") void this.connect(m.resume);
        else void this.end(m.reason);
      },
    });
    this.timer = setInterval(() => this.report(), this.o.progressEveryMs ?? 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.sub?.unsubscribe();
    await this.end("adapter stopped");
  }

  private async connect(resume: Watermarks): Promise<void> {
    await this.end("reconnect");
    this.marks = mergeMarks(this.marks, resume);
    const gen = ++this.gen;
    const hooks = {
      onRecord: (r: RawFeedRecord) => this.onRecord(r),
      onAltData: (r: AltDataRecord) => this.onAltData(r),
      onDown: (reason: FeedErrorReason, detail: string) => void this.down(gen, reason, detail),
      onIssue: (i: FeedIssue) => {
        if (i.reason === FeedErrorReason.Gap) this.pending.gaps += 1;
      },
      logger: this.log,
    };
    let session: VendorSession;
    try {
      session = openSession(this.o.feed.spec, this.marks, hooks);
    } catch (e) {
      this.failed(e);
      return;
    }
    const live: Live = { gen, session, live: false, ended: false };
    this.current = live;
    this.reportedDuplicates = 0;
    this.log.info("vendor feed connecting", { resumeKeys: Object.keys(this.marks).length });
    try {
      await session.start();
    } catch (e) {
      if (live.ended) return;
      live.ended = true;
      if (this.current === live) this.current = undefined;
      await stopOnce(live);
      this.failed(e);
      return;
    }
    if (live.ended) return;
    live.live = true;
    this.log.info("vendor feed live");
    this.tell({ type: "FeedConnected", feed: this.id });
  }

  private failed(e: unknown): void {
    const reason = e instanceof FeedError ? e.reason : FeedErrorReason.Network;
    const detail = this.redactor.error(e);
    this.log.warn("vendor feed could not connect", { reason, detail });
    this.tell({ type: "FeedConnectFailed", feed: this.id, reason, detail });
  }

  /** The session went down on its own: stop it (the actor decides when to retry) and say where delivery stands. */
  private async down(gen: number, reason: FeedErrorReason, detail: string): Promise<void> {
    const live = this.current;
    if (!live || live.gen !== gen || live.ended) return;
    if (!live.live) {
      // not yet live: ending it rejects start(), which reports FeedConnectFailed
      await stopOnce(live);
      return;
    }
    live.ended = true;
    this.current = undefined;
    await stopOnce(live);
    this.collect(live.session);
    const text = this.redactor.text(detail);
    this.log.warn("vendor feed down", { reason, detail: text });
    this.report();
    this.tell({ type: "FeedDisconnected", feed: this.id, reason, detail: text, marks: this.marks });
  }

  private async end(why: string): Promise<void> {
    const live = this.current;
    if (!live) return;
    live.ended = true;
    this.current = undefined;
    await stopOnce(live);
    this.collect(live.session);
    this.log.info("vendor feed closed", { why });
  }

  private collect(session: VendorSession): void {
    this.marks = mergeMarks(this.marks, session.watermarks());
    const dup = session.duplicates();
    this.pending.duplicates += Math.max(0, dup - this.reportedDuplicates);
    this.reportedDuplicates = dup;
  }

  private onRecord(r: RawFeedRecord): void {
    const symbol = r.instrument.slice(0, r.instrument.lastIndexOf("."));
    const subject = this.subjectOf.get(symbol);
    const instrument = this.o.feed.instruments.get(symbol);
    if (!subject || !instrument) return;
    let seq = 0;
    if (r.kind === "book") {
      const prev = this.bookSeq.get(instrument);
      // a snapshot carries the vendor's update id (never below what was sent), each delta the next number
      seq = r.update === "snapshot" ? Math.max(r.seq, (prev ?? -1) + 1) : (prev ?? 0) + 1;
      this.bookSeq.set(instrument, seq);
      if (r.update === "snapshot") this.pending.resyncs += 1;
    }
    const { data, headers } = encodeMessage(rawMessage(r, instrument, seq, this.nowUs()));
    this.o.nc.publish(subject, data, { headers });
    this.pending.delivered += 1;
  }

  private onAltData(r: AltDataRecord): void {
    const { kind, ...message } = r;
    const channel = kind === "filing" ? MdChannel.Filing : kind === "news" ? MdChannel.News : MdChannel.Series;
    const type = kind === "filing" ? "Filing" : kind === "news" ? "NewsHeadline" : "SeriesObservation";
    let subject: string;
    try {
      subject = subjects.md(channel, parseInstrumentId(message.instrument));
    } catch (e) {
      // a file feed's row names its instrument: a bad one was refused by the connector, so this is a defect
      this.log.warn("alternative data record without an instrument id", { instrument: message.instrument, error: errorMessage(e) });
      return;
    }
    const { data, headers } = encodeMessage({ type, ...message } as Message);
    this.o.nc.publish(subject, data, { headers });
    this.pending.delivered += 1;
  }

  private report(): void {
    const live = this.current;
    if (live?.live) this.collect(live.session);
    const p = this.pending;
    if (p.delivered + p.duplicates + p.gaps + p.resyncs === 0) return;
    this.pending = { delivered: 0, duplicates: 0, gaps: 0, resyncs: 0 };
    this.tell({ type: "FeedProgress", feed: this.id, marks: this.marks, ...p });
  }

  private tell(message: Message): void {
    const { data, headers } = encodeMessage(message);
    this.o.nc.publish(subjects.cmd(VENDOR_FEED_KIND, this.id), data, { headers });
  }
}

/** Starts one adapter per configured feed and places its actor; returns a stop for the node's shutdown. */
export async function startVendorFeeds(o: {
  nc: NatsConnection;
  feeds: VendorFeed[];
  log: Logger;
  ensure: (ref: { kind: string; id: string }) => Promise<void>;
  /** whether this node hosts an actor: only the node running a feed's actor holds its vendor session */
  hosts: (ref: { kind: string; id: string }) => boolean;
}): Promise<{ stop: () => Promise<void>; adapters: FeedAdapter[] }> {
  const adapters = o.feeds.map(
    (feed) => new FeedAdapter({ nc: o.nc, feed, log: o.log, actorHere: () => o.hosts({ kind: VENDOR_FEED_KIND, id: feed.spec.feed }) }),
  );
  for (const a of adapters) a.start();
  await o.nc.flush();
  for (const a of adapters) await o.ensure({ kind: VENDOR_FEED_KIND, id: a.id });
  return { adapters, stop: async () => void (await Promise.all(adapters.map((a) => a.stop()))) };
}
