// The device agent daemon: MQTT in and out, one transfer receiver, the
// install state machine, and the live module host. `fwx agent` and the demo
// API both run this class.

import mqtt, { type MqttClient } from "mqtt";
import { LOWERED } from "../agent/abi.js";
import type { AgentEvent } from "../agent/host-context.js";
import type { BoardLike } from "../agent/runtime.js";
import type { TelemetryMessage } from "../agent/host/telemetry.js";
import { offeredInterfaces, type DeviceContext } from "../pkg/index.js";
import { FWX_VERSION } from "../version.js";
import type { CrashHook } from "./crash.js";
import { applyDelta, DeltaError } from "./delta.js";
import { ConfigValueError } from "./config-values.js";
import { DEFAULT_HEALTH, ModuleManager, RequestRefused, type HealthPolicy } from "./install.js";
import { LiveModuleHost, type LiveHostFactory } from "./live-host.js";
import { decodeChunk, encodeAck, isVerdict, MAX_SESSION, parseJson, ProtocolError, topicsFor, transferOf, type Command, type DeviceStatus, type InstallEvent, type Reply } from "./protocol.js";
import { DEFAULT_RECEIVER, TransferReceiver, type PartialMeta, type ReceiverOptions } from "./receiver.js";
import { sha256Hex, StateStore } from "./state-store.js";

export interface DeviceAgentOptions<B extends BoardLike> {
  deviceId: string;
  brokerUrl: string;
  stateDir: string;
  board: B;
  createHost: LiveHostFactory<B>;
  rootPublicKey: Uint8Array;
  customer: string;
  group: string;
  deviceClass?: DeviceContext["deviceClass"];
  health?: Partial<HealthPolicy>;
  receiver?: Partial<ReceiverOptions>;
  /** Device clock speed-up for modules and health windows (demos); 1 = real time. */
  speed?: number;
  crash?: CrashHook | null;
  /** Retained status is republished at least this often (the fleet's "last seen"). */
  heartbeatMs?: number;
  /** Everything the agent does, for the demo's timeline. */
  onTimeline?(entry: TimelineEntry): void;
}

export type TimelineEntry =
  | { kind: "install"; event: InstallEvent }
  | { kind: "module"; ts: number; tUs: number; module: string; event: AgentEvent }
  | { kind: "agent"; ts: number; message: string };

const LOG_RING = 500;

/** JSON that tolerates the bigint fields of agent events. */
export const jsonText = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x));

export class DeviceAgent<B extends BoardLike = BoardLike> {
  readonly topics;
  readonly manager: ModuleManager;
  private readonly host: LiveModuleHost<B>;
  private readonly receiver: TransferReceiver;
  private readonly store: StateStore;
  private client: MqttClient | null = null;
  private readonly logRing: Record<string, unknown>[] = [];
  private installing: { session: number; package: string } | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly opts: DeviceAgentOptions<B>) {
    this.topics = topicsFor(opts.deviceId);
    this.store = new StateStore(opts.stateDir, opts.crash ?? null);
    this.host = new LiveModuleHost({
      board: opts.board,
      createHost: opts.createHost,
      stateDir: opts.stateDir,
      speed: opts.speed ?? 1,
      onEvent: (tUs, module, event) => this.onModuleEvent(tUs, module, event),
      telemetry: { accept: (m) => this.forwardTelemetry(m) },
    });
    const trust = {
      rootPublicKey: opts.rootPublicKey,
      now: () => Date.now(),
      device: {
        customer: opts.customer, group: opts.group, deviceClass: opts.deviceClass ?? "gateway",
        capabilities: opts.board.profile.grantable, offeredInterfaces: offeredInterfaces(LOWERED),
      },
    };
    this.manager = new ModuleManager(this.store, this.host, trust, { ...DEFAULT_HEALTH, ...opts.health }, (e) => this.onInstallEvent(e));
    this.receiver = new TransferReceiver(this.store.partialDir, { ...DEFAULT_RECEIVER, ...opts.receiver }, opts.crash ?? null,
      (a, delivered) => {
        // Acks are QoS 0 (cumulative: the next one covers a lost one); the final one is QoS 1, and its PUBACK starts the install.
        if (delivered) this.client?.publish(this.topics.ack, encodeAck(a), { qos: 1 }, () => delivered());
        else this.client?.publish(this.topics.ack, encodeAck(a), { qos: 0 });
      },
      (meta, bytes) => this.onTransferComplete(meta, bytes),
      (meta, reason) => this.onInstallEvent({ session: meta.session, module: meta.package.module, phase: "failed", ts: Date.now(), reason, package: meta.package.sha256 }));
  }

  /** Boots the modules from the state directory, then connects (retrying in the background); with `waitForBroker`, resolves once subscribed. */
  async start(waitForBroker = true): Promise<void> {
    this.manager.boot();
    const partial = this.receiver.current;
    if (partial && this.manager.hasPackage(partial.package.sha256)) this.receiver.discard();
    this.timeline({ kind: "agent", ts: Date.now(), message: `agent ${this.opts.deviceId} booted with ${this.manager.status().length} module(s)` });
    const client = mqtt.connect(this.opts.brokerUrl, {
      clientId: `fwx-agent-${this.opts.deviceId}`,
      clean: true,
      reconnectPeriod: 300,
      connectTimeout: 5000,
      keepalive: 20,
      queueQoSZero: false,
      will: { topic: this.topics.presence, payload: Buffer.from(JSON.stringify({ online: false })), qos: 1, retain: true },
    });
    this.client = client;
    client.on("message", (topic, payload) => this.onMessage(topic, payload));
    client.on("error", () => { /* reconnects; connection errors are not fatal to a device */ });
    const connected = new Promise<void>((resolve) => {
      client.on("connect", () => {
        client.subscribe([this.topics.cmd, this.topics.chunk], { qos: 1 }, () => {
          // Online only once commands can be received: tools wait for this before sending.
          // Started = both announcements acknowledged by the broker, so nothing of the start-up is still on the link.
          let announced = 0;
          const done = () => {
            if (++announced !== 2) return;
            // A readiness signal for supervisors and tests: commands sent from now on are received.
            this.timeline({ kind: "agent", ts: Date.now(), message: `online at ${this.opts.brokerUrl}` });
            resolve();
          };
          client.publish(this.topics.presence, JSON.stringify({ online: true, ts: Date.now() }), { qos: 1, retain: true }, done);
          client.publish(this.topics.status, jsonText(this.status()), { qos: 1, retain: true }, done);
        });
      });
    });
    this.heartbeat = setInterval(() => this.publishStatus(), this.opts.heartbeatMs ?? 30_000);
    if (waitForBroker) await connected;
  }

  private timeline(e: TimelineEntry): void {
    this.opts.onTimeline?.(e);
  }

  private onModuleEvent(tUs: bigint, module: string, event: AgentEvent): void {
    const line = { ts: Date.now(), tUs: Number(tUs), module, ...event };
    this.logRing.push(line);
    if (this.logRing.length > LOG_RING) this.logRing.shift();
    this.timeline({ kind: "module", ts: line.ts, tUs: line.tUs, module, event });
    if (this.client?.connected) this.client.publish(this.topics.log, jsonText(line), { qos: 0 });
  }

  private forwardTelemetry(m: TelemetryMessage): boolean {
    if (!this.client?.connected) return false;
    this.client.publish(this.topics.telemetry(m.module, m.topic), Buffer.from(m.payload), { qos: 0 });
    return true;
  }

  private onInstallEvent(e: InstallEvent): void {
    if (this.installing && e.session === null) e.session = this.installing.session;
    if (this.installing && !e.package) e.package = this.installing.package;
    this.timeline({ kind: "install", event: e });
    // The verdict ends the install: the status published with it already says the device is free.
    if (isVerdict(e.phase) && this.installing && (!e.package || e.package === this.installing.package)) this.installing = null;
    if (isVerdict(e.phase) || e.phase === "rolled-back" || e.phase === "removed" || e.phase === "reconfigured") {
      // Retained status first: a tool that acts on the verdict (the next flash's delta base) reads it next.
      if (this.statusTimer) clearTimeout(this.statusTimer);
      this.statusTimer = null;
      if (this.client?.connected) this.client.publish(this.topics.status, jsonText(this.status()), { qos: 1, retain: true });
    } else this.publishStatus();
    this.client?.publish(this.topics.event, JSON.stringify(e), { qos: 1 });
  }

  status(): DeviceStatus {
    return {
      device: this.opts.deviceId, ts: Date.now(), board: this.opts.board.profile.name ?? "board",
      customer: this.opts.customer, group: this.opts.group, agent: FWX_VERSION,
      busy: this.installing?.session ?? null,
      modules: this.manager.status(), lastInstall: this.manager.lastInstall,
    } as DeviceStatus;
  }

  /** Retained status, coalesced: install steps come in bursts, and the device link is the scarce one. */
  private publishStatus(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      if (this.client?.connected) this.client.publish(this.topics.status, jsonText(this.status()), { qos: 1, retain: true });
    }, 200);
  }

  private reply(to: string, r: Reply): void {
    this.client?.publish(this.topics.reply(to), JSON.stringify(r), { qos: 1 });
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (this.stopped) return;
    if (topic === this.topics.chunk) {
      try {
        this.receiver.onChunk(decodeChunk(payload), Date.now());
      } catch (e) {
        // A corrupt chunk is dropped unacknowledged: the sender's window resends it.
        if (!(e instanceof ProtocolError)) throw e;
      }
      return;
    }
    if (topic !== this.topics.cmd) return;
    let cmd: Command;
    try {
      cmd = parseJson<Command>(payload, "command");
    } catch {
      return;
    }
    if (typeof cmd.req !== "string" || typeof cmd.from !== "string" || !/^[A-Za-z0-9._-]{1,64}$/.test(cmd.from)) return;
    try {
      this.reply(cmd.from, { req: cmd.req, ok: true, ...this.handle(cmd) });
    } catch (e) {
      if (e instanceof RequestRefused) this.reply(cmd.from, { req: cmd.req, ok: false, code: e.code, message: e.message });
      else if (e instanceof ConfigValueError) this.reply(cmd.from, { req: cmd.req, ok: false, code: "invalid-config", message: e.message });
      else this.reply(cmd.from, { req: cmd.req, ok: false, code: "internal", message: (e as Error).message });
    }
  }

  private handle(cmd: Command): Record<string, unknown> {
    switch (cmd.op) {
      case "begin": return this.begin(cmd);
      case "query": {
        const acked = this.receiver.ackedFor(cmd.session);
        if (acked === null) throw new RequestRefused("superseded", `session ${cmd.session} is no longer the device's transfer`);
        return { acked, installing: this.installing?.session === cmd.session };
      }
      case "abort": {
        if (this.receiver.current?.session === cmd.session && !this.installing) this.receiver.discard();
        return {};
      }
      case "rollback": return { event: this.busyGuard(() => this.manager.rollback(cmd.module)) };
      case "remove": return { event: this.busyGuard(() => this.manager.remove(cmd.module)) };
      case "config": return { event: this.busyGuard(() => this.manager.setConfig(cmd.module, cmd.values)) };
      case "logs": {
        const lines = this.logRing.filter((l) => !cmd.module || l.module === cmd.module);
        return { lines: lines.slice(-Math.max(1, Math.min(cmd.limit || 100, LOG_RING))) };
      }
      case "status": return { status: this.status() };
      default: throw new RequestRefused("unknown-op", `unknown command "${(cmd as { op: string }).op}"`);
    }
  }

  private busyGuard<T>(f: () => T): T {
    if (this.installing) throw new RequestRefused("busy", `device is installing (session ${this.installing.session}); try again after its verdict`);
    const r = f();
    this.publishStatus();
    return r;
  }

  private begin(cmd: Extract<Command, { op: "begin" }>): Record<string, unknown> {
    const last = this.manager.lastInstall;
    if (last && last.package === cmd.package.sha256 && (!this.installing || this.installing.package !== cmd.package.sha256)) {
      // This package was already decided (the tool lost the verdict, e.g. it restarted): report it.
      return { done: last };
    }
    if (this.manager.trialPackage(cmd.package.module) === cmd.package.sha256) {
      // Transferred and on trial already (e.g. the agent restarted mid-trial): the verdict follows on the event topic.
      return { resumeFrom: transferOf(cmd).size, installing: true };
    }
    if (this.installing && this.installing.package !== cmd.package.sha256) {
      throw new RequestRefused("busy", `device is installing another package (session ${this.installing.session}); try again after its verdict`);
    }
    if (!(Number.isInteger(cmd.session) && cmd.session >= 1 && cmd.session <= MAX_SESSION)) throw new RequestRefused("bad-request", `session ${cmd.session} is not a 16-bit nonce (1..${MAX_SESSION})`);
    const transfer = transferOf(cmd);
    if (transfer.mode === "delta") {
      const base = this.manager.confirmedPackage(cmd.package.module);
      if (!base || base.sha256 !== transfer.base) {
        throw new RequestRefused("base-mismatch", `delta base ${transfer.base?.slice(0, 16)}… is not the confirmed package of ${cmd.package.module} (${base ? base.sha256.slice(0, 16) + "…" : "none"}); send the full package`);
      }
    }
    const resumeFrom = this.receiver.begin({ session: cmd.session, from: cmd.from, window: cmd.window, transfer, package: cmd.package }, Date.now());
    if (this.installing) this.installing.session = cmd.session;
    else if (this.receiver.isComplete) setImmediate(() => this.receiver.complete());
    return { resumeFrom };
  }

  private onTransferComplete(meta: PartialMeta, bytes: Uint8Array): void {
    if (this.installing || this.stopped) return;
    this.installing = { session: meta.session, package: meta.package.sha256 };
    const fail = (reason: string) => {
      this.receiver.discard();
      const e: InstallEvent = { session: meta.session, module: meta.package.module, phase: "failed", ts: Date.now(), reason, package: meta.package.sha256 };
      this.installing = null;
      this.onInstallEvent(e);
    };
    const got = sha256Hex(bytes);
    if (got !== meta.transfer.sha256) return fail(`received ${meta.transfer.mode} transfer has SHA-256 ${got.slice(0, 16)}…, the tool announced ${meta.transfer.sha256.slice(0, 16)}…; discarded, flash again`);
    let pkg = bytes;
    if (meta.transfer.mode === "delta") {
      const base = this.manager.confirmedPackage(meta.package.module);
      if (!base || base.sha256 !== meta.transfer.base) return fail("the delta's base package is no longer the confirmed one");
      try {
        pkg = applyDelta(base.bytes, bytes);
      } catch (e) {
        if (e instanceof DeltaError) return fail(`delta does not apply: ${e.message}`);
        throw e;
      }
      const h = sha256Hex(pkg);
      if (h !== meta.package.sha256) return fail(`delta reconstruction has SHA-256 ${h.slice(0, 16)}…, expected ${meta.package.sha256.slice(0, 16)}…`);
    }
    this.onInstallEvent({ session: meta.session, module: meta.package.module, phase: "received", ts: Date.now(), version: meta.package.version, sequence: meta.package.sequence, package: meta.package.sha256, reason: `${bytes.length} bytes (${meta.transfer.mode})` });
    this.manager.install(pkg, meta.session).then(
      () => {
        // The verdict event already cleared `installing` and published the status.
        this.installing = null;
        this.receiver.discard();
      },
      (e: Error) => fail(`install failed on the device: ${e.message}`),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = null;
    // An install in progress finishes writing its slot and state (or is refused)
    // before the modules stop; new work is refused from here on.
    await this.manager.shutdown();
    this.host.close();
    this.receiver.close();
    const c = this.client;
    this.client = null;
    if (c) {
      if (c.connected) await c.publishAsync(this.topics.presence, JSON.stringify({ online: false, ts: Date.now() }), { qos: 1, retain: true }).catch(() => {});
      await c.endAsync(true).catch(() => {});
    }
  }
}
