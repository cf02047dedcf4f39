// The embedded MQTT broker (aedes), for a bench, a demo or a small site.
// Loopback by default; a fleet uses a clustered broker (docs/fleet-brokers.md).

import { createServer, type Server, type Socket } from "node:net";
import { Aedes } from "aedes";

export interface RunningBroker {
  host: string;
  port: number;
  url: string;
  /** Drops every client connection (the broker keeps running): simulates a broker restart for clients. */
  dropClients(): void;
  close(): Promise<void>;
}

export async function startBroker(opts: { port?: number; host?: string } = {}): Promise<RunningBroker> {
  const host = opts.host ?? "127.0.0.1";
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port ?? 0;
  return {
    host, port, url: `mqtt://${host}:${port}`,
    dropClients() {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => aedes.close(() => resolve()));
    }),
  };
}

/** Only loopback addresses: the tools never listen on or target anything else by default. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
