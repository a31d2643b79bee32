export {
  anchorDigest,
  anchorFileJson,
  anchorFormat,
  anchorLine,
  headsDigest,
  parseAnchor,
  type Anchor,
  type AnchorParseError,
  type AuditStoreError,
  type ParsedAnchor,
  type StreamHead,
} from "./anchor.js";
export {
  formatProblem,
  formatVerifyReport,
  problemsMax,
  verifyReportJson,
  type AnchorCheck,
  type ChainProblem,
  type ProblemKind,
  type StoreVerifyReport,
  type VerifyReport,
} from "./verify-report.js";
export { verifyAgainstAnchor, verifyStore, type VerifyStoreOptions } from "./verify-store.js";
export { exportAudit, type ExportError, type ExportRange, type InvalidRange, type LineWriter } from "./audit-export.js";
export { exportFormat, exportLineLengthMax, type ExportStreamSummary, type ExportSummary } from "./export-format.js";
export { verifyExport, type VerifyExportOptions } from "./verify-export.js";
export { reconcile, reconcileCorrelationId, type ReconcileError, type ReconcileOptions } from "./reconcile.js";
export {
  formatReconcileReport,
  reconcileReportJson,
  type AmountMismatch,
  type AppliedFix,
  type ChargeNotOnTelegram,
  type LedgerChargeKind,
  type LedgerTotals,
  type MissingCharge,
  type MissingRefund,
  type ReconcileReport,
  type RefundNotOnTelegram,
  type TelegramTotals,
  type UncreditedChargeStatus,
  type UnreadableEvent,
} from "./reconcile-report.js";
export { defaultServiceUrl } from "./reconcile-fixes.js";
