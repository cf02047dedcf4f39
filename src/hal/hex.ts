// Hex formatting of peripheral bytes for event-log lines, shared by the host
// implementations and every backend.

/** Bytes as `01 03 00 00`, cut after `max` bytes with a count of the rest. */
export function hexBytes(bytes: ArrayLike<number>, max = 64): string {
  // Called for every bus transfer the event log shows: one table lookup per byte.
  const n = Math.min(bytes.length, max);
  let text = n > 0 ? HEX[bytes[0]! & 0xff]! : "";
  for (let i = 1; i < n; i++) text += " " + HEX[bytes[i]! & 0xff]!;
  if (bytes.length > max) text += `${n > 0 ? " " : ""}… (+${bytes.length - max})`;
  return text;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** One byte (an I2C address, a data byte) as `0x48`. */
export function hexByte(byte: number): string {
  return "0x" + byte.toString(16).padStart(2, "0");
}
