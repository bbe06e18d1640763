import {
  AsciiSession,
  EmptyLogFactory,
  type EngineFactory,
  type IJsFixConfig,
  type ISessionDescription,
  MsgTag,
  MsgType,
  type MsgView,
  SessionLauncher,
  SessionState,
} from "./engine.ts";
import type { FixSessionConfig } from "./bus.ts";
import { gapFill, asPossibleDuplicate } from "./raw-message.ts";
import { DurableFixSessionStore, type DurableFixSessionStores } from "./session-store.ts";
import { FixFieldError } from "./wire.ts";

/** Session-level messages: never resent, always covered by a gap fill (FIX session layer, message recovery). */
const ADMIN_TYPES: ReadonlySet<string> = new Set(["0", "1", "2", "3", "4", "5", "A"]);

/** SessionRejectReason 5: value is incorrect (out of range) for this tag. */
const VALUE_INCORRECT = 5;

/**
 * The FIX 4.4 session a venue's two ends describe to the engine: the same name, CompIDs, heartbeat and sequence
 * reset on both sides; `end` says which side this is and how it connects.
 */
export function sessionDescription(
  c: FixSessionConfig,
  end: { type: "acceptor" | "initiator"; connectTimeoutSeconds?: number },
  extra: Partial<ISessionDescription> = {},
): ISessionDescription {
  return {
    application: {
      ...end,
      resilient: false,
      reconnectSeconds: 1,
      name: `fix-${c.venue}-${end.type}`,
      tcp: { host: c.host, port: c.port },
      protocol: "ascii",
      dictionary: "qf44",
    },
    Name: `fix-${c.venue}`,
    Username: "",
    Password: "",
    EncryptMethod: 0,
    ResetSeqNumFlag: c.resetSeqNumOnLogon,
    HeartBtInt: c.heartbeatSecs,
    SenderCompId: c.senderCompId,
    TargetCompID: c.targetCompId,
    SenderSubID: "",
    TargetSubID: "",
    BeginString: "FIX.4.4",
    ...extra,
  } as ISessionDescription;
}

/** The end (initiator or acceptor) that owns a session: it hears the logon, the application messages and the end. */
export interface FixSessionOwner<S> {
  onLoggedOn(session: S): void;
  onFixMessage(msgType: string, view: MsgView): void;
  onSessionEnded(session: S, reason: string): void;
}

// biome-ignore lint/suspicious/noExplicitAny: the default of a self-referencing type parameter
type VenueFixSessionAny = VenueFixSession<any>;

/**
 * What both ends of a venue's FIX session share: checksum, required tags and dictionary checks on every message
 * (a failure is answered with a Reject naming the tag and applies nothing), and resends of stored messages done
 * here rather than by the engine (whose resender sends stored bodies empty and resends session messages too):
 * application messages go again as sent, with PossDupFlag and OrigSendingTime, and the rest is gap-filled.
 */
export abstract class VenueFixSession<S extends VenueFixSession<S> = VenueFixSessionAny> extends AsciiSession {
  private resending: Promise<void> = Promise.resolve();

  protected constructor(
    config: IJsFixConfig,
    private readonly end: FixSessionOwner<S>,
  ) {
    super(config);
    this.checkMsgIntegrity = true;
  }

  protected onReady(_view: MsgView): void {
    this.end.onLoggedOn(this as unknown as S);
  }
  protected onLogon(_view: MsgView, _user: string, _password: string): boolean {
    return true;
  }
  /** an application message to the end that owns the session; a field it cannot use is rejected by tag */
  protected onApplicationMsg(msgType: string, view: MsgView): void {
    try {
      this.end.onFixMessage(msgType, view);
    } catch (e) {
      if (e instanceof FixFieldError) this.rejectField(view, e);
      else throw e;
    }
  }
  protected onStopped(error?: Error): void {
    this.end.onSessionEnded(this as unknown as S, error?.message ?? "FIX session ended");
  }

  /** Waits for the resends in progress to be written (answers about state must not overtake them). */
  protected afterResends(): Promise<void> {
    return this.resending;
  }

  /** Drops the TCP connection without a Logout, as a lost line does. */
  dropConnection(): void {
    this.transport?.duplex.destroy();
  }

  /** Ends the session with a Logout. */
  logout(reason: string): void {
    if (this.getState() === SessionState.Stopped) return;
    this.sendLogout(reason);
    this.done();
  }

  /** A Reject (35=3) of an application message whose field the engine accepted but our side cannot use. */
  protected rejectField(view: MsgView, e: FixFieldError): void {
    this.send(MsgType.Reject, {
      RefSeqNum: view.getTyped(MsgTag.MsgSeqNum) as number,
      RefTagID: e.tag,
      RefMsgType: view.getString(MsgTag.MsgType) ?? "",
      SessionRejectReason: VALUE_INCORRECT,
      Text: e.message.slice(0, 200),
    });
  }

  protected override onResendRequest(view: MsgView): void {
    const [begin, requestedEnd] = view.getTypedTags([MsgTag.BeginSeqNo, MsgTag.EndSeqNo]) as [number, number];
    const lastSent = this.lastSentSeqNum();
    const end = requestedEnd === 0 || requestedEnd > lastSent ? lastSent : requestedEnd;
    this.setState(SessionState.HandleResendRequest);
    const store = this.sessionStore;
    const d = this.config.description;
    this.resending = this.resending.then(async () => {
      const records = store instanceof DurableFixSessionStore ? await store.getRange(begin, end) : [];
      const bySeq = new Map(records.map((r) => [r.seqNum, r]));
      const now = new Date();
      const out: string[] = [];
      let gapFrom: number | undefined;
      for (let n = begin; n <= end; n++) {
        const r = bySeq.get(n);
        if (r?.encoded && !ADMIN_TYPES.has(r.msgType)) {
          if (gapFrom !== undefined) out.push(gapFill(d.BeginString, d.SenderCompId, d.TargetCompID, gapFrom, n, now));
          gapFrom = undefined;
          out.push(asPossibleDuplicate(r.encoded, now));
        } else gapFrom ??= n;
      }
      if (gapFrom !== undefined) out.push(gapFill(d.BeginString, d.SenderCompId, d.TargetCompID, gapFrom, end + 1, now));
      const line = this.transport?.duplex.writable;
      for (const text of out) line?.write(Buffer.from(text, "latin1"));
      if (this.getState() === SessionState.HandleResendRequest) this.setState(SessionState.ActiveNormalSession);
    });
  }

  protected onDecoded(_msgType: string, _txt: string): void {}
  protected onEncoded(_msgType: string, _txt: string): void {}
}

/** What an endpoint needs to start one session: its description, its stores and how its session is made. */
export interface FixEndpoint {
  description: ISessionDescription;
  stores: DurableFixSessionStores;
  makeSession: (config: IJsFixConfig) => VenueFixSession;
}

/** The engine's launcher for one endpoint, with the endpoint's stores and without the engine's console logs. */
export class FixEndpointLauncher extends SessionLauncher {
  constructor(private readonly endpoint: FixEndpoint) {
    const initiator = endpoint.description.application?.type === "initiator";
    super(initiator ? endpoint.description : null, initiator ? null : endpoint.description, new EmptyLogFactory());
  }

  protected override makeFactory(_config: IJsFixConfig): EngineFactory {
    return {
      makeSession: (config: IJsFixConfig) => {
        config.sessionStoreFactory = this.endpoint.stores;
        // stored messages keep the wire's SOH delimiter, so a resend is the message as sent
        config.logDelimiter = 1;
        return this.endpoint.makeSession(config);
      },
    };
  }
}

export { FixFieldError };
