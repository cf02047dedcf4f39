// The result shapes of validation (see the validator contract).

import type { InterfaceRequirement } from "../wasm/abi-section.js";
import type { DeviceClass, ModuleLimits } from "./limits.js";

export interface ValidationIssue {
  /** Stable machine-readable code, e.g. "import-not-in-abi", "unsupported-simd". */
  code: string;
  message: string;
  /** Absolute byte offset in the module the problem was found at. */
  offset?: number;
  /** "module.name" of the import concerned. */
  importName?: string;
  /** Function index (imports first) concerned. */
  funcIndex?: number;
  /** Human-readable place, e.g. `import 2 "env.system"`, `function 5 "main"`, `export "fwx_init"`. */
  location?: string;
}

export interface RamReport {
  /** Initial pages of memory 0 (0 when the module has no memory). */
  declaredPages: number;
  maxPages: number | null;
  /** One past the last byte any active data segment initialises. */
  dataEnd: number;
  /** `__heap_base` when exported, otherwise the end of the data (AssemblyScript's layout). */
  heapBase: number | null;
  /** Shadow-stack size derived from a `__stack_pointer`-style global (C, Rust, TinyGo). */
  stackBytes: number | null;
  /** Linear memory the module needs before any heap allocation: data, heap base and stack. */
  needBytes: number;
  /**
   * What needBytes is measured from: an exported `__heap_base` (LLVM: data,
   * .bss and stack all lie below it), a `__stack_pointer` global found by
   * name (the stack counted, .bss only below it), or the static data alone
   * (AssemblyScript, or a stripped module: .bss, stack and heap uncounted).
   */
  measuredFrom: "heap-base" | "stack-pointer" | "static-data";
  budgetBytes: number;
}

export interface ModuleReport {
  /** Set when the module was never read (unreadable, or past its declared limits): the fields below flashBytes are then empty, not measured. */
  unread?: true;
  flashBytes: number;
  ram: RamReport;
  interfaces: InterfaceRequirement[];
  imports: { module: string; name: string; signature: string }[];
  exports: string[];
  /** Post-MVP features the module uses (the supported ones included). */
  features: string[];
}

export interface ValidationResult {
  ok: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  report: ModuleReport;
}

export interface ValidateOptions {
  /** Linear-memory budget in bytes; default 65536. */
  ramBudgetBytes?: number;
  /** Whose resource limits apply (src/validate/limits.ts); default "gateway". */
  deviceClass?: DeviceClass;
  /** The limits themselves, when a board profile overrides its class's defaults. */
  limits?: ModuleLimits;
}

export const DEFAULT_RAM_BUDGET = 65536;

/** Collects issues as the checks run. */
export class IssueList {
  readonly errors: ValidationIssue[] = [];
  readonly warnings: ValidationIssue[] = [];

  error(issue: ValidationIssue): void {
    this.errors.push(issue);
  }

  warn(issue: ValidationIssue): void {
    this.warnings.push(issue);
  }
}
