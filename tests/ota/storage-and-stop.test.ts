// Disk and host errors on the device: a storage error while a transfer or an
// install is written ends that transfer or install with its reason, never the
// agent; and stopping the agent waits for an install in progress and refuses
// new ones. Errors are injected through seams (the receiver's file
// operations, a state store whose slot write fails), not by filling a disk.

import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { NODE_FS, type FileIo } from "../../src/fs/file-io.js";
import { describe, expect, it } from "vitest";
import type { PreparedModule } from "../../src/agent/prepare.js";
import { LOWERED } from "../../src/agent/abi.js";
import { offeredInterfaces } from "../../src/pkg/index.js";
import { DEFAULT_HEALTH, ModuleManager, RequestRefused } from "../../src/ota/install.js";
import type { HostedModule, ModuleHost } from "../../src/ota/module-host.js";
import type { AckFrame, InstallEvent, PackageRef } from "../../src/ota/protocol.js";
import { FS_IO, TransferReceiver, type PartialMeta, type ReceiverIo } from "../../src/ota/receiver.js";
import { StateStore, StateWriteError } from "../../src/ota/state-store.js";
import { CUSTOMER, FAST_HEALTH, GROUP, MODULE, floorFor, makePackage, makeTrust, tempDir } from "./fixtures.js";
import { aedesBroker } from "./brokers.js";
import { ManualHost } from "./manual-host.js";
import { startSimDevice } from "../../src/ota/sim-device.js";
import { flash } from "../../src/ota/flasher.js";

const enospc = (): never => {
  throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", errno: -28, syscall: "write" });
};

const SIZE = 1000;
const pkg: PackageRef = { module: "m", version: "1", sequence: 1, size: SIZE, sha256: "b".repeat(64) };
const data = Uint8Array.from({ length: SIZE }, (_, i) => i & 0xff);

function receiver(io: Partial<ReceiverIo>) {
  const dir = tempDir("storage");
  const failed: { meta: PartialMeta; reason: string }[] = [];
  const acks: AckFrame[] = [];
  const r = new TransferReceiver(dir.path, { ackEvery: 2, ackDelayMs: 20, staleMs: 15_000, io: { ...FS_IO, ...io } }, null,
    (a) => acks.push(a), () => {}, (meta, reason) => failed.push({ meta, reason }));
  const begin = () => r.begin({ session: 7, from: "tool", window: 8, transfer: { mode: "full", size: SIZE, sha256: pkg.sha256 }, package: pkg }, Date.now());
  const chunk = (i: number) => r.onChunk({ session: 7, offset: i * 100, data: data.subarray(i * 100, (i + 1) * 100) }, Date.now());
  return { dir, r, failed, acks, begin, chunk };
}

describe("storage errors while receiving", () => {
  it("ENOSPC writing a chunk fails the transfer with the reason; the receiver takes the next transfer", () => {
    let full = true;
    const t = receiver({ writeAt: (fd, d, o) => (full && o >= 300 ? enospc() : FS_IO.writeAt(fd, d, o)) });
    try {
      t.begin();
      for (let i = 0; i < 5; i++) expect(() => t.chunk(i)).not.toThrow();
      expect(t.failed).toHaveLength(1);
      expect(t.failed[0]!.meta.session).toBe(7);
      expect(t.failed[0]!.reason).toMatch(/could not store the transfer: writing 100 bytes at offset 300 of the partial download failed: ENOSPC/);
      expect(t.r.current).toBeNull();
      expect(readdirSync(t.dir.path)).toEqual([]);
      full = false;
      expect(t.begin()).toBe(0);
      for (let i = 0; i < 10; i++) t.chunk(i);
      expect(t.r.isComplete).toBe(true);
    } finally {
      t.r.close();
      t.dir.cleanup();
    }
  });

  it("ENOSPC recording the acknowledged offset from the pause timer fails the transfer, not the process", async () => {
    let writes = 0;
    const t = receiver({ writeMeta: (p, text, step) => (++writes > 1 ? enospc() : FS_IO.writeMeta(p, text, step)) });
    try {
      t.begin();
      t.chunk(0); // one chunk: the pause timer acknowledges it
      await new Promise((r) => setTimeout(r, 200));
      expect(t.failed.map((f) => f.reason)).toEqual([expect.stringMatching(/recording the acknowledged offset failed: ENOSPC/)]);
      expect(t.r.current).toBeNull();
    } finally {
      t.r.close();
      t.dir.cleanup();
    }
  });

  it("a transfer the device cannot even start storing is refused with code storage", () => {
    const t = receiver({ writeMeta: enospc });
    try {
      let err: unknown;
      try { t.begin(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(RequestRefused);
      expect((err as RequestRefused).code).toBe("storage");
      expect((err as Error).message).toMatch(/cannot store the transfer: recording the acknowledged offset failed: ENOSPC/);
      expect(t.r.current).toBeNull();
    } finally {
      t.r.close();
      t.dir.cleanup();
    }
  });
});

const trust = makeTrust();
const device = { customer: "acme-foods", group: "cold-store-3", deviceClass: "gateway" as const, capabilities: { timers: 2, telemetry: ["acme/#"], kv: 256 }, offeredInterfaces: offeredInterfaces(LOWERED) };
const hosted = (): HostedModule => ({ state: "running", callbacks: 0, faults: 0, restarts: 0, lastFault: null, healthVeto: () => null, promote() {}, stop() {} });

/** A module host whose prepare waits until the test releases it. */
function slowHost() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const started: string[] = [];
  const host: ModuleHost = {
    prepare: async () => { await gate; return {} as PreparedModule; },
    start: (spec) => { started.push(spec.id); return hosted(); },
    nowMs: () => Date.now(),
    after: () => ({ cancel() {} }),
    close() {},
  };
  return { host, release, started };
}

describe("install and shutdown", () => {
  it("shutdown waits for an install being prepared; that install is refused and writes nothing; later installs are refused", async () => {
    const dir = tempDir("stop");
    try {
      const { host, release, started } = slowHost();
      const events: InstallEvent[] = [];
      const m = new ModuleManager(new StateStore(dir.path, null), host, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, DEFAULT_HEALTH, (e) => events.push(e));
      const verdict = m.install(makePackage(trust, { version: "1.0.0", sequence: 1 }), 3);
      await new Promise((r) => setTimeout(r, 20));
      let stopped = false;
      const stopping = m.shutdown().then(() => (stopped = true));
      await new Promise((r) => setTimeout(r, 50));
      expect(stopped).toBe(false); // still preparing
      release();
      await stopping;
      const v = await verdict;
      expect(v).toMatchObject({ phase: "refused", code: "shutting-down" });
      expect(started).toEqual([]);
      expect(existsSync(join(dir.path, "slots"))).toBe(false);
      await expect(m.install(makePackage(trust, { version: "1.0.1", sequence: 2 }), 4)).rejects.toMatchObject({ code: "shutting-down" });
    } finally {
      dir.cleanup();
    }
  });

  it("ENOSPC writing the slot ends the install as a rejected promise, never a throw out of install()", async () => {
    const dir = tempDir("slot");
    try {
      class FullStore extends StateStore {
        override writeSlot(): void { enospc(); }
      }
      const host: ModuleHost = { start: () => hosted(), nowMs: () => Date.now(), after: () => ({ cancel() {} }), close() {} };
      const m = new ModuleManager(new FullStore(dir.path, null), host, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, DEFAULT_HEALTH, () => {});
      let verdict: Promise<InstallEvent> | undefined;
      expect(() => { verdict = m.install(makePackage(trust, { version: "1.0.0", sequence: 1 }), 3); }).not.toThrow();
      await expect(verdict).rejects.toThrow(/ENOSPC/);
    } finally {
      dir.cleanup();
    }
  });
});

describe("a full disk on a device agent, end to end", () => {
  it("a flash whose chunks cannot be stored fails with the reason; the running module and the agent carry on, and the next flash succeeds", async () => {
    const broker = await aedesBroker();
    const work = tempDir("enospc");
    let full = false;
    const agent = await startSimDevice({
      deviceId: "full-disk", brokerUrl: broker.url, stateDir: work.path, rootPublicKey: trust.rootPub,
      customer: CUSTOMER, group: GROUP, health: FAST_HEALTH, ...trust.identity("full-disk"),
      receiver: { io: { ...FS_IO, writeAt: (fd, d, o) => (full ? enospc() : FS_IO.writeAt(fd, d, o)) } },
    });
    const flashIt = (pkg: Uint8Array) => flash({ brokerUrl: broker.url, device: "full-disk", pkg, cache: null, auth: trust.auth, connectTimeoutMs: 10_000, replyTimeoutMs: 10_000 });
    const mod = () => agent.status().modules.find((m) => m.id === MODULE);
    try {
      expect((await flashIt(makePackage(trust, { version: "1.0.0", sequence: 1 }))).verdict).toBe("confirmed");
      full = true;
      const v2 = makePackage(trust, { version: "2.0.0", sequence: 2 });
      const failed = await flashIt(v2);
      expect(failed.verdict).toBe("failed");
      expect(failed.reason).toMatch(/could not store the transfer: writing \d+ bytes at offset 0 of the partial download failed: ENOSPC/);
      const callbacks = mod()!.health.callbacks;
      await new Promise((r) => setTimeout(r, 300));
      expect(mod()).toMatchObject({ state: "confirmed", version: "1.0.0" });
      expect(mod()!.health.callbacks).toBeGreaterThan(callbacks);
      full = false;
      expect((await flashIt(v2)).verdict).toBe("confirmed");
      expect(mod()).toMatchObject({ state: "confirmed", version: "2.0.0" });
    } finally {
      await agent.stop();
      await broker.close();
      work.cleanup();
    }
  }, 60_000);
});

/** A module host on a clock the test advances; each started module reports 3 callbacks (enough for the health window). */
describe("device.json that cannot be written (disk full)", () => {
  it("never takes the agent down: a trial is reverted, commands are refused 'storage' naming the file and change nothing, a start says why", async () => {
    const dir = tempDir("fullstate");
    let full = false;
    // A file system whose writes to device.json fail with ENOSPC once `full` is set (slot files still fit).
    const io: FileIo = { ...NODE_FS, open: (path, flags, mode) => (full && flags !== "r" && /^\.?device\.json/.test(basename(path)) ? enospc() : NODE_FS.open(path, flags, mode)) };
    const HEALTH = { callbacks: 3, seconds: 1, timeoutSeconds: 5, maxTrialBoots: 2 };
    try {
      const host = new ManualHost();
      const m = new ModuleManager(new StateStore(dir.path, null, io), host, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, () => {});
      const installed = async (version: string, sequence: number) => {
        const v = m.install(makePackage(trust, { version, sequence }), sequence);
        await new Promise((r) => setTimeout(r, 10));
        return { v };
      };
      for (const [version, sequence] of [["1.0.0", 1], ["2.0.0", 2]] as const) {
        const { v } = await installed(version, sequence);
        host.advance(1001);
        expect(await v).toMatchObject({ phase: "confirmed" });
      }
      const running = { confirmed: "B", version: "2.0.0", config: { threshold: "8" }, slots: { A: { version: "1.0.0" }, B: { version: "2.0.0" } } };
      expect(m.status()[0]).toMatchObject(running);

      // Commands on a full disk: refused with the file named; the module keeps running as it was, and memory
      // still agrees with device.json (before the fix a rollback stopped the module and then threw ENOSPC).
      full = true;
      for (const [what, run] of [["rollback", () => m.rollback(MODULE)], ["config", () => m.setConfig(MODULE, { threshold: "5" })], ["remove", () => m.remove(MODULE)]] as const) {
        let err: unknown;
        try { run(); } catch (e) { err = e; }
        expect(err, what).toBeInstanceOf(RequestRefused);
        expect(err, what).toMatchObject({ code: "storage", message: expect.stringMatching(/nothing changed: .*device\.json: cannot be written: no space left on device/) });
        expect(host.runningVersions(), what).toEqual(["2.0.0"]);
        expect(m.status()[0], what).toMatchObject(running);
      }
      // An install whose trial cannot be recorded fails with the file named and leaves no trial behind.
      const v3 = makePackage(trust, { version: "3.0.0", sequence: 3 });
      await expect(m.install(v3, 3)).rejects.toThrow(/device\.json: cannot be written: no space left on device/);
      expect(m.isOnTrial()).toBe(false);
      expect(m.hasPackage(createHash("sha256").update(v3).digest("hex"))).toBe(false);
      expect(host.runningVersions()).toEqual(["2.0.0"]);
      expect(m.status()[0]).toMatchObject({ confirmed: "B", slots: { B: { version: "2.0.0" } } });

      // The disk fills while 4.0.0 is on trial: before the fix, the confirmation's ENOSPC was thrown out of the
      // health check (a module callback or a timer) and ended the agent process.
      full = false;
      const { v: v4 } = await installed("4.0.0", 4);
      expect(m.isOnTrial(MODULE)).toBe(true);
      full = true;
      expect(() => host.advance(1001)).not.toThrow();
      const verdict = await v4;
      expect(verdict.phase).toBe("reverted");
      expect(verdict.reason).toMatch(/passed its health window, but the confirmation could not be recorded: .*device\.json: cannot be written: no space left on device/);
      expect(host.runningVersions()).toEqual(["2.0.0"]);
      expect(m.status()[0]).toMatchObject({ confirmed: "B", version: "2.0.0" });

      // A start on the full disk (it must count the trial device.json still holds) names the file, as a StateWriteError.
      expect(() => new ModuleManager(new StateStore(dir.path, null, io), new ManualHost(), { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, () => {}).boot())
        .toThrow(StateWriteError);
      // With space again the device carries on from what device.json says: the unrecorded trial is retried once.
      full = false;
      const again = new ManualHost();
      const m2 = new ModuleManager(new StateStore(dir.path, null, io), again, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir.path) }, HEALTH, () => {});
      m2.boot();
      again.advance(1001);
      expect(m2.status()[0]).toMatchObject({ confirmed: "A", version: "4.0.0" });
    } finally {
      dir.cleanup();
    }
  }, 30_000);
});
