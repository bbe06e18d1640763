import { subjects } from "../../contract/index.ts";

/** A platform message as it crosses the bus: its type and fields (validated by the codec at the subscription). */
export interface BusMessage {
  type: string;
  [field: string]: unknown;
}

/**
 * The NATS subjects a FIX endpoint speaks on, as the node hands them over: publish a message, subscribe to a
 * subject (the returned function unsubscribes). Messages pass the codec on both sides.
 */
export interface VenueBus {
  publish(subject: string, message: BusMessage): void;
  subscribe(subject: string, onMessage: (message: BusMessage) => void): () => void;
}

/** Where a FIX endpoint connects or listens, and who it is on the session. */
export interface FixSessionConfig {
  /** the venue (instrument ids end in `.VENUE`) */
  venue: string;
  host: string;
  port: number;
  senderCompId: string;
  targetCompId: string;
  /** HeartBtInt (108), seconds; a silent peer gets a TestRequest after it */
  heartbeatSecs: number;
  /** ResetSeqNumFlag (141) on every logon; off by default: sequence numbers continue across reconnects and restarts */
  resetSeqNumOnLogon: boolean;
}

export const defaultFixSession = { heartbeatSecs: 30, resetSeqNumOnLogon: false } as const;

/**
 * Subjects between a FIX acceptor and the simulated exchange it fronts: the exchange of a FIX venue takes the
 * venue-adapter protocol here instead of on am.cmd.venue-adapter.<venue> (which the venue's FIX initiator takes)
 * and answers the acceptor instead of the venue connection.
 */
export const fixExchangeSubjects = (venue: string) => ({
  toExchange: subjects.cmd("fix-exchange", venue),
  fromExchange: subjects.cmd("fix-acceptor", venue),
});
