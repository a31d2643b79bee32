import { allEvents } from "@starledger/core/testing";
import fc from "fast-check";
import type { LightMyRequestResponse } from "fastify";
import { describe, expect, it } from "vitest";
import { requestOf, type Request, type World } from "./support/fuzz-requests.js";
import {
  adjustStep,
  createStep,
  readStep,
  refundStep,
  timeStep,
  webhookStep,
  type KnownPayment,
  type Route,
  type Step,
} from "./support/fuzz-steps.js";
import { ManualClock, startTestApp, testAuthSecret, testBotToken, type TestApp } from "./support/test-app.js";
import { preCheckoutUpdate, successfulPaymentUpdate } from "./support/updates.js";

/** Runs per property; `FC_NUM_RUNS=10000` hunts deep (each run starts its own app, so a failure shrinks alone). */
const numRuns = Number(process.env.FC_NUM_RUNS ?? 25);
/** Generous: a run is a few dozen milliseconds on an idle machine; a busy one may be ten times slower. */
const propertyTimeoutMs = 60_000 + numRuns * 250;
const stepsPerRunMax = 8;
/** A fixed sample of stories, to show the arbitraries reach the ledger and each kind of answer. */
const coverageSeed = 11;
const coverageStories = 20;

const webhookSecret = "fuzz-webhook-secret_0123456789";
const startMs = Date.parse("2026-03-01T10:00:00.000Z");

type LedgerSize = { readonly head: bigint; readonly events: number };
const ledgerSize = async (t: TestApp): Promise<LedgerSize> => ({
  head: (await t.memory.headPosition())._unsafeUnwrap(),
  events: (await allEvents(t.memory)).length,
});

/** Status codes each route answered and how many of its requests wrote events. */
class Tally {
  readonly statuses = new Map<Route, Set<number>>();
  readonly writes = new Map<Route, number>();
  record(route: Route, status: number, wrote: boolean): void {
    const seen = this.statuses.get(route) ?? new Set<number>();
    seen.add(status);
    this.statuses.set(route, seen);
    if (wrote) this.writes.set(route, (this.writes.get(route) ?? 0) + 1);
  }
  seen(route: Route): number[] {
    return [...(this.statuses.get(route) ?? [])].sort((a, b) => a - b);
  }
}

const shown = (text: string): string => (text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text);
const describeRequest = (request: Request, res: LightMyRequestResponse): string =>
  `${request.method} ${request.url} ${JSON.stringify(request.headers)} ` +
  `${shown(JSON.stringify(request.payload?.toString() ?? null))} -> ${res.statusCode} ${shown(res.body)}`;

/** The app on a healthy store, ready, with no read model stopped. */
const expectReady = async (t: TestApp, after: string): Promise<void> => {
  const res = await t.app.inject({ method: "GET", url: "/ready" });
  expect(res.statusCode, `/ready after ${after}: ${res.body}`).toBe(200);
  const models = res.json<{ projections: { models: Record<string, { stopped?: unknown }> } }>().projections.models;
  for (const [name, model] of Object.entries(models))
    expect(model.stopped, `${name} stopped after ${after}`).toBeUndefined();
};

/** A payment in each state the routes treat differently: pending, approved, paid, refunded. */
const seed = async (t: TestApp): Promise<KnownPayment[]> => {
  const secret = { "x-telegram-bot-api-secret-token": webhookSecret };
  const deliver = async (update: unknown): Promise<void> => {
    const res = await t.webhookPost(update, secret);
    expect(res.statusCode, res.body).toBe(200);
  };
  const pending = await t.createPayment(42, { starsAmount: 10 });
  const approved = await t.createPayment(42, { starsAmount: 25 });
  await deliver(preCheckoutUpdate(approved.paymentId, { totalAmount: 25, fromId: 42 }));
  const paid = await t.createPayment(42, { starsAmount: 50 });
  await deliver(successfulPaymentUpdate(paid.paymentId, { totalAmount: 50, fromId: 42 }));
  const refunded = await t.createPayment(43, { starsAmount: 100 });
  await deliver(successfulPaymentUpdate(refunded.paymentId, { totalAmount: 100, fromId: 43 }));
  const refund = await t.call("POST", `/api/payments/admin/${refunded.paymentId}/refund`, { user: 1, admin: true });
  expect(refund.statusCode, refund.body).toBe(200);
  await t.settled();
  return [pending, approved, paid, refunded].map((p) => ({
    paymentId: p.paymentId,
    userId: p === refunded ? 43 : 42,
    starsAmount: p.starsAmount,
  }));
};

/** The project's error shape: {error, message}, with a message that says something. */
const expectErrorBody = (res: LightMyRequestResponse, described: string): void => {
  const error = res.json<{ error?: unknown; message?: unknown }>();
  expect(typeof error.error, `not {error, message}: ${described}`).toBe("string");
  expect(typeof error.message === "string" && error.message !== "", `no message: ${described}`).toBe(true);
};

/** Sends one step's request and checks the three promises: no 5xx, a 4xx writes nothing, /ready stays 200. */
const send = async (t: TestApp, world: World, step: Step, tally: Tally): Promise<void> => {
  const request = await requestOf(step, world);
  if (request === undefined) return;
  const before = await ledgerSize(t);
  const res = await t.app.inject(request);
  const after = await ledgerSize(t);
  const described = describeRequest(request, res);
  tally.record(step.route, res.statusCode, after.head !== before.head);
  expect(res.statusCode, `a 5xx on a healthy store: ${described}`).toBeLessThan(500);
  if (res.statusCode >= 400) {
    expect(after, `a ${res.statusCode} changed the ledger: ${described}`).toEqual(before);
    // A HEAD answer has no body to hold {error, message}.
    if (request.method !== "HEAD") expectErrorBody(res, described);
  }
  if (step.route === "create" && res.statusCode === 201) {
    const created = res.json<KnownPayment>();
    const userId = step.auth.as === "user" ? step.auth.userId : 1;
    world.payments.push({ paymentId: created.paymentId, userId, starsAmount: created.starsAmount });
  }
  await expectReady(t, described);
};

/** One run: a fresh app, seeded, then the steps in order. */
const play = async (steps: readonly Step[], tally: Tally): Promise<void> => {
  const clock = new ManualClock(startMs);
  const t = await startTestApp({ now: clock.now, env: { WEBHOOK_SECRET: webhookSecret }, logLevel: "silent" });
  try {
    // Expiry is a step of the story, not a timer that could write between a request and its check.
    await t.sweeper.stop();
    const world: World = {
      payments: await seed(t),
      webhookSecret,
      authSecret: testAuthSecret,
      botToken: testBotToken,
      now: clock.now,
      tokenFor: t.tokenFor,
    };
    for (const step of steps) {
      if (step.route === "time") {
        clock.advance(step.advanceMs);
        await t.sweeper.sweepOnce();
        await t.settled();
        await expectReady(t, `${step.advanceMs} ms passed`);
      } else {
        await send(t, world, step, tally);
      }
    }
  } finally {
    await t.close();
  }
};

const anyStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: webhookStep },
  { weight: 2, arbitrary: createStep },
  { weight: 1, arbitrary: adjustStep },
  { weight: 1, arbitrary: refundStep },
  { weight: 2, arbitrary: readStep },
  { weight: 1, arbitrary: timeStep },
);
const stories = (steps: fc.Arbitrary<Step>) => fc.array(steps, { minLength: 1, maxLength: stepsPerRunMax });

const fuzz = async (steps: fc.Arbitrary<Step>): Promise<void> => {
  await fc.assert(
    fc.asyncProperty(stories(steps), (story) => play(story, new Tally())),
    { numRuns },
  );
};

describe("fuzzing every JSON route: never a 5xx on a healthy store, never a trace of a 4xx, /ready stays 200", () => {
  it(
    "POST /master/webhook with near-miss Telegram updates, any JSON, text that is not JSON and odd headers",
    () => fuzz(fc.oneof({ weight: 8, arbitrary: webhookStep }, { weight: 1, arbitrary: timeStep })),
    propertyTimeoutMs,
  );

  it(
    "create, admin adjust and admin refund with mutated bodies, any JSON, odd Idempotency-Keys and Authorization",
    () => fuzz(fc.oneof(createStep, adjustStep, refundStep)),
    propertyTimeoutMs,
  );

  it(
    "every GET route with random query strings, path ids and Authorization headers",
    () => fuzz(readStep),
    propertyTimeoutMs,
  );

  it(
    "stories across every route and the passing of time, so each request meets a ledger the others changed",
    () => fuzz(anyStep),
    propertyTimeoutMs,
  );

  it(
    "the stories reach the ledger and every kind of answer, so the properties above are not passed by refusing everything",
    async () => {
      const sampled = async (steps: fc.Arbitrary<Step>): Promise<Tally> => {
        const tally = new Tally();
        for (const story of fc.sample(stories(steps), { seed: coverageSeed, numRuns: coverageStories }))
          await play(story, tally);
        return tally;
      };
      const webhook = await sampled(webhookStep);
      expect(webhook.seen("webhook")).toEqual(expect.arrayContaining([200, 400, 401, 415]));
      const bodies = await sampled(fc.oneof(createStep, adjustStep, refundStep));
      expect(bodies.seen("create")).toEqual(expect.arrayContaining([201, 400, 401]));
      expect(bodies.seen("adjust")).toEqual(expect.arrayContaining([201, 400]));
      expect(bodies.seen("refund")).toEqual(expect.arrayContaining([200, 404, 409]));
      const bodyRefusals = new Set([...bodies.seen("create"), ...bodies.seen("adjust"), ...bodies.seen("refund")]);
      expect([...bodyRefusals]).toEqual(expect.arrayContaining([400, 401, 413, 415]));
      const reads = await sampled(readStep);
      expect(reads.seen("read")).toEqual(expect.arrayContaining([200, 400, 401]));
      // A valid update credits or approves, a valid create or adjustment records: 2xx answers do change the ledger.
      expect(webhook.writes.get("webhook") ?? 0).toBeGreaterThan(0);
      for (const route of ["create", "adjust", "refund"] as const)
        expect(bodies.writes.get(route) ?? 0, `${route} never wrote`).toBeGreaterThan(0);
    },
    propertyTimeoutMs,
  );
});
