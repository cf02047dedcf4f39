// fwx-device (the C reference device) for the OTA tests: built against the
// project's wasm3 test double (or a real wasm3 tree), started as a child
// process on a state directory, and packages whose payload names the
// scripted guest the test-double build runs (tests/c/ota/fake_device_guests.c).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildPackage } from "../../src/pkg/pack.js";
import { privateKeyPem } from "../../src/pkg/keys.js";
import type { Capabilities } from "../../src/caps/capabilities.js";
import type { ConfigField } from "../../src/pkg/manifest.js";
import { CUSTOMER, GROUP, MODULE, makeTrust, tempDir, tickerWasm, type Trust } from "../ota/fixtures.js";
import { cliBundle, writeRootKey } from "../ota/child-agent.js";
import { mosquittoBinary, mosquittoBroker, type TestBroker } from "../ota/brokers.js";
import { buildDevice } from "../../scripts/build-device.mjs";
import { runCliInProcess } from "../support/cli-in-process.js";

export const root = resolve(import.meta.dirname, "../..");

export type Guest = "ticker" | "fault-timer" | "veto" | "init-fails" | "kv-counter" | "grants" | "flood" | "budgets";

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function customSection(name: string, content: Uint8Array): Uint8Array {
  const body = [...uleb(name.length), ...Buffer.from(name), ...content];
  return Uint8Array.from([0, ...uleb(body.length), ...body]);
}

/** A payload valid for the package verifier (fwx.abi, fwx.fuel), whose code the test-double device replaces by `guest`. */
export function guestPayload(guest: Guest, padding = 0): Uint8Array {
  const base = tickerWasm({ padding });
  return Buffer.concat([base, customSection("fwx.fuel", Uint8Array.of(1)), customSection("fwx.fake-guest", Buffer.from(guest))]);
}

export function mcuPackage(trust: Trust, opts: { guest?: Guest; version: string; sequence: number; id?: string; padding?: number; config?: ConfigField[]; capabilities?: Capabilities; payload?: Uint8Array; ramBytes?: number; fuelPerCallback?: number }): Uint8Array {
  return buildPackage({
    payload: opts.payload ?? guestPayload(opts.guest ?? "ticker", opts.padding ?? 0), id: opts.id ?? MODULE, version: opts.version, sequence: opts.sequence,
    deviceClass: "mcu", capabilities: opts.capabilities ?? { timers: 2, kv: 256 },
    // Decimal bounds: the manifest carries them as integer hundredths (format 2), which the C device scales back.
    config: opts.config ?? [{ name: "threshold", type: "number", default: 8, min: -40.5, max: 30.25 }],
    ramBytes: opts.ramBytes ?? 65536, fuelPerCallback: opts.fuelPerCallback ?? 1_000_000, build: { fwx: "0.1.0" },
    certificate: trust.certBytes, integratorKey: trust.integratorKey, now: Math.floor(Date.now() / 1000),
  }).bytes;
}

/** Builds fwx-device against the test double (trial timeout 20 s) or a real wasm3 tree; startDevice sets a 1 s health window at run time. */
export function buildTestDevice(out: string, wasm3?: string): string {
  return buildDevice({ out, ...(wasm3 ? { wasm3 } : { fake: true }), defines: wasm3 ? [] : ["-DFWX_SUP_HEALTH_TIMEOUT_SECONDS=20u"] });
}

export interface ChildDevice {
  proc: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  online: Promise<void>;
  stderr(): string;
  stop(): Promise<void>;
}

const ONLINE = /^\[device\] online at /m;

/** The device's key and certificate files as provisioning gives them (one identity per device id), beside its state directory. */
export function identityFiles(trust: Trust, deviceId: string, stateDir: string): { key: string; cert: string } {
  const dir = `${stateDir}.identity`;
  mkdirSync(dir, { recursive: true });
  const id = trust.identity(deviceId);
  const key = join(dir, "device.key");
  const cert = join(dir, "device.cert");
  writeFileSync(key, privateKeyPem(id.deviceKey), { mode: 0o600 });
  writeFileSync(cert, id.deviceCert);
  return { key, cert };
}

/** The operator's key and certificate and the product root as files: what the field tools sign with and check answers against. */
export function operatorArgs(trust: Trust, dir: string, rootFile: string): string[] {
  const key = join(dir, "operator.key");
  const cert = join(dir, "operator.cert");
  writeFileSync(key, privateKeyPem(trust.auth.operator.key), { mode: 0o600 });
  writeFileSync(cert, trust.auth.operator.cert);
  return ["--operator-key", key, "--operator-cert", cert, "--root", rootFile];
}

export function startDevice(exe: string, o: { deviceId: string; broker: string; stateDir: string; rootFile: string; trust: Trust; customer?: string; env?: Record<string, string>; args?: string[]; cwd?: string; stateDirArg?: string }): ChildDevice {
  const id = identityFiles(o.trust, o.deviceId, o.stateDir);
  // `stateDirArg`/`cwd`: the state directory as a person may spell it ("--state-dir ." inside it).
  const proc = spawn(exe, ["--device-id", o.deviceId, "--state-dir", o.stateDirArg ?? o.stateDir, "--root", o.rootFile, "--device-key", id.key, "--device-cert", id.cert, "--customer", o.customer ?? CUSTOMER, "--group", GROUP,
    "--broker", o.broker, "--board", join(root, "boards/demo.json"), "--health-seconds", "1", ...(o.args ?? [])], { cwd: o.cwd ?? root, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...o.env } });
  let err = "";
  // "close", not "exit": the process has ended AND its stderr is read to the end, so stderr() is whole.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => proc.on("close", (code, signal) => res({ code, signal })));
  let isOnline = false;
  const online = new Promise<void>((res, rej) => {
    proc.stderr!.on("data", (d) => {
      err += d;
      if (!isOnline && ONLINE.test(err)) {
        isOnline = true;
        res();
      }
    });
    void exited.then((e) => rej(new Error(`fwx-device ${o.deviceId} ended (${e.signal ?? `exit ${e.code}`}) before it was online: ${err}`)));
  });
  online.catch(() => {});
  return {
    proc, exited, online, stderr: () => err,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      await exited;
    },
  };
}

export interface CliResult { status: number; stdout: string; stderr: string; json: Record<string, unknown> | null }

/**
 * Runs a field command (the CLI's own runCli, in this process: tests/support/cli-in-process.ts) under a
 * time limit; `json` is its last line of output parsed, when that is JSON.
 */
export async function cli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  const r = await runCliInProcess(args, { timeoutMs });
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
  } catch { /* not JSON */ }
  return { ...r, json };
}

export function writePackage(dir: string, name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

export function hasLibs(): boolean {
  return spawnSync("sh", ["-c", "test -f /usr/include/mosquitto.h && test -f /usr/include/sodium.h"]).status === 0;
}

/** What a C-device test file shares: a Mosquitto broker, the device built on the test double, the CLI, a trust chain and operator arguments. */
export interface DeviceSuite {
  exe: string;
  cliPath: string;
  broker: TestBroker;
  trust: Trust;
  dir: { path: string; cleanup(): void };
  rootFile: string;
  /** --operator-key, --operator-cert, --root: every state-changing command is signed, every answer checked. */
  ops: string[];
}

/**
 * Starts what a C-device test file needs. Every file runs the same device build
 * (tests/c/build/fwx-device-fake): the first file to need it builds it, files
 * running at the same time wait for that build, and later runs reuse it while
 * no source changed (scripts/build-device.mjs).
 */
export async function startDeviceSuite(name: string): Promise<DeviceSuite> {
  const dir = tempDir(name);
  const bin = mosquittoBinary();
  if (!bin) throw new Error("mosquitto is not installed (scripts/ensure-mosquitto.mjs could not install it)");
  const broker = await mosquittoBroker(bin, dir.path);
  mkdirSync(join(root, "tests/c/build"), { recursive: true });
  const exe = buildTestDevice(join(root, "tests/c/build", "fwx-device-fake"));
  const cliPath = cliBundle();
  const trust = makeTrust();
  const rootFile = writeRootKey(dir.path, trust);
  return { exe, cliPath, broker, trust, dir, rootFile, ops: operatorArgs(trust, dir.path, rootFile) };
}
