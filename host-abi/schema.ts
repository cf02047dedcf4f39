// The shape of the host ABI source. Spec files under host-abi/spec/ are plain
// data of these types; host-abi/gen/validate.ts checks everything a type
// cannot (names, references, numbering, version rules).

/** Semver string "MAJOR.MINOR.PATCH". */
export type Version = string;

/**
 * A rich parameter type, written as a string so spec files read like docs:
 *   "u8" "u16" "u32" "u64" "i8" "i16" "i32" "i64" "f32" "f64" "bool"
 *   "enum<NAME>"   a named enum of this interface (or "core.NAME")
 *   "flags<NAME>"  a named flags set (bit set, up to 32 bits)
 *   "handle<NAME>" a handle kind of this interface, owned by the module
 *   "string"       UTF-8 text the guest passes in (pointer + byte length)
 *   "buffer"       bytes the guest passes in (pointer + byte length)
 *   "mut-buffer"   guest memory the host fills (pointer + capacity in bytes)
 */
export type TypeExpr = string;

export interface ParamSpec {
  name: string;
  type: TypeExpr;
  doc: string;
}

/** A recoverable status a function may return, and exactly when. */
export interface ErrorSpec {
  /** A status code name from host-abi/spec/status.ts, never "ok". */
  code: string;
  when: string;
}

export interface FunctionSpec {
  /** Import name inside the interface's wasm module, snake_case. */
  name: string;
  since: Version;
  doc: string;
  /** Capability kind the call is checked against, or null for none. */
  capability: string | null;
  params: ParamSpec[];
  /**
   * Values the host writes through caller-supplied out-pointers, appended to
   * the wasm signature as one i32 pointer each. Scalar types only.
   */
  outputs?: ParamSpec[];
  /**
   * "status": returns an i32 status code (0 = ok) — the normal case.
   * "never": traps unconditionally (abort, fuel exhaustion).
   * a scalar TypeExpr: infallible, returns the value directly.
   */
  result: "status" | "never" | TypeExpr;
  /** Every non-ok status the function can return. Empty for non-status results. */
  errors: ErrorSpec[];
  /** Contract violations that trap instead of returning a status. */
  traps?: string[];
  /** Extra notes rendered into the reference docs. */
  notes?: string[];
  /**
   * What a call costs in fuel on top of the call instruction, charged by the
   * fuel instrumenter at the call site: `base` per call plus `perByte` for
   * every byte of each string/buffer/mut-buffer parameter's length. Either
   * may be left out for the default (host-abi/gen/lower.ts, by kind).
   */
  fuel?: { base?: number; perByte?: number };
}

export interface EnumCaseSpec {
  name: string;
  value: number;
  since: Version;
  doc: string;
}

export interface EnumSpec {
  name: string;
  since: Version;
  doc: string;
  cases: EnumCaseSpec[];
}

export interface FlagSpec {
  name: string;
  bit: number;
  since: Version;
  doc: string;
}

export interface FlagsSpec {
  name: string;
  since: Version;
  doc: string;
  flags: FlagSpec[];
}

export interface HandleSpec {
  name: string;
  since: Version;
  doc: string;
}

/** An event the host delivers through the fwx_on_event(kind, handle, arg) export. */
export interface EventSpec {
  name: string;
  /** Global event-kind number, unique across all interfaces. */
  kind: number;
  since: Version;
  doc: string;
  /** Handle kind passed as `handle`. */
  handle: string;
  /** Meaning of `arg`. */
  arg: string;
}

/** A capability kind: what a module must be granted to call a function. */
export interface CapabilitySpec {
  name: string;
  /** Stable numeric id, used by the C glue. */
  id: number;
  since: Version;
  doc: string;
  /** How a grant is scoped, e.g. "sensor name" or "bus + 7-bit address". */
  scope: string;
}

export interface InterfaceSpec {
  name: string;
  version: Version;
  doc: string;
  enums?: EnumSpec[];
  flags?: FlagsSpec[];
  handles?: HandleSpec[];
  events?: EventSpec[];
  capabilities?: CapabilitySpec[];
  functions: FunctionSpec[];
}

export interface StatusCodeSpec {
  name: string;
  value: number;
  since: Version;
  doc: string;
  /** "common" for everyone, otherwise the bus family it belongs to. */
  group: "common" | "bus" | "spi" | "uart";
}

/** A wasm export the module provides and the host calls. */
export interface LifecycleExportSpec {
  name: string;
  since: Version;
  doc: string;
  required: boolean;
  params: ParamSpec[];
  /** "none" or a scalar TypeExpr. */
  result: TypeExpr | "none";
}

export interface AbiSpec {
  /** Version of the ABI as a whole (the set of interfaces and lifecycle). */
  version: Version;
  /** Name of the wasm custom section a built module carries. */
  customSection: string;
  statusCodes: StatusCodeSpec[];
  lifecycle: LifecycleExportSpec[];
  interfaces: InterfaceSpec[];
}
