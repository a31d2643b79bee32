import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A Star transaction as the Bot API sends it. */
export type WireStarTransaction = {
  readonly id: string;
  readonly amount: number;
  readonly date: number;
  readonly source?: { readonly type: string; readonly user?: { readonly id: number; readonly is_bot: false; readonly first_name: string }; readonly invoice_payload?: string };
  readonly receiver?: { readonly type: string; readonly user?: { readonly id: number; readonly is_bot: false; readonly first_name: string } };
};

export const userCharge = (id: string, amount: number, userId: number, invoicePayload: string): WireStarTransaction => ({
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

/** getStarTransactions on 127.0.0.1, paging a fixed list by offset and limit like the Bot API. */
export class FakeStarTransactionsServer {
  readonly pages: { offset: number; limit: number }[] = [];
  root = "";
  private server: Server | undefined;

  constructor(private readonly transactions: readonly WireStarTransaction[]) {}

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

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = (text === "" ? {} : JSON.parse(text)) as { offset?: number; limit?: number };
    const method = (req.url ?? "").split("/").pop();
    if (method !== "getStarTransactions") {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ ok: false, error_code: 404, description: "Not Found" }));
      return;
    }
    const offset = body.offset ?? 0;
    const limit = body.limit ?? 100;
    this.pages.push({ offset, limit });
    const result = { transactions: this.transactions.slice(offset, offset + limit) };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, result }));
  }
}
