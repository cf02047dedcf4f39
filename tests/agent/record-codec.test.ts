// The .fwxrec byte codec and header checks: values come back exactly as
// written, and a damaged or foreign recording is refused with the byte offset
// and the field at fault, as invalid input (exit 2) rather than a crash.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { Reader, RecordFormatError, Writer, type RecValue } from "../../src/agent/record-codec.js";
import { readRecording, Recorder, recordingHeader, type RecordedModule, type RecordingHeader } from "../../src/agent/record.js";
import { replayRecording, ReplayInputError } from "../../src/agent/replay.js";
import { command as replayCommand } from "../../src/commands/replay.js";
import { UsageError } from "../../src/cli/command.js";
import { tickerModule } from "../fixtures/hostile/modules.js";

const dir = mkdtempSync(join(tmpdir(), "fwx-rec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const roundTrip = (v: RecValue): RecValue => {
  const w = new Writer();
  w.value(v);
  return new Reader(w.finish()).value();
};

const MODULE: RecordedModule = { id: "ticker", source: "ticker.wasm", sha256: "00", fuel: "1000", ramBudgetBytes: 65536, caps: { timers: 1 }, config: {} };

/** A recording holding only a header (no records). */
function headerOnly(header: unknown): Uint8Array {
  return new Recorder(header as RecordingHeader).finish();
}

describe("record codec", () => {
  it("keeps the sign of negative zero (an f32/f64 output of -0.0 replays as -0.0)", () => {
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
    expect(Object.is(roundTrip(0), 0)).toBe(true);
    expect(roundTrip(-7)).toBe(-7);
    expect(roundTrip(0.5)).toBe(0.5);
    expect(roundTrip(-(2n ** 63n))).toBe(-(2n ** 63n));
  });

  it("accepts a 10-byte LEB128 integer and refuses an 11-byte one", () => {
    const ten = Uint8Array.from([...Array(9).fill(0x80), 0x01]);
    expect(new Reader(ten).uvarBig()).toBe(1n << 63n);
    const eleven = Uint8Array.from([...Array(10).fill(0x80), 0x01]);
    expect(() => new Reader(eleven).uvarBig()).toThrow(/byte 10: integer longer than 10 bytes/);
  });
});

describe("recording header", () => {
  it("must be a JSON object", () => {
    expect(() => readRecording(headerOnly(null))).toThrow(RecordFormatError);
    expect(() => readRecording(headerOnly(null))).toThrow(/byte 7: header : is not a JSON object/);
  });

  it("names the module field that is wrong", () => {
    const h = recordingHeader("demo", [{ ...MODULE, fuel: "lots" }]);
    expect(() => readRecording(headerOnly(h))).toThrow(/header modules\[0\]\.fuel: is not a positive integer/);
    const caps = recordingHeader("demo", [{ ...MODULE, caps: { timers: -1 } as never }]);
    expect(() => readRecording(headerOnly(caps))).toThrow(/header modules\[0\]\.caps\.timers/);
  });

  it("refuses a recording made against another host ABI (function numbers would mean other functions)", () => {
    const h = { ...recordingHeader("demo", [MODULE]), abiHash: "0123abcd" };
    expect(() => readRecording(headerOnly(h))).toThrow(/recorded against host ABI 0123abcd, this fwx has [0-9a-f]+/);
  });

  it("asking for a module the recording does not hold is a ReplayInputError", () => {
    const rec = headerOnly(recordingHeader("demo", [MODULE]));
    expect(() => replayRecording(rec, tickerModule(), "other")).toThrow(ReplayInputError);
    expect(() => replayRecording(rec, tickerModule(), "other")).toThrow(/the recording has no module "other" \(it has: ticker\)/);
  });

  it("fwx replay reports a damaged header as invalid input naming the file", async () => {
    const recFile = join(dir, "bad.fwxrec");
    const wasmFile = join(dir, "ticker.wasm");
    writeFileSync(recFile, headerOnly(recordingHeader("demo", [{ ...MODULE, ramBudgetBytes: "big" as never }])));
    writeFileSync(wasmFile, tickerModule());
    const err = await replayCommand.run([recFile, wasmFile]).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/bad\.fwxrec: byte 7: header modules\[0\]\.ramBudgetBytes: is not a positive integer/);
    const missing = await replayCommand.run([recFile.replace("bad", "good"), wasmFile]).then(() => null, (e: unknown) => e);
    expect((missing as Error).message).toMatch(/good\.fwxrec: no such file/);
  });

  it("fwx replay names the recording when the module asked for is not in it", async () => {
    const recFile = join(dir, "one.fwxrec");
    const wasmFile = join(dir, "t.wasm");
    writeFileSync(recFile, headerOnly(recordingHeader("demo", [MODULE])));
    writeFileSync(wasmFile, tickerModule());
    const err = await replayCommand.run([recFile, wasmFile, "--module", "nope"]).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/one\.fwxrec: the recording has no module "nope"/);
  });
});
