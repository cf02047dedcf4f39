// What the agent prepared of a slot is kept beside it (src/ota/prepared-store.ts):
// a restarted agent starts the module without preparing it again, and an entry
// it did not make itself, for this slot, this payload and these options, is
// never used: it prepares afresh and replaces it.

import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LiveModuleHost } from "../../src/ota/live-host.js";
import type { HostedSpec } from "../../src/ota/module-host.js";
import { PreparedStore } from "../../src/ota/prepared-store.js";
import { StateStore, type SlotName } from "../../src/ota/state-store.js";
import type { Manifest } from "../../src/pkg/manifest.js";
import { tickerModule } from "../fixtures/hostile/modules.js";
import { testBoard, testHost } from "../agent/helpers.js";
import { tempDir } from "./fixtures.js";

const work = tempDir("prepared-store");
afterAll(() => work.cleanup());

const deviceKey = generateKeyPairSync("ed25519").privateKey;
const manifest = (ramBytes = 65536) => ({ id: "m", capabilities: { timers: 2 }, budgets: { ramBytes, fuelPerCallback: 1_000_000 } }) as unknown as Manifest;
const payload = tickerModule(100, "one");
const spec = (slot: SlotName, o: { payload?: Uint8Array; ramBytes?: number } = {}): HostedSpec => ({
  id: "m", payload: o.payload ?? payload, manifest: manifest(o.ramBytes), config: new Map<string, string>(), source: `m slot ${slot}`, restartOnFault: true, slot,
});

/**
 * Starts `s` on a fresh live host over the state directory `dir`, as an agent does at boot, and says
 * whether it had to prepare the module on its thread (a miss) and what entry the slot holds after.
 */
function boot(dir: string, s: HostedSpec, key: KeyObject = deviceKey): { prepared: boolean; entry: Uint8Array } {
  const store = new StateStore(dir);
  const live = new LiveModuleHost({
    board: testBoard(), createHost: testHost, stateDir: null, onEvent: () => {}, telemetry: { accept: () => true },
    preparedStore: new PreparedStore(store, key),
  });
  try {
    live.start(s, { callback() {}, fault() {} });
    return { prepared: live.preparedInThread === 1, entry: store.readPrepared("m", s.slot!) ?? new Uint8Array() };
  } finally {
    live.close();
  }
}

describe("prepared modules kept in the state directory", () => {
  it("a restarted agent starts a slot's module from what it kept, without preparing it again", () => {
    const dir = join(work.path, "restart");
    const first = boot(dir, spec("A"));
    expect(first.prepared).toBe(true);
    expect(first.entry.length).toBeGreaterThan(32);
    const second = boot(dir, spec("A"));
    expect(second.prepared).toBe(false);
    // Still the first boot's entry, byte for byte.
    expect(Buffer.from(second.entry).equals(Buffer.from(first.entry))).toBe(true);
  });

  it("an entry changed by a single byte is not used: the module is prepared again and the entry replaced", () => {
    const dir = join(work.path, "tampered");
    const good = boot(dir, spec("A")).entry;
    const file = join(dir, "slots", "m", "A.prepared");
    for (const at of [0, 40, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at]! ^= 1;
      writeFileSync(file, bad);
      expect(boot(dir, spec("A")).prepared, `byte ${at} changed`).toBe(true);
      expect(readFileSync(file).equals(Buffer.from(good))).toBe(true);
    }
  });

  it("an entry cut short, or empty, is not used", () => {
    const dir = join(work.path, "torn");
    const good = boot(dir, spec("A")).entry;
    const file = join(dir, "slots", "m", "A.prepared");
    for (const length of [0, 16, 32, good.length - 8]) {
      writeFileSync(file, good.subarray(0, length));
      expect(boot(dir, spec("A")).prepared, `${length} bytes`).toBe(true);
    }
  });

  it("an entry is the device's own: another device key does not accept it", () => {
    const dir = join(work.path, "other-device");
    boot(dir, spec("A"));
    expect(boot(dir, spec("A"), generateKeyPairSync("ed25519").privateKey).prepared).toBe(true);
  });

  it("an entry copied to the other slot is not used there", () => {
    const dir = join(work.path, "copied");
    const a = boot(dir, spec("A")).entry;
    writeFileSync(join(dir, "slots", "m", "B.prepared"), a);
    expect(boot(dir, spec("B")).prepared).toBe(true);
  });

  it("an entry of another payload, or of other preparation options, is not used", () => {
    const dir = join(work.path, "stale");
    boot(dir, spec("A"));
    // The slot was rewritten with another package since the entry was made.
    expect(boot(dir, spec("A", { payload: tickerModule(100, "two") })).prepared).toBe(true);
    // Same payload, another RAM budget: the memory cap differs.
    expect(boot(dir, spec("A", { payload: tickerModule(100, "two"), ramBytes: 131072 })).prepared).toBe(true);
    expect(boot(dir, spec("A", { payload: tickerModule(100, "two"), ramBytes: 131072 })).prepared).toBe(false);
  });
});
