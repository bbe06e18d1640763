/**
 * Every NATS subject of the platform is built and parsed here, never by concatenation at call sites.
 * Grammar: am.<plane>.<...>. Tokens are escaped reversibly: `.`, `*`, `>`, `~`, whitespace and control
 * characters become `~XX` (hex), so `BRK.B` travels as `BRK~2EB` and comes back intact.
 */
import { type InstrumentId, formatInstrumentId, parseInstrumentId } from "./ids.ts";

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped
const NEEDS_ESCAPE = /[.*>~\s\x00-\x1f\x7f]/g;

export function escapeToken(raw: string): string {
  if (raw.length === 0) throw new Error("a subject token cannot be empty");
  return raw.replace(NEEDS_ESCAPE, (c) => {
    const code = c.charCodeAt(0);
    // Unicode whitespace beyond Latin-1 (U+2028 and friends) takes four hex digits.
    return code > 0xff ? `~u${code.toString(16).toUpperCase().padStart(4, "0")}` : `~${code.toString(16).toUpperCase().padStart(2, "0")}`;
  });
}

export function unescapeToken(token: string): string {
  return token.replace(/~u([0-9A-F]{4})|~([0-9A-F]{2})/g, (_m, wide: string | undefined, hex: string | undefined) =>
    String.fromCharCode(Number.parseInt(wide ?? hex ?? "", 16)),
  );
}

/**
 * `features`: factors computed from an instrument's bars (derived market data, recorded like the rest); `filing`,
 * `news`, `series`: alternative data (actors/domain/messages/alt-data.ts), normalised by its feed adapter.
 */
export const MdChannel = {
  Quote: "quote",
  Trade: "trade",
  Book: "book",
  Bar: "bar",
  Status: "status",
  Features: "features",
  Filing: "filing",
  News: "news",
  Series: "series",
} as const;
export type MdChannel = (typeof MdChannel)[keyof typeof MdChannel];

/** Kinds whose ids are instruments travel as two tokens, <venue>.<symbol>. */
const instrumentKinds = new Set(["instrument", "regime"]);

function idTokens(kind: string, id: string): string {
  if (instrumentKinds.has(kind)) {
    const i = parseInstrumentId(id);
    return `${escapeToken(i.venue)}.${escapeToken(i.symbol)}`;
  }
  return escapeToken(id);
}

const inst = (i: InstrumentId): string => `${escapeToken(i.venue)}.${escapeToken(i.symbol)}`;

export const subjects = {
  /** Raw, untrusted input from a feed. */
  feed: (source: string, i: InstrumentId) => `am.feed.${escapeToken(source)}.${inst(i)}`,
  feedAll: (source: string) => `am.feed.${escapeToken(source)}.>`,
  /** one instrument's raw input from any source */
  feedAnySource: (i: InstrumentId) => `am.feed.*.${inst(i)}`,
  /** Normalised market data. */
  md: (channel: MdChannel, i: InstrumentId) => `am.md.${channel}.${inst(i)}`,
  mdAll: (channel: MdChannel | "*" = "*") => `am.md.${channel}.>`,
  /** one venue's market data on a channel (every listing on that venue) */
  mdVenue: (channel: MdChannel, venue: string) => `am.md.${channel}.${escapeToken(venue)}.>`,
  /** A model's forecasts for one instrument (am.signal.<model>.<venue>.<symbol>). */
  signal: (model: string, i: InstrumentId) => `am.signal.${escapeToken(model)}.${inst(i)}`,
  signalAll: (model: string) => `am.signal.${escapeToken(model)}.>`,
  /** Commands to an actor (request/reply). */
  cmd: (kind: string, id: string) => `am.cmd.${escapeToken(kind)}.${idTokens(kind, id)}`,
  cmdAll: (kind: string) => `am.cmd.${escapeToken(kind)}.>`,
  /** Domain events of an actor. */
  evt: (kind: string, id: string, event: string) => `am.evt.${escapeToken(kind)}.${idTokens(kind, id)}.${escapeToken(event)}`,
  evtOf: (kind: string, id: string) => `am.evt.${escapeToken(kind)}.${idTokens(kind, id)}.*`,
  evtAll: (kind: string) => `am.evt.${escapeToken(kind)}.>`,
  /** One event type of every actor of a kind (a book hearing the other books' global kill switch). */
  evtAny: (kind: string, event: string) => `am.evt.${escapeToken(kind)}.*.${escapeToken(event)}`,
  /** reports an actor publishes on a schedule (not events: kept out of the event stream and its journals' fences) */
  report: (kind: string, id: string, report: string) => `am.report.${escapeToken(kind)}.${idTokens(kind, id)}.${escapeToken(report)}`,
  reportAll: (kind: string) => `am.report.${escapeToken(kind)}.>`,
  /** Rejected input of an actor, with the reason. */
  dlq: (kind: string, id: string) => `am.dlq.${escapeToken(kind)}.${idTokens(kind, id)}`,
  /** Lifecycle and heartbeats. */
  sys: (event: string, node: string) => `am.sys.${escapeToken(event)}.${escapeToken(node)}`,
  sysAll: () => "am.sys.>",
  /** A sharded entity that must run while its state says so, listed by shard (see ShardingSpec.keepAwake). */
  awake: (kind: string, shard: number, id: string) => `am.awake.${escapeToken(kind)}.${shard}.${escapeToken(id)}`,
  awakeOf: (kind: string, shard: number) => `am.awake.${escapeToken(kind)}.${shard}.*`,
  /** Operator API. */
  admin: (verb: string, node?: string) => (node ? `am.admin.${escapeToken(verb)}.${escapeToken(node)}` : `am.admin.${escapeToken(verb)}`),
} as const;

const EVT = "am.evt.";
const STORED = "am.stored.";

/**
 * Where a live listener hears events: am.evt.<...> is what actors append, and the event stream takes it or refuses
 * it (a fenced, stale writer; a full stream); once stored, the stream republishes it on am.stored.<...> with the
 * same tokens and headers (plus its sequence). So a subscriber that acts on events subscribes here, and never acts
 * on an event the journals do not hold. Any other subject is returned as it is.
 */
export function storedSubject(subject: string): string {
  return subject.startsWith(EVT) ? STORED + subject.slice(EVT.length) : subject;
}

/** The event subject a stored event was appended on (the inverse of storedSubject); any other subject as it is. */
export function appendedSubject(subject: string): string {
  return subject.startsWith(STORED) ? EVT + subject.slice(STORED.length) : subject;
}

/** the stream's republish rule that makes storedSubject true */
export const storedEventsRule = { src: `${EVT}>`, dest: `${STORED}>` } as const;

export interface ParsedSubject {
  plane: string;
  /** md channel, cmd/evt/dlq kind, feed source, signal model, sys event, admin verb */
  head: string;
  /** actor id or instrument id text */
  id?: string;
  instrument?: InstrumentId;
  /** event name of an evt subject */
  event?: string;
}

/** The inverse of the builders above; throws on a subject that is not of the platform's grammar. */
export function parseSubject(subject: string): ParsedSubject {
  const t = subject.split(".");
  if (t[0] !== "am" || t.length < 3) throw new Error(`subject ${subject} is not of the form am.<plane>.<...>`);
  const plane = t[1]!;
  const head = unescapeToken(t[2]!);
  const instrumentAt = (k: number): InstrumentId => {
    if (t.length < k + 2) throw new Error(`subject ${subject} lacks <venue>.<symbol>`);
    return { venue: unescapeToken(t[k]!), symbol: unescapeToken(t[k + 1]!) };
  };
  switch (plane) {
    case "feed": {
      const instrument = instrumentAt(3);
      return { plane, head, instrument, id: formatInstrumentId(instrument) };
    }
    case "signal":
    case "md": {
      const instrument = instrumentAt(2 + 1);
      return { plane, head, instrument, id: formatInstrumentId(instrument) };
    }
    case "cmd":
    case "dlq":
    case "evt": {
      let rest = t.slice(3);
      let event: string | undefined;
      if (plane === "evt") {
        event = unescapeToken(rest[rest.length - 1] ?? "");
        rest = rest.slice(0, -1);
      }
      if (instrumentKinds.has(head)) {
        if (rest.length !== 2) throw new Error(`subject ${subject}: an ${head} id is <venue>.<symbol>`);
        const instrument = { venue: unescapeToken(rest[0]!), symbol: unescapeToken(rest[1]!) };
        return { plane, head, instrument, id: formatInstrumentId(instrument), ...(event ? { event } : {}) };
      }
      if (rest.length !== 1) throw new Error(`subject ${subject}: expected one id token`);
      return { plane, head, id: unescapeToken(rest[0]!), ...(event ? { event } : {}) };
    }
    default:
      return { plane, head, ...(t[3] ? { id: unescapeToken(t.slice(3).join(".")) } : {}) };
  }
}
