// The tool side of the control channel: one MQTT connection, commands with
// request ids, replies on the tool's own reply topic, and retained state.

import { randomBytes } from "node:crypto";
import mqtt, { type MqttClient } from "mqtt";
import { parseJson, topicsFor, type Command, type DeviceStatus, type Reply } from "./protocol.js";
import { mqttSecurityOptions, type MqttSecurity } from "./transport.js";

/** The device (or the broker) did not answer in time: exit code 4. */
export class DeviceUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeviceUnreachable";
  }
}

/** The device answered with a refusal. */
export class DeviceRefused extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "DeviceRefused";
  }
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
  private readonly pending = new Map<string, { resolve(r: Reply): void }>();
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
        this.pending.get(r.req)?.resolve(r);
        this.pending.delete(r.req);
        return;
      }
      for (const h of this.handlers) h(topic, payload);
    });
  }

  static async open(opts: ToolConnectionOptions): Promise<ToolConnection> {
    const clientId = opts.clientId ?? `fwx-tool-${randomBytes(5).toString("hex")}`;
    const timeout = opts.connectTimeoutMs ?? 5000;
    const client = mqtt.connect(opts.brokerUrl, { clientId, clean: true, reconnectPeriod: 300, connectTimeout: timeout, queueQoSZero: false, keepalive: 20, ...mqttSecurityOptions(opts.security) });
    client.on("error", () => { /* retried by reconnect; callers time out */ });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        client.end(true);
        reject(new DeviceUnreachable(`no MQTT connection to ${opts.brokerUrl} within ${timeout} ms`));
      }, timeout);
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
      this.pending.set(req, { resolve: (r) => { clearTimeout(timer); if (again) clearTimeout(again); resolve(r); } });
      this.client.publish(t.cmd, payload, { qos: 1 });
    });
    if (!reply.ok) throw new DeviceRefused(reply.code, reply.message);
    return reply;
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
          const s = parseJson<DeviceStatus>(payload, "status");
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
