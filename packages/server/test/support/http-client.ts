import { setTimeout as sleep } from "node:timers/promises";

/** What a JSON endpoint answered over the socket. */
export type JsonAnswer<T = unknown> = { readonly status: number; readonly body: T; readonly text: string };

export const fetchJson = async <T = unknown>(
  url: string,
  init: { method?: string; token?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<JsonAnswer<T>> => {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.Authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body: body as T, text };
};

/** Polls until `check` returns a value other than undefined; fails after `timeoutMs`. */
export const eventually = async <T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
};

/** The runbook's "Simulate webhook" body, character for character, with <payment-id> filled in. */
export const runbookWebhookBody = (paymentId: string): string => `{
    "update_id": 123,
    "message": {
      "successful_payment": {
        "currency": "XTR",
        "total_amount": 10,
        "invoice_payload": "${paymentId}",
        "telegram_payment_charge_id": "test_charge_123"
      }
    }
  }`;

/** The runbook's "Create payment" body, verbatim. */
export const runbookCreateBody = '{"starsAmount": 10}';

export type HistoryBody = {
  payments: { paymentId: string; status: string; credits: number; starsAmount: number }[];
  nextCursor: string | null;
};
export type BalanceBody = { userId: number; credits: number };
/** A line of the /api/events feed. */
export type EventLine = {
  id: string;
  position: number;
  stream: string;
  revision: number;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: string;
};

export const ndjson = (text: string): EventLine[] =>
  text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as EventLine);

/** Waits until /ready says the read models hold everything in the store. */
export const caughtUp = (baseUrl: string): Promise<true> =>
  eventually(async () => {
    const ready = await fetchJson<{ ready: boolean; projections: { position: string; headPosition: string | null } }>(
      `${baseUrl}/ready`,
    );
    return ready.status === 200 &&
      ready.body.ready &&
      ready.body.projections.position === ready.body.projections.headPosition
      ? true
      : undefined;
  }, `${baseUrl} to catch up`);
