// Integrity checks that an audit found untested. Each test here was run
// against the bug it names, injected by hand, and failed. The checks:
//   - the payload hash compared in full (a hash differing in its LAST byte);
//   - scope names compared whole (acme vs acme-foods, line-1 vs line-10);
//   - the received image hashed against the announced SHA-256;
//   - slots re-hashed at boot, and a slot's package matching its record
//     (an older, validly signed package copied over a slot file);
//   - the health window: callbacks AND seconds, and a timeout;
//   - transfer bounds: a chunk past the end, an oversized transfer, a delta
//     that rebuilds to other bytes than announced.

import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOWERED } from "../../src/agent/abi.js";
import { offeredInterfaces } from "../../src/pkg/index.js";
import { PackageError } from "../../src/pkg/errors.js";
import { verifyPackage } from "../../src/pkg/verify.js";
import { assemblePackage, splitPackage } from "../../src/pkg/format.js";
import { decodeManifest, encodeManifest } from "../../src/pkg/manifest.js";
import { startBroker, type RunningBroker } from "../../src/ota/broker.js";
import { encodeDelta } from "../../src/ota/delta.js";
import { flash } from "../../src/ota/flasher.js";
import { ModuleManager, type HealthPolicy } from "../../src/ota/install.js";
import { encodeChunk, topicsFor, type InstallEvent, type PackageRef } from "../../src/ota/protocol.js";
import { MAX_TRANSFER_BYTES, TransferReceiver } from "../../src/ota/receiver.js";
import { DeviceRefused, ToolConnection, type SignedRequest } from "../../src/ota/rpc.js";
import { startSimDevice } from "../../src/ota/sim-device.js";
import { StateFileError, StateStore } from "../../src/ota/state-store.js";
import { defaultAntiRollbackPath, installedFloor, runnableFloor } from "../../src/ota/anti-rollback.js";
import { deviceCtx, makeFixture, pack } from "../pkg/fixtures.js";
import { ManualHost } from "./manual-host.js";
import { CUSTOMER, GROUP, MODULE, floorFor, makePackage, makeTrust, tempDir, tickerWasm } from "./fixtures.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const trust = makeTrust();
const device = { customer: CUSTOMER, group: GROUP, deviceClass: "gateway" as const, capabilities: { timers: 2, telemetry: ["acme/#"], kv: 256 }, offeredInterfaces: offeredInterfaces(LOWERED) };

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return "ok";
  } catch (e) {
    if (e instanceof PackageError) return e.code;
    throw e;
  }
}

describe("package verification compares whole values", () => {
  const f = makeFixture();
  const ctx = deviceCtx(f);

  it("a payload hash that differs only in its last byte is refused (by verifyPackage and by an install)", async () => {
    expect(codeOf(() => verifyPackage(pack(f), ctx))).toBe("ok");
    const last = Uint8Array.from(f.manifest.payload.sha256);
    last[31]! ^= 1;
    expect(codeOf(() => verifyPackage(pack(f, { ...f.manifest, payload: { ...f.manifest.payload, sha256: last } }), ctx))).toBe("FWX_PKG_E_HASH");

    // The same on a device: a package whose manifest hash is off in its last byte is refused at install.
    const good = makePackage(trust, { version: "1.0.0", sequence: 1 });
    const dir = tempDir("hash");
    try {
      const events: InstallEvent[] = [];
      const m = new ModuleManager(new StateStore(dir.path, null), new ManualHost(), { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, (e) => events.push(e));
      const bad = repackWithHash(good, (h) => { h[31]! ^= 1; });
      const v = await m.install(bad, 1);
      expect(v).toMatchObject({ phase: "refused", code: "FWX_PKG_E_HASH" });
      expect(m.status()).toEqual([]);
    } finally {
      dir.cleanup();
    }
  });

  it("customer and group names are compared whole: prefixes of each other do not match", () => {
    const cases: [Partial<{ customers: string[]; groups: string[] }>, { customer?: string; group?: string }, string][] = [
      [{ customers: ["acme"] }, { customer: "acme-foods" }, "FWX_PKG_E_SCOPE_CUSTOMER"],
      [{ customers: ["acme-foods"] }, { customer: "acme" }, "FWX_PKG_E_SCOPE_CUSTOMER"],
      [{ groups: ["line-1"] }, { group: "line-10" }, "FWX_PKG_E_SCOPE_GROUP"],
      [{ groups: ["line-10"] }, { group: "line-1" }, "FWX_PKG_E_SCOPE_GROUP"],
      [{ customers: ["acme"] }, { customer: "acme" }, "ok"],
      [{ groups: ["line-1"] }, { group: "line-1" }, "ok"],
    ];
    for (const [cert, dev, code] of cases) {
      const g = makeFixture({ cert: { customers: ["customer-a"], ...cert } });
      expect(codeOf(() => verifyPackage(pack(g), deviceCtx(g, {}, { customer: "customer-a", group: "line-1", ...dev }))), `${JSON.stringify(cert)} on ${JSON.stringify(dev)}`).toBe(code);
    }
  });
});

/** The package re-signed with its manifest's payload hash changed by `mutate` (so only the hash comparison can catch it). */
function repackWithHash(pkgBytes: Uint8Array, mutate: (h: Uint8Array) => void): Uint8Array {
  const raw = splitPackage(pkgBytes);
  const manifest = decodeManifest(raw.manifestBytes);
  const h = Uint8Array.from(manifest.payload.sha256);
  mutate(h);
  return assemblePackage(encodeManifest({ ...manifest, payload: { ...manifest.payload, sha256: h } }), raw.payload, raw.certificateBytes, trust.integratorKey);
}

// --- the install state machine on a manual clock ---------------------------------------------

const HEALTH: HealthPolicy = { callbacks: 3, seconds: 1, timeoutSeconds: 5, maxTrialBoots: 2 };

describe("slots at boot", () => {
  it("an older, validly signed package copied over the confirmed slot file never runs (offline rollback)", async () => {
    const dir = tempDir("slotswap");
    try {
      const wasm = [1, 2, 3].map((n) => tickerWasm({ message: `v${n}` }));
      const pkgs = wasm.map((w, i) => makePackage(trust, { version: `${i + 1}.0.0`, sequence: i + 1, wasm: w }));
      const host = new ManualHost();
      const m = new ModuleManager(new StateStore(dir.path, null), host, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, () => {});
      for (const p of pkgs) {
        const v = m.install(p, 1);
        host.advance(HEALTH.seconds * 1000 + 1);
        expect(await v).toMatchObject({ phase: "confirmed" });
      }
      // v3 is confirmed in slot A, v2 kept in slot B, the floor is 3.
      expect(m.status()[0]).toMatchObject({ confirmed: "A", installedSeq: 3, slots: { A: { version: "3.0.0" }, B: { version: "2.0.0" } } });
      // Whoever can write the state directory copies v1 (validly signed, sequence 1) over slot A.
      writeFileSync(join(dir.path, "slots", MODULE, "A.fwx"), pkgs[0]!);
      const events: InstallEvent[] = [];
      const host2 = new ManualHost();
      const m2 = new ModuleManager(new StateStore(dir.path, null), host2, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, (e) => events.push(e));
      m2.boot();
      expect(host2.running()).not.toContain(sha(wasm[0]!));
      expect(host2.running()).toEqual([sha(wasm[1]!)]);
      expect(events).toMatchObject([{ phase: "recovered", reason: expect.stringMatching(/slots\/com\.acme\.ticker\/A\.fwx: SHA-256 .* does not match the recorded/) }]);

      // Also with device.json's record of slot A rewritten to the planted file's hash: the package's own sequence must match the record.
      const state = JSON.parse(readFileSync(join(dir.path, "device.json"), "utf8"));
      state.modules[MODULE].confirmed = "A";
      state.modules[MODULE].slots.A.sha256 = sha(pkgs[0]!);
      state.modules[MODULE].slots.A.size = pkgs[0]!.length;
      writeFileSync(join(dir.path, "device.json"), JSON.stringify(state));
      const events3: InstallEvent[] = [];
      const host3 = new ManualHost();
      new ModuleManager(new StateStore(dir.path, null), host3, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, (e) => events3.push(e)).boot();
      expect(host3.running()).toEqual([sha(wasm[1]!)]);
      expect(events3).toMatchObject([{ phase: "recovered", reason: expect.stringMatching(/sequence 1.*3/) }]);
    } finally {
      dir.cleanup();
    }
  });
});

describe("anti-rollback against whoever can write the state directory", () => {
  // The floors live in the anti-rollback store, outside the state directory: restoring an older copy of the
  // whole directory (slot files, device.json and all, every package validly signed) does not lower them.
  it("a state directory rewritten with an older copy of itself is refused at boot, naming module, slot sequence and floor", async () => {
    const dir = tempDir("staterestore");
    const copy = tempDir("statecopy");
    try {
      const wasm = [1, 2, 3].map((n) => tickerWasm({ message: `v${n}` }));
      const pkgs = wasm.map((w, i) => makePackage(trust, { version: `${i + 1}.0.0`, sequence: i + 1, wasm: w }));
      const boot = (events: InstallEvent[] = []) => {
        const host = new ManualHost();
        const m = new ModuleManager(new StateStore(dir.path, null), host, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, (e) => events.push(e));
        m.boot();
        return { m, host, events };
      };
      const installAll = async (d: { m: ModuleManager; host: ManualHost }, list: Uint8Array[]) => {
        for (const p of list) {
          const v = d.m.install(p, 1);
          d.host.advance(HEALTH.seconds * 1000 + 1);
          expect(await v).toMatchObject({ phase: "confirmed" });
        }
      };
      const d1 = boot();
      await installAll(d1, [pkgs[0]!]);
      cpSync(dir.path, copy.path, { recursive: true }); // v1 confirmed: the old copy
      await installAll(d1, [pkgs[1]!, pkgs[2]!]);
      // v3 confirmed, v2 kept in the other slot as the rollback target: the floor for running is 2, for installing 3.
      const floor = floorFor(dir.path);
      expect([floor.get(installedFloor(MODULE)), floor.get(runnableFloor(MODULE))]).toEqual([3, 2]);

      // Whoever can write the state directory puts the old copy back, whole.
      rmSync(dir.path, { recursive: true });
      cpSync(copy.path, dir.path, { recursive: true });
      const d2 = boot();
      expect(d2.host.running()).toEqual([]);
      expect(d2.events).toMatchObject([{ phase: "failed", module: MODULE, reason: expect.stringMatching(new RegExp(`slot A holds ${MODULE.replace(/\./g, "\\.")} sequence 1, below the anti-rollback floor 2 kept in file .*anti-rollback\\.json`)) }]);
      // Nor can v1 or v2 be installed again in it; v3 (the highest confirmed) can.
      expect(await d2.m.install(pkgs[0]!, 2)).toMatchObject({ phase: "refused", code: "FWX_PKG_E_ROLLBACK" });
      expect(await d2.m.install(pkgs[1]!, 3)).toMatchObject({ phase: "refused", code: "FWX_PKG_E_ROLLBACK" });
      await installAll(d2, [pkgs[2]!]);
      expect(d2.host.running()).toEqual([sha(wasm[2]!)]);
      expect(floorFor(dir.path).get(runnableFloor(MODULE))).toBe(2); // never lowered, also not by the v1 record
    } finally {
      dir.cleanup();
      copy.cleanup();
    }
  });

  it("a signed rollback to the other slot still runs after a restart; remove keeps the floors; the store only rises", async () => {
    const dir = tempDir("rollbackfloor");
    try {
      const wasm = [1, 2].map((n) => tickerWasm({ message: `v${n}` }));
      const pkgs = wasm.map((w, i) => makePackage(trust, { version: `${i + 1}.0.0`, sequence: i + 1, wasm: w }));
      const host = new ManualHost();
      const m = new ModuleManager(new StateStore(dir.path, null), host, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, () => {});
      for (const p of pkgs) {
        const v = m.install(p, 1);
        host.advance(HEALTH.seconds * 1000 + 1);
        expect(await v).toMatchObject({ phase: "confirmed" });
      }
      m.rollback(MODULE);
      const events: InstallEvent[] = [];
      const host2 = new ManualHost();
      const m2 = new ModuleManager(new StateStore(dir.path, null), host2, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, (e) => events.push(e));
      m2.boot();
      expect(events).toEqual([]);
      expect(host2.running()).toEqual([sha(wasm[0]!)]);
      m2.remove(MODULE);
      // Removed, and even with the state directory emptied: v1 is below the floor, v2 may come back.
      rmSync(dir.path, { recursive: true });
      const m3 = new ModuleManager(new StateStore(dir.path, null), new ManualHost(), { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, () => {});
      m3.boot();
      expect(await m3.install(pkgs[0]!, 2)).toMatchObject({ phase: "refused", code: "FWX_PKG_E_ROLLBACK" });
      const store = floorFor(dir.path);
      store.raise({ [installedFloor(MODULE)]: 1, [runnableFloor(MODULE)]: 0 });
      expect([store.get(installedFloor(MODULE)), store.get(runnableFloor(MODULE))]).toEqual([2, 1]);
      expect([floorFor(dir.path).get(installedFloor(MODULE)), floorFor(dir.path).get(runnableFloor(MODULE))]).toEqual([2, 1]);
    } finally {
      dir.cleanup();
    }
  });

  it("a confirmed package that device.json names but the device does not run is not reported as confirmed", async () => {
    const dir = tempDir("plantedconfirm");
    try {
      const pkgs = [1, 2].map((n) => makePackage(trust, { version: `${n}.0.0`, sequence: n, wasm: tickerWasm({ message: `v${n}` }) }));
      const host = new ManualHost();
      const m = new ModuleManager(new StateStore(dir.path, null), host, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, () => {});
      const v = m.install(pkgs[0]!, 1);
      host.advance(HEALTH.seconds * 1000 + 1);
      expect(await v).toMatchObject({ phase: "confirmed" });
      expect(m.confirmedSha(MODULE)).toBe(sha(pkgs[0]!));
      // device.json rewritten to say v2 is confirmed in slot A (its record and hash), the slot file left as it is.
      const state = JSON.parse(readFileSync(join(dir.path, "device.json"), "utf8"));
      state.modules[MODULE].slots.A = { ...state.modules[MODULE].slots.A, sha256: sha(pkgs[1]!), size: pkgs[1]!.length, version: "2.0.0", sequence: 2 };
      state.lastInstall = { session: 1, module: MODULE, phase: "confirmed", ts: 0, package: sha(pkgs[1]!) };
      writeFileSync(join(dir.path, "device.json"), JSON.stringify(state));
      const m2 = new ModuleManager(new StateStore(dir.path, null), new ManualHost(), { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, () => {});
      m2.boot();
      expect(m2.confirmedSha(MODULE)).toBeNull();
    } finally {
      dir.cleanup();
    }
  });

  it("an unreadable store stops the agent from starting rather than forgetting the floors", () => {
    const dir = tempDir("badfloor");
    try {
      writeFileSync(defaultAntiRollbackPath(dir.path), "{\"format\":1,\"floors\":");
      expect(() => floorFor(dir.path)).toThrow(/anti-rollback store .*anti-rollback\.json: unreadable .*refusing to start/);
      writeFileSync(defaultAntiRollbackPath(dir.path), JSON.stringify({ format: 1, floors: { [installedFloor(MODULE)]: -1 } }));
      expect(() => floorFor(dir.path)).toThrow(/"installed:com\.acme\.ticker" is -1, not a non-negative integer/);
    } finally {
      dir.cleanup();
    }
  });
});

describe("trial slots at boot", () => {
  it("a trial written into device.json for a package at or below the floor is abandoned, not started", async () => {
    const dir = tempDir("trialfloor");
    try {
      const wasm = [1, 2, 3].map((n) => tickerWasm({ message: `v${n}` }));
      const pkgs = wasm.map((w, i) => makePackage(trust, { version: `${i + 1}.0.0`, sequence: i + 1, wasm: w }));
      const host = new ManualHost();
      const m = new ModuleManager(new StateStore(dir.path, null), host, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, () => {});
      for (const p of pkgs) {
        const v = m.install(p, 1);
        host.advance(HEALTH.seconds * 1000 + 1);
        expect(await v).toMatchObject({ phase: "confirmed" });
      }
      // Slot B holds v2 (sequence 2), the floor is 3: someone marks slot B as a trial in progress.
      const state = JSON.parse(readFileSync(join(dir.path, "device.json"), "utf8"));
      state.modules[MODULE].trial = { slot: "B", session: 5, boots: 1 };
      writeFileSync(join(dir.path, "device.json"), JSON.stringify(state));
      const events: InstallEvent[] = [];
      const host2 = new ManualHost();
      new ModuleManager(new StateStore(dir.path, null), host2, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, (e) => events.push(e)).boot();
      expect(host2.running()).toEqual([sha(wasm[2]!)]);
      expect(events).toMatchObject([{ phase: "reverted", reason: expect.stringMatching(/abandoned at boot: slot B no longer verifies: .*sequence 2/) }]);
    } finally {
      dir.cleanup();
    }
  });
});

describe("transfer bounds in the receiver", () => {
  it("a chunk that extends past the transfer size is not stored, and a transfer over MAX_TRANSFER_BYTES is refused at begin", () => {
    const dir = tempDir("bounds");
    try {
      const acks: number[] = [];
      const r = new TransferReceiver(dir.path, { ackEvery: 1, ackDelayMs: 60_000, staleMs: 15_000 }, null, (a) => acks.push(a.offset), () => {});
      const ref: PackageRef = { module: "m", version: "1.0.0", sequence: 1, size: 100, sha256: "a".repeat(64) };
      expect(() => r.begin({ session: 1, from: "t", window: 8, transfer: { mode: "full", size: MAX_TRANSFER_BYTES + 1, sha256: ref.sha256 }, package: ref }, Date.now())).toThrow(/exceeds the device limit/);
      expect(r.begin({ session: 2, from: "t", window: 8, transfer: { mode: "full", size: 100, sha256: ref.sha256 }, package: ref }, Date.now())).toBe(0);
      r.onChunk({ session: 2, offset: 0, data: new Uint8Array(60) }, Date.now());
      r.onChunk({ session: 2, offset: 60, data: new Uint8Array(41) }, Date.now()); // one byte past the end
      expect(r.ackedFor(2)).toBe(60);
      expect(readFileSync(join(dir.path, "transfer.bin")).length).toBe(60);
      r.onChunk({ session: 2, offset: 60, data: new Uint8Array(40) }, Date.now());
      expect(r.ackedFor(2)).toBe(100);
      expect(acks.at(-1)).toBe(100);
      r.close();
    } finally {
      dir.cleanup();
    }
  });
});

// --- the agent over the embedded broker ------------------------------------------------------

describe("received images and health windows, end to end", () => {
  let broker: RunningBroker;
  const work = tempDir("integrity");
  let n = 0;
  beforeAll(async () => { broker = await startBroker(); });
  afterAll(async () => {
    await broker.close();
    work.cleanup();
  });

  async function agent(health: HealthPolicy = { callbacks: 3, seconds: 0.3, timeoutSeconds: 5, maxTrialBoots: 2 }) {
    const id = `integrity-${++n}`;
    const a = await startSimDevice({ deviceId: id, brokerUrl: broker.url, stateDir: join(work.path, id), rootPublicKey: trust.rootPub, ...trust.identity(id), customer: CUSTOMER, group: GROUP, health });
    const mod = () => a.status().modules.find((m) => m.id === MODULE);
    return { id, a, mod };
  }

  /** Sends `bytes` under a begin announcing `announce` (and optionally a delta), and returns the device's verdict event. */
  async function rawTransfer(id: string, announce: PackageRef, bytes: Uint8Array, delta?: { base: string }): Promise<InstallEvent> {
    const tool = await ToolConnection.open({ brokerUrl: broker.url });
    try {
      const t = topicsFor(id);
      const verdict = new Promise<InstallEvent>((resolve) => tool.onMessage((topic, payload) => {
        if (topic !== t.event) return;
        const e = JSON.parse(payload.toString()) as InstallEvent;
        if (["failed", "refused", "confirmed", "reverted"].includes(e.phase)) resolve(e);
      }));
      await tool.subscribe([t.event]);
      const session = 4242;
      // A begin signed by the operator, as fwx flash sends it: only the bytes that follow are wrong.
      const pkgRef = { version: announce.version, sequence: announce.sequence, size: delta ? announce.size : bytes.length, sha256: announce.sha256 };
      await tool.signedRequest(id, { op: "begin", module: announce.module, session, window: 16, package: pkgRef, ...(delta ? { delta: { base: delta.base, size: bytes.length, sha256: sha(bytes) } } : {}) } as SignedRequest, trust.auth, 10_000, { acceptUnproven: (r) => r.ok && r.done === undefined });
      for (let off = 0; off < bytes.length; off += 1024) tool.client.publish(t.chunk, encodeChunk(session, off, bytes.subarray(off, off + 1024)), { qos: 1 });
      return await Promise.race([verdict, new Promise<never>((_, rej) => setTimeout(() => rej(new Error("no verdict within 15 s")), 15_000))]);
    } finally {
      await tool.close();
    }
  }

  it("chunks with valid CRCs whose whole is not the announced image are discarded, even when the bytes are a valid package", async () => {
    const d = await agent();
    try {
      const v1 = makePackage(trust, { version: "1.0.0", sequence: 1 });
      expect((await flash({ brokerUrl: broker.url, device: d.id, pkg: v1, cache: null, auth: trust.auth })).verdict).toBe("confirmed");
      // Announced: v2. Sent: v3, validly signed, same size as announced.
      const v2 = makePackage(trust, { version: "2.0.0", sequence: 2, wasm: tickerWasm({ message: "two" }) });
      const v3 = makePackage(trust, { version: "3.0.0", sequence: 3, wasm: tickerWasm({ message: "six" }) });
      expect(v3.length).toBe(v2.length);
      const e = await rawTransfer(d.id, { module: MODULE, version: "2.0.0", sequence: 2, size: v2.length, sha256: sha(v2) }, v3);
      expect(e).toMatchObject({ phase: "failed", reason: expect.stringMatching(/SHA-256 .* the tool announced/) });
      expect(d.mod()).toMatchObject({ state: "confirmed", version: "1.0.0", installedSeq: 1, slots: { B: null } });
    } finally {
      await d.a.stop();
    }
  });

  it("a delta that rebuilds to other bytes than the announced package is discarded", async () => {
    const d = await agent();
    try {
      const v1 = makePackage(trust, { version: "1.0.0", sequence: 1 });
      expect((await flash({ brokerUrl: broker.url, device: d.id, pkg: v1, cache: null, auth: trust.auth })).verdict).toBe("confirmed");
      const v2 = makePackage(trust, { version: "2.0.0", sequence: 2, wasm: tickerWasm({ message: "two" }) });
      const v3 = makePackage(trust, { version: "3.0.0", sequence: 3, wasm: tickerWasm({ message: "six" }) });
      // The delta rebuilds v3 from v1, but the begin announces v2.
      const delta = encodeDelta(v1, v3);
      const e = await rawTransfer(d.id, { module: MODULE, version: "2.0.0", sequence: 2, size: v2.length, sha256: sha(v2) }, delta, { base: sha(v1) });
      expect(e).toMatchObject({ phase: "failed", reason: expect.stringMatching(/delta reconstruction has SHA-256/) });
      expect(d.mod()).toMatchObject({ state: "confirmed", version: "1.0.0", installedSeq: 1 });
    } finally {
      await d.a.stop();
    }
  });

  it("a transfer larger than MAX_TRANSFER_BYTES is refused at begin", async () => {
    const d = await agent();
    const tool = await ToolConnection.open({ brokerUrl: broker.url });
    try {
      const err = await tool.signedRequest(d.id, { op: "begin", module: MODULE, session: 9, window: 16, package: { version: "9.0.0", sequence: 9, size: MAX_TRANSFER_BYTES + 1, sha256: "f".repeat(64) } } as SignedRequest, trust.auth, 10_000).catch((e) => e);
      expect(err).toBeInstanceOf(DeviceRefused);
      expect(err).toMatchObject({ code: "too-large" });
    } finally {
      await tool.close();
      await d.a.stop();
    }
  });

  it("a module that faults after its 3rd callback, inside the health seconds, is reverted", async () => {
    const d = await agent({ callbacks: 3, seconds: 1.5, timeoutSeconds: 10, maxTrialBoots: 2 });
    try {
      const v1 = makePackage(trust, { version: "1.0.0", sequence: 1 });
      expect((await flash({ brokerUrl: broker.url, device: d.id, pkg: v1, cache: null, auth: trust.auth })).verdict).toBe("confirmed");
      const late = makePackage(trust, { version: "2.0.0", sequence: 2, wasm: tickerWasm({ behaviour: "fault-after-3", periodMs: 100 }) });
      const r = await flash({ brokerUrl: broker.url, device: d.id, pkg: late, cache: null, auth: trust.auth });
      expect(r.verdict).toBe("reverted");
      expect(r.reason).toMatch(/faulted during trial: unreachable/);
      expect(d.mod()).toMatchObject({ state: "confirmed", version: "1.0.0", installedSeq: 1 });
    } finally {
      await d.a.stop();
    }
  });

  it("a module whose timers never fire is reverted when the health timeout passes", async () => {
    const d = await agent({ callbacks: 3, seconds: 0.3, timeoutSeconds: 1.5, maxTrialBoots: 2 });
    try {
      const v1 = makePackage(trust, { version: "1.0.0", sequence: 1 });
      expect((await flash({ brokerUrl: broker.url, device: d.id, pkg: v1, cache: null, auth: trust.auth })).verdict).toBe("confirmed");
      const silent = makePackage(trust, { version: "2.0.0", sequence: 2, wasm: tickerWasm({ behaviour: "silent" }) });
      const r = await flash({ brokerUrl: broker.url, device: d.id, pkg: silent, cache: null, auth: trust.auth });
      expect(r.verdict).toBe("reverted");
      expect(r.reason).toMatch(/only 1 of 3 callbacks within 1.5 s/);
      expect(d.mod()).toMatchObject({ state: "confirmed", version: "1.0.0", installedSeq: 1 });
    } finally {
      await d.a.stop();
    }
  });
  it("a module whose kv file is damaged does not start, named with the file; the agent boots and stays reachable", async () => {
    const d = await agent();
    const dir = join(work.path, d.id);
    try {
      const v1 = makePackage(trust, { version: "1.0.0", sequence: 1 });
      expect((await flash({ brokerUrl: broker.url, device: d.id, pkg: v1, cache: null, auth: trust.auth })).verdict).toBe("confirmed");
    } finally {
      await d.a.stop();
    }
    mkdirSync(join(dir, "kv"), { recursive: true });
    for (const damage of ["{\"format\":1,", "null"]) {
      writeFileSync(join(dir, "kv", `${MODULE}.json`), damage);
      const lines: string[] = [];
      // Before the fix the KvStoreError escaped boot: startSimDevice rejected and `fwx agent` died with a stack trace.
      const again = await startSimDevice({ deviceId: d.id, brokerUrl: broker.url, stateDir: dir, rootPublicKey: trust.rootPub, ...trust.identity(d.id), customer: CUSTOMER, group: GROUP,
        onTimeline: (e) => { if (e.kind === "install") lines.push(`${e.event.phase}: ${e.event.reason}`); } });
      try {
        expect(lines.join("\n")).toMatch(new RegExp(`failed: slot A cannot start: .*kv/${MODULE.replace(/\./g, "\\.")}\\.json: (unreadable store|not a format 1 kv store)`));
        expect(again.status().modules.map((m) => m.id)).toEqual([MODULE]);
      } finally {
        await again.stop();
      }
    }
  });

  it("a restarted agent runs its module from what it prepared before; an entry changed in one byte is prepared again", async () => {
    const d = await agent();
    const dir = join(work.path, d.id);
    const entry = join(dir, "slots", MODULE, "A.prepared");
    try {
      const v1 = makePackage(trust, { version: "1.0.0", sequence: 1 });
      expect((await flash({ brokerUrl: broker.url, device: d.id, pkg: v1, cache: null, auth: trust.auth })).verdict).toBe("confirmed");
    } finally {
      await d.a.stop();
    }
    const kept = readFileSync(entry);
    const restart = async () => {
      const again = await startSimDevice({ deviceId: d.id, brokerUrl: broker.url, stateDir: dir, rootPublicKey: trust.rootPub, ...trust.identity(d.id), customer: CUSTOMER, group: GROUP });
      try {
        expect(again.status().modules.find((m) => m.id === MODULE)).toMatchObject({ version: "1.0.0", state: "confirmed" });
      } finally {
        await again.stop();
      }
    };
    // Used as it is: a preparation would have written it again (a new file, by rename).
    const inode = statSync(entry).ino;
    await restart();
    expect(statSync(entry).ino).toBe(inode);
    const bad = Buffer.from(kept);
    bad[bad.length - 1]! ^= 1;
    writeFileSync(entry, bad);
    await restart();
    expect(statSync(entry).ino).not.toBe(inode);
    expect(readFileSync(entry).equals(kept)).toBe(true);
  });
});

describe("damaged files in the state directory", () => {
  it("device.json that is not a device state is refused naming the file and the field, not a TypeError at boot", () => {
    const dir = tempDir("baddevicejson");
    try {
      const file = join(dir.path, "device.json");
      const good = { slots: { A: { sha256: "ab".repeat(32), size: 10, version: "1.0.0", sequence: 1, verifiedAt: 0 }, B: null }, confirmed: "A", trial: null, installedSeq: 1, config: {} };
      const cases: [unknown, RegExp][] = [
        ["{not json", /device\.json: unreadable device state/],
        [null, /device\.json: not a format 1 device state/],
        [{ format: 1, modules: { [MODULE]: 5 }, lastInstall: null }, /device\.json: modules\["com\.acme\.ticker"\]: expected a module record, found 5/],
        [{ format: 1, modules: { [MODULE]: { ...good, slots: null } }, lastInstall: null }, /modules\["com\.acme\.ticker"\]\.slots: expected/],
        [{ format: 1, modules: { [MODULE]: { ...good, slots: { A: { ...good.slots.A, sequence: "1" }, B: null } } }, lastInstall: null }, /\.slots\.A\.sequence: expected a sequence number/],
        [{ format: 1, modules: { [MODULE]: { ...good, confirmed: "C" } }, lastInstall: null }, /\.confirmed: expected null, "A" or "B", found "C"/],
        [{ format: 1, modules: { [MODULE]: { ...good, trial: { slot: "A" } } }, lastInstall: null }, /\.trial\.boots: expected a count/],
        [{ format: 1, modules: { [MODULE]: { ...good, installedSeq: null } }, lastInstall: null }, /\.installedSeq: expected a sequence number/],
        [{ format: 1, modules: { [MODULE]: { ...good, config: { threshold: 5 } } }, lastInstall: null }, /\.config: expected an object of text values/],
        [{ format: 1, modules: {}, lastInstall: "confirmed" }, /lastInstall: expected null or an install event/],
      ];
      for (const [doc, why] of cases) {
        writeFileSync(file, typeof doc === "string" ? doc : JSON.stringify(doc));
        expect(() => new StateStore(dir.path, null).load()).toThrow(StateFileError);
        expect(() => new StateStore(dir.path, null).load()).toThrow(why);
      }
      writeFileSync(file, JSON.stringify({ format: 1, modules: { [MODULE]: good }, lastInstall: null }));
      expect(new StateStore(dir.path, null).load().modules[MODULE]).toMatchObject({ confirmed: "A", installedSeq: 1 });
    } finally {
      dir.cleanup();
    }
  });

  it("a partial download whose record is not one is discarded at start, not used by the next begin", () => {
    const dir = tempDir("badpartial");
    try {
      const partial = join(dir.path, "partial");
      mkdirSync(partial, { recursive: true });
      for (const meta of ["{}", "null", JSON.stringify({ session: 7, from: "t", window: 16, acked: 0, transfer: { mode: "full", size: "big", sha256: "ab".repeat(32) }, package: { module: MODULE, version: "1.0.0", sequence: 1, size: 4, sha256: "ab".repeat(32) } })]) {
        writeFileSync(join(partial, "transfer.json"), meta);
        writeFileSync(join(partial, "transfer.bin"), "abcd");
        const r = new TransferReceiver(partial, { ackEvery: 8, ackDelayMs: 200, staleMs: 15_000 }, null, () => {}, () => {});
        expect(r.current).toBeNull();
        expect(existsSync(join(partial, "transfer.json"))).toBe(false);
        r.close();
      }
    } finally {
      dir.cleanup();
    }
  });
});
