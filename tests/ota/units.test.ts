import { describe, expect, it } from "vitest";
import { applyDelta, DeltaError, encodeDelta } from "../../src/ota/delta.js";
import { crc32 } from "../../src/ota/crc32.js";
import { crashHookFromSpec } from "../../src/ota/crash.js";
import { checkConfigValues, ConfigValueError, effectiveConfig } from "../../src/ota/config-values.js";
import { decodeAck, decodeChunk, encodeAck, encodeChunk, ProtocolError } from "../../src/ota/protocol.js";
import { topicMatches } from "../../src/ota/rpc.js";

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
});

describe("protocol frames", () => {
  it("CRC-32 matches the IEEE check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });

  it("encodes chunks and acks and detects a corrupted chunk", () => {
    const data = bytes(1024, 5);
    const frame = encodeChunk(77, 4096, data);
    expect(frame.length).toBe(1024 + 13);
    const c = decodeChunk(frame);
    expect(c.session).toBe(77);
    expect(c.offset).toBe(4096);
    expect(Buffer.from(c.data).equals(Buffer.from(data))).toBe(true);
    frame[500]! ^= 4;
    expect(() => decodeChunk(frame)).toThrow(ProtocolError);
    expect(() => decodeChunk(frame)).toThrow(/chunk at offset 4096: CRC32/);
    expect(decodeAck(encodeAck({ session: 9, offset: 123456, gap: true }))).toEqual({ session: 9, offset: 123456, gap: true });
  });

  it("matches MQTT topic filters", () => {
    expect(topicMatches("fwx/v1/+/status", "fwx/v1/gw-1/status")).toBe(true);
    expect(topicMatches("fwx/v1/+/status", "fwx/v1/gw-1/presence")).toBe(false);
    expect(topicMatches("fwx/v1/#", "fwx/v1/gw-1/telemetry/m/t")).toBe(true);
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
    expect(() => checkConfigValues("m", fields, { enabled: "yes" })).toThrow(/true or false/);
    expect(() => checkConfigValues("m", fields, { other: "1" })).toThrow(/no config field "other"/);
    expect([...effectiveConfig(fields, { period: "5" })]).toEqual([["threshold", "8"], ["period", "5"], ["enabled", "true"]]);
  });
});
