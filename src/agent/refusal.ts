// What preparing a module gives (PreparedModule) or refuses (ModuleRefused),
// apart from the preparing itself (prepare.ts): the agent's thread needs these
// without loading the fuel instrumenter, which only the preparation worker runs.

import type { CappedModule } from "./memory-cap.js";
import type { FrameMap } from "./faults.js";
import type { DeviceClass, ModuleLimits } from "../validate/limits.js";

export type RefusalStep = "validation" | "link" | "capabilities" | "memory" | "instrumentation" | "compile" | "manifest" | "package" | "time-limit" | "internal";

export class ModuleRefused extends Error {
  constructor(readonly moduleId: string, readonly step: RefusalStep, readonly report: string, readonly problems: string[] = []) {
    super(report);
    this.name = "ModuleRefused";
  }
}

export interface PrepareOptions {
  moduleId: string;
  /** File name used in reports. */
  source: string;
  ramBudgetBytes: number;
  /** Whose resource limits apply (src/validate/limits.ts); default "gateway". */
  deviceClass?: DeviceClass;
  /** A board profile's limits, when it overrides its class's defaults. */
  limits?: ModuleLimits;
}

export interface PreparedModule {
  id: string;
  compiled: WebAssembly.Module;
  memory: CappedModule;
  /** Turns the engine's stack positions (instrumented module) into the module's own function indices and names. */
  frames: FrameMap;
  exports: ReadonlySet<string>;
}
