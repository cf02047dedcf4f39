// What calls of host functions cost in fuel, from the ABI: the lowering step
// (host-abi/gen/lower.ts) gives every function a base cost and the flat
// parameters that are byte lengths; rewrite.ts charges both at the call site.
// Charging in the instrumented code, not in a host, gives the agent and
// wasm3 (whose packages are instrumented by the same code) the same totals.

import { abi } from "../../host-abi/spec/index.js";
import { importKey, lowerAbi, type HostCallFuel } from "../../host-abi/gen/lower.js";

export type { HostCallFuel };

/** Host call costs by importKey(module, name). */
export type HostCallCosts = ReadonlyMap<string, HostCallFuel>;

let fromAbi: HostCallCosts | null = null;

/** The costs of every function of this ABI (computed once). */
export function abiHostCallCosts(): HostCallCosts {
  fromAbi ??= new Map(lowerAbi(abi).functions.map((f) => [importKey(f.module, f.name), f.fuel]));
  return fromAbi;
}

export { importKey };
