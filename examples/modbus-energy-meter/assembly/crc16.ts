// CRC-16/MODBUS: reflected polynomial 0xA001 (0x8005 bit-reversed), initial
// value 0xFFFF, no final XOR, sent low byte first. The table-driven form
// (one lookup per byte) is what the module uses; the bitwise form is the
// definition, kept to check the table against and as a benchmark baseline.

const POLY: u32 = 0xa001;

function makeTable(): StaticArray<u16> {
  const table = new StaticArray<u16>(256);
  for (let n: u32 = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >> 1) ^ POLY : crc >> 1;
    table[n] = <u16>crc;
  }
  return table;
}

// Built once when the module starts (512 bytes), not on every frame.
const TABLE: StaticArray<u16> = makeTable();

/** CRC of `len` bytes at `ptr`, one table lookup per byte. */
export function crc16(ptr: usize, len: usize): u16 {
  let crc: u32 = 0xffff;
  for (let i: usize = 0; i < len; i++) {
    crc = (crc >> 8) ^ <u32>unchecked(TABLE[(crc ^ <u32>load<u8>(ptr + i)) & 0xff]);
  }
  return <u16>crc;
}

/** The same CRC computed bit by bit, straight from the definition. */
export function crc16Bitwise(ptr: usize, len: usize): u16 {
  let crc: u32 = 0xffff;
  for (let i: usize = 0; i < len; i++) {
    crc ^= <u32>load<u8>(ptr + i);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >> 1) ^ POLY : crc >> 1;
  }
  return <u16>crc;
}

/** CRC of the first `len` bytes of `bytes`. */
export function crc16Of(bytes: Uint8Array, len: i32): u16 {
  return crc16(bytes.dataStart, <usize>min(len, bytes.length));
}
