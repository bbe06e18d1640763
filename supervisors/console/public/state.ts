import type {
  BacktestReportView,
  BacktestsFrame,
  BookFrame,
  Health,
  LifecycleRow,
  ModelsFrame,
  NodeTree,
  OrderRow,
  ProposalView,
  QuoteRow,
  RiskAnalyticsView,
  ServerFrame,
} from "../protocol.ts";

/** A quote as the markets panel keeps it: `dir` is the mid's last move (+1 up, -1 down, 0 none yet). */
export type ShownQuote = QuoteRow & { dir?: number };
export type Welcome = Extract<ServerFrame, { type: "welcome" }>;
export type Detail = Extract<ServerFrame, { type: "detail" }>;

/** Everything on screen, as the server's frames left it; the panels render from here. */
export const state = {
  me: null as Welcome | null,
  tree: [] as NodeTree[],
  treeAt: 0,
  lifecycle: [] as LifecycleRow[],
  quotes: new Map<string, ShownQuote>(),
  history: new Map<string, [number, number][]>(),
  orders: [] as OrderRow[],
  books: new Map<string, BookFrame>(),
  health: null as Health | null,
  models: null as ModelsFrame | null,
  analytics: new Map<string, RiskAnalyticsView>(),
  proposals: [] as ProposalView[],
  backtests: null as BacktestsFrame | null,
  /** the backtest whose report is shown, and the report once it came */
  backtest: null as { id: string; report?: BacktestReportView; error?: string } | null,
  selected: null as { kind: string; id: string } | null,
  detail: null as Detail | null,
  chartInstrument: null as string | null,
  collapsed: new Set<string>(),
  restartsSeen: new Map<string, number>(),
  hot: new Map<string, number>(),
  filter: "",
};
