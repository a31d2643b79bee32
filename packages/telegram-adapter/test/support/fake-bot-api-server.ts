import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeRequest = {
  readonly path: string;
  readonly method: string;
  readonly body: Record<string, unknown>;
  readonly contentType: string | undefined;
  readonly receivedAtMs: number;
};

/** What the fake answers: a Bot API envelope with an HTTP status, raw text, or nothing at all (hang). */
export type FakeAnswer =
  | { readonly status?: number; readonly json: unknown }
  | { readonly status: number; readonly text: string }
  | { readonly hang: true };

export type FakeHandler = (request: FakeRequest) => FakeAnswer | undefined;

/** The documented envelopes. */
export const okResult = (result: unknown): FakeAnswer => ({ json: { ok: true, result } });
export const errorResult = (errorCode: number, description: string, parameters?: Record<string, unknown>): FakeAnswer => ({
  status: errorCode,
  json: { ok: false, error_code: errorCode, description, ...(parameters === undefined ? {} : { parameters }) },
});

/**
 * A Bot API stand-in on 127.0.0.1: records each request and answers from per-method handlers. By default it
 * behaves like Telegram for the calls the tests make, including CHARGE_ALREADY_REFUNDED on a second refund.
 */
export class FakeBotApiServer {
  readonly requests: FakeRequest[] = [];
  readonly refundedChargeIds = new Set<string>();
  private readonly handlers = new Map<string, FakeHandler[]>();
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
      case "getStarTransactions":
        return okResult({ transactions: [] });
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
      receivedAtMs: Date.now(),
    };
    this.requests.push(request);
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
