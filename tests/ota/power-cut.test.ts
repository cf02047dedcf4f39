// Power loss during an install, not just process death. The receiver, the
// state store and the install state machine run in this process on a
// simulated disk (src/fs/power-cut.ts) that forgets what was not fsynced. The
// power is cut at every file-system operation of a whole install (transfer,
// slot write, trial, confirm — and, for a module that faults, revert) and at
// every named crash point (src/ota/crash.ts); each cut is rebooted on several
// disks a restart could find (nothing unsynced kept, everything kept, seeded
// mixes with torn writes). After every reboot:
//   - device.json loads, and boot neither fails nor falls back nor abandons;
//   - the module that runs is a verified package: the old confirmed one or
//     the new one, and the new one if its confirmation had been reported;
//   - every chunk acknowledged before the cut is still in the partial file;
// and the install, resumed, ends as it would have without the cut.

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { LOWERED } from "../../src/agent/abi.js";
import { PowerCut, SimulatedDisk, type CutMode } from "../../src/fs/power-cut.js";
import { offeredInterfaces } from "../../src/pkg/index.js";
import { CRASH_POINTS, type CrashHook } from "../../src/ota/crash.js";
import { ModuleManager, type HealthPolicy } from "../../src/ota/install.js";
import type { HostedEvents, HostedModule, HostedSpec, ModuleHost } from "../../src/ota/module-host.js";
import type { InstallEvent, PackageRef } from "../../src/ota/protocol.js";
import { TransferReceiver, type PartialMeta } from "../../src/ota/receiver.js";
import { StateStore } from "../../src/ota/state-store.js";
import { installedFloor } from "../../src/ota/anti-rollback.js";
import { floorFor, makePackage, makeTrust, MODULE, tickerWasm } from "./fixtures.js";

const STATE = "/var/lib/fwx";
const CHUNK = 512;
const SESSION = 7;
const HEALTH: HealthPolicy = { callbacks: 3, seconds: 1, timeoutSeconds: 5, maxTrialBoots: 2 };
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const trust = makeTrust();
const device = { customer: "acme-foods", group: "cold-store-3", deviceClass: "gateway" as const, capabilities: { timers: 2, telemetry: ["acme/#"], kv: 256 }, offeredInterfaces: offeredInterfaces(LOWERED) };
const oldWasm = tickerWasm({ message: "old" });
const newWasm = tickerWasm({ message: "new", padding: 3000 });
const faultyWasm = tickerWasm({ message: "bad", padding: 2000 });
const oldPkg = makePackage(trust, { version: "1.0.0", sequence: 1, wasm: oldWasm });
const newPkg = makePackage(trust, { version: "2.0.0", sequence: 2, wasm: newWasm });
const faultyPkg = makePackage(trust, { version: "2.0.0", sequence: 2, wasm: faultyWasm });
const FAULTY = sha(faultyWasm);

/** Runs modules on a manual clock; a module whose payload is FAULTY faults half a second into its trial. */
class ManualHost implements ModuleHost {
  now = 0;
  private timers: { at: number; fn: () => void; done: boolean }[] = [];
  running: { payload: string; trial: boolean; stopped: boolean }[] = [];
  start(spec: HostedSpec, events: HostedEvents): HostedModule {
    const run = { payload: sha(spec.payload), trial: !spec.restartOnFault, stopped: false };
    this.running.push(run);
    const faulty = run.payload === FAULTY;
    if (faulty && run.trial) this.after(500, () => !run.stopped && events.fault("trap", "unreachable"));
    return {
      state: "running", callbacks: faulty ? 1 : 3, faults: 0, restarts: 0, lastFault: null,
      healthVeto: () => null, promote() {}, stop: () => void (run.stopped = true),
    };
  }
  nowMs(): number { return this.now; }
  after(ms: number, fn: () => void) {
    const t = { at: this.now + ms, fn, done: false };
    this.timers.push(t);
    return { cancel: () => void (t.done = true) };
  }
  advance(ms: number): void {
    this.now += ms;
    for (const t of [...this.timers]) if (!t.done && t.at <= this.now) { t.done = true; t.fn(); }
  }
  close(): void {}
  get live() { return this.running.filter((r) => !r.stopped); }
}

/** One boot of the device on `disk`: the agent's pieces, minus MQTT. */
function device_(disk: SimulatedDisk, crash: CrashHook | null = null) {
  const host = new ManualHost();
  const events: InstallEvent[] = [];
  const store = new StateStore(STATE, crash, disk);
  const manager = new ModuleManager(store, host, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(STATE, disk) }, HEALTH, (e) => events.push(e));
  const acked: number[] = [];
  let completed: { meta: PartialMeta; bytes: Uint8Array } | null = null;
  const receiver = new TransferReceiver(store.partialDir, { ackEvery: 3, ackDelayMs: 60_000, staleMs: 15_000, fs: disk }, crash,
    (a, delivered) => { acked.push(a.offset); delivered?.(); },
    (meta, bytes) => { completed = { meta, bytes }; },
    (_meta, reason) => events.push({ session: SESSION, module: MODULE, phase: "failed", ts: 0, reason }));
  return { host, events, store, manager, receiver, acked, completed: () => completed };
}
type Device = ReturnType<typeof device_>;

const ref = (pkg: Uint8Array, version: string): PackageRef => ({ module: MODULE, version, sequence: 2, size: pkg.length, sha256: sha(pkg) });

/**
 * Flashes `pkg` the way the agent handles a tool's begin and chunks, from boot to verdict.
 * Stops at the first power cut (the disk is then dead). Returns whether the run finished.
 */
async function flash(d: Device, disk: SimulatedDisk, pkg: Uint8Array, booted = false): Promise<boolean> {
  const alive = () => disk.cutAt === null;
  try {
    if (!booted) d.manager.boot();
    const partial = d.receiver.current;
    if (partial && d.manager.hasPackage(partial.package.sha256)) d.receiver.discard();
    if (d.manager.status().some((m) => m.state === "trial")) {
      // Rebooted mid-trial: the trial was restarted; it decides on its own.
      d.host.advance(HEALTH.seconds * 1000 + 1);
      return alive();
    }
    if (d.manager.lastInstall?.package === sha(pkg)) return true; // decided before the cut
    const from = d.receiver.begin({ session: SESSION, from: "tool", window: 8, transfer: { mode: "full", size: pkg.length, sha256: sha(pkg) }, package: ref(pkg, "2.0.0") }, Date.now());
    if (!alive()) return false;
    if (from === pkg.length) d.receiver.complete();
    for (let off = from; off < pkg.length && alive(); off += CHUNK) {
      d.receiver.onChunk({ session: SESSION, offset: off, data: pkg.subarray(off, off + CHUNK) }, Date.now());
    }
    const done = d.completed();
    if (!alive() || !done) return false;
    expect(sha(done.bytes)).toBe(sha(pkg));
    // Handled before the clock moves: a cut inside a timer callback leaves the install's promise rejected.
    const verdict = d.manager.install(done.bytes, SESSION).then(() => true, (e) => { if (e instanceof PowerCut) return false; throw e; });
    d.host.advance(HEALTH.seconds * 1000 + 1);
    if (!(await verdict) || !alive()) return false;
    d.receiver.discard();
    return alive();
  } catch (e) {
    if (e instanceof PowerCut || disk.cutAt !== null) return false;
    throw e;
  } finally {
    try { d.receiver.close(); } catch (e) { if (!(e instanceof PowerCut)) throw e; }
  }
}

/** A disk holding a confirmed `oldPkg`, everything on it durable. */
async function provisioned(): Promise<SimulatedDisk> {
  const disk = new SimulatedDisk();
  disk.provision(STATE);
  const d = device_(disk);
  expect(await flash(d, disk, oldPkg)).toBe(true);
  // Nothing of the first install may depend on unsynced writes.
  const strict = disk.reboot("strict");
  expect(new StateStore(STATE, null, strict).load().modules[MODULE]).toMatchObject({ installedSeq: 1 });
  return strict;
}

const MODES: [CutMode, number][] = [["strict", 1], ["kept", 1], ["random", 1], ["random", 2], ["random", 3]];

interface Outcome { before: Device; disk: SimulatedDisk; label: string }

/** Checks the rebooted device and resumes the install; `expected` is the package that must end up confirmed. */
async function rebootAndCheck(cut: Outcome, pkg: Uint8Array, expectConfirmed: Uint8Array): Promise<void> {
  const confirmedBefore = cut.before.events.some((e) => e.phase === "confirmed");
  const ackedBefore = Math.max(0, ...cut.before.acked);
  for (const [mode, seed] of MODES) {
    const where = `${cut.label}, reboot ${mode}${mode === "random" ? ` #${seed}` : ""}`;
    const disk = cut.disk.reboot(mode, seed);
    const d = device_(disk);
    const state = d.store.load();
    d.manager.boot();
    const bad = d.events.filter((e) => e.phase === "failed" || e.phase === "recovered" || e.phase === "reverted");
    expect(bad, `${where}: boot reported trouble; disk: ${disk.list(STATE).join(", ")}`).toEqual([]);
    const live = d.host.live;
    expect(live.length, `${where}: modules running`).toBe(1);
    expect([sha(oldWasm), sha(newWasm), FAULTY], `${where}: the running payload is a verified package`).toContain(live[0]!.payload);
    const rec = state.modules[MODULE]!;
    if (confirmedBefore) {
      expect(live[0]!.payload, `${where}: the confirmation was reported, then lost`).toBe(sha(newWasm));
      expect(rec.installedSeq, where).toBe(2);
    }
    // The anti-rollback floor (outside the state directory) is never lower than what runs: boot raises it
    // when the cut fell between device.json's confirmation and the floor's own write.
    expect(floorFor(STATE, disk).get(installedFloor(MODULE)), `${where}: anti-rollback floor after boot`).toBe(confirmedBefore || live[0]!.payload === sha(newWasm) && !rec.trial ? 2 : 1);
    // Until the package is in a slot or decided, the partial download is all the device has of it.
    const taken = rec.slots.A?.sha256 === sha(pkg) || rec.slots.B?.sha256 === sha(pkg) || state.lastInstall?.package === sha(pkg);
    if (ackedBefore > 0 && !taken) {
      const p = d.receiver.current;
      expect(p?.acked ?? 0, `${where}: acknowledged bytes lost`).toBeGreaterThanOrEqual(ackedBefore);
      const bytes = disk.readFile(`${STATE}/partial/transfer.bin`).subarray(0, ackedBefore);
      expect(sha(bytes), `${where}: acknowledged bytes changed`).toBe(sha(pkg.subarray(0, ackedBefore)));
    }
    // Resumed (the tool flashing again), the install reaches its verdict.
    expect(await flash(d, disk, pkg, true), `${where}: resumed install`).toBe(true);
    const synced = disk.reboot("strict");
    expect(floorFor(STATE, synced).get(installedFloor(MODULE)), `${where}: anti-rollback floor after the resumed install`).toBe(expectConfirmed === newPkg ? 2 : 1);
    const after = device_(synced);
    after.manager.boot();
    expect(after.host.live.map((r) => r.payload), `${where}: after the resumed install`).toEqual([sha(expectConfirmed === newPkg ? newWasm : oldWasm)]);
    after.receiver.close();
  }
}

async function cutEverywhere(pkg: Uint8Array, expectConfirmed: Uint8Array): Promise<{ operations: number; points: string[] }> {
  const base = await provisioned();
  // A clean run counts the operations an install makes.
  const clean = base.reboot("kept");
  const start = clean.operations;
  expect(await flash(device_(clean), clean, pkg)).toBe(true);
  const operations = clean.operations - start;
  for (let n = 1; n <= operations; n++) {
    const disk = base.reboot("kept");
    disk.cutAtOperation = disk.operations + n;
    const d = device_(disk);
    expect(await flash(d, disk, pkg), `cut at operation ${n} did not happen`).toBe(false);
    await rebootAndCheck({ before: d, disk, label: `cut before ${disk.cutAt}` }, pkg, expectConfirmed);
  }
  // The named crash points (chunk writes: the first, a middle and the last).
  const points: string[] = [];
  const chunks = Math.ceil(pkg.length / CHUNK);
  for (const point of CRASH_POINTS) {
    for (const nth of point === "chunk-written" ? [1, Math.ceil(chunks / 2), chunks] : point === "partial-meta:temp-written" || point === "partial-meta:renamed" || point === "ack-persisted" ? [1, 2] : [1]) {
      const disk = base.reboot("kept");
      let seen = 0;
      const d = device_(disk, (p) => { if (p === point && ++seen === nth) disk.cut(`${p}#${nth}`); });
      const finished = await flash(d, disk, pkg);
      if (finished) continue; // a point this install does not pass (revert points of a healthy module)
      points.push(`${point}#${nth}`);
      await rebootAndCheck({ before: d, disk, label: `cut at ${point}#${nth}` }, pkg, expectConfirmed);
    }
  }
  return { operations, points };
}

describe("power cuts during an install", () => {
  it("a healthy update: every cut reboots into the old or the new module, keeps acknowledged chunks, and resumes to confirmed", async () => {
    const { operations, points } = await cutEverywhere(newPkg, newPkg);
    expect(operations).toBeGreaterThan(40);
    expect(points).toEqual(expect.arrayContaining(["chunk-written#1", "slot:temp-written#1", "trial-state:renamed#1", "confirm-state:temp-written#1", "confirmed#1"]));
  });

  it("an update that faults on trial: every cut, including during the revert, ends with the old module running", async () => {
    const { points } = await cutEverywhere(faultyPkg, oldPkg);
    expect(points).toEqual(expect.arrayContaining(["revert-decided#1", "revert-state:temp-written#1", "revert-state:renamed#1", "reverted#1"]));
  });
});
