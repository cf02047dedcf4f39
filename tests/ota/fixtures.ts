// Keys, certificates, packages and small hand-assembled modules for the OTA
// tests, all made in the test (nothing checked in, nothing built with asc).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KeyObject } from "node:crypto";
import { ModuleBuilder, op } from "../fixtures/hostile/builder.js";
import { encodeAbiSection } from "../../src/wasm/abi-section.js";
import { generateKeyPair, issueCertificate } from "../../src/pkg/index.js";
import { buildPackage } from "../../src/pkg/pack.js";
import { provisionDevice, provisionOperator } from "../../src/ota/provision.js";
import type { OperatorAuth } from "../../src/ota/rpc.js";
import type { ConfigField } from "../../src/pkg/manifest.js";
import type { Capabilities } from "../../src/caps/capabilities.js";
import { defaultAntiRollbackPath, FileAntiRollbackStore } from "../../src/ota/anti-rollback.js";
import type { FileIo } from "../../src/fs/file-io.js";

export interface Trust {
  rootKey: KeyObject;
  rootPub: Uint8Array;
  integratorKey: KeyObject;
  certBytes: Uint8Array;
  /** An operator certified for every operation on CUSTOMER's devices, and the root to check device answers against. */
  auth: OperatorAuth;
  /** A device key and root-signed device certificate for `deviceId` (customer CUSTOMER, group GROUP), as provisioning issues them. */
  identity(deviceId: string): { deviceKey: KeyObject; deviceCert: Uint8Array };
}

export const CUSTOMER = "acme-foods";
export const GROUP = "cold-store-3";
export const MODULE = "com.acme.ticker";

export function makeTrust(opts: { customers?: string[]; capabilities?: Capabilities } = {}): Trust {
  const root = generateKeyPair();
  const integrator = generateKeyPair();
  const now = Math.floor(Date.now() / 1000);
  const certBytes = issueCertificate({
    integratorId: "acme", integratorKey: integrator.publicKey, modulePrefix: "com.acme.",
    capabilities: opts.capabilities ?? { timers: 4, telemetry: ["#"], kv: 1024, gpio: [{ pin: 5, modes: ["output"] }] },
    customers: opts.customers ?? [CUSTOMER], notBefore: now - 3600, notAfter: now + 86400,
  }, root.privateKey);
  const identities = new Map<string, { deviceKey: KeyObject; deviceCert: Uint8Array }>();
  return {
    rootKey: root.privateKey, rootPub: root.publicKey, integratorKey: integrator.privateKey, certBytes,
    auth: { operator: provisionOperator(root.privateKey, { operatorId: "ops", customers: [CUSTOMER] }), rootPublicKey: root.publicKey },
    // One identity per device id, as provisioning gives it once: a restarted device keeps its key.
    identity: (deviceId) => {
      let id = identities.get(deviceId);
      if (!id) identities.set(deviceId, (id = provisionDevice(root.privateKey, { deviceId, customer: CUSTOMER, group: GROUP })));
      return id;
    },
  };
}

const I32 = "i32" as const;
const ABI = [...encodeAbiSection([{ name: "core", major: 1, minor: 0 }, { name: "timer", major: 1, minor: 0 }])];

export type Behaviour = "healthy" | "fault-on-timer" | "fault-after-3" | "silent" | "veto" | "init-fails";

/**
 * A module that starts periodic timer 1 and logs `message` on each expiry.
 * `fault-on-timer` executes `unreachable` in its first timer callback;
 * `fault-after-3` completes 3 callbacks (fwx_init and two timers) and executes `unreachable` in the next;
 * `silent` starts its timer with an hour's period, so after fwx_init no callback comes;
 * `veto` exports fwx_health returning 1; `init-fails` returns 1 from fwx_init.
 * `padding` adds a data segment (bigger packages for transfer tests).
 */
export function tickerWasm(opts: { periodMs?: number; message?: string; behaviour?: Behaviour; padding?: number; constant?: number } = {}): Uint8Array {
  const b = new ModuleBuilder();
  const log = b.import("fwx:core@1", "log", [I32, I32, I32], [I32]);
  const start = b.import("fwx:timer@1", "start", [I32, I32, I32], [I32]);
  const message = opts.message ?? "tick";
  b.mem(1).dataAt(16, message);
  if (opts.padding) {
    // Deterministic, incompressible-looking filler.
    const pad: number[] = [];
    let x = 0x12345678;
    for (let i = 0; i < opts.padding; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; pad.push(x >>> 24); }
    b.dataAt(1024, pad);
  }
  const behaviour = opts.behaviour ?? "healthy";
  b.func("fwx_init", { params: [], results: [I32] }, [
    ...op.i32(1), ...op.i32(behaviour === "silent" ? 3_600_000 : opts.periodMs ?? 40), ...op.i32(1), ...op.call(start), ...op.drop,
    ...op.i32(behaviour === "init-fails" ? 1 : 0),
  ], { export: true });
  const logMessage = [...op.i32(1), ...op.i32(16), ...op.i32(message.length), ...op.call(log), ...op.drop];
  // fault-after-3 counts timer expiries at address 0 and traps on the third.
  const countAndTrap = [
    ...op.i32(0), ...op.i32(0), ...op.i32Load(), ...op.i32(1), ...op.i32Add, ...op.i32Store(),
    ...op.i32(0), ...op.i32Load(), ...op.i32(3), ...op.i32LtU, ...op.i32Eqz, ...op.if_(op.unreachable),
  ];
  const onTimer = behaviour === "fault-on-timer" ? op.unreachable : behaviour === "fault-after-3" ? [...countAndTrap, ...logMessage] : logMessage;
  b.func("fwx_on_timer", { params: [I32], results: [] }, onTimer, { export: true });
  if (behaviour === "veto") b.func("fwx_health", { params: [], results: [I32] }, op.i32(1), { export: true });
  b.func("constant", { params: [], results: [I32] }, op.i32(opts.constant ?? 7), { export: true });
  b.custom("fwx.abi", ABI);
  return b.build();
}

export function makePackage(trust: Trust, opts: { version: string; sequence: number; wasm?: Uint8Array; id?: string; config?: ConfigField[]; capabilities?: Capabilities }): Uint8Array {
  return buildPackage({
    payload: opts.wasm ?? tickerWasm(), id: opts.id ?? MODULE, version: opts.version, sequence: opts.sequence,
    deviceClass: "gateway", capabilities: opts.capabilities ?? { timers: 2, telemetry: ["acme/#"], kv: 256 },
    config: opts.config ?? [{ name: "threshold", type: "number", default: 8, min: -40, max: 30 }],
    ramBytes: 65536, fuelPerCallback: 1_000_000, build: { fwx: "0.1.0" },
    certificate: trust.certBytes, integratorKey: trust.integratorKey, now: Math.floor(Date.now() / 1000),
  }).bytes;
}

export function tempDir(prefix: string): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), `fwx-ota-${prefix}-`));
  // The agent's default anti-rollback store sits beside its state directory (src/ota/anti-rollback.ts).
  return { path, cleanup: () => { rmSync(path, { recursive: true, force: true }); rmSync(defaultAntiRollbackPath(path), { force: true }); } };
}

/** The anti-rollback store an agent with state directory `stateDir` uses by default. */
export function floorFor(stateDir: string, fs?: FileIo): FileAntiRollbackStore {
  return new FileAntiRollbackStore(defaultAntiRollbackPath(stateDir), fs);
}

export const FAST_HEALTH = { callbacks: 3, seconds: 0.3, timeoutSeconds: 5, maxTrialBoots: 2 };
