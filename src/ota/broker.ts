// The embedded MQTT broker (aedes), for a bench, a demo or a small site.
// Loopback by default; a fleet uses a clustered broker (docs/fleet-brokers.md).
//
// Optionally: TLS (a server certificate; with a client CA, client
// certificates are requested and must chain to it), authentication (a
// verified client certificate's CN, or a username and password from a
// Mosquitto password file) and the per-device topic ACL of
// docs/fleet-brokers.md (src/ota/broker-access.ts).

import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { Aedes, type AedesOptions, type Client } from "aedes";
import { mayPublish, mayReceive, maySubscribe, type PasswordFile, type TopicAcl } from "./broker-access.js";

export interface BrokerTls {
  /** PEM server certificate and key. */
  cert: Buffer;
  key: Buffer;
  /** PEM CA for client certificates: when given, clients must present a certificate that chains to it (or, with a password file, may log in with a password instead). */
  clientCa?: Buffer;
}

export interface BrokerOptions {
  port?: number;
  host?: string;
  tls?: BrokerTls;
  /** Username/password logins (a client certificate's CN is an identity of its own). */
  passwords?: PasswordFile;
  /** Enforce the per-device topic ACL; implies that every client must authenticate. */
  acl?: TopicAcl;
}

export interface RunningBroker {
  host: string;
  port: number;
  url: string;
  /** Drops every client connection (the broker keeps running): simulates a broker restart for clients. */
  dropClients(): void;
  close(): Promise<void>;
}

const identities = new WeakMap<Client, string>();

/** The verified client certificate's CN, if the connection is TLS and presented one the CA accepted. */
function certificateName(client: Client): string | null {
  const socket = client.conn as unknown as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== "function" || !socket.authorized) return null;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === "string" && cn ? cn : null;
}

function accessHooks(opts: BrokerOptions, broker: () => Aedes | null): AedesOptions {
  const mustAuthenticate = !!(opts.passwords || opts.acl || opts.tls?.clientCa);
  if (!mustAuthenticate) return {};
  const refused = (code: 2 | 4 | 5, message: string) => Object.assign(new Error(message), { returnCode: code });
  /**
   * A client id in use by another identity is refused: connecting with it would take that session over
   * (MQTT drops the older connection), so any authenticated client could knock a device offline by
   * connecting as its client id (the agent's is its device id). What Mosquitto's
   * use_username_as_clientid gives (docs/fleet-brokers.md).
   */
  type Authenticate = NonNullable<AedesOptions["authenticate"]>;
  const admit = (client: Parameters<Authenticate>[0], identity: string, done: Parameters<Authenticate>[3]) => {
    // aedes keeps connected clients by id (not in its type declarations).
    const holder = (broker() as unknown as { clients?: Record<string, Parameters<Authenticate>[0]> } | null)?.clients?.[client.id];
    const held = holder && holder !== client ? identities.get(holder) : undefined;
    if (held !== undefined && held !== identity) return done(refused(2, `client id ${client.id} is in use by another identity`), false);
    identities.set(client, identity);
    done(null, true);
  };
  return {
    authenticate(client, username, password, done) {
      const cn = certificateName(client);
      if (cn !== null) {
        // The certificate is the identity; a username, if sent, must not claim another one.
        if (username !== undefined && username !== cn) return done(refused(4, `username ${username} does not match certificate ${cn}`), false);
        return admit(client, cn, done);
      }
      if (opts.tls?.clientCa && !opts.passwords) return done(refused(5, "a client certificate is required"), false);
      if (username === undefined || !opts.passwords?.check(username, password ?? Buffer.alloc(0))) return done(refused(4, "bad username or password"), false);
      admit(client, username, done);
    },
    ...(opts.acl ? aclHooks(opts.acl) : {}),
  };
}

function aclHooks(acl: TopicAcl): AedesOptions {
  return {
    authorizePublish(client, packet, callback) {
      // client is null for what the broker publishes itself ($SYS).
      if (client === null || mayPublish(acl, identities.get(client) ?? null, packet.topic)) return callback(null);
      callback(new Error(`${identities.get(client) ?? "anonymous"} may not publish on ${packet.topic}`));
    },
    authorizeSubscribe(client, sub, callback) {
      // A refused filter gets a failure code in SUBACK; the connection stays.
      callback(null, maySubscribe(acl, identities.get(client) ?? null, sub.topic) ? sub : null);
    },
    authorizeForward(client, packet) {
      return mayReceive(acl, identities.get(client) ?? null, packet.topic) ? packet : null;
    },
  };
}

export async function startBroker(opts: BrokerOptions = {}): Promise<RunningBroker> {
  const host = opts.host ?? "127.0.0.1";
  let instance: Aedes | null = null;
  const aedes = await Aedes.createBroker(accessHooks(opts, () => instance));
  instance = aedes;
  const sockets = new Set<Socket>();
  const onSocket = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    aedes.handle(socket);
  };
  const server: Server = opts.tls
    ? createTlsServer({ cert: opts.tls.cert, key: opts.tls.key, ...(opts.tls.clientCa ? { ca: opts.tls.clientCa, requestCert: true, rejectUnauthorized: !opts.passwords } : {}) }, onSocket)
    : createServer(onSocket);
  if (opts.tls) server.on("tlsClientError", () => { /* a failed handshake concerns that client only */ });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
  } catch (e) {
    // aedes runs timers of its own from creation (its heartbeat): a broker that never listened must not
    // keep its caller's process alive.
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw e;
  }
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port ?? 0;
  return {
    host, port, url: `${opts.tls ? "mqtts" : "mqtt"}://${host.includes(":") ? `[${host}]` : host}:${port}`,
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
