// Formatting shared by the event-log entries of the host implementations.

/** Bytes as `01 03 00 00`, cut after `max` bytes with a count of the rest. */
export function hexBytes(bytes: ArrayLike<number>, max = 64): string {
  const parts: string[] = [];
  for (let i = 0; i < Math.min(bytes.length, max); i++) parts.push(bytes[i]!.toString(16).padStart(2, "0"));
  if (bytes.length > max) parts.push(`… (+${bytes.length - max})`);
  return parts.join(" ");
}

export function hexAddress(address: number): string {
  return "0x" + address.toString(16).padStart(2, "0");
}
