import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyDelta, DeltaError, encodeDelta } from "../../src/ota/delta.js";
import { crc32 } from "../../src/ota/crc32.js";
import { crashHookFromSpec } from "../../src/ota/crash.js";
import { checkConfigValues, ConfigValueError, effectiveConfig } from "../../src/ota/config-values.js";
import { verdictStillTrue } from "../../src/ota/device-agent.js";
import { ACK_BYTES, CHUNK_HEADER_BYTES, decodeAck, decodeChunk, encodeAck, encodeChunk, ProtocolError, transferOf } from "../../src/ota/protocol.js";
import { topicMatches } from "../../src/ota/rpc.js";
import { LinkTally, parsePublish } from "../../src/ota/mqtt-tally.js";
import { DEFAULT_HEALTH, ModuleManager, RequestRefused } from "../../src/ota/install.js";
import type { ModuleHost } from "../../src/ota/module-host.js";
import { StateStore, type DeviceState } from "../../src/ota/state-store.js";
import type { InstallEvent } from "../../src/ota/protocol.js";
import { floorFor, makeTrust, tempDir } from "./fixtures.js";
import { signStatement, verifyStatement } from "../../src/ota/signed-command.js";
import { openEnvelopeBytes } from "../../src/pkg/signed.js";
import { certificateDigest } from "../../src/pkg/certificate.js";
import { rawPublicKey } from "../../src/pkg/keys.js";
import { emptyRevocationList, extendRevocationList } from "../../src/pkg/revocation.js";

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; out[i] = x >>> 24; }
  return out;
}

describe("delta", () => {
  it("round-trips edits, insertions, deletions and moves", () => {
    const base = bytes(20_000, 1);
    const edits: Uint8Array[] = [
      base.slice(),
      (() => { const t = base.slice(); t[5000]! ^= 1; t[15000]! ^= 0x80; return t; })(),
      new Uint8Array([...base.subarray(0, 7000), ...bytes(300, 2), ...base.subarray(7000)]),
      new Uint8Array([...base.subarray(0, 3000), ...base.subarray(9000)]),
      new Uint8Array([...base.subarray(12000), ...base.subarray(0, 12000)]),
      bytes(5000, 3),
      new Uint8Array(0),
    ];
    for (const target of edits) {
      const d = encodeDelta(base, target);
      expect(Buffer.from(applyDelta(base, d)).equals(Buffer.from(target))).toBe(true);
    }
    const oneByte = edits[1]!;
    expect(encodeDelta(base, oneByte).length).toBeLessThan(100);
  });

  it("refuses a delta made for another base or damaged in transit, naming the byte", () => {
    const base = bytes(4000, 4);
    const target = new Uint8Array([...base.subarray(0, 2000), 1, 2, 3, ...base.subarray(2000)]);
    const d = encodeDelta(base, target);
    expect(() => applyDelta(base.subarray(0, 3999), d)).toThrow(/made against a 4000-byte base/);
    expect(() => applyDelta(base, d.subarray(0, d.length - 1))).toThrow(DeltaError);
    const bad = d.slice();
    bad[0] = 0x00;
    expect(() => applyDelta(base, bad)).toThrow(/FWXD/);
    const badOp = Uint8Array.from([...d.subarray(0, 9), 0x07]);
    expect(() => applyDelta(base, badOp)).toThrow(/delta byte \d+: (unknown operation 0x7|copy|insert)/);
  });

  it("refuses a declared target size beyond the limit before allocating it", () => {
    // "FWXD" v1, target size 2^49 (a 7-byte LEB128), base size 0: a RangeError or a huge allocation without the bound.
    const huge = Uint8Array.from([0x46, 0x57, 0x58, 0x44, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00]);
    expect(() => applyDelta(new Uint8Array(0), huge)).toThrow(DeltaError);
    expect(() => applyDelta(new Uint8Array(0), huge)).toThrow(/delta byte 5: target size 562949953421312 exceeds the limit of 16777216 bytes/);
    const base = bytes(4000, 6);
    expect(() => applyDelta(base, encodeDelta(base, base), 3999)).toThrow(/target size 4000 exceeds the limit of 3999 bytes/);
  });
});

describe("protocol frames", () => {
  it("CRC-32 matches the IEEE check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });

  it("encodes chunks and acks and detects a corrupted chunk", () => {
    const data = bytes(1024, 5);
    const frame = encodeChunk(77, 4096, data);
    expect(frame.length).toBe(1024 + CHUNK_HEADER_BYTES);
    expect(CHUNK_HEADER_BYTES).toBe(10);
    const c = decodeChunk(frame);
    expect(c.session).toBe(77);
    expect(c.offset).toBe(4096);
    expect(Buffer.from(c.data).equals(Buffer.from(data))).toBe(true);
    frame[500]! ^= 4;
    expect(() => decodeChunk(frame)).toThrow(ProtocolError);
    expect(() => decodeChunk(frame)).toThrow(/chunk at offset 4096: CRC32/);
    expect(() => decodeChunk(frame.subarray(0, CHUNK_HEADER_BYTES))).toThrow(/holds no data/);
    const ack = encodeAck({ session: 0xfedc, offset: 123456, gap: true });
    expect(ack.length).toBe(ACK_BYTES);
    expect(decodeAck(ack)).toEqual({ session: 0xfedc, offset: 123456, gap: true });
    expect(() => decodeAck(ack.subarray(1))).toThrow(/not an ack/);
  });

  it("derives the transfer a begin announces: the package itself unless a delta is given", () => {
    const pkg = { module: "m", version: "1", sequence: 1, size: 5000, sha256: "a".repeat(64) };
    expect(transferOf({ package: pkg })).toEqual({ mode: "full", size: 5000, sha256: "a".repeat(64) });
    expect(transferOf({ package: pkg, delta: { base: "b".repeat(64), size: 120, sha256: "c".repeat(64) } }))
      .toEqual({ mode: "delta", size: 120, sha256: "c".repeat(64), base: "b".repeat(64) });
  });

  it("matches MQTT topic filters", () => {
    expect(topicMatches("fwx/v2/+/status", "fwx/v2/gw-1/status")).toBe(true);
    expect(topicMatches("fwx/v2/+/status", "fwx/v2/gw-1/presence")).toBe(false);
    expect(topicMatches("fwx/v2/#", "fwx/v2/gw-1/telemetry/m/t")).toBe(true);
  });
});

describe("link byte accounting", () => {
  /** An MQTT 3.1.1 PUBLISH, QoS 0 or 1 (packet id 7), with a one- or two-byte remaining length. */
  function publish(topic: string, payload: Uint8Array, qos: 0 | 1): Buffer {
    const body = Buffer.concat([Buffer.from([topic.length >> 8, topic.length & 0xff]), Buffer.from(topic), qos ? Buffer.from([0, 7]) : Buffer.alloc(0), Buffer.from(payload)]);
    const len = body.length < 128 ? [body.length] : [(body.length & 0x7f) | 0x80, body.length >> 7];
    return Buffer.concat([Buffer.from([0x30 | (qos << 1), ...len]), body]);
  }

  it("attributes every byte to one packet across arbitrary read boundaries, and stops after the last one", () => {
    const chunk = publish("fwx/v2/d/chunk", encodeChunk(3, 0, bytes(1024, 6)), 0);
    const ack = publish("fwx/v2/d/ack", encodeAck({ session: 3, offset: 1024, gap: false }), 1);
    const puback = Buffer.from([0x40, 2, 0, 7]);
    expect(parsePublish(ack)!.payload.length).toBe(ACK_BYTES);
    const tally = new LinkTally((direction, p) => direction === "down" && p[0] === 0x40);
    const down = Buffer.concat([chunk, chunk]);
    // Reads cut through headers and payloads.
    for (const [from, to] of [[0, 1], [1, 2], [2, 700], [700, down.length]] as const) tally.feed("down", 1, down.subarray(from, to));
    tally.feed("up", 1, ack.subarray(0, 5));
    tally.feed("up", 1, ack.subarray(5));
    expect(tally.stopped).toBe(false);
    tally.feed("down", 1, Buffer.concat([puback, chunk]));
    expect(tally.stopped).toBe(true);
    expect(Object.fromEntries(tally.entries)).toEqual({
      "down publish chunk": { packets: 2, bytes: 2 * chunk.length },
      "up publish ack": { packets: 1, bytes: ack.length },
      "down puback": { packets: 1, bytes: 4 },
    });
    expect(tally.totalBytes).toBe(2 * chunk.length + ack.length + 4);
  });
});

describe("crash points and config values", () => {
  it("parses FWX_CRASH_AT and fires on the n-th hit only", () => {
    const hits: string[] = [];
    const hook = crashHookFromSpec("chunk-written#2", () => { hits.push("died"); return undefined as never; })!;
    hook("chunk-written");
    expect(hits).toEqual([]);
    hook("slot-written");
    hook("chunk-written");
    expect(hits).toEqual(["died"]);
    expect(crashHookFromSpec(undefined)).toBeNull();
    expect(() => crashHookFromSpec("nowhere")).toThrow(/not a crash point/);
  });

  it("checks config values against the manifest's fields", () => {
    const fields = [
      { name: "threshold", type: "number" as const, default: 8, min: -40, max: 30 },
      { name: "period", type: "integer" as const },
      { name: "enabled", type: "boolean" as const, default: true },
    ];
    expect(checkConfigValues("m", fields, { threshold: "6.50", period: "10", enabled: "false" })).toEqual({ threshold: "6.5", period: "10", enabled: "false" });
    expect(() => checkConfigValues("m", fields, { threshold: "31" })).toThrow(/m\.threshold: 31 is outside \[-40, 30\]/);
    expect(() => checkConfigValues("m", fields, { period: "1.5" })).toThrow(ConfigValueError);
    expect(() => checkConfigValues("m", fields, { period: "abc" })).toThrow('m.period: expected an integer, got "abc"');
    expect(() => checkConfigValues("m", fields, { enabled: "yes" })).toThrow(/true or false/);
    expect(() => checkConfigValues("m", fields, { other: "1" })).toThrow(/no config field "other"/);
    expect([...effectiveConfig(fields, { period: "5" })]).toEqual([["threshold", "8"], ["period", "5"], ["enabled", "true"]]);
  });

  // The same rules as the C device's reader (tests/c/suites/config.mjs compares the two on a corpus).
  it("reads numbers as every device does: decimal text only, whole by what was typed, 15 digits for fractions", () => {
    const fields = [{ name: "x", type: "number" as const }, { name: "n", type: "integer" as const }];
    const x = (v: string) => checkConfigValues("m", fields, { x: v }).x;
    expect([x(" 7 "), x("1.5e1"), x("100e-2"), x("0.0000001"), x("+.5"), x("-0")]).toEqual(["7", "15", "1", "1e-7", "0.5", "0"]);
    for (const notNumber of ["0x10", "Infinity", "\t7", "", " ", ".", "1e", "0e400", "1_0"]) {
      expect(() => x(notNumber), JSON.stringify(notNumber)).toThrow(`m.x: expected a number, got "${notNumber}"`);
    }
    // Rounds to the double 1, but was not typed whole.
    expect(() => checkConfigValues("m", fields, { n: "1.00000000000000000001" })).toThrow("m.n: expected an integer, got 1.00000000000000000001");
    expect(() => x("0.1234567890123456")).toThrow("m.x: 0.1234567890123456 has more than 15 significant digits, more than this device keeps exactly");
    expect(() => x("9007199254740992")).toThrow("m.x: 9007199254740992 is beyond ±9007199254740991");
  });
});

describe("a begin of a package already decided", () => {
  const pkg = "ab".repeat(32);
  const verdict = (phase: InstallEvent["phase"], code?: string): InstallEvent => ({ session: 1, module: "m", phase, ts: 0, package: pkg, ...(code ? { code } : {}) });
  it("is answered with the verdict only while it holds", () => {
    expect(verdictStillTrue(verdict("confirmed"), pkg)).toBe(true);
    expect(verdictStillTrue(verdict("confirmed"), "cd".repeat(32))).toBe(false); // rolled back since
    expect(verdictStillTrue(verdict("confirmed"), null)).toBe(false);
    expect(verdictStillTrue(verdict("refused", "FWX_PKG_E_SIG"), null)).toBe(true);
    expect(verdictStillTrue(verdict("reverted"), null)).toBe(true);
    // About the device at the time, not the package: "flash again" must not get the same answer forever.
    for (const code of ["shutting-down", "busy", "FWX_PKG_E_NOT_YET_VALID"]) expect(verdictStillTrue(verdict("refused", code), null)).toBe(false);
    // A failed transfer (its bytes, not the package): as fwx_ota.c decides it.
    expect(verdictStillTrue(verdict("failed"), null)).toBe(false);
  });
});

describe("module manager", () => {
  const host: ModuleHost = {
    start: () => { throw new Error("no module should start"); },
    nowMs: () => Date.now(),
    after: () => { throw new Error("no timer should be set"); },
    close: () => {},
  };
  const trust = makeTrust();
  const device = { customer: "c", group: "g", deviceClass: "gateway" as const, capabilities: {}, offeredInterfaces: [] };
  const manager = (dir: string, emit: (e: InstallEvent) => void = () => {}) =>
    new ModuleManager(new StateStore(dir, null), host, { rootPublicKey: trust.rootPub, now: () => Date.now(), device, floor: floorFor(dir) }, DEFAULT_HEALTH, emit);

  it("abandons a trial the agent kept restarting during, naming its package, and forgets a module that never confirmed", () => {
    const dir = tempDir("manager");
    try {
      const sha = "c".repeat(64);
      const slot = { sha256: sha, size: 10, version: "2.0.0", sequence: 2, verifiedAt: 0 };
      const state: DeviceState = {
        format: 1, lastInstall: null,
        modules: { "com.acme.crashy": { slots: { A: slot, B: null }, confirmed: null, trial: { slot: "A", session: 9, boots: DEFAULT_HEALTH.maxTrialBoots }, installedSeq: 0, config: {} } },
      };
      writeFileSync(join(dir.path, "device.json"), JSON.stringify(state));
      mkdirSync(join(dir.path, "slots", "com.acme.crashy"), { recursive: true });
      writeFileSync(join(dir.path, "slots", "com.acme.crashy", "A.fwx"), "0123456789");
      const events: InstallEvent[] = [];
      const m = manager(dir.path, (e) => events.push(e));
      m.boot();
      expect(events).toMatchObject([{ module: "com.acme.crashy", phase: "reverted", session: 9, package: sha }]);
      expect(m.lastInstall).toMatchObject({ phase: "reverted", package: sha, reason: expect.stringMatching(/abandoned at boot: the agent restarted 2 times during the trial/) });
      expect(m.status()).toEqual([]);
      const saved = new StateStore(dir.path, null).load();
      expect(saved.modules).toEqual({});
      expect(saved.lastInstall?.package).toBe(sha);
      expect(existsSync(join(dir.path, "slots", "com.acme.crashy"))).toBe(false);
    } finally {
      dir.cleanup();
    }
  });

  it("refuses rollback, remove and config of names that are only Object properties", () => {
    const dir = tempDir("manager");
    try {
      const m = manager(dir.path);
      for (const name of ["constructor", "__proto__", "toString"]) {
        expect(() => m.remove(name)).toThrow(RequestRefused);
        expect(() => m.remove(name)).toThrow(`module ${name} is not installed (installed: none)`);
        expect(() => m.rollback(name)).toThrow(/is not installed/);
        expect(() => m.setConfig(name, {})).toThrow(/is not installed/);
      }
    } finally {
      dir.cleanup();
    }
  });
});

describe("device proofs and the tool's revocation list", () => {
  it("a proof under a revoked device certificate, or a revoked device key, is refused naming the device and the list", () => {
    const trust = makeTrust();
    const id = trust.identity("gw-rev");
    const cert = Buffer.from(id.deviceCert).toString("base64");
    const proof = signStatement({ device: "gw-rev", request: new Uint8Array(32), outcome: "ok" }, id.deviceKey);
    const ctx = { rootPublicKey: trust.rootPub, device: "gw-rev" };
    expect(verifyStatement(proof, cert, ctx).outcome).toBe("ok");
    // Another device's certificate on the list changes nothing.
    const other = openEnvelopeBytes(trust.identity("gw-other").deviceCert, "device certificate");
    const listOther = extendRevocationList(emptyRevocationList(), { certificates: [certificateDigest(other.body)] }, 0);
    expect(verifyStatement(proof, cert, { ...ctx, revoked: listOther }).outcome).toBe("ok");
    const body = openEnvelopeBytes(id.deviceCert, "device certificate").body;
    const byCert = extendRevocationList(listOther, { certificates: [certificateDigest(body)] }, 0);
    expect(() => verifyStatement(proof, cert, { ...ctx, revoked: byCert })).toThrow(expect.objectContaining({ code: "revoked", message: expect.stringMatching(/^device gw-rev's certificate [0-9a-f]{16}… is revoked \(revocation list serial 2\): its answers are not believed$/) }));
    const byKey = extendRevocationList(emptyRevocationList(), { integratorKeys: [rawPublicKey(id.deviceKey)] }, 0);
    expect(() => verifyStatement(proof, cert, { ...ctx, revoked: byKey })).toThrow(/device gw-rev's key is revoked \(revocation list serial 1\)/);
  });
});

describe("docs/ota-protocol.md", () => {
  it("lists every refusal code the Node agent and the C device answer with", async () => {
    const { readFileSync, readdirSync } = await import("node:fs");
    const { join, resolve } = await import("node:path");
    const repo = resolve(import.meta.dirname, "../..");
    const files = (dir: string, ext: string): string[] => readdirSync(join(repo, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith(ext)).map((e) => join(e.parentPath, e.name));
    const codes = new Set<string>();
    for (const f of files("src", ".ts")) for (const m of readFileSync(f, "utf8").matchAll(/RequestRefused\("([a-z-]+)"/g)) codes.add(m[1]!);
    for (const f of files("firmware/runtime", ".c")) for (const m of readFileSync(f, "utf8").matchAll(/refuse\(why, "([a-z-]+)"/g)) codes.add(m[1]!);
    const doc = readFileSync(join(repo, "docs/ota-protocol.md"), "utf8");
    const paragraph = doc.slice(doc.indexOf("A refusal is `{req, ok: false, code, message}`"), doc.indexOf("### Events (`event`)"));
    expect(codes.size).toBeGreaterThan(10);
    // "unknown-op" and "shutting-down" were answered but not listed.
    expect([...codes].filter((c) => !paragraph.includes(`\`${c}\``))).toEqual([]);
  });
});
