// The install state machine of one device: A/B slots per module, trial →
// confirm → automatic revert, and recovery at boot.
//
//   verify ─► write inactive slot ─► device.json: trial ─► start ─► health window
//      │                                                     │            │
//   refused                                         fault / veto / timeout  passed
//                                                            ▼            ▼
//                                   device.json: drop trial, restart old   device.json: confirmed
//
// device.json is replaced atomically at each arrow that changes it, after the
// slot bytes it points to are durable. At boot every slot that is to run is
// re-hashed and re-verified; a trial found at boot is retried once (the
// restart may have been a power cut, not the module's fault) and reverted
// when it is found a second time.

import { PackageError, verifyPackage, readPackageUnverified, type DeviceContext, type VerifiedPackage } from "../pkg/index.js";
import type { Manifest } from "../pkg/manifest.js";
import type { RevocationList } from "../pkg/revocation.js";
import { installedFloor, runnableFloor, type AntiRollbackStore } from "./anti-rollback.js";
import { checkConfigValues, effectiveConfig } from "./config-values.js";
import { ownRecord } from "../fs/own-record.js";
import { ModuleStartError, type HostedModule, type ModuleHost } from "./module-host.js";
import type { PreparedModule } from "../agent/refusal.js";
import type { InstallEvent, ModuleStatus, Verdict } from "./protocol.js";
import { otherSlot, sha256Hex, StateWriteError, type DeviceState, type ModuleRecord, type SlotName, type StateStore } from "./state-store.js";

export interface TrustContext {
  rootPublicKey: Uint8Array;
  device: DeviceContext;
  /** Device wall clock in ms (certificate validity). */
  now(): number;
  /** The revocation list the device keeps (highest serial delivered so far), enforced at install and at boot. */
  revoked?(): RevocationList | null;
  /** The anti-rollback floors, kept outside the state directory (src/ota/anti-rollback.ts). */
  floor: AntiRollbackStore;
}

export interface HealthPolicy {
  /** Completed callbacks (fwx_init included) the trial must reach. */
  callbacks: number;
  /** Device-time seconds the trial must run without a fault. */
  seconds: number;
  /** Give up when `callbacks` are not reached within this many seconds. */
  timeoutSeconds: number;
  /** Times a trial may be started before a restart during it counts as a failure. */
  maxTrialBoots: number;
}

export const DEFAULT_HEALTH: HealthPolicy = { callbacks: 3, seconds: 10, timeoutSeconds: 60, maxTrialBoots: 2 };

/** A request the device refuses for a reason the tool's user can act on. */
export class RequestRefused extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "RequestRefused";
  }
}

interface Live {
  slot: SlotName;
  manifest: Manifest;
  payload: Uint8Array;
  hosted: HostedModule | null;
  /** `request`: SHA-256 (hex) of the signed begin the verdict answers (the agent signs the verdict bound to it). */
  trial: { session: number | null; package: string; request: string | null; settle: (v: InstallEvent) => void; timers: { cancel(): void }[]; startedMs: number } | null;
}

export class ModuleManager {
  private state: DeviceState;
  private readonly live = new Map<string, Live>();
  /** Installs between their start and the start of their trial. */
  private readonly busy = new Set<Promise<void>>();
  private closing = false;

  constructor(
    private readonly store: StateStore,
    private readonly host: ModuleHost,
    private readonly trust: TrustContext,
    private readonly health: HealthPolicy,
    private readonly emit: (e: InstallEvent) => void,
  ) {
    this.state = store.load();
  }

  get lastInstall(): InstallEvent | null {
    return this.state.lastInstall;
  }

  /** The package bytes in a module's confirmed slot (delta base), if intact. */
  confirmedPackage(module: string): { bytes: Uint8Array; sha256: string } | null {
    const rec = this.state.modules[module];
    if (!rec?.confirmed) return null;
    const slotRec = rec.slots[rec.confirmed];
    if (!slotRec) return null;
    const r = this.store.readSlot(module, rec.confirmed, slotRec);
    return "bytes" in r ? { bytes: r.bytes, sha256: slotRec.sha256 } : null;
  }

  /**
   * SHA-256 of the package a module runs from its confirmed slot (no file read), if it does: the slot
   * verified when it was started. What device.json merely records is not enough — the device signs
   * "confirmed" on the strength of this, and a rewritten device.json could name a package that never ran.
   */
  confirmedSha(module: string): string | null {
    const rec = Object.hasOwn(this.state.modules, module) ? this.state.modules[module] : undefined;
    const live = this.live.get(module);
    if (!rec?.confirmed || !live || live.trial || live.slot !== rec.confirmed) return null;
    return rec.slots[rec.confirmed]?.sha256 ?? null;
  }

  /** SHA-256 of the package a module is trialling, if any. */
  trialPackage(module: string): string | null {
    return this.live.get(module)?.trial?.package ?? null;
  }

  /** Whether a package with this hash sits in any slot (an install that got that far). */
  hasPackage(sha256: string): boolean {
    return Object.values(this.state.modules).some((r) => r.slots.A?.sha256 === sha256 || r.slots.B?.sha256 === sha256);
  }

  isOnTrial(module?: string): boolean {
    return [...this.live.entries()].some(([id, l]) => l.trial !== null && (module === undefined || id === module));
  }

  private event(module: string, phase: InstallEvent["phase"], extra: Partial<InstallEvent> = {}): InstallEvent {
    const e: InstallEvent = { session: null, module, phase, ts: Date.now(), ...extra };
    this.emit(e);
    return e;
  }

  /**
   * Re-hashes and re-verifies a slot; the package's own checks, at the instant it was first accepted.
   * A slot on trial must also still be above the anti-rollback floor. The package must be the one
   * its record describes (sequence and version), so an older, validly signed package copied into
   * the state directory, record and all, is not run in place of the one that was installed.
   */
  private loadSlot(module: string, rec: ModuleRecord, slot: SlotName, floor = 0): { verified: VerifiedPackage } | { problem: string } {
    const loaded = this.loadSlotUnchecked(module, rec, slot, floor);
    if (!("verified" in loaded)) return loaded;
    // The floor kept outside the state directory: a state directory rewritten with an older copy of itself
    // (slots, records and all, every package validly signed) is older than it.
    const runnable = this.trust.floor.get(runnableFloor(module));
    const seq = loaded.verified.manifest.sequence;
    if (seq < runnable) {
      return { problem: `slot ${slot} holds ${module} sequence ${seq}, below the anti-rollback floor ${runnable} kept in ${this.trust.floor.description} (the state directory is older than what this device ran; flash sequence ${runnable} or later)` };
    }
    return loaded;
  }

  private loadSlotUnchecked(module: string, rec: ModuleRecord, slot: SlotName, floor: number): { verified: VerifiedPackage } | { problem: string } {
    const slotRec = rec.slots[slot];
    if (!slotRec) return { problem: `slot ${slot} is empty` };
    const r = this.store.readSlot(module, slot, slotRec);
    if ("problem" in r) return r;
    let verified: VerifiedPackage;
    try {
      verified = verifyPackage(r.bytes, { rootPublicKey: this.trust.rootPublicKey, now: slotRec.verifiedAt, device: this.trust.device, ...this.revocations(), ...(floor > 0 ? { installedSeq: floor } : {}) });
    } catch (e) {
      if (e instanceof PackageError) return { problem: `slot ${slot} no longer verifies: ${e.message}` };
      throw e;
    }
    const m = verified.manifest;
    if (m.id !== module || m.sequence !== slotRec.sequence || m.version !== slotRec.version) {
      return { problem: `slot ${slot} holds ${m.id} ${m.version} (sequence ${m.sequence}), but ${module} ${slotRec.version} (sequence ${slotRec.sequence}) was installed there` };
    }
    return { verified };
  }

  private revocations(): { revoked?: RevocationList } {
    const list = this.trust.revoked?.() ?? null;
    return list ? { revoked: list } : {};
  }

  /**
   * The anti-rollback floor for a new package of a module: its highest
   * confirmed sequence, kept in the anti-rollback store, which `remove` does
   * not touch (a removed module's floor lets the same sequence back in, never
   * an older one).
   */
  private floor(module: string): number {
    const rec = Object.hasOwn(this.state.modules, module) ? this.state.modules[module] : undefined;
    const kept = this.trust.floor.get(installedFloor(module));
    return Math.max(rec?.installedSeq ?? 0, kept > 0 ? kept - 1 : 0);
  }

  /**
   * Raises a module's floors for its confirmed package: nothing below it may be
   * installed, and nothing below the rollback target kept in the other slot may
   * run. Called at confirmation and at boot (where it repairs a power cut
   * between device.json's confirmation and this write): the sequence comes from
   * a package that verified, and the other slot's recorded sequence can only
   * lower the runnable floor to at most that, so a rewritten state directory
   * can never push a floor above a validly signed package.
   */
  private raiseFloors(module: string, rec: ModuleRecord, confirmedSlot: SlotName, confirmedSeq: number): void {
    const other = rec.slots[otherSlot(confirmedSlot)];
    this.trust.floor.raise({
      [installedFloor(module)]: confirmedSeq,
      [runnableFloor(module)]: Math.min(confirmedSeq, other?.sequence ?? confirmedSeq),
    });
  }

  /** Binds the verdict of a module's trial to a new signed begin (a tool that reconnected asks again). */
  bindTrial(module: string, request: string): void {
    const t = this.live.get(module)?.trial;
    if (t) t.request = request;
    const rec = Object.hasOwn(this.state.modules, module) ? this.state.modules[module] : undefined;
    if (t && rec?.trial) rec.trial.request = request; // saved with the next state write
  }

  private config(module: string, manifest: Manifest): Map<string, string> {
    return effectiveConfig(manifest.config, this.state.modules[module]?.config ?? {});
  }

  private startHosted(module: string, slot: SlotName, v: VerifiedPackage, trial: boolean, onFault: (why: string) => void, prepared?: PreparedModule): HostedModule {
    return this.host.start(
      {
        id: module, payload: v.payload, manifest: v.manifest, config: this.config(module, v.manifest),
        source: `${module} slot ${slot} (${v.manifest.version})`, restartOnFault: !trial, slot,
        ...(prepared ? { prepared } : {}),
      },
      { callback: () => this.onCallback(module), fault: (reason, detail) => onFault(`${reason}: ${detail}`) },
    );
  }

  /** Starts every installed module after a restart; finishes or reverts interrupted trials. */
  boot(): void {
    let changed = false;
    /** Modules whose only package failed its trial: their files go once the state no longer names them. */
    const abandoned: string[] = [];
    for (const [id, rec] of Object.entries(this.state.modules)) {
      if (rec.trial) {
        rec.trial.boots++;
        const trial = rec.trial;
        const load = trial.boots > this.health.maxTrialBoots ? { problem: `the agent restarted ${trial.boots - 1} times during the trial` } : this.loadSlot(id, rec, trial.slot, this.floor(id));
        if ("verified" in load) {
          this.store.save(this.state, "state");
          this.beginTrial(id, trial.slot, load.verified, trial.session, undefined, undefined, trial.request ?? null);
          continue;
        }
        // Read before the slot is cleared: a tool that flashes this package again must find it decided.
        const pkg = rec.slots[trial.slot]?.sha256 ?? "";
        rec.trial = null;
        rec.slots[trial.slot] = null;
        const verdict = this.event(id, "reverted", { session: trial.session, package: pkg, reason: `trial of slot ${trial.slot} abandoned at boot: ${load.problem}`, ...(trial.request ? { request: trial.request } : {}) });
        this.state.lastInstall = verdict;
        changed = true;
        if (!rec.confirmed) {
          // As after a revert at run time: a first install that never confirmed leaves no module behind.
          delete this.state.modules[id];
          abandoned.push(id);
        }
      }
      if (!rec.confirmed) continue;
      let slot = rec.confirmed;
      let load = this.loadSlot(id, rec, slot);
      if ("problem" in load) {
        // The confirmed slot is damaged on disk: the other slot held the previously confirmed package.
        const fallback = this.loadSlot(id, rec, otherSlot(slot));
        if (!("verified" in fallback)) {
          this.event(id, "failed", { reason: `cannot start: ${load.problem}; other slot: ${fallback.problem}` });
          continue;
        }
        this.event(id, "recovered", { reason: `${load.problem}; running slot ${otherSlot(slot)} instead` });
        slot = otherSlot(slot);
        rec.confirmed = slot;
        changed = true;
        load = fallback;
      }
      this.raiseFloors(id, rec, slot, load.verified.manifest.sequence);
      this.runConfirmed(id, slot, load.verified);
    }
    if (changed) this.store.save(this.state, "state");
    for (const id of abandoned) this.store.removeModuleFiles(id);
  }

  private runConfirmed(module: string, slot: SlotName, v: VerifiedPackage): void {
    const live: Live = { slot, manifest: v.manifest, payload: v.payload, hosted: null, trial: null };
    this.live.set(module, live);
    try {
      live.hosted = this.startHosted(module, slot, v, false, () => {});
    } catch (e) {
      if (!(e instanceof ModuleStartError)) throw e;
      this.event(module, "failed", { reason: `slot ${slot} cannot start: ${e.message}` });
    }
  }

  private onCallback(module: string): void {
    this.live.get(module)?.trial && this.checkHealth(module);
  }

  /**
   * Verifies, prepares, writes and trials a package; resolves with the verdict
   * event. While it runs up to the start of the trial, shutdown() waits for it.
   */
  install(bytes: Uint8Array, session: number | null, request: string | null = null): Promise<InstallEvent> {
    if (this.closing) return Promise.reject(new RequestRefused("shutting-down", "the device agent is shutting down; flash again once it is back"));
    const work = this.installSteps(bytes, session, request);
    // Until the trial has started (the verdict may come much later), an install holds shutdown off.
    const critical = work.started.then(() => {}, () => {});
    this.busy.add(critical);
    void critical.then(() => this.busy.delete(critical));
    return work.verdict;
  }

  private installSteps(bytes: Uint8Array, session: number | null, request: string | null): { started: Promise<unknown>; verdict: Promise<InstallEvent> } {
    let markStarted!: () => void;
    const started = new Promise<void>((r) => (markStarted = r));
    const verdict = this.installAsync(bytes, session, request, markStarted).finally(markStarted);
    return { started, verdict };
  }

  private async installAsync(bytes: Uint8Array, session: number | null, request: string | null, trialStarted: () => void): Promise<InstallEvent> {
    let id = "?";
    const pkg = sha256Hex(bytes);
    let verified: VerifiedPackage;
    try {
      const peek = readPackageUnverified(bytes);
      if ("error" in peek.manifest) throw new PackageError("FWX_PKG_E_MANIFEST", peek.manifest.error);
      id = peek.manifest.id;
      if (this.isOnTrial(id)) throw new RequestRefused("busy", `module ${id} is on trial; wait for its verdict`);
      const floor = this.floor(id);
      verified = verifyPackage(bytes, {
        rootPublicKey: this.trust.rootPublicKey, now: this.trust.now(), device: this.trust.device, ...this.revocations(),
        ...(floor > 0 ? { installedSeq: floor } : {}),
      });
    } catch (e) {
      if (e instanceof PackageError || e instanceof RequestRefused) return Promise.resolve(this.finish(id, "refused", session, { reason: e.message, code: e.code, package: pkg, ...(request ? { request } : {}) }));
      throw e;
    }
    this.store.hit("package-verified");
    const m = verified.manifest;
    const tag = { session, version: m.version, sequence: m.sequence, package: pkg, ...(request ? { request } : {}) };
    this.event(id, "verified", tag);
    // Prepared before anything is written: a module the device refuses (limits,
    // validation, the preparation time limit) never takes a slot.
    let prepared: PreparedModule | undefined;
    if (this.host.prepare) {
      try {
        prepared = await this.host.prepare({ id, payload: verified.payload, manifest: m, config: this.config(id, m), source: `${id} (${m.version})`, restartOnFault: false });
      } catch (e) {
        if (!(e instanceof ModuleStartError)) throw e;
        return this.finish(id, "refused", session, { reason: `module refused (${e.step}): ${e.message}`, code: `module-${e.step}`, package: pkg, ...(request ? { request } : {}) });
      }
      if (this.closing) return this.finish(id, "refused", session, { reason: "the device agent shut down while the module was being prepared; flash again", code: "shutting-down", package: pkg, ...(request ? { request } : {}) });
      if (this.isOnTrial(id)) return this.finish(id, "refused", session, { reason: `module ${id} went on trial meanwhile; wait for its verdict`, code: "busy", package: pkg, ...(request ? { request } : {}) });
    }
    const existed = Object.hasOwn(this.state.modules, id);
    const rec: ModuleRecord = this.state.modules[id] ?? { slots: { A: null, B: null }, confirmed: null, trial: null, installedSeq: 0, config: ownRecord<string>() };
    const target: SlotName = rec.confirmed ? otherSlot(rec.confirmed) : "A";
    this.store.writeSlot(id, target, bytes);
    this.event(id, "written", { ...tag, reason: `slot ${target}` });
    const previousSlot = rec.slots[target];
    rec.slots[target] = { sha256: pkg, size: bytes.length, version: m.version, sequence: m.sequence, verifiedAt: this.trust.now() };
    rec.trial = { slot: target, session, boots: 1, request };
    this.state.modules[id] = rec;
    try {
      this.store.save(this.state, "trial-state");
    } catch (e) {
      // device.json still describes what runs: so does the memory (the install fails with the reason).
      if (e instanceof StateWriteError) {
        rec.slots[target] = previousSlot;
        rec.trial = null;
        if (!existed) delete this.state.modules[id];
      }
      throw e;
    }
    this.store.hit("trial-committed");
    return this.beginTrial(id, target, verified, session, prepared, trialStarted, request);
  }

  private beginTrial(module: string, slot: SlotName, v: VerifiedPackage, session: number | null, prepared?: PreparedModule, trialStarted?: () => void, request: string | null = null): Promise<InstallEvent> {
    return new Promise((settle) => {
      const previous = this.live.get(module);
      previous?.hosted?.stop(`replaced by slot ${slot} (${v.manifest.version}) on trial`);
      const pkg = this.state.modules[module]?.slots[slot]?.sha256 ?? "";
      const live: Live = { slot, manifest: v.manifest, payload: v.payload, hosted: null, trial: { session, package: pkg, request, settle, timers: [], startedMs: this.host.nowMs() } };
      this.live.set(module, live);
      this.event(module, "trial", { session, package: pkg, version: v.manifest.version, sequence: v.manifest.sequence, reason: `slot ${slot}: ${this.health.callbacks} callbacks and ${this.health.seconds} s without a fault to confirm` });
      try {
        live.hosted = this.startHosted(module, slot, v, true, (why) => this.revert(module, `faulted during trial: ${why}`), prepared);
      } catch (e) {
        if (!(e instanceof ModuleStartError)) throw e;
        this.revert(module, `could not start: ${e.message}`);
        return;
      } finally {
        trialStarted?.();
      }
      this.store.hit("trial-started");
      if (!live.trial) return; // fwx_init already faulted and the trial was reverted
      live.trial.timers.push(this.host.after(this.health.seconds * 1000, () => this.checkHealth(module)));
      live.trial.timers.push(this.host.after(this.health.timeoutSeconds * 1000, () => {
        const l = this.live.get(module);
        if (l?.trial) this.revert(module, `only ${l.hosted?.callbacks ?? 0} of ${this.health.callbacks} callbacks within ${this.health.timeoutSeconds} s`);
      }));
      this.checkHealth(module);
    });
  }

  private checkHealth(module: string): void {
    const live = this.live.get(module);
    if (!live?.trial || !live.hosted) return;
    if (live.hosted.callbacks < this.health.callbacks) return;
    if (this.host.nowMs() - live.trial.startedMs < this.health.seconds * 1000) return;
    const veto = live.hosted.healthVeto();
    if (veto) return this.revert(module, veto);
    this.store.hit("health-passed");
    const rec = this.state.modules[module]!;
    const trial = live.trial;
    const verdict: InstallEvent = { session: trial.session, module, phase: "confirmed", ts: Date.now(), package: trial.package, version: live.manifest.version, sequence: live.manifest.sequence, reason: `${live.hosted.callbacks} callbacks, no fault, in slot ${live.slot}`, ...(trial.request ? { request: trial.request } : {}) };
    const before = { confirmed: rec.confirmed, trial: rec.trial, installedSeq: rec.installedSeq, lastInstall: this.state.lastInstall };
    rec.confirmed = live.slot;
    rec.trial = null;
    rec.installedSeq = Math.max(rec.installedSeq, live.manifest.sequence);
    this.state.lastInstall = verdict;
    try {
      this.store.save(this.state, "confirm-state");
    } catch (e) {
      if (!(e instanceof StateWriteError)) throw e;
      // Not confirmed, since device.json cannot say so (disk full, I/O error): the previous slot runs again, and
      // the agent carries on. device.json still holds the trial, which the next start retries once.
      Object.assign(rec, { confirmed: before.confirmed, trial: before.trial, installedSeq: before.installedSeq });
      this.state.lastInstall = before.lastInstall;
      return this.revert(module, `passed its health window, but the confirmation could not be recorded: ${e.message}`);
    }
    for (const t of trial.timers) t.cancel();
    live.trial = null;
    this.raiseFloors(module, rec, live.slot, live.manifest.sequence);
    this.store.hit("confirmed");
    live.hosted.promote();
    this.emit(verdict);
    trial.settle(verdict);
  }

  private revert(module: string, reason: string): void {
    const live = this.live.get(module);
    if (!live?.trial) return;
    this.store.hit("revert-decided");
    const trial = live.trial;
    for (const t of trial.timers) t.cancel();
    live.trial = null;
    live.hosted?.stop("trial failed");
    const rec = this.state.modules[module]!;
    rec.trial = null;
    // The failed package overwrote the version before the confirmed one: nothing to roll back to there.
    rec.slots[live.slot] = null;
    const verdict: InstallEvent = { session: trial.session, module, phase: "reverted", ts: Date.now(), package: trial.package, version: live.manifest.version, sequence: live.manifest.sequence, reason, ...(trial.request ? { request: trial.request } : {}) };
    this.state.lastInstall = verdict;
    if (!rec.confirmed) delete this.state.modules[module];
    let recorded = true;
    try {
      this.store.save(this.state, "revert-state");
    } catch (e) {
      if (!(e instanceof StateWriteError)) throw e;
      // Reverted all the same (the previous slot is the safe one to run); device.json still holds the trial,
      // which the next start retries once or abandons, so its files stay.
      recorded = false;
      verdict.reason = `${reason} (the revert could not be recorded: ${e.message}; the next start retries the trial once)`;
    }
    this.store.hit("reverted");
    this.live.delete(module);
    if (rec.confirmed) {
      const load = this.loadSlot(module, rec, rec.confirmed);
      if ("verified" in load) this.runConfirmed(module, rec.confirmed, load.verified);
      else this.event(module, "failed", { reason: `previous slot ${rec.confirmed} cannot run: ${load.problem}` });
    } else if (recorded) this.store.removeModuleFiles(module);
    this.emit(verdict);
    trial.settle(verdict);
  }

  private finish(module: string, phase: Verdict, session: number | null, extra: Partial<InstallEvent>): InstallEvent {
    const e: InstallEvent = { session, module, phase, ts: Date.now(), ...extra };
    this.state.lastInstall = e;
    try {
      this.store.save(this.state, "state");
    } catch (err) {
      // The verdict stands (nothing was installed); only its record for a repeated begin is not on disk.
      if (!(err instanceof StateWriteError)) throw err;
    }
    this.emit(e);
    return e;
  }

  /** Saves device.json for a command; when it cannot be written, undoes the change in memory and refuses the command ("storage"), naming the file. */
  private saveOrRefuse(undo: () => void): void {
    try {
      this.store.save(this.state, "state");
    } catch (e) {
      if (!(e instanceof StateWriteError)) throw e;
      undo();
      throw new RequestRefused("storage", `nothing changed: ${e.message}`);
    }
  }

  private requireIdle(module: string): ModuleRecord {
    // `module` comes off the broker: "constructor" or "__proto__" must not find Object's own properties.
    const rec = Object.hasOwn(this.state.modules, module) ? this.state.modules[module] : undefined;
    if (!rec) throw new RequestRefused("not-found", `module ${module} is not installed (installed: ${Object.keys(this.state.modules).join(", ") || "none"})`);
    if (this.isOnTrial(module)) throw new RequestRefused("busy", `module ${module} is on trial; wait for its verdict`);
    return rec;
  }

  /** Makes the other slot (the previously confirmed package) the confirmed one and runs it. */
  rollback(module: string): InstallEvent {
    const rec = this.requireIdle(module);
    if (!rec.confirmed) throw new RequestRefused("no-previous", `module ${module} has no confirmed slot`);
    const to = otherSlot(rec.confirmed);
    if (!rec.slots[to]) throw new RequestRefused("no-previous", `module ${module} has nothing in slot ${to} to roll back to`);
    const load = this.loadSlot(module, rec, to);
    if ("problem" in load) throw new RequestRefused("slot-damaged", `cannot roll back ${module}: ${load.problem}`);
    const from = rec.confirmed;
    const lastInstall = this.state.lastInstall;
    rec.confirmed = to;
    // The last verdict no longer describes what runs: flashing its package again must install it, not replay it.
    this.state.lastInstall = null;
    // Recorded before the module is touched: a device that cannot record the rollback keeps running what it ran.
    this.saveOrRefuse(() => { rec.confirmed = from; this.state.lastInstall = lastInstall; });
    this.live.get(module)?.hosted?.stop(`rolled back to slot ${to}`);
    this.runConfirmed(module, to, load.verified);
    return this.event(module, "rolled-back", { version: load.verified.manifest.version, sequence: load.verified.manifest.sequence, reason: `slot ${from} → slot ${to}` });
  }

  remove(module: string): InstallEvent {
    const rec = this.requireIdle(module);
    const lastInstall = this.state.lastInstall;
    // The anti-rollback floors (the store, not device.json) outlive the module: remove, then an older signed package, is still a downgrade.
    delete this.state.modules[module];
    this.state.lastInstall = null;
    this.saveOrRefuse(() => { this.state.modules[module] = rec; this.state.lastInstall = lastInstall; });
    this.live.get(module)?.hosted?.stop("removed");
    this.live.delete(module);
    this.store.removeModuleFiles(module);
    return this.event(module, "removed");
  }

  /** Checks values against the running package's manifest, persists them and restarts the module with them. */
  setConfig(module: string, values: Record<string, string>): InstallEvent {
    const rec = this.requireIdle(module);
    const live = this.live.get(module);
    if (!live) throw new RequestRefused("not-running", `module ${module} has no runnable slot`);
    const checked = checkConfigValues(module, live.manifest.config, values);
    const config = rec.config;
    rec.config = ownRecord({ ...rec.config, ...checked });
    this.saveOrRefuse(() => { rec.config = config; });
    live.hosted?.stop("config changed");
    const load = this.loadSlot(module, rec, live.slot);
    if ("problem" in load) throw new RequestRefused("slot-damaged", load.problem);
    this.runConfirmed(module, live.slot, load.verified);
    return this.event(module, "reconfigured", { reason: Object.entries(checked).map(([k, v]) => `${k}=${v}`).join(", ") });
  }

  status(): ModuleStatus[] {
    return Object.entries(this.state.modules).map(([id, rec]) => {
      const live = this.live.get(id);
      const h = live?.hosted;
      const slot = (s: SlotName) => {
        const r = rec.slots[s];
        return r ? { version: r.version, sequence: r.sequence, sha256: r.sha256, size: r.size } : null;
      };
      const hostedState = h?.state ?? "stopped";
      return {
        id,
        active: live?.slot ?? null,
        state: live?.trial ? "trial" : hostedState === "running" || hostedState === "backoff" ? "confirmed" : hostedState === "quarantined" ? "quarantined" : hostedState === "faulted" ? "faulted" : "stopped",
        version: live?.manifest.version ?? null,
        sequence: live?.manifest.sequence ?? null,
        slots: { A: slot("A"), B: slot("B") },
        confirmed: rec.confirmed,
        installedSeq: rec.installedSeq,
        health: { callbacks: h?.callbacks ?? 0, faults: h?.faults ?? 0, restarts: h?.restarts ?? 0, lastFault: h?.lastFault ?? null },
        config: Object.fromEntries(live ? this.config(id, live.manifest) : Object.entries(rec.config)),
      };
    });
  }

  /** Refuses new installs, waits for one in progress to reach its trial (or its refusal), then stops every module. */
  async shutdown(): Promise<void> {
    this.closing = true;
    while (this.busy.size) await Promise.all([...this.busy]);
    for (const l of this.live.values()) {
      for (const t of l.trial?.timers ?? []) t.cancel();
      l.hosted?.stop("agent shutting down");
    }
    this.live.clear();
  }
}
