export { statsDailyBucketsMax, statsHourlyBucketsMax } from "./admin-stats.js";
export type { AdminStats, ChargeStats, DayRevenue, StatsRange } from "./admin-stats.js";
export { BalancesProjection } from "./balances.js";
export type { ChargeKind, RecordedCharge } from "./charges.js";
export type { Balance, BalancesReadModel } from "./balances.js";
export { decodeRecordedEvent, InconsistentHistoryError, ProjectionError } from "./ledger-event-decoder.js";
export { pageSizeDefault, pageSizeMax } from "./pagination.js";
export type { InvalidPageRequest, PageRequest } from "./pagination.js";
export { PaymentsProjection } from "./payments.js";
export type {
  ChargeConflictView,
  ExtraChargeView,
  PaymentListQuery,
  PaymentPage,
  PaymentPageResult,
  PaymentView,
  PaymentsReadModel,
} from "./payments.js";
export { catchUpEventsPerTurn, createProjections, ProjectionRunner, waitForTimeoutMaxMs } from "./projection-runner.js";
export type {
  ProjectionFailure,
  ProjectionProgress,
  ProjectionStatus,
  ProjectionsOptions,
} from "./projection-runner.js";
export { LedgerReadModels, readModelNames, statsReadModels } from "./read-models.js";
export type { ReadModelName, ReadModels, ReadModelsSnapshot, ReadModelStatus, ReadModelStop } from "./read-models.js";
export { replay } from "./replay.js";
export type { ReplayResult } from "./replay.js";
export { UnmatchedChargesProjection } from "./unmatched-charges.js";
export type { UnmatchedChargeView, UnmatchedChargesReadModel } from "./unmatched-charges.js";
