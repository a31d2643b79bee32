import { randomUUID } from "node:crypto";
import { InMemoryEventStore, StarsLedger, type LedgerSettings } from "@starledger/core";
import { FaultyEventStore } from "@starledger/core/testing";
import {
  createMockBotApi,
  createWebhookService,
  type WebhookReply,
  type WebhookServiceSettings,
} from "../../src/index.js";
import { capturingLogger } from "./capturing-logger.js";

export const hourMs = 60 * 60 * 1000;
const ledgerSettings: LedgerSettings = { starsToCreditsRate: 10, paymentTtlMs: 24 * hourMs, requireSameUser: true };
/** The user who creates the payments, and who pays them in the sample updates. */
export const owner = 512345678;
/** The telegram_payment_charge_id of the sample successful_payment. */
export const sampleChargeId = "stxAbCdEfGhIjKlMnOpQrStUvWxYz0123456789";

/** A webhook service on a real ledger over an in-memory store the test can make fail, with a mock Bot API and a captured log. */
export const setup = (options: { settings?: Partial<WebhookServiceSettings>; now?: () => Date } = {}) => {
  const store = new FaultyEventStore(new InMemoryEventStore());
  const ledger = new StarsLedger(store, ledgerSettings);
  const botApi = createMockBotApi();
  const logger = capturingLogger();
  const service = createWebhookService({
    ledger,
    botApi,
    logger,
    settings: { preCheckoutAnswer: "reply", ...options.settings },
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const createPayment = async (createdAt = new Date()): Promise<string> => {
    const paymentId = randomUUID();
    (await ledger.createPayment({ paymentId, userId: owner, packageId: "pkg_100", now: createdAt }))._unsafeUnwrap();
    return paymentId;
  };
  const deliver = (body: unknown, secretToken?: string) => service.handle({ secretToken, body });
  return { store, ledger, botApi, logger, service, createPayment, deliver };
};

/** The body of a reply answered in the webhook response. */
export const replyBody = (reply: WebhookReply) => {
  if (reply.kind !== "reply") throw new Error("expected a reply with a body");
  return reply.body;
};
