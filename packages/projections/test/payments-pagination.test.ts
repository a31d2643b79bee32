import { describe, expect, it } from "vitest";
import {
  LedgerReadModels,
  pageSizeDefault,
  pageSizeMax,
  type PaymentListQuery,
  type PaymentView,
} from "../src/index.js";
import { created, failed, History, paid, paymentIdOf } from "./fixtures.js";

const hourMs = 3_600_000;
const base = Date.parse("2025-03-01T00:00:00Z");
const iso = (ms: number): string => new Date(ms).toISOString();

/** n payments; payment i is created at hour createdHour(i) by user userOf(i), and paid when i % 3 === 0, failed when i % 3 === 1. */
const scenario = (n: number, createdHour: (i: number) => number, userOf: (i: number) => number) => {
  const history = new History();
  const models = new LedgerReadModels();
  for (let i = 1; i <= n; i++) {
    const userId = userOf(i);
    history.add(created(i, { userId, createdAt: iso(base + createdHour(i) * hourMs) }));
    if (i % 3 === 0) history.add(paid(i, { userId }));
    if (i % 3 === 1) history.add(failed(i));
  }
  for (const recorded of history.events) models.apply(recorded);
  return { history, models };
};

const pageAll = (
  fetch: (cursor: string | undefined) => { payments: readonly PaymentView[]; nextCursor: string | null },
) => {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = fetch(cursor);
    pages.push(page.payments.map((p) => p.paymentId));
    if (page.nextCursor === null) return pages;
    cursor = page.nextCursor;
  }
  throw new Error("pagination did not end");
};

const list = (models: LedgerReadModels, query: PaymentListQuery) => {
  const result = models.payments.list(query);
  if (!result.ok) throw new Error(result.error.message);
  return result.page;
};

describe("payment history and admin list", () => {
  it("a user's history is newest first, in pages of the default size, each payment once", () => {
    const { models } = scenario(
      45,
      (i) => i,
      () => 1,
    );
    const pages = pageAll((cursor) => {
      const result = models.payments.historyForUser(1, cursor === undefined ? {} : { cursor });
      if (!result.ok) throw new Error(result.error.message);
      return result.page;
    });
    expect(pages.map((page) => page.length)).toEqual([pageSizeDefault, pageSizeDefault, 5]);
    expect(pages.flat()).toEqual(Array.from({ length: 45 }, (_, k) => paymentIdOf(45 - k)));
  });

  it("orders by createdAt, not by arrival, and breaks ties by arrival (later first)", () => {
    // Payment 2 is created before payment 1; payments 3 and 4 share a timestamp.
    const hours = [0, 5, 2, 7, 7];
    const { models } = scenario(
      4,
      (i) => hours[i] ?? 0,
      () => 1,
    );
    expect(list(models, {}).payments.map((p) => p.paymentId)).toEqual([4, 3, 1, 2].map(paymentIdOf));
  });

  it("an empty history has no next page", () => {
    const { models } = scenario(
      3,
      (i) => i,
      () => 1,
    );
    expect(models.payments.historyForUser(99)).toEqual({ ok: true, page: { payments: [], nextCursor: null } });
  });

  it("filters by status, user and createdAt range together, paging through exactly the matching payments", () => {
    const { models } = scenario(
      300,
      (i) => i % 50,
      (i) => (i % 2 === 0 ? 1 : 2),
    );
    const from = new Date(base + 10 * hourMs);
    const to = new Date(base + 40 * hourMs);
    const query = { status: "PAID" as const, userId: 1, from, to, limit: 7 };
    const expected = models.payments
      .records()
      .filter(
        (r) => r.status === "PAID" && r.userId === 1 && r.createdAtMs >= from.getTime() && r.createdAtMs < to.getTime(),
      )
      .map((r) => r.paymentId)
      .reverse();
    expect(expected.length).toBeGreaterThan(7);
    expect(pageAll((cursor) => list(models, cursor === undefined ? query : { ...query, cursor })).flat()).toEqual(
      expected,
    );
  });

  it("from is inclusive and to exclusive", () => {
    const { models } = scenario(
      5,
      (i) => i,
      () => 1,
    );
    const page = list(models, { from: new Date(base + 2 * hourMs), to: new Date(base + 4 * hourMs) });
    expect(page.payments.map((p) => p.paymentId)).toEqual([paymentIdOf(3), paymentIdOf(2)]);
  });

  it("a cursor keeps its place when newer payments arrive between pages", () => {
    const { history, models } = scenario(
      30,
      (i) => i,
      () => 1,
    );
    const first = list(models, { limit: 10 });
    for (let i = 31; i <= 40; i++) history.add(created(i, { userId: 1, createdAt: iso(base + i * hourMs) }));
    for (const recorded of history.events) models.apply(recorded);
    const second = list(models, { limit: 10, cursor: first.nextCursor ?? "" });
    expect(second.payments.map((p) => p.paymentId)).toEqual(Array.from({ length: 10 }, (_, k) => paymentIdOf(20 - k)));
  });

  it("a limit above the maximum gets the maximum page size", () => {
    const { models } = scenario(
      150,
      (i) => i,
      () => 1,
    );
    expect(list(models, { limit: 10_000 }).payments).toHaveLength(pageSizeMax);
    expect(pageSizeMax).toBe(100);
    expect(pageSizeDefault).toBe(20);
  });

  it.each([0, -1, 1.5, Number.NaN])("limit %s is refused", (limit) => {
    const { models } = scenario(
      3,
      (i) => i,
      () => 1,
    );
    expect(models.payments.list({ limit })).toMatchObject({ ok: false, error: { type: "InvalidPageRequest" } });
  });

  it.each(["garbage", "", Buffer.from("1:x").toString("base64url"), "x".repeat(100)])(
    "cursor %j is refused",
    (cursor) => {
      const { models } = scenario(
        3,
        (i) => i,
        () => 1,
      );
      expect(models.payments.historyForUser(1, { cursor })).toMatchObject({
        ok: false,
        error: { type: "InvalidPageRequest" },
      });
    },
  );

  it("an invalid date is refused", () => {
    const { models } = scenario(
      3,
      (i) => i,
      () => 1,
    );
    expect(models.payments.list({ from: new Date("nope") })).toMatchObject({
      ok: false,
      error: { type: "InvalidPageRequest" },
    });
  });
});

describe("pending payments per user", () => {
  it("counts a user's payments still PENDING and not yet expired; paid, failed and other users' do not count", () => {
    const history = new History();
    const models = new LedgerReadModels();
    const createdAt = "2025-03-01T00:00:00.000Z"; // expires 24 h later
    for (let i = 1; i <= 5; i++) history.add(created(i, { userId: 7, createdAt }));
    history.add(created(6, { userId: 8, createdAt }));
    history.add(paid(1, { userId: 7 }));
    history.add(failed(2, "invoice_creation_failed"));
    for (const recorded of history.events) models.apply(recorded);

    expect(models.payments.pendingCountForUser(7, new Date("2025-03-01T12:00:00Z"))).toBe(3);
    expect(models.payments.pendingCountForUser(8, new Date("2025-03-01T12:00:00Z"))).toBe(1);
    expect(models.payments.pendingCountForUser(9, new Date("2025-03-01T12:00:00Z"))).toBe(0);
    // Past expiresAt a pending payment can no longer be paid, so it no longer counts.
    expect(models.payments.pendingCountForUser(7, new Date("2025-03-02T00:00:00Z"))).toBe(0);
  });
});
