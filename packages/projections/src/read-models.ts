import {
  isLedgerEventType,
  streamPrefixes,
  type LedgerEvent,
  type LedgerEventType,
  type RecordedEvent,
} from "@starledger/core";
import { computeAdminStats, type AdminStats, type StatsRange } from "./admin-stats.js";
import { BalancesProjection, type Balance, type BalancesReadModel } from "./balances.js";
import { recordedCharges, type RecordedCharge } from "./charges.js";
import {
  decodeRecordedEvent,
  errorMessage,
  InconsistentHistoryError,
  ProjectionError,
} from "./ledger-event-decoder.js";
import { PaymentsProjection, type PaymentView, type PaymentsReadModel } from "./payments.js";
import {
  UnmatchedChargesProjection,
  type UnmatchedChargeView,
  type UnmatchedChargesReadModel,
} from "./unmatched-charges.js";

/** The read models. Each applies events on its own, so one that cannot apply an event stops alone. */
export const readModelNames = ["balances", "payments", "unmatchedCharges"] as const;
export type ReadModelName = (typeof readModelNames)[number];

/** The admin stats are computed from these two models. */
export const statsReadModels: readonly ReadModelName[] = ["payments", "unmatchedCharges"];

/** The models each ledger event type feeds: an event is applied to these, and stops these when it cannot be. */
const modelsByType: Record<LedgerEventType, readonly ReadModelName[]> = {
  PaymentCreated: ["payments"],
  InvoiceIssued: ["payments"],
  PreCheckoutApproved: ["payments"],
  PaymentPaid: ["payments", "balances"],
  PaymentFailed: ["payments"],
  // An open admin refund request changes no read model; the refund it leads to does.
  RefundRequested: [],
  PaymentRefunded: ["payments", "balances"],
  ExtraChargeReceived: ["payments"],
  ExtraChargeRefunded: ["payments"],
  ChargeConflictRecorded: ["payments"],
  CreditsAdjusted: ["balances"],
  UnmatchedChargeReceived: ["unmatchedCharges"],
  UnmatchedChargeRefunded: ["unmatchedCharges"],
};

/** An event of a type this build does not know, on a ledger stream, could be meant for any model its stream feeds. */
const modelsByStreamPrefix: Record<(typeof streamPrefixes)[number], readonly ReadModelName[]> = {
  "payment-": ["payments", "balances"],
  "credits-": ["balances"],
  "unmatched-charge-": ["unmatchedCharges"],
};

/** The models that would have applied an event that cannot be decoded: by its type, else by its stream. */
const modelsFedBy = (recorded: RecordedEvent): readonly ReadModelName[] => {
  if (isLedgerEventType(recorded.type)) return modelsByType[recorded.type];
  const prefix = streamPrefixes.find((candidate) => recorded.stream.startsWith(candidate));
  return prefix === undefined ? readModelNames : modelsByStreamPrefix[prefix];
};

/** A global position as the models order their rows: a JS number, exact up to 2^53. */
const seqOf = (position: bigint, model: ReadModelName): number => {
  const seq = Number(position);
  if (!Number.isSafeInteger(seq))
    throw new InconsistentHistoryError(`position ${position} is beyond 2^53, which the ${model} model does not order`);
  return seq;
};

/** Why a read model stopped. It stands just before that event and skipped nothing; the other models go on. */
export type ReadModelStop = {
  readonly model: ReadModelName;
  /** Position of the event the model could not apply. */
  readonly position: bigint;
  /** The model's own checkpoint: it has applied every event up to here. */
  readonly checkpoint: bigint;
  readonly message: string;
};

export type ReadModelStatus = {
  /** Every event up to here is applied to this model. */
  readonly position: bigint;
  readonly stopped?: { readonly position: bigint; readonly message: string };
};

/** What the HTTP server and the CLI query. */
export type ReadModels = {
  readonly balances: BalancesReadModel;
  readonly payments: PaymentsReadModel;
  readonly unmatchedCharges: UnmatchedChargesReadModel;
  stats(range?: StatsRange): AdminStats;
  /** The first of `models` that has stopped, if any: a read that needs it cannot be answered. */
  stoppedAmong(models: readonly ReadModelName[]): ReadModelStop | undefined;
};

/** Every read model as plain data in a fixed order: two models hold the same facts exactly when these are deep-equal. */
export type ReadModelsSnapshot = {
  readonly position: bigint;
  readonly balances: readonly Balance[];
  readonly totalCredits: number;
  readonly userCount: number;
  readonly payments: readonly PaymentView[];
  readonly unmatchedCharges: readonly UnmatchedChargeView[];
  readonly stopped: readonly ReadModelStop[];
};

/**
 * All read models behind one reader: each recorded event is decoded once and applied to the models its type
 * feeds. A model that cannot apply an event (it does not decode, or the model's history cannot explain it)
 * stops there, keeping its checkpoint, and skips nothing; the others go on. Within a model an event applies
 * wholly or not at all. Events at or below the checkpoint were taken already and are skipped.
 */
export class LedgerReadModels implements ReadModels {
  readonly balances = new BalancesProjection();
  readonly payments = new PaymentsProjection();
  readonly unmatchedCharges = new UnmatchedChargesProjection();
  private readonly appliers: Record<ReadModelName, (event: LedgerEvent, position: bigint) => void> = {
    balances: (event) => {
      this.balances.apply(event);
    },
    // These two models check before they change anything, so an event applies wholly or not at all.
    payments: (event, position) => {
      this.payments.apply(event, seqOf(position, "payments"));
    },
    unmatchedCharges: (event, position) => {
      this.unmatchedCharges.apply(event, seqOf(position, "unmatchedCharges"));
    },
  };
  private readonly stops = new Map<ReadModelName, ReadModelStop>();
  private checkpoint = 0n;
  private applied = 0;
  private ignored = 0;

  /** Global position of the last event taken (applied, or ignored as foreign); 0n before any. The models that have not stopped stand here. */
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
   * Takes one event. Returns false, changing nothing, for an event at or below the checkpoint (a redelivery).
   * An event a model cannot apply stops that model (see stopped()); it never throws for a bad event.
   */
  apply(recorded: RecordedEvent): boolean {
    if (recorded.position <= this.checkpoint) return false;
    const decoded = this.decode(recorded);
    if (decoded === "foreign") {
      this.ignored++;
    } else {
      this.applied++;
      if (decoded !== "undecodable")
        for (const model of modelsByType[decoded.type]) this.applyTo(model, decoded, recorded);
    }
    this.checkpoint = recorded.position;
    return true;
  }

  /** How many models have stopped. */
  get stoppedCount(): number {
    return this.stops.size;
  }

  /** The models that stopped, in the order they did. */
  stopped(): readonly ReadModelStop[] {
    return [...this.stops.values()];
  }

  stoppedAmong(models: readonly ReadModelName[]): ReadModelStop | undefined {
    if (this.stops.size === 0) return undefined;
    for (const model of models) {
      const stop = this.stops.get(model);
      if (stop !== undefined) return stop;
    }
    return undefined;
  }

  /** Each model's own position, and why it stopped if it did. */
  modelStatus(): Record<ReadModelName, ReadModelStatus> {
    const status = (model: ReadModelName): ReadModelStatus => {
      const stop = this.stops.get(model);
      if (stop === undefined) return { position: this.checkpoint };
      return { position: stop.checkpoint, stopped: { position: stop.position, message: stop.message } };
    };
    return { balances: status("balances"), payments: status("payments"), unmatchedCharges: status("unmatchedCharges") };
  }

  stats(range: StatsRange = {}): AdminStats {
    return computeAdminStats(this.payments.records(), this.unmatchedCharges.records(), range);
  }

  /** Every charge recorded (credited, extra, unmatched), in the order first recorded; from the payments and unmatched-charges models. */
  charges(): readonly RecordedCharge[] {
    return recordedCharges(this.payments.records(), this.unmatchedCharges.records());
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
      stopped: this.stopped(),
    };
  }

  /** The ledger event; "foreign" for another application's; "undecodable" once the models it feeds are stopped. */
  private decode(recorded: RecordedEvent): LedgerEvent | "foreign" | "undecodable" {
    try {
      return decodeRecordedEvent(recorded) ?? "foreign";
    } catch (error) {
      if (!(error instanceof ProjectionError)) throw error;
      for (const model of modelsFedBy(recorded)) this.stop(model, recorded, error.message);
      return "undecodable";
    }
  }

  private applyTo(model: ReadModelName, event: LedgerEvent, recorded: RecordedEvent): void {
    if (this.stops.has(model)) return;
    try {
      this.appliers[model](event, recorded.position);
    } catch (error) {
      this.stop(
        model,
        recorded,
        `event at position ${recorded.position} on ${recorded.stream}: ${errorMessage(error)}`,
      );
    }
  }

  private stop(model: ReadModelName, recorded: RecordedEvent, message: string): void {
    if (this.stops.has(model)) return;
    this.stops.set(model, { model, position: recorded.position, checkpoint: this.checkpoint, message });
  }
}
