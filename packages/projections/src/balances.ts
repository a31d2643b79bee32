import type { LedgerEvent } from "@starledger/core";

export type Balance = {
  readonly userId: number;
  /** Credits of paid payments - credits of refunded payments + manual adjustments. */
  readonly credits: number;
  /** Lifetime Stars paid for credited payments (refunds not subtracted). */
  readonly starsPaid: number;
  /** Lifetime Stars refunded for credited payments. */
  readonly starsRefunded: number;
};

export type BalancesReadModel = {
  /** A user with no balance-changing event yet has a zero balance. */
  get(userId: number): Balance;
  has(userId: number): boolean;
  /** Sum of every user's credits. */
  totalCredits(): number;
  /** Users with at least one balance-changing event (PaymentPaid, PaymentRefunded, CreditsAdjusted). */
  userCount(): number;
};

const initialCapacityUsers = 1024;

/**
 * Per-user balances in columns: a Map from user id to a row, and one Float64Array per figure
 * (integers stay exact below 2^53), so a million users cost tens of MiB, not hundreds.
 */
export class BalancesProjection implements BalancesReadModel {
  private readonly rows = new Map<number, number>();
  private credits = new Float64Array(initialCapacityUsers);
  private starsPaid = new Float64Array(initialCapacityUsers);
  private starsRefunded = new Float64Array(initialCapacityUsers);
  private creditsTotal = 0;

  apply(event: LedgerEvent): void {
    switch (event.type) {
      case "PaymentPaid": {
        const row = this.row(event.data.userId);
        this.credits[row] = (this.credits[row] ?? 0) + event.data.credits;
        this.starsPaid[row] = (this.starsPaid[row] ?? 0) + event.data.totalAmount;
        this.creditsTotal += event.data.credits;
        return;
      }
      case "PaymentRefunded": {
        const row = this.row(event.data.userId);
        this.credits[row] = (this.credits[row] ?? 0) - event.data.credits;
        this.starsRefunded[row] = (this.starsRefunded[row] ?? 0) + event.data.starsAmount;
        this.creditsTotal -= event.data.credits;
        return;
      }
      case "CreditsAdjusted": {
        const row = this.row(event.data.userId);
        this.credits[row] = (this.credits[row] ?? 0) + event.data.delta;
        this.creditsTotal += event.data.delta;
        return;
      }
      default:
        // Creation, invoices, pre-checkouts, failures, extra and unmatched charges never move credits.
        return;
    }
  }

  get(userId: number): Balance {
    const row = this.rows.get(userId);
    if (row === undefined) return { userId, credits: 0, starsPaid: 0, starsRefunded: 0 };
    return {
      userId,
      credits: this.credits[row] ?? 0,
      starsPaid: this.starsPaid[row] ?? 0,
      starsRefunded: this.starsRefunded[row] ?? 0,
    };
  }

  has(userId: number): boolean {
    return this.rows.has(userId);
  }

  totalCredits(): number {
    return this.creditsTotal;
  }

  userCount(): number {
    return this.rows.size;
  }

  /** Every balance, ordered by user id: for comparisons and exports. */
  all(): Balance[] {
    const balances: Balance[] = [];
    for (const userId of this.rows.keys()) balances.push(this.get(userId));
    return balances.sort((a, b) => a.userId - b.userId);
  }

  private row(userId: number): number {
    const existing = this.rows.get(userId);
    if (existing !== undefined) return existing;
    const row = this.rows.size;
    if (row === this.credits.length) this.grow();
    this.rows.set(userId, row);
    return row;
  }

  private grow(): void {
    const capacity = this.credits.length * 2;
    const grown = (column: Float64Array): Float64Array<ArrayBuffer> => {
      const next = new Float64Array(capacity);
      next.set(column);
      return next;
    };
    this.credits = grown(this.credits);
    this.starsPaid = grown(this.starsPaid);
    this.starsRefunded = grown(this.starsRefunded);
  }
}
