import pg from "pg";
import type { AppendNotifier } from "@starledger/core";

export const listenReconnectInitialDelayMs = 100;
export const listenReconnectMaxDelayMs = 5_000;

export type AppendListenerOptions = {
  readonly clientConfig: pg.ClientConfig;
  readonly channel: string;
  readonly notifier: AppendNotifier;
  readonly onBackgroundError: (error: unknown) => void;
};

/**
 * One dedicated connection that LISTENs on the schema's channel and wakes the store's subscribers
 * on every NOTIFY, from this process or any other. When the connection drops it reconnects with
 * capped backoff and wakes everyone once connected again (NOTIFYs sent meanwhile are lost, so
 * subscribers re-read); until then the subscribers' polling covers the gap.
 */
export class AppendListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private reconnectDelayMs = listenReconnectInitialDelayMs;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;

  constructor(private readonly options: AppendListenerOptions) {}

  start(): void {
    if (this.stopped || this.client !== undefined || this.connecting !== undefined || this.reconnectTimer !== undefined)
      return;
    this.connecting = this.connect().finally(() => {
      this.connecting = undefined;
    });
  }

  /** True while a LISTEN connection is up. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.options.clientConfig);
    const lost = (error?: Error): void => {
      if (this.client !== client) return;
      this.client = undefined;
      if (error !== undefined) this.options.onBackgroundError(error);
      client.removeAllListeners("notification");
      void client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on("error", lost);
    client.on("end", () => {
      lost();
    });
    client.on("notification", () => {
      this.options.notifier.notify();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.options.channel}"`);
    } catch (error) {
      this.options.onBackgroundError(error);
      await client.end().catch(() => undefined);
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.reconnectDelayMs = listenReconnectInitialDelayMs;
    // Anything appended while we were not listening has not been announced to us.
    this.options.notifier.notify();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delayMs = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, listenReconnectMaxDelayMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.start();
    }, delayMs);
  }
}
