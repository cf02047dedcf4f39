// Static scratch memory for host calls. The host never allocates in guest
// memory: every out-value and every UTF-8 string it reads must already be in
// linear memory. Keeping that memory in static data segments (memory.data)
// means a call costs no allocation at all, which matters on a stub runtime
// that never frees.

/** Out-pointer area: room for three 8-byte outputs, 8-byte aligned for f64/u64. */
export const OUT: usize = memory.data(24, 8);

// Two text slots, because one call may pass two strings (key + payload).
// Sizes follow the ABI limits: names, keys and topics are at most 64 bytes;
// telemetry payloads at most 1024.
const NAME_CAP: usize = 192;
const TEXT_CAP: usize = 1024;
const NAME_BUF: usize = memory.data(<i32>NAME_CAP);
const TEXT_BUF: usize = memory.data(<i32>TEXT_CAP);

/** Pointer and byte length of the string most recently encoded by encodeName/encodeText. */
export let utf8Ptr: usize = 0;
export let utf8Len: usize = 0;

function encodeInto(s: string, buf: usize, cap: usize): void {
  const units = <usize>s.length;
  // Fast path: 3 bytes per UTF-16 unit is the worst case (surrogate pairs
  // produce 4 bytes for 2 units), so this bound is exact enough to skip a
  // separate length pass.
  if (units * 3 <= cap) {
    utf8Ptr = buf;
    utf8Len = String.UTF8.encodeUnsafe(changetype<usize>(s), <i32>units, buf, false, String.UTF8.ErrorMode.REPLACE);
    return;
  }
  const needed = <usize>String.UTF8.byteLength(s);
  if (needed <= cap) {
    utf8Ptr = buf;
  } else {
    // Too long for the static slot: allocate once. The host will usually
    // refuse such a string anyway (invalid-arg / no-space), but it must see
    // the real length to say so.
    utf8Ptr = changetype<usize>(String.UTF8.encode(s, false, String.UTF8.ErrorMode.REPLACE));
  }
  utf8Len = String.UTF8.encodeUnsafe(changetype<usize>(s), <i32>units, utf8Ptr, false, String.UTF8.ErrorMode.REPLACE);
}

/** Encodes a short string (name, key, topic) into the name slot. */
export function encodeName(s: string): void {
  encodeInto(s, NAME_BUF, NAME_CAP);
}

/** Encodes a long string (message, payload) into the text slot. */
export function encodeText(s: string): void {
  encodeInto(s, TEXT_BUF, TEXT_CAP);
}
