import { connect, type Socket } from "node:net";

export type SlowClientEnd = {
  /** Everything the server sent before the connection closed. */
  readonly received: string;
  /** True when the server closed the connection; the slow client itself never does. */
  readonly closedByServer: boolean;
};

/**
 * A client that sends a POST's headers, announcing a body it then trickles one byte per `byteEveryMs` and never
 * finishes: a slowloris. It never closes the connection itself; `ended` resolves when the server does.
 */
export class SlowClient {
  private received = "";
  private stoppedByUs = false;
  private trickle: NodeJS.Timeout | undefined;
  readonly ended: Promise<SlowClientEnd>;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (this.received += chunk));
    socket.on("error", () => undefined); // a reset is the server closing too
    this.ended = new Promise((resolve) => {
      socket.once("close", () => {
        clearInterval(this.trickle);
        resolve({ received: this.received, closedByServer: !this.stoppedByUs });
      });
    });
  }

  /** Connects to `url` (http://host:port) and starts trickling a JSON body to `path`. */
  static async start(url: string, path = "/master/webhook", byteEveryMs = 100): Promise<SlowClient> {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ""), port: Number(port) });
    await new Promise((resolve) => socket.once("connect", resolve));
    const client = new SlowClient(socket);
    client.socket.write(
      `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`,
    );
    client.trickle = setInterval(() => {
      if (!client.socket.destroyed) client.socket.write(" ");
    }, byteEveryMs);
    return client;
  }

  /** Cleans up after a test that failed before the server closed the connection. */
  destroy(): void {
    this.stoppedByUs = true;
    clearInterval(this.trickle);
    this.socket.destroy();
  }
}

/** The status line and JSON body of a raw HTTP response. */
export const parseRawResponse = (raw: string): { status: number; body: unknown } => {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
  const body = raw.slice(raw.indexOf("\r\n\r\n") + 4);
  return { status, body: JSON.parse(body) as unknown };
};
