// Shared fixtures of the ABI tests: mutable copies of the spec and lookups into it.

import type { AbiSpec, FunctionSpec, InterfaceSpec } from "../../host-abi/schema.js";
import { abi } from "../../host-abi/spec/index.js";
import { lowerAbi, type LoweredAbi, type LoweredFunction } from "../../host-abi/gen/lower.js";
import { AbiSpecError } from "../../host-abi/gen/validate.js";

/** A deep copy of the real spec that a test may mutate freely. */
export function specCopy(mutate?: (spec: AbiSpec) => void): AbiSpec {
  const spec = structuredClone(abi);
  mutate?.(spec);
  return spec;
}

export function iface(spec: AbiSpec, name: string): InterfaceSpec {
  const found = spec.interfaces.find((i) => i.name === name);
  if (!found) throw new Error(`test fixture: no interface ${name}`);
  return found;
}

export function fn(spec: AbiSpec, interfaceName: string, name: string): FunctionSpec {
  const found = iface(spec, interfaceName).functions.find((f) => f.name === name);
  if (!found) throw new Error(`test fixture: no function ${interfaceName}.${name}`);
  return found;
}

export function loweredFn(lowered: LoweredAbi, interfaceName: string, name: string): LoweredFunction {
  const found = lowered.interfaces.find((i) => i.name === interfaceName)?.functions.find((f) => f.name === name);
  if (!found) throw new Error(`test fixture: no lowered function ${interfaceName}.${name}`);
  return found;
}

/** The problems lowerAbi reports for a spec; fails the test when the spec is accepted. */
export function specProblems(spec: AbiSpec): string[] {
  try {
    lowerAbi(spec);
  } catch (e) {
    if (e instanceof AbiSpecError) return e.problems;
    throw e;
  }
  throw new Error("expected lowerAbi to reject the spec, but it was accepted");
}
