// The lowered host ABI, computed once per process: the agent links imports
// against it, names functions in crash reports and records calls by it.

import { abi } from "../../host-abi/spec/index.js";
import { lowerAbi, type LoweredAbi, type LoweredFunction } from "../../host-abi/gen/lower.js";
import { FUNCTIONS } from "../abi/host.generated.js";

export const LOWERED: LoweredAbi = lowerAbi(abi);

/** Lowered functions in FUNCTIONS order (the index the glue passes to ctx.record). */
export const FUNCTION_BY_INDEX: readonly LoweredFunction[] = FUNCTIONS.map((f) => {
  const lf = LOWERED.functionByImport.get(`${f.module}\0${f.name}`);
  if (!lf) throw new Error(`host.generated.ts is stale: ${f.module}.${f.name} is not in the ABI (run npm run gen)`);
  return lf;
});

/** "core@1.0, timer@1.0, …": what this device offers, for link reports. */
export function offeredInterfaces(): string {
  return LOWERED.interfaces.map((i) => `${i.name}@${i.major}.${i.minor}`).join(", ");
}
