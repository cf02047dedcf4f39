// Modbus RTU frames: [unit][function][data...][CRC lo][CRC hi]. The module is
// the bus master: it builds read requests and checks each response before
// trusting a single register in it.
import { crc16, crc16Of } from "./crc16";

export const FN_READ_HOLDING: u8 = 0x03;
export const FN_READ_INPUT: u8 = 0x04;
/** A slave sets this bit in the function code of an exception response. */
export const EXCEPTION_BIT: u8 = 0x80;
/** The protocol's limit for one read (the response must fit in 256 bytes). */
export const MAX_READ_REGISTERS: u16 = 125;
export const REQUEST_LENGTH: i32 = 8;
export const EXCEPTION_LENGTH: i32 = 5;

/** What the bytes received so far amount to. */
export const enum Verdict {
  /** A valid beginning; more bytes are due. */
  Incomplete = 0,
  Ok = 1,
  /** A valid exception response; its code is at byte 2. */
  Exception = 2,
  BadCrc = 3,
  /** A valid frame from another unit: two masters, or a misconfigured unit id. */
  WrongUnit = 4,
  /** Neither the function we asked for nor its exception: the length cannot be known. */
  WrongFunction = 5,
  /** Byte count disagrees with the request, or bytes after the end of the frame. */
  BadLength = 6,
}

export function verdictName(v: Verdict): string {
  switch (v) {
    case Verdict.Incomplete: return "incomplete frame";
    case Verdict.Ok: return "ok";
    case Verdict.Exception: return "exception";
    case Verdict.BadCrc: return "CRC error";
    case Verdict.WrongUnit: return "answer from another unit";
    case Verdict.WrongFunction: return "unexpected function code";
    default: return "bad length";
  }
}

/** Standard exception codes, for log lines. */
export function exceptionName(code: u32): string {
  switch (code) {
    case 1: return "illegal function";
    case 2: return "illegal data address";
    case 3: return "illegal data value";
    case 4: return "slave device failure";
    case 5: return "acknowledge";
    case 6: return "slave device busy";
    case 10: return "gateway path unavailable";
    case 11: return "gateway target failed to respond";
    default: return "unknown exception";
  }
}

/** Whether asking again can help: the slave was busy or failed, not our request being wrong. */
export function exceptionIsTransient(code: u32): bool {
  return code == 4 || code == 5 || code == 6 || code == 11;
}

/** Writes a read request (function 03 or 04) into `out`; returns its length (8). */
export function buildReadRequest(out: Uint8Array, unit: u8, fn: u8, start: u16, count: u16): i32 {
  out[0] = unit;
  out[1] = fn;
  out[2] = <u8>(start >> 8);
  out[3] = <u8>start;
  out[4] = <u8>(count >> 8);
  out[5] = <u8>count;
  const crc = crc16Of(out, 6);
  out[6] = <u8>crc;
  out[7] = <u8>(crc >> 8);
  return REQUEST_LENGTH;
}

/** Length of the normal response to a read of `count` registers. */
export function readResponseLength(count: u16): i32 {
  return 3 + 2 * <i32>count + 2;
}

function crcOk(frame: Uint8Array, len: i32): bool {
  const crc = crc16(frame.dataStart, <usize>(len - 2));
  return frame[len - 2] == <u8>crc && frame[len - 1] == <u8>(crc >> 8);
}

/**
 * Judges the first `len` bytes of `frame` as the response to a read of
 * `count` registers with function `fn` from `unit`. The CRC is checked
 * before any field, so a corrupted unit or byte count reads as a CRC error.
 */
export function checkReadResponse(frame: Uint8Array, len: i32, unit: u8, fn: u8, count: u16): Verdict {
  if (len < 2) return Verdict.Incomplete;
  const got = frame[1];
  let expected: i32;
  if (got == fn) {
    // Trust the slave's byte count for framing only; it is checked against
    // the request once the CRC has vouched for it.
    if (len < 3) return Verdict.Incomplete;
    expected = 5 + <i32>frame[2];
  } else if (got == (fn | EXCEPTION_BIT)) expected = EXCEPTION_LENGTH;
  else return Verdict.WrongFunction;
  if (len < expected) return Verdict.Incomplete;
  if (len > expected) return crcOk(frame, expected) ? Verdict.BadLength : Verdict.BadCrc;
  if (!crcOk(frame, len)) return Verdict.BadCrc;
  if (frame[0] != unit) return Verdict.WrongUnit;
  if (got != fn) return Verdict.Exception;
  return <i32>frame[2] == 2 * <i32>count ? Verdict.Ok : Verdict.BadLength;
}

/** Register `index` (0-based) of a checked read response, as an unsigned 16-bit word. */
export function registerU16(frame: Uint8Array, index: i32): u16 {
  const at = 3 + 2 * index;
  return (<u16>frame[at] << 8) | <u16>frame[at + 1];
}

/** Registers `index` and `index + 1` as an IEEE-754 float, high word first (the meter's order). */
export function registerF32(frame: Uint8Array, index: i32): f32 {
  const bits = (<u32>registerU16(frame, index) << 16) | <u32>registerU16(frame, index + 1);
  return reinterpret<f32>(bits);
}
