// The one lowering step: every rich-typed ABI function becomes a flat wasm
// signature plus a marshalling plan that says, parameter by parameter, which
// wasm values carry it and what the host must check before using it. Every
// emitter (AssemblyScript, TypeScript host, C/wasm3, docs) prints from this
// model and never re-derives it from the spec.

import { createHash } from "node:crypto";
import type {
  AbiSpec, CapabilitySpec, EnumSpec, EventSpec, FlagsSpec, FunctionSpec, HandleSpec,
  InterfaceSpec, LifecycleExportSpec, ParamSpec, StatusCodeSpec,
} from "../schema.js";
import { integerRange, isValueChecked, parseType, WASM_TYPE_CHAR, wasmTypeOf, type RichType, type WasmType } from "./types.js";
import { validateAbi } from "./validate.js";
import { planChecks, type CheckStep } from "./check-plan.js";

export interface FlatParam {
  name: string;
  type: WasmType;
  /** True for i32 values that are guest memory offsets (wasm3 signature char `*`). */
  pointer: boolean;
}

/** What the host does with one rich parameter before the implementation sees it. */
export type Marshal =
  | { kind: "int"; scalar: string; wasm: WasmType; range: [number, number] | null }
  | { kind: "float"; scalar: "f32" | "f64" }
  | { kind: "bool" }
  | { kind: "enum"; name: string; values: number[] }
  | { kind: "flags"; name: string; mask: number }
  | { kind: "handle"; name: string }
  /** Guest pointer + byte length, read-only; strings are also UTF-8 validated. */
  | { kind: "string" }
  | { kind: "buffer" }
  /** Guest pointer + byte capacity the host writes into. */
  | { kind: "mut-buffer" };

export interface LoweredParam {
  spec: ParamSpec;
  type: RichType;
  /** The flat wasm parameters carrying it, in order. */
  flat: FlatParam[];
  marshal: Marshal;
  /** Whether a bad value is answered with `invalid-arg` (range, enum, flags, UTF-8 checks). */
  checked: boolean;
}

/**
 * A value the host stores through an out-pointer on success. Layout is fixed:
 * 8 bytes little-endian for u64/i64/f64, 4 bytes for everything else (f32 as
 * IEEE single; integers, bool, enum, flags and handles as u32/i32).
 */
export interface LoweredOutput {
  spec: ParamSpec;
  type: RichType;
  /** Name of the flat pointer parameter, `<name>_ptr`. */
  pointer: string;
  size: 4 | 8;
  /** How to store it: "u32" "i32" "u64" "i64" "f32" "f64". */
  store: "u32" | "i32" | "u64" | "i64" | "f32" | "f64";
}

export interface LoweredFunction {
  spec: FunctionSpec;
  iface: string;
  /** wasm import module, "fwx:<interface>@<major>". */
  module: string;
  /** wasm import field name. */
  name: string;
  /** "<interface>_<name>", used for generated symbols in every language. */
  symbol: string;
  params: LoweredParam[];
  outputs: LoweredOutput[];
  resultKind: "status" | "never" | "value";
  /** For resultKind "value": the rich result type. */
  resultType: RichType | null;
  flat: { params: FlatParam[]; results: WasmType[] };
  /** e.g. "(i32, i32, i32) -> i32" */
  signature: string;
  /** wasm3 signature string, e.g. "i(i*i)". */
  wasm3Signature: string;
  /** Every check the host makes before and inside the call, in order (check-plan.ts). */
  checks: CheckStep[];
  /** Status code names the function can return, "ok" first for status functions. */
  statuses: string[];
  capability: CapabilitySpec | null;
  fuel: HostCallFuel;
}

/**
 * What a call of a host function costs in fuel, beyond the call instruction:
 * `base + perByte × (sum of the flat parameters at byteLengthParams)`. The
 * fuel instrumenter charges it at every call site, so a module flooding host
 * calls runs out of fuel, deterministically, well before the wall-clock
 * watchdog would stop it on any machine.
 */
export interface HostCallFuel {
  base: number;
  perByte: number;
  /** Indices into flat.params of the byte lengths (the `_len` of each string/buffer/mut-buffer). */
  byteLengthParams: number[];
}

/**
 * Default fuel of a host call by its kind, when the spec gives none. One fuel
 * is about one wasm instruction, roughly a nanosecond; a host call through
 * the glue, a device host and the call ring costs microseconds: measured in
 * the agent on the simulated board (a 2-core machine under load), a clock
 * read 1-2 µs, a status call 10-35 µs (a log line, a kv miss with its error
 * detail), a bus transaction on a device model 30-70 µs. The prices keep
 * about 20 ns of host time per fuel unit, so the default budget of 10 million
 * spent on host calls alone ends within a few hundred milliseconds, well
 * inside the 2 s watchdog even on a slow or loaded machine (tested in
 * tests/agent/host-call-flood.test.ts). On a microcontroller this overprices
 * host calls, which a module spends a few of per callback.
 * "never" functions trap (abort, fuel_exhausted), so they cost nothing.
 * Copies cost a fuel a byte: the host reads or writes every byte.
 */
export const DEFAULT_HOST_CALL_FUEL: Readonly<Record<LoweredFunction["resultKind"], number>> = Object.freeze({ never: 0, value: 500, status: 2000 });
export const DEFAULT_HOST_CALL_FUEL_PER_BYTE = 1;

export interface LoweredInterface {
  spec: InterfaceSpec;
  name: string;
  module: string;
  major: number;
  minor: number;
  enums: EnumSpec[];
  flags: FlagsSpec[];
  handles: HandleSpec[];
  events: EventSpec[];
  capabilities: CapabilitySpec[];
  functions: LoweredFunction[];
}

export interface LoweredLifecycle {
  spec: LifecycleExportSpec;
  flat: { params: WasmType[]; results: WasmType[] };
  signature: string;
}

export interface LoweredAbi {
  spec: AbiSpec;
  /** SHA-256 (hex) of the canonical JSON of the spec: stamped into every generated file. */
  hash: string;
  statusCodes: StatusCodeSpec[];
  statusByName: Map<string, StatusCodeSpec>;
  interfaces: LoweredInterface[];
  /**
   * Every function of every interface, in spec order. A function's position
   * here is its import index: the C tables, the TypeScript glue's call
   * records and crash reports all number functions this way.
   */
  functions: LoweredFunction[];
  lifecycle: LoweredLifecycle[];
  capabilities: CapabilitySpec[];
  events: EventSpec[];
  /** Import lookup: "fwx:gpio@1" + "\0" + "write". */
  functionByImport: Map<string, LoweredFunction>;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

export function specHash(spec: AbiSpec): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex");
}

export function formatSignature(params: readonly WasmType[], results: readonly WasmType[]): string {
  const r = results.length === 0 ? "()" : results.length === 1 ? results[0]! : `(${results.join(", ")})`;
  return `(${params.join(", ")}) -> ${r}`;
}

export function importKey(module: string, name: string): string {
  return `${module}\0${name}`;
}

function lowerParam(p: ParamSpec, iface: InterfaceSpec): LoweredParam {
  const type = parseType(p.type) as RichType;
  const single = wasmTypeOf(type);
  const checked = isValueChecked(type);
  const one = (marshal: Marshal): LoweredParam =>
    ({ spec: p, type, flat: [{ name: p.name, type: single!, pointer: false }], marshal, checked });
  switch (type.kind) {
    case "scalar": {
      if (type.scalar === "f32" || type.scalar === "f64") return one({ kind: "float", scalar: type.scalar });
      return one({ kind: "int", scalar: type.scalar, wasm: single!, range: integerRange(type.scalar) });
    }
    case "bool": return one({ kind: "bool" });
    case "enum": {
      const e = iface.enums!.find((x) => x.name === type.name)!;
      return one({ kind: "enum", name: type.name, values: e.cases.map((c) => c.value) });
    }
    case "flags": {
      const f = iface.flags!.find((x) => x.name === type.name)!;
      const mask = f.flags.reduce((m, fl) => (m | (1 << fl.bit)) >>> 0, 0);
      return one({ kind: "flags", name: type.name, mask });
    }
    case "handle": return one({ kind: "handle", name: type.name });
    case "string": case "buffer": case "mut-buffer":
      return {
        spec: p, type,
        flat: [
          { name: `${p.name}_ptr`, type: "i32", pointer: true },
          { name: `${p.name}_len`, type: "i32", pointer: false },
        ],
        marshal: { kind: type.kind },
        checked,
      };
  }
}

function lowerOutput(p: ParamSpec): LoweredOutput {
  const type = parseType(p.type) as RichType;
  let store: LoweredOutput["store"] = "u32";
  if (type.kind === "scalar") {
    if (type.scalar === "u64" || type.scalar === "i64" || type.scalar === "f64" || type.scalar === "f32") store = type.scalar;
    else if (type.scalar.startsWith("i")) store = "i32";
  }
  return { spec: p, type, pointer: `${p.name}_ptr`, size: store === "u64" || store === "i64" || store === "f64" ? 8 : 4, store };
}

function lowerFunction(f: FunctionSpec, iface: InterfaceSpec, module: string, caps: Map<string, CapabilitySpec>): LoweredFunction {
  const params = f.params.map((p) => lowerParam(p, iface));
  const outputs = (f.outputs ?? []).map(lowerOutput);
  const flatParams: FlatParam[] = [
    ...params.flatMap((p) => p.flat),
    ...outputs.map((o) => ({ name: o.pointer, type: "i32" as const, pointer: true })),
  ];
  let resultKind: LoweredFunction["resultKind"];
  let resultType: RichType | null = null;
  let results: WasmType[];
  if (f.result === "status") { resultKind = "status"; results = ["i32"]; }
  else if (f.result === "never") { resultKind = "never"; results = []; }
  else {
    resultKind = "value";
    resultType = parseType(f.result) as RichType;
    results = [wasmTypeOf(resultType)!];
  }
  const wasm3Signature = `${results.length ? WASM_TYPE_CHAR[results[0]!] : "v"}(${flatParams.map((p) => (p.pointer ? "*" : WASM_TYPE_CHAR[p.type])).join("")})`;
  return {
    spec: f, iface: iface.name, module, name: f.name, symbol: `${iface.name}_${f.name}`,
    params, outputs, resultKind, resultType,
    flat: { params: flatParams, results },
    signature: formatSignature(flatParams.map((p) => p.type), results),
    wasm3Signature,
    checks: planChecks({ params, outputs, resultKind, capability: f.capability ? caps.get(f.capability)! : null, errors: f.errors }),
    statuses: resultKind === "status" ? ["ok", ...f.errors.map((e) => e.code)] : [],
    capability: f.capability ? caps.get(f.capability)! : null,
    fuel: {
      base: f.fuel?.base ?? DEFAULT_HOST_CALL_FUEL[resultKind],
      // A "never" call does not return, so a charge after it could never be taken.
      perByte: f.fuel?.perByte ?? (resultKind === "never" ? 0 : DEFAULT_HOST_CALL_FUEL_PER_BYTE),
      byteLengthParams: flatParams.flatMap((p, i) => (isByteLength(p, params) ? [i] : [])),
    },
  };
}

/** Whether a flat parameter is the byte length of a string/buffer/mut-buffer (the second of its pair). */
function isByteLength(flat: FlatParam, params: readonly LoweredParam[]): boolean {
  return params.some((p) => (p.marshal.kind === "string" || p.marshal.kind === "buffer" || p.marshal.kind === "mut-buffer") && p.flat[1] === flat);
}

function lowerLifecycle(l: LifecycleExportSpec): LoweredLifecycle {
  const params = l.params.map((p) => wasmTypeOf(parseType(p.type) as RichType)!);
  const results = l.result === "none" ? [] : [wasmTypeOf(parseType(l.result) as RichType)!];
  return { spec: l, flat: { params, results }, signature: formatSignature(params, results) };
}

/** Validates and lowers the ABI. Throws an AbiSpecError listing every problem by item path. */
export function lowerAbi(spec: AbiSpec): LoweredAbi {
  validateAbi(spec);
  const capabilities = spec.interfaces.flatMap((i) => i.capabilities ?? []);
  const caps = new Map(capabilities.map((c) => [c.name, c]));
  const functionByImport = new Map<string, LoweredFunction>();
  const interfaces = spec.interfaces.map((iface): LoweredInterface => {
    const [maj, min] = iface.version.split(".").map(Number);
    const module = `fwx:${iface.name}@${maj}`;
    const functions = iface.functions.map((f) => lowerFunction(f, iface, module, caps));
    for (const f of functions) functionByImport.set(importKey(f.module, f.name), f);
    return {
      spec: iface, name: iface.name, module, major: maj!, minor: min!,
      enums: iface.enums ?? [], flags: iface.flags ?? [], handles: iface.handles ?? [],
      events: iface.events ?? [], capabilities: iface.capabilities ?? [], functions,
    };
  });
  return {
    spec,
    hash: specHash(spec),
    statusCodes: spec.statusCodes,
    statusByName: new Map(spec.statusCodes.map((s) => [s.name, s])),
    interfaces,
    functions: interfaces.flatMap((i) => i.functions),
    lifecycle: spec.lifecycle.map(lowerLifecycle),
    capabilities,
    events: interfaces.flatMap((i) => i.events),
    functionByImport,
  };
}
