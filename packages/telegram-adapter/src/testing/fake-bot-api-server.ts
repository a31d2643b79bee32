import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeRequest = {
  readonly path: string;
  readonly method: string;
  readonly body: Record<string, unknown>;
  readonly contentType: string | undefined;
};

/** What the fake answers: a Bot API envelope with an HTTP status, raw text, or nothing at all (hang). */
export type FakeAnswer =
  | { readonly status?: number; readonly json: unknown }
  | { readonly status: number; readonly text: string }
  | { readonly hang: true };

export type FakeHandler = (request: FakeRequest) => FakeAnswer | undefined;

type WireUser = { readonly id: number; readonly is_bot: false; readonly first_name: string };
/** A StarTransaction as the Bot API sends it (the fields reconciliation reads). */
export type WireStarTransaction = {
  readonly id: string;
  readonly amount: number;
  readonly date: number;
  readonly source?: { readonly type: string; readonly user?: WireUser; readonly invoice_payload?: string };
  readonly receiver?: { readonly type: string; readonly user?: WireUser };
};

/** A user's payment: incoming, from the user, with the invoice payload. */
export const userCharge = (
  id: string,
  amount: number,
  userId: number,
  invoicePayload: string,
): WireStarTransaction => ({
  id,
  amount,
  date: 1_764_150_000,
  source: { type: "user", user: { id: userId, is_bot: false, first_name: "Payer" }, invoice_payload: invoicePayload },
});

/** A refund: outgoing, to the user, carrying the id of the refunded charge. */
export const userRefund = (id: string, amount: number, userId: number): WireStarTransaction => ({
  id,
  amount,
  date: 1_764_160_000,
  receiver: { type: "user", user: { id: userId, is_bot: false, first_name: "Payer" } },
});

/** The documented envelopes. */
export const okResult = (result: unknown): FakeAnswer => ({ json: { ok: true, result } });
export const errorResult = (
  errorCode: number,
  description: string,
  parameters?: Record<string, unknown>,
): FakeAnswer => ({
  status: errorCode,
  json: { ok: false, error_code: errorCode, description, ...(parameters === undefined ? {} : { parameters }) },
});

/**
 * A Bot API stand-in on 127.0.0.1, built from the documented request and response shapes: records each request
 * and answers from queued answers, else like Telegram for the calls starledger makes (CHARGE_ALREADY_REFUNDED on
 * a second refund, getStarTransactions paged by offset and limit over `starTransactions`).
 */
export class FakeBotApiServer {
  readonly requests: FakeRequest[] = [];
  readonly refundedChargeIds = new Set<string>();
  /** What getStarTransactions pages through, oldest first. */
  starTransactions: readonly WireStarTransaction[] = [];
  private readonly handlers = new Map<string, FakeHandler[]>();
  private readonly held = new Map<string, Promise<void>>();
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | undefined;
  root = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.serve(req, res);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const address = this.server.address() as AddressInfo;
    this.root = `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  }

  /** Answer the next calls of `method` with `handler` (once each, in order); then the default applies again. */
  queue(method: string, ...answers: FakeAnswer[]): void {
    const list = this.handlers.get(method) ?? [];
    for (const answer of answers) list.push(() => answer);
    this.handlers.set(method, list);
  }

  /** Calls of `method` wait until the returned function is called. */
  hold(method: string): () => void {
    let release = (): void => undefined;
    this.held.set(
      method,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    return () => {
      this.held.delete(method);
      release();
    };
  }

  callsOf(method: string): FakeRequest[] {
    return this.requests.filter((r) => r.method === method);
  }

  private defaultAnswer(request: FakeRequest): FakeAnswer {
    switch (request.method) {
      case "refundStarPayment": {
        const chargeId = String(request.body.telegram_payment_charge_id);
        if (this.refundedChargeIds.has(chargeId)) return errorResult(400, "Bad Request: CHARGE_ALREADY_REFUNDED");
        this.refundedChargeIds.add(chargeId);
        return okResult(true);
      }
      case "createInvoiceLink":
        return okResult(`https://t.me/$fake_${String(request.body.payload)}`);
      case "getMyStarBalance":
        return okResult({ amount: 42 });
      case "getStarTransactions": {
        const offset = typeof request.body.offset === "number" ? request.body.offset : 0;
        const limit = typeof request.body.limit === "number" ? request.body.limit : 100;
        return okResult({ transactions: this.starTransactions.slice(offset, offset + limit) });
      }
      case "getWebhookInfo":
        return okResult({ url: "", has_custom_certificate: false, pending_update_count: 0 });
      default:
        return okResult(true);
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const path = req.url ?? "";
    const request: FakeRequest = {
      path,
      method: path.split("/").pop() ?? "",
      body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
      contentType: req.headers["content-type"],
    };
    this.requests.push(request);
    const held = this.held.get(request.method);
    if (held !== undefined) await held;
    const queued = this.handlers.get(request.method)?.shift();
    const answer = queued?.(request) ?? this.defaultAnswer(request);
    if ("hang" in answer) {
      this.hanging.add(res);
      return;
    }
    if ("text" in answer) {
      res.writeHead(answer.status, { "content-type": "text/html" }).end(answer.text);
      return;
    }
    res.writeHead(answer.status ?? 200, { "content-type": "application/json" }).end(JSON.stringify(answer.json));
  }
}
