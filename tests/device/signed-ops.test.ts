// Signed operations the C device (fwx-device, built against the wasm3 test
// double) must enforce exactly as the Node agent does: the same scenario runs
// against both, through the real field tools (`fwx cert deliver`, `fwx flash`,
// `fwx remove`, `fwx devices`) and Mosquitto, with the same expectations.
//   - a delivered revocation list: a higher serial is kept, an equal or lower
//     one leaves the kept list (ok, replaced: false), a list the root did not
//     sign is refused "bad-signature"; every answer carries the device's proof;
//   - enforced at install (FWX_PKG_E_REVOKED), at boot (the revoked module
//     does not start again) and for operators (a revoked operator certificate
//     commands nothing: "revoked");
//   - a signed begin with preempt takes the transfer slot from a transfer that
//     still makes progress, where a plain begin is refused "busy"; a transfer
//     kept "alive" only by chunks that store nothing does not hold the slot.
// Every process runs under a time limit. The Node agent is the one `fwx agent`
// runs (startSimDevice), in this process: the scenario is about what each
// device enforces, not about starting one.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestBroker } from "../ota/brokers.js";
import { makePackage, tickerWasm, MODULE, type Trust } from "../ota/fixtures.js";
import { startAgentInProcess } from "../ota/child-agent.js";
import { encodeChunk, topicsFor } from "../../src/ota/protocol.js";
import { provisionOperator } from "../../src/ota/provision.js";
import { DeviceRefused, ToolConnection } from "../../src/ota/rpc.js";
import { sha256Hex } from "../../src/ota/state-store.js";
import { certificateDigest, generateKeyPair, signRevocationList } from "../../src/pkg/index.js";
import { privateKeyPem } from "../../src/pkg/keys.js";
import { openEnvelopeBytes } from "../../src/pkg/signed.js";
import { cli, mcuPackage, root, startDevice, writePackage, startDeviceSuite } from "./device-fixtures.js";

type Kind = "c" | "node";
const KINDS: Kind[] = ["c", "node"];

let exe = "";
let broker: TestBroker;
let trust: Trust;
let dir: { path: string; cleanup(): void };
let rootFile = "";
let ops: string[] = [];
const running: { stop(): Promise<void> }[] = [];
let n = 0;

beforeAll(async () => {
  ({ exe, broker, trust, dir, rootFile, ops } = await startDeviceSuite("signed-ops"));
}, 240_000);

afterAll(async () => {
  for (const d of running) await d.stop();
  await broker?.close();
  dir?.cleanup();
});

/** The C device or the Node agent on a state directory, online. */
async function start(kind: Kind, id: string, stateDir: string): Promise<{ stop(): Promise<void> }> {
  if (kind === "node") {
    const agent = await startAgentInProcess({ deviceId: id, broker: broker.url, stateDir, trust });
    running.push(agent);
    return agent;
  }
  const d = startDevice(exe, { deviceId: id, broker: broker.url, stateDir, rootFile, trust });
  running.push(d);
  await d.online;
  return d;
}

/** A package each device runs: mcu class for the C device (scripted guest), gateway class for the Node agent. */
function pkg(kind: Kind, name: string, o: { version: string; sequence: number; padding?: number }): string {
  const bytes = kind === "c" ? mcuPackage(trust, o) : makePackage(trust, { version: o.version, sequence: o.sequence, ...(o.padding ? { wasm: tickerWasm({ padding: o.padding }) } : {}) });
  return writePackage(dir.path, `${kind}-${name}.fwx`, bytes);
}

const flashArgs = (file: string, id: string, extra: string[] = []) =>
  ["flash", file, "--device", id, "--broker", broker.url, "--json", "--timeout", "40", "--cache", join(dir.path, `cache-${id}`), "--no-delta", ...ops, ...extra];

async function deviceStatus(id: string): Promise<Record<string, unknown>> {
  const r = await cli(["devices", "--broker", broker.url, "--json"], 20_000);
  const all = JSON.parse(r.stdout) as Record<string, unknown>[];
  const mine = all.find((x) => (x.device ?? x.id) === id);
  if (!mine) throw new Error(`${id} is not in fwx devices: ${r.stdout}`);
  return (mine.status ?? mine) as Record<string, unknown>;
}

describe.concurrent.each(KINDS)("signed revocation lists (%s device)", (kind) => {
  it("keeps only a higher serial, refuses a list the root did not sign, and enforces the kept list at install, at boot and for operators", async () => {
    const id = `so-${kind}-${process.pid}-${++n}`;
    const stateDir = join(dir.path, id);
    const d = await start(kind, id, stateDir);
    const integratorCert = certificateDigest(openEnvelopeBytes(trust.certBytes, "cert").body);
    const revokedOperator = provisionOperator(trust.rootKey, { operatorId: "ops-gone", customers: ["acme-foods"] });
    const list = (serial: number, o: { integrator?: boolean; operator?: boolean } = {}) => writePackage(dir.path, `${id}-rl-${serial}.fwxrl`, signRevocationList({
      serial, issuedAt: Math.floor(Date.now() / 1000),
      certificates: [...(o.integrator ? [integratorCert] : []), ...(o.operator ? [certificateDigest(openEnvelopeBytes(revokedOperator.cert, "op").body)] : [])],
      integratorKeys: [],
    }, trust.rootKey));
    const deliver = (file: string) => cli(["cert", "deliver", file, "--device", id, "--broker", broker.url, ...ops], 30_000);

    const v1 = pkg(kind, `${id}-v1`, { version: "1.0.0", sequence: 1 });
    const f1 = await cli(flashArgs(v1, id));
    expect(f1.json?.verdict, f1.stdout + f1.stderr).toBe("confirmed");

    // The tool's wording is its own; what is checked is the serial the device reports and whether it replaced its list.
    const two = await deliver(list(2));
    expect(two.status, two.stdout + two.stderr).toBe(0);
    expect(two.stdout).toMatch(new RegExp(`^${id}: .*serial 2\\b`, "m"));
    expect(two.stdout).not.toContain("not older than this one");
    // An older list (it would un-revoke) and the same serial again leave the kept list: answered ok, replaced false.
    const older = await deliver(list(1, { integrator: true }));
    expect(older.status, older.stdout + older.stderr).toBe(0);
    expect(older.stdout).toMatch(new RegExp(`^${id}: .*serial 2\\b.*not older than this one`, "m"));
    // A list the root did not sign: refused by name (by the device, or already by the tool, which checks it too).
    const forged = writePackage(dir.path, `${id}-forged.fwxrl`, signRevocationList({ serial: 9, issuedAt: 0, certificates: [], integratorKeys: [] }, generateKeyPair().privateKey));
    const bad = await deliver(forged);
    expect(bad.status, bad.stdout + bad.stderr).toBe(2);
    expect(bad.stderr).toContain("signature does not verify against the root public key");
    // The same through the tool library: the codes and the answers' shape, each proven by the device (signedRequest checks the proof).
    const conn = await ToolConnection.open({ brokerUrl: broker.url });
    try {
      const send = (file: string) => conn.signedRequest(id, { op: "revocations", revocations: new Uint8Array(readFileSync(file)) }, trust.auth, 10_000);
      expect((await send(list(2))).reply).toMatchObject({ ok: true, serial: 2, replaced: false });
      const refused = await send(forged).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(DeviceRefused);
      expect((refused as DeviceRefused).code).toBe("bad-signature");
      // The device's own words, alike on both (the CLI above may refuse the list before the device sees it).
      expect((refused as DeviceRefused).message).toContain("delivered revocation list: signature does not verify against the root public key");
      const missing = await conn.signedRequest(id, { op: "revocations" }, trust.auth, 10_000).catch((e: unknown) => e);
      expect((missing as DeviceRefused).code).toBe("bad-request");
      expect((missing as DeviceRefused).message).toContain("\"revocations\" needs a revocation list");
    } finally {
      await conn.close();
    }

    // Revoking the integrator's certificate: a new install is refused …
    const three = await deliver(list(3, { integrator: true }));
    expect(three.stdout, three.stdout + three.stderr).toMatch(new RegExp(`^${id}: .*serial 3\\b`, "m"));
    expect(three.stdout).not.toContain("not older than this one");
    expect((await deviceStatus(id)).revocationSerial).toBe(3);
    const v2 = pkg(kind, `${id}-v2`, { version: "2.0.0", sequence: 2 });
    const f2 = await cli(flashArgs(v2, id));
    expect(f2.json?.verdict, f2.stdout + f2.stderr).toBe("refused");
    expect(f2.json?.code).toBe("FWX_PKG_E_REVOKED");
    // … the module running keeps running until the device restarts (the Node agent does not stop it either) …
    const before = (await deviceStatus(id)).modules as { id: string; state: string }[];
    expect(before.find((m) => m.id === MODULE)?.state).toBe("confirmed");
    // … and at boot the revoked module does not start again; the kept list survived the restart.
    await d.stop();
    await start(kind, id, stateDir);
    const after = await deviceStatus(id);
    expect(after.revocationSerial).toBe(3);
    expect((after.modules as { id: string; state: string }[]).find((m) => m.id === MODULE)?.state).not.toBe("confirmed");

    // A revoked operator certificate commands nothing.
    const four = await deliver(list(4, { integrator: true, operator: true }));
    expect(four.stdout, four.stdout + four.stderr).toMatch(new RegExp(`^${id}: .*serial 4\\b`, "m"));
    const opDir = join(dir.path, `${id}-revoked-operator`);
    mkdirSync(opDir, { recursive: true });
    writeFileSync(join(opDir, "op.key"), privateKeyPem(revokedOperator.key), { mode: 0o600 });
    writeFileSync(join(opDir, "op.cert"), revokedOperator.cert);
    const rm = await cli(["remove", id, MODULE, "--broker", broker.url, "--json", "--operator-key", join(opDir, "op.key"), "--operator-cert", join(opDir, "op.cert"), "--root", rootFile], 20_000);
    expect(rm.status, rm.stdout + rm.stderr).not.toBe(0);
    expect(rm.json?.code, rm.stdout + rm.stderr).toBe("revoked");
    expect(String(rm.json?.message)).toContain("operator \"ops-gone\"'s certificate is revoked (revocation list serial 4)");
  }, 180_000);
});

describe.concurrent.each(KINDS)("preempt on a signed begin (%s device)", (kind) => {
  it("a plain begin is refused busy while another transfer makes progress; a begin with preempt takes the slot and installs", async () => {
    const id = `so-${kind}-${process.pid}-${++n}`;
    await start(kind, id, join(dir.path, id));
    // The squatting transfer: a signed begin, then one new in-order chunk every 150 ms (it stores bytes: it is alive).
    const bigFile = pkg(kind, `${id}-big`, { version: "1.0.0", sequence: 1, padding: 60_000 });
    const big = new Uint8Array(readFileSync(bigFile));
    const conn = await ToolConnection.open({ brokerUrl: broker.url });
    let trickle: NodeJS.Timeout | undefined;
    try {
      const session = 4242;
      const begun = await conn.signedRequest(id, {
        op: "begin", module: MODULE, session, window: 4,
        package: { version: "1.0.0", sequence: 1, size: big.length, sha256: sha256Hex(big) },
      }, trust.auth, 10_000, { acceptUnproven: (r) => r.ok && r.done === undefined });
      expect(begun.reply).toMatchObject({ ok: true, resumeFrom: 0 });
      let offset = 0;
      const step = () => {
        const data = big.subarray(offset, offset + 256);
        void conn.client.publishAsync(topicsFor(id).chunk, encodeChunk(session, offset, data), { qos: 0 });
        offset += data.length;
      };
      step();
      trickle = setInterval(step, 150);
      await new Promise((r) => setTimeout(r, 600));

      const v1 = pkg(kind, `${id}-v1`, { version: "1.0.1", sequence: 1 });
      const polite = await cli(flashArgs(v1, id));
      expect(polite.status, polite.stdout + polite.stderr).not.toBe(0);
      expect(polite.json?.code, polite.stdout + polite.stderr).toBe("busy");
      const taken = await cli(flashArgs(v1, id, ["--preempt"]));
      expect(taken.json?.verdict, taken.stdout + taken.stderr).toBe("confirmed");
      expect(offset).toBeLessThan(big.length); // the squatter was still sending when it lost the slot
    } finally {
      if (trickle) clearInterval(trickle);
      await conn.close();
    }
    const m = ((await deviceStatus(id)).modules as { id: string; version: string }[]).find((x) => x.id === MODULE);
    expect(m?.version).toBe("1.0.1");
  }, 120_000);

  it("a squatter cannot hold the slot: chunks that store nothing keep no transfer alive past the stale time (15 s)", async () => {
    const id = `so-${kind}-${process.pid}-${++n}`;
    await start(kind, id, join(dir.path, id));
    const bigFile = pkg(kind, `${id}-big`, { version: "1.0.0", sequence: 1, padding: 60_000 });
    const big = new Uint8Array(readFileSync(bigFile));
    const conn = await ToolConnection.open({ brokerUrl: broker.url });
    let trickle: NodeJS.Timeout | undefined;
    try {
      const session = 4343;
      await conn.signedRequest(id, {
        op: "begin", module: MODULE, session, window: 4,
        package: { version: "1.0.0", sequence: 1, size: big.length, sha256: sha256Hex(big) },
      }, trust.auth, 10_000, { acceptUnproven: (r) => r.ok && r.done === undefined });
      await conn.client.publishAsync(topicsFor(id).chunk, encodeChunk(session, 0, big.subarray(0, 256)), { qos: 1 });
      // From now on only resends of stored bytes: valid CRCs, nothing new stored.
      trickle = setInterval(() => void conn.client.publishAsync(topicsFor(id).chunk, encodeChunk(session, 0, big.subarray(0, 256)), { qos: 0 }), 100);
      const v1 = pkg(kind, `${id}-v1`, { version: "1.0.1", sequence: 1 });
      const early = await cli(flashArgs(v1, id));
      expect(early.json?.code, early.stdout + early.stderr).toBe("busy");
      await new Promise((r) => setTimeout(r, 16_000));
      const later = await cli(flashArgs(v1, id));
      expect(later.json?.verdict, later.stdout + later.stderr).toBe("confirmed");
    } finally {
      if (trickle) clearInterval(trickle);
      await conn.close();
    }
  }, 120_000);
});

describe.concurrent.each(KINDS)("signed commands a device cannot act on (%s device)", (kind) => {
  it("are refused with the same codes and words on both devices: an empty or too large transfer, a module id that is none", async () => {
    const id = `so-${kind}-${process.pid}-${++n}`;
    await start(kind, id, join(dir.path, id));
    const conn = await ToolConnection.open({ brokerUrl: broker.url });
    try {
      const refusal = (body: Parameters<ToolConnection["signedRequest"]>[1]) =>
        conn.signedRequest(id, body, trust.auth, 10_000).then(() => ({ code: "ok", message: "" }), (e: unknown) => {
          if (!(e instanceof DeviceRefused)) throw e;
          return { code: e.code, message: e.message };
        });
      const begin = (size: number) => refusal({ op: "begin", module: MODULE, session: 77, window: 4, package: { version: "1.0.0", sequence: 1, size, sha256: "ab".repeat(32) } });
      // The C device said "internal: cannot open the partial download"; the Node agent accepted it and failed it later.
      expect(await begin(0)).toEqual({ code: "bad-request", message: "transfer of 0 bytes: there is nothing to install" });
      // The C device's message was the limit alone ("262144"): its text was overwritten.
      const big = await begin(16 * 1024 * 1024 + 1);
      expect(big.code).toBe("too-large");
      expect(big.message).toMatch(/^transfer of 16777217 bytes exceeds the device limit of \d+$/);
      // The Node agent answered "not-found" (looked up as a module), the C device "bad-request".
      for (const op of ["rollback", "remove"] as const) {
        const r = await refusal({ op, module: "__proto__" });
        expect(r.code, op).toBe("bad-request");
        expect(r.message, op).toMatch(/module .*is not a module id/);
      }
    } finally {
      await conn.close();
    }
  }, 120_000);
});

describe.concurrent.each(KINDS)("a transfer corrupted on the broker (%s device)", (kind) => {
  it("fails that transfer only: the same package flashed again installs, it is not answered with the old 'failed'", async () => {
    const id = `so-${kind}-${process.pid}-${++n}`;
    await start(kind, id, join(dir.path, id));
    const file = pkg(kind, `${id}-v1`, { version: "1.0.0", sequence: 1 });
    const bytes = new Uint8Array(readFileSync(file));
    const conn = await ToolConnection.open({ brokerUrl: broker.url });
    try {
      const t = topicsFor(id);
      const verdict = new Promise<{ phase: string; reason?: string }>((res) => conn.onMessage((topic, p) => {
        if (topic !== t.event) return;
        const e = JSON.parse(p.toString()) as { phase: string };
        if (["failed", "refused", "confirmed", "reverted"].includes(e.phase)) res(e);
      }));
      await conn.subscribe([t.event]);
      // A signed begin for the package, then chunks with valid CRCs but one flipped byte: what anyone who can
      // publish on the chunk topic can do to a transfer in flight.
      const session = 4545;
      await conn.signedRequest(id, { op: "begin", module: MODULE, session, window: 16, package: { version: "1.0.0", sequence: 1, size: bytes.length, sha256: sha256Hex(bytes) } },
        trust.auth, 10_000, { acceptUnproven: (r) => r.ok && r.done === undefined });
      const bad = bytes.slice();
      bad[bad.length >> 1]! ^= 0xff;
      for (let off = 0; off < bad.length; off += 1024) await conn.client.publishAsync(t.chunk, encodeChunk(session, off, bad.subarray(off, off + 1024)), { qos: 1 });
      const failed = await Promise.race([verdict, new Promise<never>((_, rej) => setTimeout(() => rej(new Error("no verdict within 20 s")), 20_000))]);
      expect(failed.phase).toBe("failed");
    } finally {
      await conn.close();
    }
    // Before the fix the C device answered this begin with the recorded "failed" verdict, for every later flash.
    const again = await cli(flashArgs(file, id));
    expect(again.json?.verdict, again.stdout + again.stderr).toBe("confirmed");
  }, 120_000);
});
