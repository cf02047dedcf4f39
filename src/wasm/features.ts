// WebAssembly features past the 1.0 MVP that a module can use, and which of
// them wasm3 runs. wasm3 is the narrowest runtime fwx targets (microcontroller
// firmware), so it defines what a module may contain. Measured on wasm3 v0.5.0
// and the 0.9 snapshot: both accept the `supported` set below.

export type WasmFeature =
  // Runs on wasm3.
  | "mutable-globals"
  | "sign-extension"
  | "nontrapping-f2i"
  | "multi-value"
  | "bulk-memory"
  // Rejected.
  | "bulk-memory-segments"
  | "simd"
  | "threads"
  | "memory64"
  | "multi-memory"
  | "exception-handling"
  | "gc"
  | "function-references"
  | "tail-call"
  | "reference-types"
  | "extended-const"
  | "custom-page-sizes";

interface FeatureInfo {
  supported: boolean;
  /** Human description used in reports. */
  title: string;
  /** Why it is rejected / what to do instead, for error messages. */
  hint?: string;
}

export const FEATURES: Record<WasmFeature, FeatureInfo> = {
  "mutable-globals": { supported: true, title: "mutable globals (import/export)" },
  "sign-extension": { supported: true, title: "sign-extension operators" },
  "nontrapping-f2i": { supported: true, title: "non-trapping float-to-int conversions" },
  "multi-value": { supported: true, title: "multi-value" },
  "bulk-memory": { supported: true, title: "bulk memory (memory.copy, memory.fill)" },
  "bulk-memory-segments": {
    supported: false,
    title: "passive segments (memory.init, data.drop, table.init, elem.drop, table.copy)",
    hint: "wasm3 0.5 lacks them; initialise memory with active data segments only",
  },
  simd: { supported: false, title: "SIMD (v128)", hint: "build without SIMD (AssemblyScript: no --enable simd; C/Rust: no -msimd128)" },
  threads: { supported: false, title: "threads and atomics / shared memory", hint: "build single-threaded, without the atomics/shared-memory target features" },
  memory64: { supported: false, title: "memory64", hint: "target wasm32" },
  "multi-memory": { supported: false, title: "multiple memories", hint: "use one linear memory" },
  "exception-handling": { supported: false, title: "exception handling", hint: "build with exceptions disabled (e.g. -fno-exceptions, panic=abort)" },
  gc: { supported: false, title: "garbage-collected types (GC proposal)", hint: "use linear-memory data only" },
  "function-references": { supported: false, title: "typed function references", hint: "use call_indirect through the function table" },
  "tail-call": { supported: false, title: "tail calls", hint: "build without the tail-call target feature" },
  "reference-types": {
    supported: false,
    title: "reference types (externref/funcref values, table instructions, multiple tables)",
    hint: "build without reference-types (LLVM: -mno-reference-types / -mcpu=mvp)",
  },
  "extended-const": { supported: false, title: "extended constant expressions", hint: "initialise globals and segment offsets with plain constants" },
  "custom-page-sizes": { supported: false, title: "custom memory page sizes", hint: "use the standard 64 KiB page" },
};

/** One place a feature is used; `offset` is the absolute byte offset in the module. */
export interface FeatureUse {
  feature: WasmFeature;
  offset: number;
  /** What exactly, e.g. "v128.load", "shared memory", "externref local". */
  detail: string;
  /** Function index (imports first) for uses inside a function body or signature. */
  funcIndex?: number;
}
