// CRC-32 (IEEE, reflected) over a 64 KiB buffer: table-driven, memory-bound
// byte loop, the shape of checksum code in protocol handlers.
// AssemblyScript source, compiled in-process by compile.ts (kept as a string so
// the repository type-check does not read it as TypeScript).

export const crc32Source = String.raw`
const table = memory.data(256 * 4);
const buffer = memory.data(65536);

export function init(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(table + (n << 2), c);
  }
  let x: u32 = 0x12345678;
  for (let i = 0; i < 65536; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    store<u8>(buffer + i, <u8>x);
  }
}

export function crc32(len: i32): u32 {
  let crc: u32 = 0xffffffff;
  for (let i = 0; i < len; i++) {
    const b = <u32>load<u8>(buffer + i);
    crc = load<u32>(table + (((crc ^ b) & 0xff) << 2)) ^ (crc >>> 8);
  }
  return crc ^ 0xffffffff;
}

/** The benchmark workload: "rounds" passes over the whole buffer. */
export function run(rounds: i32): u32 {
  let acc: u32 = 0;
  for (let r = 0; r < rounds; r++) acc ^= crc32(65536);
  return acc;
}
`;
