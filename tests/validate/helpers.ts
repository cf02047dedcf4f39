// Shared fixtures for validator tests: a module skeleton that is a valid fwx
// module once fwx_init is added.
import { validateModule, type ValidationIssue, type ValidationResult } from "../../src/validate/validate.js";
import { I32, WasmBuilder, op, s32 } from "../fixtures/wasm-builder.js";

/** One page of memory exported as "memory". */
export function baseModule(): WasmBuilder {
  const b = new WasmBuilder();
  b.memory(1);
  b.export("memory", 2, 0);
  return b;
}

/** Adds `fwx_init: () -> i32` returning 0 after `prefix`; returns its function index. */
export function addInit(b: WasmBuilder, prefix: number[] = []): number {
  return b.func([], [I32], [...prefix, op.i32_const, ...s32(0)], { export: "fwx_init" });
}

export function validate(bytes: Uint8Array, ramBudgetBytes?: number): ValidationResult {
  return validateModule(bytes, ramBudgetBytes === undefined ? {} : { ramBudgetBytes });
}

export function only(result: ValidationResult, code: string): ValidationIssue {
  const found = result.errors.filter((e) => e.code === code);
  if (found.length !== 1) {
    throw new Error(`expected exactly one ${code} error, got: ${JSON.stringify(result.errors, null, 1)}`);
  }
  return found[0]!;
}
