// The device agent daemon: MQTT in and out, one transfer receiver, the
// install state machine, and the live module host. `fwx agent` and the demo
// API both run this class.

import type { KeyObject } from "node:crypto";
import { DeviceLog } from "./device-log.js";
import type { MqttClient } from "mqtt";
import { LOWERED } from "../agent/abi.js";
import type { AgentEvent } from "../agent/host-context.js";
import type { BoardLike } from "../agent/runtime.js";
import type { TelemetryMessage } from "../agent/host/telemetry.js";
import { offeredInterfaces, type DeviceContext } from "../pkg/index.js";
import { allows, TrustRefused } from "../pkg/identity.js";
import { FWX_VERSION } from "../version.js";
import type { CrashHook } from "./crash.js";
import { applyDelta, DeltaError } from "./delta.js";
import { ConfigValueError } from "./config-values.js";
import { DEFAULT_HEALTH, ModuleManager, RequestRefused, type HealthPolicy } from "./install.js";
import { LiveModuleHost, type LiveHostFactory } from "./live-host.js";
import type { SupervisionPolicy } from "../agent/module-supervisor.js";
import { CHUNK_HEADER_BYTES, decodeChunk, encodeAck, isVerdict, MAX_CHUNK_BYTES, MAX_SESSION, parseJson, ProtocolError, topicsFor, transferOf, type Command, type DeviceStatus, type InstallEvent, type Reply } from "./protocol.js";
import { OperationGuard } from "./op-guard.js";
import { openCommand, signStatement, type OpenedCommand, type Statement } from "./signed-command.js";
import { DEFAULT_RECEIVER, TransferReceiver, type PartialMeta, type ReceiverOptions } from "./receiver.js";
import { sha256Hex, StateStore } from "./state-store.js";
import { defaultAntiRollbackPath, FileAntiRollbackStore, type AntiRollbackStore } from "./anti-rollback.js";
import { PreparedStore } from "./prepared-store.js";
import { connectBroker } from "./mqtt-connect.js";
import { mqttSecurityOptions, type MqttSecurity } from "./transport.js";

export interface DeviceAgentOptions<B extends BoardLike> {
  deviceId: string;
  brokerUrl: string;
  /** TLS and credentials (src/ota/transport.ts). */
  security?: MqttSecurity;
  stateDir: string;
  /**
   * The anti-rollback floors and command counter, outside the state directory (src/ota/anti-rollback.ts).
   * Default: a file beside the state directory (defaultAntiRollbackPath).
   */
  floor?: AntiRollbackStore;
  /** A root-signed revocation list to keep at start if newer than the kept one (`fwx agent --revocations`). */
  revocations?: Uint8Array;
  board: B;
  createHost: LiveHostFactory<B>;
  rootPublicKey: Uint8Array;
  /** This device's identity: its private key and the root-signed device certificate for it (issued at provisioning). It signs every answer to a signed command and every verdict. */
  deviceKey: KeyObject;
  deviceCert: Uint8Array;
  customer: string;
  group: string;
  deviceClass?: DeviceContext["deviceClass"];
  health?: Partial<HealthPolicy>;
  receiver?: Partial<ReceiverOptions>;
  /** Device clock speed-up for modules and health windows (demos); 1 = real time. */
  speed?: number;
  /** The modules' supervision: restart policy, watchdog, log/telemetry/bus-event rates (as the batch agent takes them; defaults the same). */
  supervision?: SupervisionPolicy;
  crash?: CrashHook | null;
  /** Retained status is republished at least this often (the fleet's "last seen"). */
  heartbeatMs?: number;
  /** Keep peripheral traffic (i2c, spi, uart, gpio, pwm events) in the log ring and on the MQTT link; default off (device-log.ts). */
  busTraffic?: boolean;
  /** Everything the agent does, for the demo's timeline. */
  onTimeline?(entry: TimelineEntry): void;
}

export type TimelineEntry =
  | { kind: "install"; event: InstallEvent }
  | { kind: "module"; ts: number; tUs: number; module: string; event: AgentEvent }
  | { kind: "agent"; ts: number; message: string };


/** Commands anyone on the broker may send (they change nothing; see docs/ota-protocol.md, "Reading operations"). Everything else must be signed. */
const OPEN_OPS = new Set(["status", "logs", "query"]);

/**
 * Refusals that describe the device at that moment, not the package: repeated to a later begin, they would
 * outlive their cause ("the device agent shut down ...; flash again" answered to every flash again).
 * firmware/runtime/fwx_ota.c keeps the same list with the C device's own codes.
 */
const TRANSIENT_REFUSALS = new Set(["busy", "shutting-down", "too-many-modules", "FWX_PKG_E_NOT_YET_VALID", "FWX_PKG_E_IO"]);

/**
 * Whether the last verdict about a package still answers a begin of it: a confirmation only while that
 * package is its module's confirmed one (`confirmedSha`), a refusal only when it was about the package.
 */
export function verdictStillTrue(last: InstallEvent, confirmedSha: string | undefined | null): boolean {
  if (last.phase === "confirmed") return confirmedSha === last.package;
  // A failed transfer (hash or delta mismatch, a storage error) says nothing about the package: flash it again.
  if (last.phase === "failed") return false;
  if (last.phase === "refused" && last.code !== undefined && TRANSIENT_REFUSALS.has(last.code)) return false;
  return true;
}

/** JSON that tolerates the bigint fields of agent events. */
export const jsonText = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x));

export class DeviceAgent<B extends BoardLike = BoardLike> {
  readonly topics;
  readonly manager: ModuleManager;
  private readonly host: LiveModuleHost<B>;
  private readonly receiver: TransferReceiver;
  private readonly store: StateStore;
  private client: MqttClient | null = null;
  private readonly deviceLog: DeviceLog;
  private installing: { session: number; package: string; request: string | null } | null = null;
  private readonly guard: OperationGuard;
  private readonly certB64: string;
  private heartbeat: NodeJS.Timeout | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly opts: DeviceAgentOptions<B>) {
    this.topics = topicsFor(opts.deviceId);
    this.deviceLog = new DeviceLog({ busTraffic: opts.busTraffic ?? false });
    this.store = new StateStore(opts.stateDir, opts.crash ?? null);
    this.certB64 = Buffer.from(opts.deviceCert).toString("base64");
    const floor = opts.floor ?? new FileAntiRollbackStore(defaultAntiRollbackPath(opts.stateDir));
    this.guard = new OperationGuard(
      { stateDir: opts.stateDir, floor, rootPublicKey: opts.rootPublicKey, device: { id: opts.deviceId, customer: opts.customer, group: opts.group }, nowMs: () => Date.now(), ...(opts.revocations ? { seedRevocations: opts.revocations } : {}) },
      (message) => this.timeline({ kind: "agent", ts: Date.now(), message }),
    );
    // After everything that can refuse to start (the anti-rollback store, the revocation list): nothing to undo then.
    this.host = new LiveModuleHost({
      board: opts.board,
      createHost: opts.createHost,
      stateDir: opts.stateDir,
      speed: opts.speed ?? 1,
      ...opts.supervision,
      onEvent: (tUs, module, event) => this.onModuleEvent(tUs, module, event),
      telemetry: { accept: (m) => this.forwardTelemetry(m) },
      preparedStore: new PreparedStore(this.store, opts.deviceKey),
    });
    const trust = {
      rootPublicKey: opts.rootPublicKey,
      now: () => Date.now(),
      revoked: () => this.guard.revoked,
      floor,
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
      (meta, reason) => this.onInstallEvent({ session: meta.session, module: meta.package.module, phase: "failed", ts: Date.now(), reason, package: meta.package.sha256, ...(meta.request ? { request: meta.request } : {}) }));
  }

  /** Boots the modules from the state directory, then connects (retrying in the background); with `waitForBroker`, resolves once subscribed. */
  async start(waitForBroker = true): Promise<void> {
    this.manager.boot();
    const partial = this.receiver.current;
    if (partial && this.manager.hasPackage(partial.package.sha256)) this.receiver.discard();
    this.timeline({ kind: "agent", ts: Date.now(), message: `agent ${this.opts.deviceId} booted with ${this.manager.status().length} installed module(s)` });
    const client = connectBroker(this.opts.brokerUrl, {
      // The device id itself: brokers whose ACL keys devices by client id (%c, ${clientid}) bind it to the
      // authenticated identity (docs/fleet-brokers.md), so it must be exactly the id the topics carry.
      clientId: this.opts.deviceId,
      clean: true,
      reconnectPeriod: 300,
      connectTimeout: 5000,
      keepalive: 20,
      queueQoSZero: false,
      will: { topic: this.topics.presence, payload: Buffer.from(JSON.stringify({ online: false })), qos: 1, retain: true },
      ...mqttSecurityOptions(this.opts.security),
    });
    this.client = client;
    client.on("message", (topic, payload) => this.onMessage(topic, payload));
    // Connection errors are not fatal to a device: it reconnects. But a wrong URL, a broker that is down or a
    // login it refuses are said once, as fwx-device says it, instead of an agent that waits in silence.
    let connectedOnce = false;
    let saidUnreachable = false;
    client.on("connect", () => { connectedOnce = true; });
    client.on("error", (e) => {
      if (connectedOnce || saidUnreachable) return;
      saidUnreachable = true;
      this.timeline({ kind: "agent", ts: Date.now(), message: `broker ${this.opts.brokerUrl} not reachable yet (${(e as Error)?.message ?? String(e)}); retrying` });
    });
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
    this.timeline({ kind: "module", ts: line.ts, tUs: line.tUs, module, event });
    if (this.deviceLog.record(line) && this.client?.connected) this.client.publish(this.topics.log, jsonText(line), { qos: 0 });
  }

  private forwardTelemetry(m: TelemetryMessage): boolean {
    if (!this.client?.connected) return false;
    this.client.publish(this.topics.telemetry(m.module, m.topic), Buffer.from(m.payload), { qos: 0 });
    return true;
  }

  private onInstallEvent(e: InstallEvent): void {
    if (this.installing && e.session === null) e.session = this.installing.session;
    if (this.installing && !e.package) e.package = this.installing.package;
    if (this.installing && e.package === this.installing.package && this.installing.request) e.request = this.installing.request;
    if (isVerdict(e.phase) && e.request) {
      // A verdict the tool can believe: signed by this device, bound to the begin it answers and the package.
      e.proof = this.prove({ request: Buffer.from(e.request, "hex"), outcome: e.phase, ...(e.code ? { code: e.code } : {}), ...(e.package ? { package: e.package } : {}), module: e.module });
    }
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
      counter: this.guard.counter, revocationSerial: this.guard.revoked?.serial ?? 0, cert: this.certB64,
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

  private prove(s: Omit<Statement, "device">): string {
    return signStatement({ device: this.opts.deviceId, ...s }, this.opts.deviceKey);
  }

  /** Whatever a message holds, it never takes the agent down: a device must outlive its broker's worst publisher. */
  private onMessage(topic: string, payload: Buffer): void {
    if (this.stopped) return;
    try {
      if (topic === this.topics.chunk) this.onChunkMessage(payload);
      else if (topic === this.topics.cmd) this.onCommandMessage(payload);
    } catch (e) {
      this.timeline({ kind: "agent", ts: Date.now(), message: `dropped a message on ${topic} (${payload.length} bytes): ${(e as Error)?.message ?? String(e)}` });
    }
  }

  private onChunkMessage(payload: Buffer): void {
    // Refused before anything is copied or checksummed: a chunk larger than any chunk, or for no transfer in sight.
    if (payload.length > CHUNK_HEADER_BYTES + MAX_CHUNK_BYTES) return;
    let frame;
    try {
      frame = decodeChunk(payload);
    } catch (e) {
      // A corrupt chunk is dropped unacknowledged: the sender's window resends it.
      if (e instanceof ProtocolError) return;
      throw e;
    }
    this.receiver.onChunk(frame, Date.now());
  }

  private onCommandMessage(payload: Buffer): void {
    const signed = openCommand(payload);
    if (signed) return this.onSignedCommand(signed);
    let cmd: Command;
    try {
      cmd = parseJson<Command>(payload, "command");
    } catch {
      return;
    }
    if (typeof cmd !== "object" || cmd === null || Array.isArray(cmd)) return;
    if (typeof cmd.req !== "string" || cmd.req.length > 64 || typeof cmd.from !== "string" || !/^[A-Za-z0-9._-]{1,64}$/.test(cmd.from)) return;
    if (!OPEN_OPS.has(cmd.op)) {
      const known = ["begin", "abort", "rollback", "remove", "config", "revocations"].includes(cmd.op);
      return this.reply(cmd.from, known
        ? { req: cmd.req, ok: false, code: "unsigned", message: `"${cmd.op}" changes the device: it must be a command signed by an operator key certified by the product root` }
        : { req: cmd.req, ok: false, code: "unknown-op", message: `unknown command ${JSON.stringify(cmd.op)}` });
    }
    try {
      this.reply(cmd.from, { req: cmd.req, ok: true, ...this.handle(cmd) });
    } catch (e) {
      this.reply(cmd.from, { req: cmd.req, ok: false, ...refusalOf(e) });
    }
  }

  /** Verify, record the counter, run, answer with a proof bound to the command. Refusals are answered (and proven) too. */
  private onSignedCommand(cmd: OpenedCommand): void {
    const b = cmd.body;
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(b.from)) return;
    const answer = (r: { ok: true; [k: string]: unknown } | { ok: false; code: string; message: string }, extra: Record<string, unknown> = {}) => {
      if (r.ok && b.op === "begin" && r.done === undefined) {
        // A begin accepted with an offset decides nothing the tool reports (the verdict is proven): no proof,
        // which keeps the reply on the device's link at 40 bytes instead of 300.
        const plain = { req: b.req, ...r, ...extra } as Reply;
        this.reply(b.from, plain);
        return plain;
      }
      const about = (r.ok ? r.done ?? r.event : undefined) as InstallEvent | undefined;
      const outcome = !r.ok ? "refused" : about ? about.phase : "ok";
      const pkg = about?.package ?? b.package?.sha256;
      const proof = this.prove({
        request: cmd.digest, outcome,
        ...(!r.ok ? { code: r.code } : about?.code ? { code: about.code } : {}),
        ...(pkg ? { package: pkg } : {}), ...(b.module ? { module: b.module } : {}),
      });
      // The device certificate travels in the retained status, not in every answer: it is the same bytes each time.
      const full = { req: b.req, ...r, ...extra, proof } as Reply;
      this.reply(b.from, full);
      return full;
    };
    const again = this.guard.repeated(cmd);
    if (again) return void this.reply(b.from, again as Reply);
    try {
      this.guard.admit(cmd);
    } catch (e) {
      if (e instanceof TrustRefused) {
        // The counter to beat travels with a "replayed" refusal (unsigned: a lie only gets the next command refused again).
        return void answer({ ok: false, code: e.code, message: e.message }, e.code === "replayed" ? { counter: this.guard.counter } : {});
      }
      return void answer({ ok: false, code: "internal", message: `cannot record the command counter: ${(e as Error).message}` });
    }
    let r;
    try {
      r = answer({ ok: true, ...this.handleSigned(cmd) });
    } catch (e) {
      r = answer({ ok: false, ...refusalOf(e) });
    }
    this.guard.remember(cmd, r as Record<string, unknown>);
  }

  private handleSigned(cmd: OpenedCommand): Record<string, unknown> {
    const b = cmd.body;
    const need = <T>(v: T | undefined, what: string): T => {
      if (v === undefined) throw new RequestRefused("bad-request", `"${b.op}" needs ${what}`);
      return v;
    };
    const base = { req: b.req, from: b.from };
    switch (b.op) {
      case "begin": {
        const p = need(b.package, "the package (sha256, size, version, sequence)");
        const module = need(b.module, "module");
        return this.begin({ ...base, op: "begin", session: need(b.session, "session"), window: need(b.window, "window"), package: { module, ...p }, ...(b.delta ? { delta: b.delta } : {}) }, cmd);
      }
      case "abort": return this.handle({ ...base, op: "abort", session: need(b.session, "session") });
      case "rollback": return this.handle({ ...base, op: "rollback", module: need(b.module, "module") });
      case "remove": return this.handle({ ...base, op: "remove", module: need(b.module, "module") });
      case "config": return this.handle({ ...base, op: "config", module: need(b.module, "module"), values: need(b.values, "values") });
      case "revocations": {
        const r = this.guard.updateRevocations(need(b.revocations, "a revocation list"));
        this.publishStatus();
        return { serial: r.serial, replaced: r.replaced };
      }
      default: throw new RequestRefused("unknown-op", `unknown command ${JSON.stringify(b.op)}`);
    }
  }

  private handle(cmd: Command): Record<string, unknown> {
    switch (cmd.op) {
      case "query": {
        const acked = this.receiver.ackedFor(cmd.session);
        if (acked === null) throw new RequestRefused("superseded", `session ${cmd.session} is no longer the device's transfer`);
        return { acked, installing: this.installing?.session === cmd.session };
      }
      case "abort": {
        if (this.receiver.current?.session === cmd.session && !this.installing) this.receiver.discard();
        return {};
      }
      // The module id is checked as a begin's is (and as fwx_ota.c checks it): "__proto__" is bad-request there, not "not installed".
      case "rollback": return { event: this.busyGuard(() => this.manager.rollback(moduleId(cmd.module))) };
      case "remove": return { event: this.busyGuard(() => this.manager.remove(moduleId(cmd.module))) };
      case "config": return { event: this.busyGuard(() => this.manager.setConfig(moduleId(cmd.module), cmd.values)) };
      case "logs": {
        return { lines: this.deviceLog.lines(cmd.module, cmd.limit) };
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

  private begin(cmd: Extract<Command, { op: "begin" }>, signed: OpenedCommand): Record<string, unknown> {
    const request = Buffer.from(signed.digest).toString("hex");
    const scope = signed.body;
    // The package's certificate names its customers (and groups): a package for another customer is refused before any byte is sent.
    if (scope.customers && !allows(scope.customers, this.opts.customer)) throw new RequestRefused("package-scope", `the package is for customers ${scope.customers.join(", ")}; this device belongs to ${this.opts.customer}`);
    if (scope.groups && !allows(scope.groups, this.opts.group)) throw new RequestRefused("package-scope", `the package is for groups ${scope.groups.join(", ")}; this device is in ${this.opts.group}`);
    moduleId(cmd.package.module);
    const last = this.manager.lastInstall;
    if (last && last.package === cmd.package.sha256 && (!this.installing || this.installing.package !== cmd.package.sha256)) {
      // This package was already decided (the tool lost the verdict, e.g. it restarted): report it, while it is still
      // true (verdictStillTrue).
      if (verdictStillTrue(last, this.manager.confirmedSha(cmd.package.module))) return { done: { ...last, request } };
    }
    if (this.manager.trialPackage(cmd.package.module) === cmd.package.sha256) {
      // Transferred and on trial already (e.g. the agent restarted mid-trial): the verdict follows on the event topic, bound to this begin.
      this.manager.bindTrial(cmd.package.module, request);
      if (this.installing?.package === cmd.package.sha256) this.installing.request = request;
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
    const resumeFrom = this.receiver.begin({ session: cmd.session, from: cmd.from, window: cmd.window, transfer, package: cmd.package, request }, Date.now(), scope.preempt === true);
    if (this.installing) {
      this.installing.session = cmd.session;
      this.installing.request = request;
      this.manager.bindTrial(cmd.package.module, request);
    }
    else if (this.receiver.isComplete) setImmediate(() => this.receiver.complete());
    return { resumeFrom };
  }

  private onTransferComplete(meta: PartialMeta, bytes: Uint8Array): void {
    if (this.installing || this.stopped) return;
    this.installing = { session: meta.session, package: meta.package.sha256, request: meta.request ?? null };
    const fail = (reason: string) => {
      this.receiver.discard();
      const e: InstallEvent = { session: meta.session, module: meta.package.module, phase: "failed", ts: Date.now(), reason, package: meta.package.sha256, ...(this.installing?.request ? { request: this.installing.request } : {}) };
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
    this.manager.install(pkg, meta.session, this.installing.request).then(
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

/** A module id from a command (1-64 of a-z 0-9 . _ -, starting with a letter or digit), or a bad-request refusal. */
function moduleId(module: unknown): string {
  if (typeof module !== "string" || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(module)) throw new RequestRefused("bad-request", `module ${JSON.stringify(module)} is not a module id`);
  return module;
}

/** A refusal reply's code and message for an error from a command handler. */
function refusalOf(e: unknown): { code: string; message: string } {
  if (e instanceof RequestRefused || e instanceof TrustRefused) return { code: e.code, message: e.message };
  if (e instanceof ConfigValueError) return { code: "invalid-config", message: e.message };
  return { code: "internal", message: (e as Error)?.message ?? String(e) };
}
