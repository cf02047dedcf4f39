// End-to-end scenarios, run against each broker (aedes.test.ts, mosquitto.test.ts).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flash, type FlashOptions } from "../../src/ota/flasher.js";
import { LinkSimulator } from "../../src/ota/link-sim.js";
import { PackageCache } from "../../src/ota/package-cache.js";
import { DeviceRefused, ToolConnection } from "../../src/ota/rpc.js";
import { startSimDevice } from "../../src/ota/sim-device.js";
import { sha256Hex } from "../../src/ota/state-store.js";
import type { TestBroker } from "./brokers.js";
import { CUSTOMER, FAST_HEALTH, GROUP, MODULE, makePackage, makeTrust, tempDir, tickerWasm } from "./fixtures.js";

export type Scenario = "flash" | "broker-drop" | "fault" | "refused" | "concurrent" | "delta" | "manage";

export function defineOtaSuite(name: string, makeBroker: () => Promise<TestBroker | null>, only?: Scenario[]): void {
  const want = (s: Scenario) => !only || only.includes(s);
  // Scenarios a broker suite does not run are not defined at all (not reported as skipped).
  const none = (() => {}) as unknown as typeof it;
  describe(`OTA end to end over ${name}`, () => {
    let broker: TestBroker | null = null;
    const trust = makeTrust();
    const work = tempDir(name);
    let n = 0;
    beforeAll(async () => { broker = await makeBroker(); }, 120_000);
    afterAll(async () => {
      await broker?.close();
      work.cleanup();
    });

    /** A device behind a link simulator (so transfers can be slowed and links cut) with v1 optionally confirmed. */
    async function device(opts: { bandwidthBps?: number } = {}) {
      const b = broker!;
      const id = `${name}-dev-${++n}`;
      const link = await new LinkSimulator({ host: b.host, port: b.port }, { bandwidthBps: opts.bandwidthBps ?? 0 }).start();
      const stateDir = join(work.path, id);
      const agent = await startSimDevice({ deviceId: id, brokerUrl: link.url, stateDir, rootPublicKey: trust.rootPub, ...trust.identity(id), customer: CUSTOMER, group: GROUP, health: FAST_HEALTH });
      const f = (pkg: Uint8Array, extra: Partial<FlashOptions> = {}) => flash({ brokerUrl: b.url, device: id, pkg, cache: null, auth: trust.auth, connectTimeoutMs: 10_000, replyTimeoutMs: 10_000, ...extra });
      const mod = () => agent.status().modules.find((m) => m.id === MODULE);
      return { id, link, stateDir, agent, flash: f, mod, async stop() { await agent.stop(); await link.close(); } };
    }

    const v1 = makePackage(trust, { version: "1.0.0", sequence: 1 });

    (want("flash") ? it : none)("flashes, confirms after the health window, and keeps the old version in the other slot", async () => {
      const d = await device();
      try {
        const r = await d.flash(v1);
        expect(r.verdict).toBe("confirmed");
        expect(d.mod()).toMatchObject({ state: "confirmed", confirmed: "A", version: "1.0.0" });
        const r2 = await d.flash(makePackage(trust, { version: "1.1.0", sequence: 2, wasm: tickerWasm({ message: "tock" }) }));
        expect(r2.verdict).toBe("confirmed");
        expect(d.mod()).toMatchObject({ confirmed: "B", version: "1.1.0", slots: { A: { version: "1.0.0" } } });
      } finally {
        await d.stop();
      }
    });

    (want("broker-drop") ? it : none)("resumes from the acknowledged offset after the broker drops mid-transfer", async () => {
      const d = await device({ bandwidthBps: 200_000 });
      try {
        const big = makePackage(trust, { version: "1.0.0", sequence: 1, wasm: tickerWasm({ padding: 40_000 }) });
        let dropped = false;
        const r = await d.flash(big, {
          onProgress: (p) => {
            if (!dropped && p.phase === "transferring" && p.acked > big.length * 0.3) {
              dropped = true;
              void broker!.drop();
            }
          },
        });
        expect(dropped).toBe(true);
        expect(r.verdict).toBe("confirmed");
        expect(r.resumes.length).toBeGreaterThan(0);
        expect(r.resumes[0]).toBeGreaterThan(big.length * 0.3);
        // Resent bytes are bounded by the unacknowledged window at each interruption, plus one chunk per
        // chunk the device reported missing (lost while it was resubscribing after the drop).
        expect(r.sentBytes).toBeLessThanOrEqual(big.length + r.resumes.length * 16 * 1024 + r.gapResends * 1024);
        expect(d.mod()?.slots.A?.sha256).toBe(sha256Hex(big));
      } finally {
        await d.stop();
      }
    }, 60_000);

    (want("fault") ? it : none)("reverts a module that faults during its trial, and one whose fwx_health vetoes", async () => {
      const d = await device();
      try {
        expect((await d.flash(v1)).verdict).toBe("confirmed");
        const bad = await d.flash(makePackage(trust, { version: "2.0.0", sequence: 2, wasm: tickerWasm({ behaviour: "fault-on-timer" }) }));
        expect(bad.verdict).toBe("reverted");
        expect(bad.reason).toMatch(/faulted during trial: unreachable/);
        expect(d.mod()).toMatchObject({ state: "confirmed", confirmed: "A", version: "1.0.0", installedSeq: 1, slots: { B: null } });
        const veto = await d.flash(makePackage(trust, { version: "2.0.1", sequence: 3, wasm: tickerWasm({ behaviour: "veto" }) }));
        expect(veto.verdict).toBe("reverted");
        expect(veto.reason).toMatch(/fwx_health returned 1/);
        expect(d.mod()).toMatchObject({ state: "confirmed", version: "1.0.0" });
        const initFails = await d.flash(makePackage(trust, { version: "2.0.2", sequence: 4, wasm: tickerWasm({ behaviour: "init-fails" }) }));
        expect(initFails.verdict).toBe("reverted");
        expect(initFails.reason).toMatch(/fwx_init returned 1/);
        expect(d.mod()).toMatchObject({ state: "confirmed", version: "1.0.0" });
      } finally {
        await d.stop();
      }
    });

    (want("refused") ? it : none)("refuses corrupted, unauthorised and rollback packages and changes nothing", async () => {
      const d = await device();
      try {
        expect((await d.flash(v1)).verdict).toBe("confirmed");
        const before = readFileSync(join(d.stateDir, "device.json"), "utf8").replace(/"lastInstall":[\s\S]*$/, "");
        const v2 = makePackage(trust, { version: "2.0.0", sequence: 2 });
        const corrupt = v2.slice();
        corrupt[corrupt.length - 40]! ^= 0xff; // inside the wasm payload
        // Another product root, for this device's customer (a package for another customer is refused at its begin: trust.test.ts).
        const other = makeTrust();
        const cases: [Uint8Array, RegExp][] = [
          [corrupt, /FWX_PKG_E_(HASH|SIG)/],
          [makePackage(other, { version: "2.0.0", sequence: 2 }), /FWX_PKG_E_CERT_SIG/],
          [v1, /FWX_PKG_E_ROLLBACK/],
        ];
        for (const [pkg, code] of cases) {
          const r = await d.flash(pkg);
          expect(r.verdict).toBe("refused");
          expect(`${r.code}: ${r.reason}`).toMatch(code);
          expect(d.mod()).toMatchObject({ state: "confirmed", confirmed: "A", version: "1.0.0", slots: { B: null } });
          expect(readFileSync(join(d.stateDir, "device.json"), "utf8").replace(/"lastInstall":[\s\S]*$/, "")).toBe(before);
        }
      } finally {
        await d.stop();
      }
    });

    (want("concurrent") ? it : none)("serialises two concurrent flashes: the second is refused while the first runs, never interleaved", async () => {
      const d = await device({ bandwidthBps: 400_000 });
      try {
        const a = makePackage(trust, { version: "1.0.0", sequence: 1, wasm: tickerWasm({ padding: 20_000 }) });
        const b = makePackage(trust, { version: "1.0.1", sequence: 2, wasm: tickerWasm({ padding: 20_000, message: "tock" }) });
        let second: Promise<unknown> | undefined;
        const first = d.flash(a, { onProgress: (p) => { if (!second && p.phase === "transferring" && p.acked > 4096) second = d.flash(b).catch((e: unknown) => e); } });
        const r1 = await first;
        const r2 = await second;
        expect(r1.verdict).toBe("confirmed");
        expect(r2).toBeInstanceOf(DeviceRefused);
        expect((r2 as DeviceRefused).code).toBe("busy");
        expect(d.mod()?.slots.A?.sha256).toBe(sha256Hex(a));
        // Once the first is done, the second goes through.
        expect((await d.flash(b)).verdict).toBe("confirmed");
        expect(d.mod()?.slots.B?.sha256).toBe(sha256Hex(b));
      } finally {
        await d.stop();
      }
    }, 60_000);

    (want("delta") ? it : none)("sends a delta against the confirmed version and the device rebuilds the exact package", async () => {
      const d = await device();
      const cache = new PackageCache(join(work.path, `cache-${d.id}`));
      try {
        const base = makePackage(trust, { version: "1.0.0", sequence: 1, wasm: tickerWasm({ padding: 6000, constant: 7 }) });
        const next = makePackage(trust, { version: "1.0.1", sequence: 2, wasm: tickerWasm({ padding: 6000, constant: 8 }) });
        const r1 = await d.flash(base, { cache });
        expect(r1).toMatchObject({ verdict: "confirmed", mode: "full" });
        const r2 = await d.flash(next, { cache });
        expect(r2).toMatchObject({ verdict: "confirmed", mode: "delta" });
        expect(r2.transferBytes).toBeLessThan(next.length * 0.2);
        expect(d.mod()?.slots.B?.sha256).toBe(sha256Hex(next));
        // Flashing a package the device already decided (a tool that lost the verdict) still keeps it as the next delta base.
        const freshCache = new PackageCache(join(work.path, `cache-again-${d.id}`));
        const r3 = await d.flash(next, { cache: freshCache });
        expect(r3).toMatchObject({ verdict: "confirmed", event: { package: sha256Hex(next) } });
        expect(freshCache.get(sha256Hex(next))).not.toBeNull();
      } finally {
        await d.stop();
      }
    });

    (want("manage") ? it : none)("sets config, rolls back and removes a module over the control channel", async () => {
      const d = await device();
      const conn = await ToolConnection.open({ brokerUrl: broker!.url });
      try {
        expect((await d.flash(v1)).verdict).toBe("confirmed");
        expect((await d.flash(makePackage(trust, { version: "1.1.0", sequence: 2 }))).verdict).toBe("confirmed");
        await conn.signedRequest(d.id, { op: "config", module: MODULE, values: { threshold: "6.5" } }, trust.auth);
        expect(d.mod()?.config).toEqual({ threshold: "6.5" });
        expect(d.mod()?.state).toBe("confirmed");
        await expect(conn.signedRequest(d.id, { op: "config", module: MODULE, values: { threshold: "99" } }, trust.auth)).rejects.toThrow(/outside \[-40, 30\]/);
        await expect(conn.signedRequest(d.id, { op: "config", module: MODULE, values: { nope: "1" } }, trust.auth)).rejects.toThrow(/no config field "nope"/);
        const rb = (await conn.signedRequest(d.id, { op: "rollback", module: MODULE }, trust.auth)).reply;
        expect(rb.event).toMatchObject({ phase: "rolled-back", version: "1.0.0" });
        expect(d.mod()).toMatchObject({ confirmed: "A", version: "1.0.0", installedSeq: 2, config: { threshold: "6.5" } });
        // Anti-rollback still holds for new packages after a slot rollback.
        expect((await d.flash(makePackage(trust, { version: "1.0.5", sequence: 2 }))).code).toBe("FWX_PKG_E_ROLLBACK");
        await conn.signedRequest(d.id, { op: "remove", module: MODULE }, trust.auth);
        expect(d.mod()).toBeUndefined();
        await expect(conn.signedRequest(d.id, { op: "rollback", module: MODULE }, trust.auth)).rejects.toThrow(/not installed/);
      } finally {
        await conn.close();
        await d.stop();
      }
    });
  });
}
