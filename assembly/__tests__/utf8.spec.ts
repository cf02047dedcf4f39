// The SDK's own UTF-8 encoder (internal/scratch.ts) against the standard
// library's String.UTF8.encode, an independent implementation: every length
// class, every lone-surrogate shape, the cut at a character boundary and the
// whole-string copy for a name too long for its static slot.
import { Log, LogLine, Status, Telemetry } from "fwx";
import { Mock } from "fwx/testing";

function sameBytes(at: usize, expected: ArrayBuffer): bool {
  for (let i = 0; i < expected.byteLength; i++) {
    if (load<u8>(at + <usize>i) != load<u8>(changetype<usize>(expected) + <usize>i)) return false;
  }
  return true;
}

const SAMPLES: string[] = [
  "",
  "plain ascii \x00\x7f",
  "\u0080\u07ff two-byte",
  "\u0800\uffff three-byte",
  "\u{10000}\u{10ffff} four-byte 😀",
  String.fromCharCode(0xd800) + "lone high in front",
  "lone low " + String.fromCharCode(0xdc00),
  "high then not low " + String.fromCharCode(0xd83d) + "x",
  "high at the end " + String.fromCharCode(0xdbff),
  "low then high " + String.fromCharCode(0xdc00, 0xd800),
];

describe("UTF-8 encoding", () => {
  beforeEach(() => { Mock.reset(); });

  test("matches the standard library's encoder, lone surrogates as U+FFFD", () => {
    for (let i = 0; i < SAMPLES.length; i++) {
      const s = SAMPLES[i];
      const expected = String.UTF8.encode(s, false, String.UTF8.ErrorMode.REPLACE);
      expect(Log.info(s)).toBe(Status.Ok);
      expect(Mock.logMessage()).toBe(String.UTF8.decode(expected));
      expect(sameBytes(LogLine.ptr, expected)).toBe(true, s);
    }
  });

  test("a four-byte character that does not fit whole is left out", () => {
    // 1 + 63 * 4 = 253 bytes fit in the host's 256; the 64th emoji would not.
    Log.info("a" + "😀".repeat(64));
    expect(Mock.logMessage()).toBe("a" + "😀".repeat(63));
  });

  test("a payload too long for its static slot is copied whole, with its real length", () => {
    // 600 two-byte characters: 1,200 bytes, past the 1 KiB slot and the telemetry limit.
    expect(Telemetry.publishString("t", "é".repeat(600))).not.toBe(Status.Ok);
    expect(Telemetry.publishString("t", "é".repeat(512))).toBe(Status.Ok);
    expect(Mock.lastTelemetry()).toBe("é".repeat(512));
  });
});
