import { crc16, crc16Bitwise, crc16Of } from "../crc16";

function bytes(values: u8[]): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}

describe("CRC-16/MODBUS", () => {
  test("of the reference request 01 03 00 00 00 0A is C5 CD on the wire", () => {
    const crc = crc16Of(bytes([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a]), 6);
    expect(crc).toBe(0xcdc5);
    expect(<u8>crc).toBe(0xc5); // sent first
    expect(<u8>(crc >> 8)).toBe(0xcd);
  });

  test("of the ASCII digits 123456789 is the catalogue check value 4B37", () => {
    const text = bytes([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39]);
    expect(crc16Of(text, 9)).toBe(0x4b37);
  });

  test("of nothing is the initial value FFFF", () => {
    expect(crc16Of(new Uint8Array(0), 0)).toBe(0xffff);
  });

  test("of a frame with its own CRC appended is 0 (how receivers can check in one pass)", () => {
    const frame = bytes([0x01, 0x04, 0x00, 0x00, 0x00, 0x0a, 0x70, 0x0d]);
    expect(crc16Of(frame, 8)).toBe(0);
  });

  test("table-driven and bitwise forms agree on every length of a pseudo-random stream", () => {
    const data = new Uint8Array(300);
    let x: u32 = 0x12345678;
    for (let i = 0; i < data.length; i++) {
      x = x * 1664525 + 1013904223;
      data[i] = <u8>(x >> 24);
    }
    let mismatches = 0;
    for (let len = 0; len <= data.length; len++) {
      if (crc16(data.dataStart, <usize>len) != crc16Bitwise(data.dataStart, <usize>len)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  test("detects every single-bit error in a response frame", () => {
    const frame = bytes([0x01, 0x03, 0x06, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x01]);
    const good = crc16Of(frame, 9);
    let undetected = 0;
    for (let i = 0; i < 9; i++) {
      for (let bit = 0; bit < 8; bit++) {
        frame[i] = frame[i] ^ <u8>(<i32>1 << bit);
        if (crc16Of(frame, 9) == good) undetected++;
        frame[i] = frame[i] ^ <u8>(<i32>1 << bit);
      }
    }
    expect(undetected).toBe(0);
  });
});
