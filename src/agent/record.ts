// Recording a run (.fwxrec) so it can be replayed against a module later.
//
// Format, version 2 (all integers LEB128; "svar" zigzag-signed):
//   "FWXREC" u8 version
//   str header                 JSON: modules (id, source, sha256, fuel, RAM budget, caps, config), board, ABI hash, end time
//   records until the end of the file, each starting with a tag byte:
//   0x01 DELIVERY  uvar module, uvar tUs, u8 kind (0 init, 1 timer, 2 event, 3 deinit), uvar argc, svar args…
//   0x02 CALL      uvar module, uvar fn (FUNCTIONS index), uvar argc, value args…, u8 flags
//                  flags bit 0 = the implementation trapped: str reason, str detail
//                  otherwise: value result, uvar n, value outputs… (ABI order), uvar m, bytes written into mut-buffers…
//   0x03 OUTCOME   uvar module, u8 ok; ok: value returned (0 when none); fault: str reason, str detail
// Values are tagged (int, bigint, f64, bool, str, bytes, mut-buffer capacity,
// an output left unset), so a call's arguments are recorded as the
// implementation saw them: strings and buffer contents, not guest pointers
// that would differ after any rebuild. Function numbers are indices into
// FUNCTIONS, which depend on the ABI: the header's ABI hash must match.

import { createHash } from "node:crypto";
import { FUNCTIONS, type HostImpl } from "../abi/host.generated.js";
import { CapabilityError, parseCapabilities, type Capabilities } from "../caps/capabilities.js";
import { FUNCTION_BY_INDEX, LOWERED } from "./abi.js";
import { camel as methodName } from "../../host-abi/gen/names.js";
import { GuestTrap, type FaultReason } from "./faults.js";
import type { CallOutcome } from "./instance.js";
import { Reader, RECORD_MAGIC, RecordFormatError, Writer, type RecValue } from "./record-codec.js";
import type { DeliveryKind, RunObserver } from "./runtime.js";

export { RECORD_MAGIC };
/** 2: outputs an implementation left unset are recorded as such (tag 8). */
export const RECORD_VERSION = 2;
const TAG_DELIVERY = 1, TAG_CALL = 2, TAG_OUTCOME = 3;
export const DELIVERY_KINDS: readonly DeliveryKind[] = ["init", "timer", "event", "deinit"];

export interface RecordedModule {
  id: string;
  source: string;
  sha256: string;
  fuel: string;
  ramBudgetBytes: number;
  caps: Capabilities;
  config: Record<string, string>;
}

export interface RecordingHeader {
  abiHash: string;
  board: string;
  modules: RecordedModule[];
}

export type RecordEntry =
  | { tag: "delivery"; module: number; tUs: bigint; kind: DeliveryKind; args: number[] }
  | { tag: "call"; module: number; fn: number; args: RecValue[]; trap: { reason: string; detail: string } | null; result: RecValue; outputs: RecValue[]; written: Uint8Array[] }
  | { tag: "outcome"; module: number; ok: boolean; value: RecValue; reason: string; detail: string };

export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** The output fields an implementation fills, in ABI order (camelCase). */
export const outputFields = (fn: number) => FUNCTION_BY_INDEX[fn]!.outputs.map((o) => methodName(o.spec.name));
/** Which implementation arguments are mut-buffers. */
export const mutArgs = (fn: number): boolean[] => FUNCTION_BY_INDEX[fn]!.params.map((p) => p.marshal.kind === "mut-buffer");

/** Converts an implementation argument to a recorded value. */
function recArg(v: unknown, isMut: boolean): RecValue {
  if (v instanceof Uint8Array) return isMut ? { capacity: v.length } : v.slice();
  return v as RecValue;
}

/** Bytes of `after` up to its last byte that differs from `before` (what the call wrote). */
function writtenPrefix(before: Uint8Array, after: Uint8Array): Uint8Array {
  let last = -1;
  for (let i = after.length - 1; i >= 0; i--) if (after[i] !== before[i]) { last = i; break; }
  return after.slice(0, last + 1);
}

export class Recorder implements RunObserver {
  private readonly w = new Writer();

  constructor(header: RecordingHeader) {
    for (const c of RECORD_MAGIC) this.w.u8(c.charCodeAt(0));
    this.w.u8(RECORD_VERSION);
    this.w.str(JSON.stringify(header));
  }

  delivery(moduleIndex: number, tUs: bigint, kind: DeliveryKind, args: number[]): void {
    this.w.u8(TAG_DELIVERY);
    this.w.uvar(moduleIndex);
    this.w.uvar(tUs);
    this.w.u8(DELIVERY_KINDS.indexOf(kind));
    this.w.uvar(args.length);
    for (const a of args) this.w.svar(a);
  }

  outcome(moduleIndex: number, outcome: CallOutcome): void {
    this.w.u8(TAG_OUTCOME);
    this.w.uvar(moduleIndex);
    this.w.u8(outcome.ok ? 1 : 0);
    if (outcome.ok) this.w.value(typeof outcome.value === "number" ? outcome.value : 0);
    else {
      this.w.str(outcome.report.reason);
      this.w.str(outcome.report.detail);
    }
  }

  wrapHost(moduleIndex: number, host: HostImpl): HostImpl {
    const wrapped = {} as Record<string, Record<string, unknown>>;
    for (const iface of Object.keys(host)) wrapped[iface] = { ...(host as unknown as Record<string, Record<string, unknown>>)[iface] };
    FUNCTIONS.forEach((f, fn) => {
      const impl = (host as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>)[f.iface]![methodName(f.name)]!.bind((host as unknown as Record<string, unknown>)[f.iface]);
      const mut = mutArgs(fn);
      const outs = outputFields(fn);
      wrapped[f.iface]![methodName(f.name)] = (...args: unknown[]) => {
        const before = args.map((a, i) => (mut[i] && a instanceof Uint8Array ? a.slice() : null));
        const recArgs = mut.map((m, i) => recArg(args[i], m));
        let result: unknown;
        try {
          result = impl(...args);
        } catch (e) {
          if (e instanceof GuestTrap) this.call(moduleIndex, fn, recArgs, { reason: e.reason, detail: e.detail }, 0, [], []);
          throw e;
        }
        const out = outs.length ? (args[args.length - 1] as Record<string, RecValue>) : null;
        const written = before.flatMap((b, i) => (b ? [writtenPrefix(b, args[i] as Uint8Array)] : []));
        this.call(moduleIndex, fn, recArgs, null, result as RecValue, out ? outs.map((k) => out[k]) : [], written);
        return result;
      };
    });
    return wrapped as unknown as HostImpl;
  }

  private call(module: number, fn: number, args: RecValue[], trap: { reason: string; detail: string } | null, result: RecValue, outputs: RecValue[], written: Uint8Array[]): void {
    const w = this.w;
    w.u8(TAG_CALL);
    w.uvar(module);
    w.uvar(fn);
    w.uvar(args.length);
    for (const a of args) w.value(a);
    w.u8(trap ? 1 : 0);
    if (trap) {
      w.str(trap.reason);
      w.str(trap.detail);
      return;
    }
    w.value(result);
    w.uvar(outputs.length);
    for (const o of outputs) w.value(o);
    w.uvar(written.length);
    for (const b of written) w.bytes(b);
  }

  finish(): Uint8Array {
    return this.w.finish();
  }
}

export function readRecording(bytes: Uint8Array): { header: RecordingHeader; entries: RecordEntry[] } {
  const r = new Reader(bytes);
  const magic = String.fromCharCode(...bytes.subarray(0, RECORD_MAGIC.length));
  if (magic !== RECORD_MAGIC) throw new RecordFormatError(`not a recording (expected "${RECORD_MAGIC}" magic)`, 0);
  r.pos = RECORD_MAGIC.length;
  const version = r.u8();
  if (version !== RECORD_VERSION) throw new RecordFormatError(`recording format version ${version}; this fwx reads version ${RECORD_VERSION}`, RECORD_MAGIC.length);
  const at = r.pos;
  let json: unknown;
  try {
    json = JSON.parse(r.str());
  } catch (e) {
    if (e instanceof RecordFormatError) throw e;
    throw new RecordFormatError(`header is not JSON: ${(e as Error).message}`, at);
  }
  const header = checkHeader(json, at);
  const entries: RecordEntry[] = [];
  while (!r.atEnd) {
    const start = r.pos;
    const tag = r.u8();
    const module = r.uvar();
    if (module >= header.modules.length) throw new RecordFormatError(`module index ${module} but the header lists ${header.modules.length}`, start);
    if (tag === TAG_DELIVERY) {
      const tUs = r.uvarBig();
      const k = r.u8();
      const kind = DELIVERY_KINDS[k];
      if (!kind) throw new RecordFormatError(`unknown delivery kind ${k}`, start);
      const n = r.uvar();
      entries.push({ tag: "delivery", module, tUs, kind, args: Array.from({ length: n }, () => Number(r.svarBig())) });
    } else if (tag === TAG_CALL) {
      const fn = r.uvar();
      if (fn >= FUNCTIONS.length) throw new RecordFormatError(`function index ${fn} is not in this ABI`, start);
      const args = Array.from({ length: r.uvar() }, () => r.value());
      const trapped = r.u8() & 1;
      if (trapped) {
        const reason = r.str();
        entries.push({ tag: "call", module, fn, args, trap: { reason, detail: r.str() }, result: 0, outputs: [], written: [] });
      } else {
        const result = r.value();
        const outputs = Array.from({ length: r.uvar() }, () => r.value());
        const written = Array.from({ length: r.uvar() }, () => r.bytes());
        entries.push({ tag: "call", module, fn, args, trap: null, result, outputs, written });
      }
    } else if (tag === TAG_OUTCOME) {
      const ok = r.u8() === 1;
      if (ok) entries.push({ tag: "outcome", module, ok, value: r.value(), reason: "", detail: "" });
      else {
        const reason = r.str();
        entries.push({ tag: "outcome", module, ok, value: 0, reason, detail: r.str() });
      }
    } else throw new RecordFormatError(`unknown record tag ${tag}`, start);
  }
  return { header, entries };
}

/** The header as replay relies on it; anything else is a RecordFormatError at `at` naming the field. */
function checkHeader(json: unknown, at: number): RecordingHeader {
  const fail = (field: string, problem: string): never => {
    throw new RecordFormatError(`header ${field}: ${problem}`, at);
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(json)) return fail("", "is not a JSON object");
  if (typeof json.abiHash !== "string") fail("abiHash", "is missing");
  if (json.abiHash !== LOWERED.hash) {
    fail("abiHash", `the run was recorded against host ABI ${String(json.abiHash)}, this fwx has ${LOWERED.hash} (function numbers differ between ABIs)`);
  }
  if (typeof json.board !== "string") fail("board", "is not a string");
  if (!Array.isArray(json.modules)) fail("modules", "is not a list");
  const modules = (json.modules as unknown[]).map((m, i): RecordedModule => {
    const p = `modules[${i}]`;
    if (!isObject(m)) return fail(p, "is not an object");
    for (const k of ["id", "source", "sha256"] as const) if (typeof m[k] !== "string") fail(`${p}.${k}`, "is not a string");
    if (typeof m.fuel !== "string" || !/^[1-9]\d*$/.test(m.fuel)) fail(`${p}.fuel`, "is not a positive integer in decimal text");
    if (!Number.isSafeInteger(m.ramBudgetBytes) || (m.ramBudgetBytes as number) <= 0) fail(`${p}.ramBudgetBytes`, "is not a positive integer");
    if (!isObject(m.config) || Object.values(m.config).some((v) => typeof v !== "string")) fail(`${p}.config`, "is not an object of strings");
    let caps: Capabilities;
    try {
      caps = parseCapabilities(m.caps, `header ${p}.caps`);
    } catch (e) {
      if (e instanceof CapabilityError) throw new RecordFormatError(e.message, at);
      throw e;
    }
    return { ...(m as unknown as RecordedModule), caps };
  });
  return { abiHash: json.abiHash as string, board: json.board as string, modules };
}

export function recordingHeader(board: string, modules: RecordedModule[]): RecordingHeader {
  return { abiHash: LOWERED.hash, board, modules };
}

export type { FaultReason };
