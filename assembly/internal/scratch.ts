// Static scratch memory for host calls. The host never allocates in guest
// memory: every out-value and every UTF-8 string it reads must already be in
// linear memory. Keeping that memory in static data segments (memory.data)
// means a call costs no allocation at all, which matters on a stub runtime
// that never frees.

/** Out-pointer area: room for three 8-byte outputs, 8-byte aligned for f64/u64. */
export const OUT: usize = memory.data(24, 8);

/**
 * OUT, cleared, for a length the host writes only with some statuses (ok,
 * no-space): after any other failure the length then reads 0 instead of
 * whatever the previous call left there.
 */
export function lengthOut(): usize {
  store<u32>(OUT, 0);
  return OUT;
}

// Two text slots, because one call may pass two strings (key + payload).
// Sizes follow the ABI limits: names, keys and topics are at most 64 bytes;
// telemetry payloads at most 1024.
const NAME_CAP: usize = 192;
const TEXT_CAP: usize = 1024;

// The slots are reserved inside functions, not by top-level constants:
// AssemblyScript reserves a top-level memory.data in every module that
// imports the file, a function's only when the function is compiled, i.e.
// used. A module that never sends a payload string does not carry 1 KiB of
// RAM for it.
function nameBuffer(): usize {
  return memory.data(<i32>NAME_CAP);
}

function textBuffer(): usize {
  return memory.data(<i32>TEXT_CAP);
}

/** Pointer to the string most recently encoded by encodeName/encodeText. */
export let utf8Ptr: usize = 0;
/** Its length in bytes. */
export let utf8Len: usize = 0;

function encodeInto(s: string, buf: usize, cap: usize): void {
  const n = encodePrefix(s, buf, cap);
  if (prefixComplete) {
    utf8Ptr = buf;
    utf8Len = n;
    return;
  }
  // Too long for the static slot: allocate once. The host will usually
  // refuse such a string anyway (invalid-arg / no-space), but it must see
  // the real length to say so.
  const len = utf8Length(s);
  // Raw bytes, not an ArrayBuffer: the host reads them once, and an
  // ArrayBuffer would link in its length check and its abort texts.
  const copy = heap.alloc(len);
  encodePrefix(s, copy, len);
  utf8Ptr = copy;
  utf8Len = len;
}

/** Encodes a short string (name, key, topic) into the name slot. */
export function encodeName(s: string): void {
  encodeInto(s, nameBuffer(), NAME_CAP);
}

/** Encodes a long string (message, payload) into the text slot. */
export function encodeText(s: string): void {
  encodeInto(s, textBuffer(), TEXT_CAP);
}

/** Whether the last encodePrefix took the whole string. */
export let prefixComplete: bool = true;

/**
 * Encodes as much of `s` as fits in `cap` bytes at `buf` as UTF-8 (lone
 * surrogates become U+FFFD) and returns the bytes written. The cut falls
 * between characters, never inside one or between the halves of a
 * surrogate pair. Never allocates: for text the host shortens anyway (log
 * lines, fault reports).
 */
export function encodePrefix(s: string, buf: usize, cap: usize): usize {
  return encodeUnitsPrefix(s, 0, s.length, buf, cap);
}

/**
 * encodePrefix for the UTF-16 code units from..to of `s` (a run between JSON
 * escapes). The SDK's own encoder rather than String.UTF8.encodeUnsafe:
 * measuring and writing in one loop, with one error mode, links in about a
 * third of the standard library's code and none of its abort texts.
 */
export function encodeUnitsPrefix(s: string, from: i32, to: i32, buf: usize, cap: usize): usize {
  const units = changetype<usize>(s);
  let out: usize = 0;
  let i = from;
  while (i < to) {
    let c = <u32>load<u16>(units + (<usize>i << 1));
    let width = 1;
    let size: usize = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    if ((c & 0xf800) == 0xd800) {
      // A high surrogate followed by a low one is one 4-byte character;
      // any other surrogate is lone and becomes U+FFFD.
      const next = i + 1 < to ? <u32>load<u16>(units + (<usize>(i + 1) << 1)) : 0;
      if ((c & 0xfc00) == 0xd800 && (next & 0xfc00) == 0xdc00) {
        c = 0x10000 + ((c & 0x3ff) << 10) + (next & 0x3ff);
        size = 4;
        width = 2;
      } else c = 0xfffd;
    }
    if (out + size > cap) break;
    const at = buf + out;
    if (size == 1) store<u8>(at, c);
    else {
      // Continuation bytes from the last backwards, then the lead byte with
      // its length marker (0xc0, 0xe0 or 0xf0).
      let rest = c;
      for (let k = <i32>size - 1; k > 0; k--) {
        store<u8>(at + k, 0x80 | (rest & 0x3f));
        rest >>= 6;
      }
      store<u8>(at, ((0xf00 >> <u32>size) & 0xf0) | rest);
    }
    out += size;
    i += width;
  }
  prefixComplete = i == to;
  return out;
}

/** Bytes of the UTF-8 of `s` (lone surrogates as U+FFFD), as encodeUnitsPrefix writes it. */
function utf8Length(s: string): usize {
  const units = changetype<usize>(s);
  const n = s.length;
  let bytes: usize = 0;
  for (let i = 0; i < n; i++) {
    const c = <u32>load<u16>(units + (<usize>i << 1));
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if ((c & 0xfc00) == 0xd800 && i + 1 < n && (<u32>load<u16>(units + (<usize>(i + 1) << 1)) & 0xfc00) == 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** The abort handler's area: the name slot, which nothing else uses once the module is failing. */
export function abortBuffer(): usize {
  return nameBuffer();
}

/** Bytes of an abort message kept; the file name gets the rest of the slot. */
export const ABORT_MESSAGE_CAP: usize = 128;
/** Bytes of an abort's file name kept. */
export const ABORT_FILE_CAP: usize = NAME_CAP - ABORT_MESSAGE_CAP;
