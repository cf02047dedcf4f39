// Follows every device through the broker and writes what it hears into the
// fleet store: status and presence (retained), install events and log lines.
//
// Live traffic comes through MQTT shared subscriptions ($share/<group>/…):
// a clustered broker gives each message to one instance of the group, so
// several `fwx fleet` instances split the load. Brokers do not deliver
// retained messages on shared subscriptions, so at start each instance also
// reads the retained status and presence once with plain subscriptions
// (every instance writes the same rows; the writes are idempotent).

import { randomBytes } from "node:crypto";
import type { MqttClient } from "mqtt";
import { deviceOfTopic, parseJson, TOPIC_ROOT, type DeviceStatus, type InstallEvent } from "../ota/protocol.js";
import { connectBroker } from "../ota/mqtt-connect.js";
import { mqttSecurityOptions, type MqttSecurity } from "../ota/transport.js";
import type { FleetStore } from "./store.js";
import type { CrashStore, FaultLine } from "./crashes.js";

export interface FollowerOptions {
  brokerUrl: string;
  security?: MqttSecurity;
  /** Shared-subscription group; null subscribes plainly (brokers without $share, or a single instance). */
  shareGroup: string | null;
  store: FleetStore;
  /** Where fault log lines are kept as crash reports (absent: only in the log tail). */
  crashes?: CrashStore;
  clientId?: string;
  connectTimeoutMs?: number;
  /** Log lines held while the database is behind (default MAX_LOG_BATCH). */
  maxLogBatch?: number;
  /** Called after each message is written (tests and the rollout controller wait on it); a log's payload is its LogRow. */
  onRecorded?(kind: "status" | "presence" | "event" | "log", device: string, payload: unknown): void;
  /** A message that could not be stored (bad JSON, a database error): reported, never fatal. */
  onError?(e: Error, topic: string): void;
}

/** A log line as the store keeps it: the device's JSON line, its time and module. */
export interface LogRow { ts: number; module: string | null; line: string }

export const FOLLOWED = ["status", "presence", "event", "log"] as const;

/** Log lines held while the database is behind; past it the oldest non-fault lines are dropped, and reported (faults past twice it). */
export const MAX_LOG_BATCH = 20_000;

/** The filters a follower subscribes: `$share/<group>/fwx/v2/+/<kind>` for each followed kind. */
export function followFilters(shareGroup: string | null): string[] {
  return FOLLOWED.map((k) => `${shareGroup ? `$share/${shareGroup}/` : ""}${TOPIC_ROOT}/+/${k}`);
}

export class Follower {
  /** Writes in arrival order: a status must not be overtaken by an older one of the same device. */
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  /** Log lines waiting for the next batch write, and how many were dropped since the last (see takeLog). */
  private logBatch: { device: string; row: LogRow; fault: FaultLine | null }[] = [];
  private logsDropped = 0;
  private faultsDropped = 0;
  messages = 0;

  private constructor(private readonly client: MqttClient, private readonly opts: FollowerOptions) {}

  static async start(opts: FollowerOptions): Promise<Follower> {
    const client = connectBroker(opts.brokerUrl, {
      clientId: opts.clientId ?? `fwx-fleet-${randomBytes(4).toString("hex")}`, clean: true, reconnectPeriod: 1000,
      connectTimeout: opts.connectTimeoutMs ?? 10_000, ...mqttSecurityOptions(opts.security),
    });
    const f = new Follower(client, opts);
    client.on("message", (topic, payload) => f.take(topic, payload));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`broker ${opts.brokerUrl} did not accept a connection within ${opts.connectTimeoutMs ?? 10_000} ms`)), opts.connectTimeoutMs ?? 10_000);
        client.once("connect", () => { clearTimeout(timer); resolve(); });
        client.once("error", (e) => { clearTimeout(timer); reject(new Error(`broker ${opts.brokerUrl}: ${e.message}`)); });
      });
      // mqtt.js resubscribes these after a reconnect.
      await client.subscribeAsync(followFilters(opts.shareGroup), { qos: 1 });
      if (opts.shareGroup) await f.readRetained();
    } catch (e) {
      client.end(true);
      throw e;
    }
    return f;
  }

  /** The retained status and presence of every device, through plain subscriptions held until the broker has sent them. */
  private async readRetained(): Promise<void> {
    const filters = [`${TOPIC_ROOT}/+/status`, `${TOPIC_ROOT}/+/presence`];
    // A broker sends a subscription's retained messages right after its SUBACK, in order on this connection: once
    // a second subscription's SUBACK is back, every retained message of the first has arrived.
    await this.client.subscribeAsync(filters, { qos: 1 });
    await this.client.subscribeAsync({ [`${TOPIC_ROOT}/$fleet-sync-${randomBytes(4).toString("hex")}`]: { qos: 1 } });
    await this.client.unsubscribeAsync(filters);
  }

  private take(topic: string, payload: Buffer): void {
    const device = deviceOfTopic(topic);
    const kind = topic.split("/")[3];
    if (!device || !kind || !(FOLLOWED as readonly string[]).includes(kind) || topic.split("/").length !== 4) return;
    this.messages++;
    if (kind === "log") this.takeLog(topic, device, payload);
    else this.enqueue(1, topic, () => this.record(kind as Exclude<(typeof FOLLOWED)[number], "log">, device, payload));
  }

  /** Runs `write` after every write queued before it; `count` messages stay pending until it ends. */
  private enqueue(count: number, topic: string, write: () => Promise<void>): void {
    this.pending += count;
    this.queue = this.queue.then(write).catch((e: Error) => this.opts.onError?.(e, topic)).finally(() => { this.pending -= count; });
  }

  private async record(kind: Exclude<(typeof FOLLOWED)[number], "log">, device: string, payload: Buffer): Promise<void> {
    if (!payload.length) return; // a cleared retained message
    const s = this.opts.store;
    let body: unknown;
    if (kind === "status") {
      const st = parseJson<DeviceStatus>(payload, `status of ${device}`);
      if (st.device !== device) throw new Error(`status on ${device}'s topic names device ${JSON.stringify(st.device)}`);
      await s.recordStatus(st);
      body = st;
    } else if (kind === "presence") {
      const p = parseJson<{ online?: boolean; ts?: number }>(payload, `presence of ${device}`);
      await s.recordPresence(device, p.online === true, typeof p.ts === "number" ? p.ts : Date.now());
      body = p;
    } else {
      const e = parseJson<InstallEvent>(payload, `event of ${device}`);
      await s.recordEvent(device, e);
      body = e;
    }
    this.opts.onRecorded?.(kind, device, body);
  }

  /**
   * Log lines are written in batches (group commit): while one batch is being written, the lines that arrive
   * gather into the next, which is queued once. One sync to disk per batch keeps up with any log rate the broker
   * delivers, and the queue in front of the database (which the HTTP API waits in too) stays one batch long.
   */
  private takeLog(topic: string, device: string, payload: Buffer): void {
    if (!payload.length) return;
    let l: { ts?: number; module?: string; kind?: string };
    try {
      l = parseJson(payload, `log of ${device}`);
    } catch (e) {
      this.opts.onError?.(e as Error, topic);
      return;
    }
    // The row as stored (and as GET /api/devices/<id> lists it), so a live feed shows what a reload would.
    const row: LogRow = { ts: typeof l.ts === "number" ? l.ts : Date.now(), module: typeof l.module === "string" ? l.module : null, line: payload.toString("utf8") };
    const fault = l.kind === "fault" ? (l as FaultLine) : null;
    const max = this.maxHeld;
    if (this.logBatch.length >= max) {
      // The database has stalled for a long while: keep the newest lines (the tail is what is kept anyway), and the
      // faults; but memory stays bounded: past twice the limit, all faults, the oldest fault gives way too.
      const oldest = this.logBatch.findIndex((b) => !b.fault);
      if (oldest >= 0 || (fault && this.logBatch.length >= 2 * max)) {
        if (oldest < 0) this.faultsDropped++;
        this.logBatch.splice(Math.max(oldest, 0), 1);
        this.pending--;
        this.logsDropped++;
      } else if (!fault) {
        this.logsDropped++;
        return;
      }
    }
    this.logBatch.push({ device, row, fault });
    if (this.logBatch.length === 1) this.enqueue(0, `${TOPIC_ROOT}/+/log`, () => this.writeLogs());
    this.pending++;
  }

  /** Log lines held while the database is behind (faults: twice as many). */
  private get maxHeld(): number {
    return this.opts.maxLogBatch ?? MAX_LOG_BATCH;
  }

  private async writeLogs(): Promise<void> {
    const batch = this.logBatch;
    this.logBatch = [];
    const dropped = this.logsDropped;
    const faults = this.faultsDropped;
    this.logsDropped = this.faultsDropped = 0;
    try {
      const max = this.maxHeld;
      if (dropped) {
        this.opts.onError?.(new Error(`${dropped} log lines dropped: the database fell ${max} lines behind (${faults ? `${faults} of them fault lines, past ${2 * max} faults held` : "fault lines are always kept"})`), `${TOPIC_ROOT}/+/log`);
      }
      let written = batch;
      try {
        await this.opts.store.recordLogs(batch.map((b) => ({ device: b.device, ...b.row })));
      } catch {
        // One line the database refuses must not cost the others theirs: write them one by one, naming the refused.
        written = [];
        const refused: { b: (typeof batch)[number]; e: Error }[] = [];
        for (const b of batch) {
          try {
            await this.opts.store.recordLogs([{ device: b.device, ...b.row }]);
            written.push(b);
          } catch (e) {
            refused.push({ b, e: e as Error });
          }
        }
        // Every line refused for one reason is the database, not a line (it is down, its disk full): said once per
        // batch, not once per line (thousands a second from a busy fleet).
        const first = refused[0]?.e.message;
        if (refused.length > 1 && !written.length && refused.every((r) => r.e.message === first)) {
          const devices = new Set(refused.map((r) => r.b.device)).size;
          this.opts.onError?.(new Error(`${refused.length} log lines of ${devices} device${devices === 1 ? "" : "s"} not stored: ${first}`), `${TOPIC_ROOT}/+/log`);
        } else {
          for (const r of refused) this.opts.onError?.(r.e, `${TOPIC_ROOT}/${r.b.device}/log`);
        }
      }
      for (const b of written) {
        if (b.fault) {
          try {
            await this.opts.crashes?.recordFault(b.device, b.fault);
          } catch (e) {
            this.opts.onError?.(e as Error, `${TOPIC_ROOT}/${b.device}/log`);
          }
        }
        this.opts.onRecorded?.("log", b.device, b.row);
      }
    } finally {
      this.pending -= batch.length;
    }
  }

  /** Resolves once every message received so far is written. */
  async settled(): Promise<void> {
    while (this.pending > 0) await this.queue;
  }

  async close(): Promise<void> {
    await this.settled();
    await this.client.endAsync();
  }
}
