export { alertEvents, levelOf, measuredLimits } from "./alerts.ts";
export { evolve, replay } from "./evolve.ts";
export * from "./decide.ts";
export { DenyReason, denyReasonDescriptions, denyReasonTable, denyReasons } from "./deny-reason.ts";
export { instrumentLimits, noLimits, parseRiskLimits, RiskLimitsError, warnLevel } from "./limits.ts";
export { type RiskBookContext, type RiskBookInputEvent, type RiskBookMachineInput, riskBookMachine, route } from "./machine.ts";
export {
  defaultEquityCurveConfig,
  type EquityCurve,
  type EquityCurveConfig,
  type EquityPoint,
  emptyEquityCurve,
  equityPoints,
  sampleDue,
  sampleEquity,
} from "./equity-curve.ts";
export * from "./portfolio.ts";
export { hearRegime, type RegimeCaution, type RegimeHeard, type RegimeTable, regimeFactor } from "./regime-caution.ts";
export { type CheckResult, checkOrder, type LimitValue, type OrderToCheck, valuationPrice } from "./pre-trade.ts";
export { type LimitUsage, type PositionLine, type RiskReport, riskReport } from "./report.ts";
export * from "./state.ts";
export * from "./var.ts";
export { type RiskBookHosting, riskBookKind } from "./kind.ts";
export { type AnalyticsInput, type AnalyticsPosition, analyticsInput } from "./analytics-input.ts";
export { type RiskAnalytics, riskAnalytics, riskCovariance, weakPrior } from "./analytics-report.ts";
export {
  type AnalyticsRequest,
  type AnalyticsSettings,
  defaultAnalyticsSettings,
  scheduledRequest,
} from "./analytics-settings.ts";
export { stressSensitivities } from "./book-stress.ts";
export { emptyVarHistory, recordVarSample, type VarHistory, type VarObservation, windowPnl } from "./var-history.ts";
export * as analytics from "./analytics/index.ts";
