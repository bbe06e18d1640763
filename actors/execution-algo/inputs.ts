/** What the machine receives: its commands, its timer, its children's order events, market data, its own events. */
import type {
  AmendAlgo as AmendAlgoMessage,
  CancelAlgo as CancelAlgoMessage,
  GetAlgo as GetAlgoMessage,
  PauseAlgo as PauseAlgoMessage,
  ResumeAlgo as ResumeAlgoMessage,
  StartAlgo as StartAlgoMessage,
} from "../domain/index.ts";
import type { Delivered, ForwardRefused } from "../contract/index.ts";
import type { AlgoEvent } from "./evolve.ts";
import type { ChildReport } from "./decide.ts";

export type StartAlgo = StartAlgoMessage & Delivered & { type: "StartAlgo" };
export type PauseAlgo = PauseAlgoMessage & Delivered & { type: "PauseAlgo" };
export type ResumeAlgo = ResumeAlgoMessage & Delivered & { type: "ResumeAlgo" };
export type AmendAlgo = AmendAlgoMessage & Delivered & { type: "AmendAlgo" };
export type CancelAlgo = CancelAlgoMessage & Delivered & { type: "CancelAlgo" };
export type GetAlgo = GetAlgoMessage & Delivered & { type: "GetAlgo" };
export type ForwardRefusedInput = ForwardRefused & Delivered;
export type QuoteInput = { type: "Quote"; instrument: string; bid: number; bidSize: number; ask: number; askSize: number; nowUs: number };
export type TradeInput = { type: "Trade"; instrument: string; price: number; size: number; nowUs: number };
/** a model actor's answer to a learned parent's Predict (actors/model Prediction) */
export type PredictionInput = {
  type: "Prediction";
  requestId: string;
  model: string;
  version: number;
  ok: boolean;
  values?: number[];
  error?: { code: string; message: string };
  nowUs: number;
};
/** a journaled event fed back on replay */
export type JournalInput = AlgoEvent & { nowUs?: number; replay?: boolean };

export type AlgoInput =
  | StartAlgo
  | PauseAlgo
  | ResumeAlgo
  | AmendAlgo
  | CancelAlgo
  | GetAlgo
  | ForwardRefusedInput
  | ChildReport
  | QuoteInput
  | TradeInput
  | PredictionInput
  | JournalInput;
