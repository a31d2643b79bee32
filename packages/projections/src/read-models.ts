import type { RecordedEvent } from "@starledger/core";
import { computeAdminStats, type AdminStats, type StatsRange } from "./admin-stats.js";
import { BalancesProjection, type Balance, type BalancesReadModel } from "./balances.js";
import { decodeRecordedEvent, InconsistentHistoryError, ProjectionError } from "./ledger-event-decoder.js";
import { PaymentsProjection, type PaymentView, type PaymentsReadModel } from "./payments.js";
import {
  UnmatchedChargesProjection,
  type UnmatchedChargeView,
  type UnmatchedChargesReadModel,
} from "./unmatched-charges.js";

/** What the HTTP server and the CLI query. */
export type ReadModels = {
  readonly balances: BalancesReadModel;
  readonly payments: PaymentsReadModel;
  readonly unmatchedCharges: UnmatchedChargesReadModel;
  stats(range?: StatsRange): AdminStats;
};

/** Every read model as plain data in a fixed order: two models hold the same facts exactly when these are deep-equal. */
export type ReadModelsSnapshot = {
  readonly position: bigint;
  readonly balances: readonly Balance[];
  readonly totalCredits: number;
  readonly userCount: number;
  readonly payments: readonly PaymentView[];
  readonly unmatchedCharges: readonly UnmatchedChargeView[];
};

/**
 * All read models behind one checkpoint: each recorded event is decoded once and applied to every model,
 * so they always stand at the same position. Events at or below the checkpoint were applied already and are skipped.
 */
export class LedgerReadModels implements ReadModels {
  readonly balances = new BalancesProjection();
  readonly payments = new PaymentsProjection();
  readonly unmatchedCharges = new UnmatchedChargesProjection();
  private checkpoint = 0n;
  private applied = 0;
  private ignored = 0;

  /** Global position of the last event applied (or ignored as foreign); 0n before any. */
  get position(): bigint {
    return this.checkpoint;
  }

  /** Events taken past the checkpoint, ledger and foreign. */
  get eventCount(): number {
    return this.applied + this.ignored;
  }

  /** Events of other applications (neither a ledger type nor on a ledger stream), passed over. */
  get ignoredEventCount(): number {
    return this.ignored;
  }

  /**
   * Applies one event. Returns false, changing nothing, for an event at or below the checkpoint (a redelivery).
   * Throws ProjectionError, changing nothing, for an event that does not parse or that the history cannot explain.
   */
  apply(recorded: RecordedEvent): boolean {
    if (recorded.position <= this.checkpoint) return false;
    const event = decodeRecordedEvent(recorded);
    if (event === undefined) {
      this.ignored++;
      this.checkpoint = recorded.position;
      return true;
    }
    const seq = Number(recorded.position);
    if (!Number.isSafeInteger(seq)) {
      throw new ProjectionError(
        recorded.position,
        `position ${recorded.position} is beyond 2^53, which the read models do not order`,
      );
    }
    try {
      // The payments model checks before it changes anything and the others cannot fail, so an event applies wholly or not at all.
      this.payments.apply(event, seq);
      this.unmatchedCharges.apply(event);
      this.balances.apply(event);
    } catch (error) {
      if (error instanceof InconsistentHistoryError) {
        throw new ProjectionError(
          recorded.position,
          `event at position ${recorded.position} on ${recorded.stream}: ${error.message}`,
        );
      }
      throw error;
    }
    this.applied++;
    this.checkpoint = recorded.position;
    return true;
  }

  stats(range: StatsRange = {}): AdminStats {
    return computeAdminStats(this.payments.records(), this.unmatchedCharges.records(), range);
  }

  snapshot(): ReadModelsSnapshot {
    const paymentIds = this.payments.records().map((record) => record.paymentId);
    return {
      position: this.checkpoint,
      balances: this.balances.all(),
      totalCredits: this.balances.totalCredits(),
      userCount: this.balances.userCount(),
      payments: paymentIds.map((paymentId) => this.payments.get(paymentId)).filter((view) => view !== undefined),
      unmatchedCharges: [...this.unmatchedCharges.records()]
        .map((record) => this.unmatchedCharges.get(record.telegramPaymentChargeId))
        .filter((view) => view !== undefined)
        .sort((a, b) => (a.telegramPaymentChargeId < b.telegramPaymentChargeId ? -1 : 1)),
    };
  }
}
