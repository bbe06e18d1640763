// the engine's dependency injection (tsyringe) needs the Reflect metadata polyfill loaded before the engine is
import "reflect-metadata";

/** The FIX engine (jspurefix): every module here takes it from this one place, after its polyfill. */
export { AsciiSession, EmptyLogFactory, FixMsgStoreRecord, MsgTag, MsgType, SessionLauncher, SessionState } from "jspurefix";
export type {
  EngineFactory,
  IFixMsgStore,
  IFixMsgStoreRecord,
  IFixMsgStoreState,
  IFixSessionStore,
  IFixSessionStoreFactory,
  IJsFixConfig,
  ISessionDescription,
  MsgView,
  SessionId,
} from "jspurefix";
