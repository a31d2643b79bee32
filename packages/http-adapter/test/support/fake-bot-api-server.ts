import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeRequest = { readonly path: string; readonly method: string; readonly body: Record<string, unknown> };

/** A Bot API envelope with an HTTP status. */
export type FakeAnswer = { readonly status: number; readonly json: unknown };

export const okResult = (result: unknown): FakeAnswer => ({ status: 200, json: { ok: true, result } });
export const errorResult = (errorCode: number, description: string): FakeAnswer => ({
  status: errorCode,
  json: { ok: false, error_code: errorCode, description },
});

/** A Bot API stand-in on 127.0.0.1: records every request and answers like Telegram, or as queued, or holds the answer back. */
export class FakeBotApiServer {
  readonly requests: FakeRequest[] = [];
  private readonly queued = new Map<string, FakeAnswer[]>();
  private readonly held = new Map<string, Promise<void>>();
  private server: Server | undefined;
  root = "";

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      void this.serve(req, res);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  }

  /** The next calls of `method` get these answers, in order; then the default applies again. */
  queue(method: string, ...answers: FakeAnswer[]): void {
    this.queued.set(method, [...(this.queued.get(method) ?? []), ...answers]);
  }

  /** Calls of `method` wait until the returned function is called. */
  hold(method: string): () => void {
    let release = (): void => undefined;
    this.held.set(method, new Promise<void>((resolve) => { release = resolve; }));
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
      case "createInvoiceLink":
        return okResult(`https://t.me/$fake_${String(request.body.payload)}`);
      case "getMyStarBalance":
        return okResult({ amount: 42 });
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
    const request: FakeRequest = { path, method: path.split("/").pop() ?? "", body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
    this.requests.push(request);
    await this.held.get(request.method);
    const answer = this.queued.get(request.method)?.shift() ?? this.defaultAnswer(request);
    res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.json));
  }
}
