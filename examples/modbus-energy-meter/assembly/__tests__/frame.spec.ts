import {
  FN_READ_HOLDING, FN_READ_INPUT, Verdict, buildReadRequest, checkReadResponse, exceptionIsTransient,
  readResponseLength, registerF32, registerU16,
} from "../frame";

function bytes(values: u8[]): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}

// Reference frames computed by the simulator's independent TypeScript Modbus
// slave (src/sim/modbus.ts): FC04 response with 229.5 V, 12.25 A, 2810 W,
// 18342.5 kWh, 50.01 Hz as big-endian float32 pairs.
const MEASURE_OK: u8[] = [
  0x01, 0x04, 0x14, 0x43, 0x65, 0x80, 0x00, 0x41, 0x44, 0x00, 0x00, 0x45, 0x2f, 0xa0, 0x00,
  0x46, 0x8f, 0x4d, 0x00, 0x42, 0x48, 0x0a, 0x3d, 0x26, 0x77,
];
const IDENTIFY_OK: u8[] = [0x01, 0x03, 0x06, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x01, 0xe5, 0x74];
const EXCEPTION_02: u8[] = [0x01, 0x84, 0x02, 0xc2, 0xc1];

describe("read request", () => {
  test("FC04 for 10 input registers from 0 matches the reference bytes", () => {
    const out = new Uint8Array(8);
    expect(buildReadRequest(out, 1, FN_READ_INPUT, 0, 10)).toBe(8);
    const expected = bytes([0x01, 0x04, 0x00, 0x00, 0x00, 0x0a, 0x70, 0x0d]);
    for (let i = 0; i < 8; i++) expect(out[i]).toBe(expected[i]);
  });

  test("FC03 for 3 holding registers from 0 matches the reference bytes", () => {
    const out = new Uint8Array(8);
    buildReadRequest(out, 1, FN_READ_HOLDING, 0, 3);
    const expected = bytes([0x01, 0x03, 0x00, 0x00, 0x00, 0x03, 0x05, 0xcb]);
    for (let i = 0; i < 8; i++) expect(out[i]).toBe(expected[i]);
  });

  test("puts the start address and count big-endian", () => {
    const out = new Uint8Array(8);
    buildReadRequest(out, 17, FN_READ_INPUT, 0x0102, 0x007d);
    expect(out[0]).toBe(17);
    expect(out[2]).toBe(0x01);
    expect(out[3]).toBe(0x02);
    expect(out[4]).toBe(0x00);
    expect(out[5]).toBe(0x7d);
  });

  test("response length for a read of n registers is 5 + 2n", () => {
    expect(readResponseLength(10)).toBe(25);
    expect(readResponseLength(125)).toBe(255);
  });
});

describe("response check", () => {
  test("accepts the reference measurement frame and decodes its floats", () => {
    const f = bytes(MEASURE_OK);
    expect(checkReadResponse(f, f.length, 1, FN_READ_INPUT, 10)).toBe(Verdict.Ok);
    expect(registerF32(f, 0)).toBe(<f32>229.5);
    expect(registerF32(f, 2)).toBe(<f32>12.25);
    expect(registerF32(f, 4)).toBe(<f32>2810);
    expect(registerF32(f, 6)).toBe(<f32>18342.5);
    expect(registerF32(f, 8)).toBeCloseTo(50.01, 4);
  });

  test("accepts the identification frame and decodes its words", () => {
    const f = bytes(IDENTIFY_OK);
    expect(checkReadResponse(f, f.length, 1, FN_READ_HOLDING, 3)).toBe(Verdict.Ok);
    expect(registerU16(f, 0)).toBe(15);
    expect(registerU16(f, 1)).toBe(1);
    expect(registerU16(f, 2)).toBe(1);
  });

  test("every proper prefix of a valid frame is incomplete", () => {
    const f = bytes(MEASURE_OK);
    let wrong = 0;
    for (let len = 0; len < f.length; len++) if (checkReadResponse(f, len, 1, FN_READ_INPUT, 10) != Verdict.Incomplete) wrong++;
    expect(wrong).toBe(0);
  });

  test("a flipped data bit is a CRC error", () => {
    const f = bytes(MEASURE_OK);
    f[10] ^= 0x10;
    expect(checkReadResponse(f, f.length, 1, FN_READ_INPUT, 10)).toBe(Verdict.BadCrc);
  });

  test("a corrupted byte count is a CRC error, not a length mismatch", () => {
    const f = bytes(MEASURE_OK);
    f[2] = 0x12;
    // With byte count 18 the frame "ends" two bytes early; its CRC cannot match.
    expect(checkReadResponse(f, f.length, 1, FN_READ_INPUT, 10)).toBe(Verdict.BadCrc);
  });

  test("a valid frame from another unit is refused", () => {
    const f = bytes(MEASURE_OK);
    expect(checkReadResponse(f, f.length, 2, FN_READ_INPUT, 10)).toBe(Verdict.WrongUnit);
  });

  test("a valid frame with fewer registers than asked is a length error", () => {
    const f = bytes(IDENTIFY_OK);
    expect(checkReadResponse(f, f.length, 1, FN_READ_HOLDING, 4)).toBe(Verdict.BadLength);
  });

  test("bytes after a valid frame make it a length error", () => {
    const f = new Uint8Array(IDENTIFY_OK.length + 1);
    for (let i = 0; i < IDENTIFY_OK.length; i++) f[i] = IDENTIFY_OK[i];
    f[IDENTIFY_OK.length] = 0x00;
    expect(checkReadResponse(f, f.length, 1, FN_READ_HOLDING, 3)).toBe(Verdict.BadLength);
  });

  test("an answer to another function is flagged at once", () => {
    const f = bytes(IDENTIFY_OK);
    expect(checkReadResponse(f, 2, 1, FN_READ_INPUT, 3)).toBe(Verdict.WrongFunction);
  });

  test("the exception response is recognised with its code", () => {
    const f = bytes(EXCEPTION_02);
    expect(checkReadResponse(f, 4, 1, FN_READ_INPUT, 10)).toBe(Verdict.Incomplete);
    expect(checkReadResponse(f, 5, 1, FN_READ_INPUT, 10)).toBe(Verdict.Exception);
    expect(f[2]).toBe(2);
  });

  test("only busy/failure exceptions are worth a retry", () => {
    expect(exceptionIsTransient(2)).toBe(false);
    expect(exceptionIsTransient(1)).toBe(false);
    expect(exceptionIsTransient(4)).toBe(true);
    expect(exceptionIsTransient(6)).toBe(true);
  });
});
