// The tool side of the control channel: one MQTT connection, commands with
// request ids, replies on the tool's own reply topic, and retained state.

import { randomBytes } from "node:crypto";
import type { MqttClient } from "mqtt";
import { checkDeviceCertificate, TrustRefused } from "../pkg/identity.js";
import type { RevocationList } from "../pkg/revocation.js";
import { asDeviceStatus, parseJson, topicsFor, type Command, type DeviceStatus, type Reply } from "./protocol.js";
import { encodeCommandBody, sameBytes, sha256, signCommand, verifyStatement, type CommandBody as SignedBody, type OperatorCredentials, type Statement } from "./signed-command.js";
import { connectBroker } from "./mqtt-connect.js";
import { mqttSecurityOptions, type MqttSecurity } from "./transport.js";

/** The device (or the broker) did not answer in time: exit code 4. */
export class DeviceUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeviceUnreachable";
  }
}

/**
 * The tool will not believe this device: its certificate (or key) is on the tool's revocation list.
 * Nothing it says counts, and nothing is sent to it (a package is customers' IP).
 */
export class DeviceDistrusted extends Error {
  readonly code = "device-revoked";
  constructor(message: string) {
    super(message);
    this.name = "DeviceDistrusted";
  }
}

/** The device answered with a refusal. */
/** CONNACK codes that no retry changes: bad user name or password, not authorized (MQTT 3.1.1 4, 5; MQTT 5 134, 135). */
const REFUSED_LOGIN = new Set([4, 5, 134, 135]);

export class DeviceRefused extends Error {
  /** `device`: the device that refused, so a tool's one line names it (a script flashing many devices reads which). */
  constructor(readonly code: string, message: string, readonly device?: string) {
    super(message);
    this.name = "DeviceRefused";
  }
}

/** What a tool needs to command a device and believe its answers: the operator's key and certificate, and the product root. */
export interface OperatorAuth {
  operator: OperatorCredentials;
  rootPublicKey: Uint8Array;
  /** The root-signed revocation list the tool knows (src/ota/credentials.ts): revoked devices are not believed. */
  revoked?: RevocationList | null;
}

/** A signed command as the caller gives it: the tool adds the device, counter, request id and reply address. */
export type SignedRequest = Omit<SignedBody, "device" | "counter" | "req" | "from">;

export interface SignedRequestOptions {
  /** Repeat the same bytes until answered (idempotent commands: begin, abort). */
  repeat?: boolean;
  /** Accept an answer without a proof when this says so (a begin accepted with an offset). */
  acceptUnproven?: (r: Reply) => boolean;
  /** Called with the command body's digest just before each send. */
  onSend?: (digest: Uint8Array) => void;
}

/** A device's answer to a signed command, proven by the device (statement), or one the caller accepted unproven (null). */
export interface ProvenReply {
  reply: Record<string, unknown>;
  statement: Statement | null;
  /** SHA-256 of the command body sent (what the statement is bound to). */
  digest: Uint8Array;
}

type Omit2<T, K extends keyof never> = T extends unknown ? Omit<T, K> : never;
export type CommandBody = Omit2<Command, "req" | "from">;

export interface ToolConnectionOptions {
  brokerUrl: string;
  /** TLS and credentials (src/ota/transport.ts). */
  security?: MqttSecurity;
  connectTimeoutMs?: number;
  clientId?: string;
}

const IDEMPOTENT = new Set(["begin", "query", "status", "logs", "abort"]);

export class ToolConnection {
  readonly clientId: string;
  /** Pending requests by id; `resolve` returns false for a reply it does not believe (the request stays pending). */
  private readonly pending = new Map<string, { resolve(r: Reply): boolean }>();
  /** Highest signed-command counter known accepted per device (from its status or its answers). */
  private readonly counters = new Map<string, number>();
  /** Device certificates (base64) from the devices' statuses: what their proofs are checked under (after the root's signature on it). */
  private readonly deviceCerts = new Map<string, string>();

  /**
   * Throws DeviceDistrusted when the device certificate in `device`'s status is on the tool's revocation
   * list: checked before anything is sent to it. (A forged status naming a revoked certificate only
   * stops the tool, as dropping its messages would.)
   */
  refuseRevoked(device: string, auth: Pick<OperatorAuth, "rootPublicKey" | "revoked">): void {
    const cert = this.deviceCerts.get(device);
    if (!cert || !auth.revoked) return;
    try {
      checkDeviceCertificate(new Uint8Array(Buffer.from(cert, "base64")), auth.rootPublicKey, device, Date.now(), auth.revoked);
    } catch (e) {
      if (e instanceof TrustRefused && e.code === "revoked") throw new DeviceDistrusted(`${e.message}; fwx sends it nothing`);
      // Any other problem with the certificate shows when the device's answers do not verify.
    }
  }

  /** The device certificate of `device` seen in its status, if any. */
  deviceCert(device: string): string | undefined {
    return this.deviceCerts.get(device);
  }
  private readonly handlers: ((topic: string, payload: Buffer) => void)[] = [];
  /** Filters subscribed on this connection (clean session: a reconnect resubscribes them, mqtt.js does that itself). */
  private readonly subscribed = new Set<string>();
  private seq = 0;

  private constructor(readonly client: MqttClient, clientId: string) {
    this.clientId = clientId;
    client.on("message", (topic, payload) => {
      if (topic.includes("/reply/")) {
        let r: Reply;
        try {
          r = parseJson<Reply>(payload, "reply");
        } catch {
          return;
        }
        if (typeof r !== "object" || r === null || typeof r.req !== "string") return;
        if (this.pending.get(r.req)?.resolve(r)) this.pending.delete(r.req);
        return;
      }
      for (const h of this.handlers) h(topic, payload);
    });
  }

  static async open(opts: ToolConnectionOptions): Promise<ToolConnection> {
    // Short: the id is the reply topic's last level and the signed begin's `from`, both on the device's link.
    const clientId = opts.clientId ?? `fwx-${randomBytes(4).toString("hex")}`;
    const timeout = opts.connectTimeoutMs ?? 5000;
    const client = connectBroker(opts.brokerUrl, { clientId, clean: true, reconnectPeriod: 300, connectTimeout: timeout, queueQoSZero: false, keepalive: 20, ...mqttSecurityOptions(opts.security) });
    await new Promise<void>((resolve, reject) => {
      // A broker that is not up yet is tried again until the timeout, which then names the last cause;
      // one that answers and refuses these credentials is final, and said at once.
      let last = "";
      const t = setTimeout(() => {
        client.end(true);
        reject(new DeviceUnreachable(`no MQTT connection to ${opts.brokerUrl} within ${timeout} ms${last ? ` (${last})` : ""}`));
      }, timeout);
      client.on("error", (e: Error & { code?: unknown }) => {
        last = e.message;
        if (!REFUSED_LOGIN.has(e.code as number)) return;
        clearTimeout(t);
        client.end(true);
        reject(new DeviceUnreachable(`the broker ${opts.brokerUrl} refused this login: ${e.message} (check --username, --password-file or the client certificate)`));
      });
      client.once("connect", () => {
        clearTimeout(t);
        resolve();
      });
    });
    return new ToolConnection(client, clientId);
  }

  onMessage(h: (topic: string, payload: Buffer) => void): void {
    this.handlers.push(h);
  }

  subscribe(topics: string[], qos: 0 | 1 = 1): Promise<void> {
    return new Promise((resolve, reject) => this.client.subscribe(topics, { qos }, (err) => {
      // A failure in SUBACK is the broker's ACL saying no: as unreachable as a device that does not answer.
      if (err) return reject(new DeviceUnreachable(`the broker refused the subscription to ${topics.join(", ")} (${err.message}); is this client's identity allowed these topics?`));
      for (const t of topics) this.subscribed.add(t);
      resolve();
    }));
  }

  /** Sends a command and waits for its reply; refusals throw DeviceRefused, silence DeviceUnreachable. */
  async request(device: string, body: CommandBody, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const t = topicsFor(device);
    // Already subscribed: the command goes out synchronously, in order with what the caller publishes next.
    if (!this.subscribed.has(t.reply(this.clientId))) await this.subscribe([t.reply(this.clientId)]);
    // Replies come back on this client's own topic, so a per-connection counter is unique enough.
    const req = String(++this.seq);
    const payload = JSON.stringify({ ...body, req, from: this.clientId });
    // Idempotent commands are repeated until answered: a device that is just (re)starting
    // has not subscribed yet, and a command published before that reaches nobody.
    const repeat = IDEMPOTENT.has(body.op);
    const reply = await new Promise<Reply>((resolve, reject) => {
      // Backing off (1.5 s, 3 s, 6 s, …): on a slow lossy link one TCP retransmission already holds a
      // command back for most of a second, and a repeat then only costs the link its bytes again.
      let again: NodeJS.Timeout | null = null;
      const repeatAfter = (ms: number) => {
        again = setTimeout(() => {
          this.client.publish(t.cmd, payload, { qos: 1 });
          repeatAfter(ms * 2);
        }, ms);
      };
      if (repeat) repeatAfter(1500);
      const timer = setTimeout(() => {
        if (again) clearTimeout(again);
        this.pending.delete(req);
        reject(new DeviceUnreachable(`device ${device} did not answer "${body.op}" within ${timeoutMs} ms (is its agent running and connected to this broker?)`));
      }, timeoutMs);
      this.pending.set(req, { resolve: (r) => { clearTimeout(timer); if (again) clearTimeout(again); resolve(r); return true; } });
      this.client.publish(t.cmd, payload, { qos: 1 });
    });
    if (!reply.ok) throw new DeviceRefused(reply.code, reply.message, device);
    return reply;
  }

  /**
   * Signs a command with the operator's key and the device's next counter,
   * sends it, and waits for an answer the device proved: signed under a
   * device certificate from the root, naming this device, bound to this
   * command's digest. Anything else on the reply topic is ignored. A refusal
   * as "replayed" (another tool used the counter) is retried with the next one.
   */
  async signedRequest(device: string, body: SignedRequest, auth: OperatorAuth, timeoutMs = 5000, opts: SignedRequestOptions = {}): Promise<ProvenReply> {
    const { repeat = false, acceptUnproven, onSend } = opts;
    const t = topicsFor(device);
    if (!this.subscribed.has(t.reply(this.clientId))) await this.subscribe([t.reply(this.clientId)]);
    if (!this.counters.has(device) || !this.deviceCerts.has(device)) {
      const s = await this.status(device, 500);
      if (!this.counters.has(device)) this.counters.set(device, s?.counter ?? 0);
    }
    this.refuseRevoked(device, auth);
    for (let attempt = 0; ; attempt++) {
      const req = String(++this.seq);
      const counter = Math.max(this.counters.get(device) ?? 0, 0) + 1;
      const full: SignedBody = { ...body, device, counter, req, from: this.clientId };
      const payload = signCommand(full, auth.operator);
      const digest = sha256(encodeCommandBody(full));
      // Before the command leaves: what the device says about it may arrive in the same read as the reply.
      onSend?.(digest);
      const proven = await new Promise<{ reply: Reply; statement: Statement | null }>((resolve, reject) => {
        let again: NodeJS.Timeout | null = null;
        const repeatAfter = (ms: number) => {
          again = setTimeout(() => {
            this.client.publish(t.cmd, Buffer.from(payload), { qos: 1 });
            repeatAfter(ms * 2);
          }, ms);
        };
        if (repeat) repeatAfter(1500);
        let lastDoubt = "";
        const timer = setTimeout(() => {
          if (again) clearTimeout(again);
          this.pending.delete(req);
          reject(new DeviceUnreachable(`device ${device} did not answer "${body.op}" with a proven reply within ${timeoutMs} ms${lastDoubt ? ` (ignored an answer: ${lastDoubt})` : " (is its agent running and connected to this broker?)"}`));
        }, timeoutMs);
        this.pending.set(req, {
          resolve: (r) => {
            let statement: Statement | null = null;
            try {
              if ((r as { proof?: unknown }).proof === undefined && acceptUnproven?.(r)) {
                clearTimeout(timer);
                if (again) clearTimeout(again);
                resolve({ reply: r, statement: null });
                return true;
              }
              statement = verifyStatement((r as { proof?: unknown }).proof, (r as { cert?: unknown }).cert ?? this.deviceCerts.get(device), { rootPublicKey: auth.rootPublicKey, device, revoked: auth.revoked ?? null });
              if (!sameBytes(statement.request, digest)) throw new TrustRefused("bad-signature", "the proof answers another command");
              // The outcome the device proves is exactly what its reply says: "refused" for a refused
              // command, the phase of a verdict it carries (which may itself be "refused": a package
              // refused before), or "ok".
              const about = r.ok ? ((r as { done?: { phase?: unknown }; event?: { phase?: unknown } }).done ?? (r as { event?: { phase?: unknown } }).event) : undefined;
              const said = !r.ok ? "refused" : about && typeof about.phase === "string" ? about.phase : "ok";
              if (statement.outcome !== said) throw new TrustRefused("bad-signature", "the proof contradicts the reply");
              if (!r.ok && statement.code !== r.code) throw new TrustRefused("bad-signature", "the proof names another refusal");
            } catch (e) {
              lastDoubt = (e as Error).message;
              if (e instanceof TrustRefused && e.code === "revoked") {
                // Final: waiting longer cannot make a revoked device believable.
                clearTimeout(timer);
                if (again) clearTimeout(again);
                this.pending.delete(req);
                reject(new DeviceDistrusted(`${lastDoubt}; fwx does not act on it`));
                return true;
              }
              return false;
            }
            clearTimeout(timer);
            if (again) clearTimeout(again);
            resolve({ reply: r, statement });
            return true;
          },
        });
        this.client.publish(t.cmd, Buffer.from(payload), { qos: 1 });
      });
      const r = proven.reply;
      // Whatever the answer, this counter is spent (a refusal after the counter check consumed it; one before it costs nothing to skip).
      this.counters.set(device, Math.max(this.counters.get(device) ?? 0, counter));
      if (r.ok) return { reply: r, statement: proven.statement, digest };
      if (r.code === "replayed" && attempt < 3) {
        const seen = Number((r as { counter?: unknown }).counter);
        this.counters.set(device, Number.isSafeInteger(seen) ? Math.max(seen, counter) : counter);
        continue;
      }
      throw new DeviceRefused(r.code, r.message, device);
    }
  }

  /** Retained messages on `topic` (a filter may match many devices), collected until `quietMs` pass without a new one. */
  async retained<T>(topic: string, quietMs = 300, maxMs = 3000): Promise<Map<string, T>> {
    const got = new Map<string, T>();
    let timer: NodeJS.Timeout;
    const done = new Promise<void>((resolve) => {
      const hard = setTimeout(resolve, maxMs);
      const bump = () => {
        clearTimeout(timer);
        timer = setTimeout(() => { clearTimeout(hard); resolve(); }, quietMs);
      };
      this.onMessage((t, payload) => {
        if (!topicMatches(topic, t) || payload.length === 0) return;
        try {
          got.set(t, parseJson<T>(payload, t));
        } catch { /* not ours */ }
        bump();
      });
      bump();
    });
    await this.subscribe([topic]);
    await done;
    return got;
  }

  /** Waits for the device's retained presence to say online (published once it has subscribed to its commands). */
  waitOnline(device: string, timeoutMs: number): Promise<void> {
    const topic = topicsFor(device).presence;
    return new Promise((resolve, reject) => {
      let last = "no presence message (never connected to this broker?)";
      const t = setTimeout(() => {
        done = true;
        reject(new DeviceUnreachable(`device ${device} is not online: ${last} after ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      let done = false;
      this.onMessage((tp, payload) => {
        if (done || tp !== topic) return;
        try {
          const p = parseJson<{ online?: boolean }>(payload, "presence");
          if (p.online) {
            done = true;
            clearTimeout(t);
            resolve();
          } else last = "it reported itself offline";
        } catch { /* ignore */ }
      });
      this.subscribe([topic]).catch(reject);
    });
  }

  /** The device's retained status: the broker sends it right after the subscription, so this waits at most `waitMs` for a device that has none. */
  status(device: string, waitMs = 300): Promise<DeviceStatus | null> {
    const topic = topicsFor(device).status;
    return new Promise((resolve, reject) => {
      let done = false;
      const t = setTimeout(() => { done = true; resolve(null); }, waitMs);
      this.onMessage((tp, payload) => {
        if (done || tp !== topic || payload.length === 0) return;
        try {
          // Not an object: as if the device had published none.
          const s = asDeviceStatus(parseJson<unknown>(payload, "status"));
          if (typeof s?.cert === "string") this.deviceCerts.set(device, s.cert);
          if (!this.counters.has(device) && Number.isSafeInteger(s?.counter)) this.counters.set(device, s!.counter);
          done = true;
          clearTimeout(t);
          resolve(s);
        } catch { /* ignore */ }
      });
      this.subscribe([topic]).catch(reject);
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => {});
  }
}

/** MQTT topic filter matching (+ one level, # the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/"), t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
