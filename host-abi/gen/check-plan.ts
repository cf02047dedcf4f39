// The check order of one ABI function, decided once here and printed by every
// glue (TypeScript, C/wasm3) and by the reference docs. Nothing downstream
// re-derives or reorders it.
//
// The order, and why:
//   1. traps: every pointer/length pair in memory, then every out-pointer,
//      then every handle owned. A contract violation is the module's bug; it
//      ends the callback whatever else is wrong with the call.
//   2. invalid-arg for values the glue can judge from the value alone (range,
//      bool, enum, flags, UTF-8). They say nothing about the device.
//   3. not-permitted when the capability kind is not granted at all (the
//      glue's gate: the implementation is not even called).
//   4. the implementation, whose statuses come in this order:
//        invalid-arg   argument-only rules the type cannot express (an empty
//                      key, a zero baud rate): still nothing about the device;
//        not-permitted the grant's scope (this pin in this mode, this bus +
//                      address): policy before any fact about the board;
//        not-found     the board has no such resource;
//        unsupported   the resource cannot do this;
//        the rest      device state (busy, bus errors, quotas), in spec order.
//
// not-permitted comes before not-found and unsupported so that a module learns
// nothing about the board outside its grants: probing pins, buses or sensor
// names it was not granted answers not-permitted whether or not they exist.
// Answering not-found first would let an untrusted module map the hardware
// (which expansion boards are fitted, which sensors exist) and tell device
// variants apart. With grants a subset of what the board has, not-found is
// then left for a grant that names hardware this device lacks (a grant made
// for another board revision) and for state such as a missing key or timer.

import type { CapabilitySpec, ErrorSpec } from "../schema.js";
import type { LoweredOutput, LoweredParam } from "./lower.js";

export type TrapReason = "out-of-bounds" | "foreign-handle";

export type CheckStep =
  /** A (pointer, length) parameter lies inside linear memory, else trap. */
  | { step: "trap"; check: "bounds"; param: LoweredParam; trap: "out-of-bounds" }
  /** An out-pointer and its `size` bytes lie inside linear memory, else trap. */
  | { step: "trap"; check: "out-pointer"; output: LoweredOutput; trap: "out-of-bounds" }
  /** A handle parameter is one the module owns, else trap. */
  | { step: "trap"; check: "handle"; param: LoweredParam; trap: "foreign-handle" }
  /**
   * The value of a checked parameter (param.marshal says how). `onFail` is
   * "invalid-arg" for status functions; a never-returning function traps
   * anyway, so a bad value only must not reach the implementation ("trap").
   */
  | { step: "value"; param: LoweredParam; onFail: "invalid-arg" | "trap" }
  /** The capability kind is granted at all, else not-permitted without calling the implementation. */
  | { step: "capability"; capability: CapabilitySpec; status: "not-permitted" }
  /** The implementation runs and decides these statuses, in this order of precedence. */
  | { step: "implementation"; statuses: ImplementationStatus[] };

export interface ImplementationStatus {
  code: string;
  when: string;
  /** Which rule of the order above places it. */
  rank: "argument" | "grant" | "existence" | "ability" | "state";
}

const RANK_OF: Readonly<Record<string, ImplementationStatus["rank"]>> = {
  "invalid-arg": "argument",
  "not-permitted": "grant",
  "not-found": "existence",
  unsupported: "ability",
};
const RANKS: readonly ImplementationStatus["rank"][] = ["argument", "grant", "existence", "ability", "state"];

/** What the planner needs of a function being lowered. */
export interface CheckPlanInput {
  params: LoweredParam[];
  outputs: LoweredOutput[];
  resultKind: "status" | "never" | "value";
  capability: CapabilitySpec | null;
  errors: readonly ErrorSpec[];
}

export function planChecks(f: CheckPlanInput): CheckStep[] {
  const steps: CheckStep[] = [];
  for (const param of f.params) if (param.flat.length === 2) steps.push({ step: "trap", check: "bounds", param, trap: "out-of-bounds" });
  for (const output of f.outputs) steps.push({ step: "trap", check: "out-pointer", output, trap: "out-of-bounds" });
  for (const param of f.params) if (param.marshal.kind === "handle") steps.push({ step: "trap", check: "handle", param, trap: "foreign-handle" });
  for (const param of f.params) if (param.checked) steps.push({ step: "value", param, onFail: f.resultKind === "status" ? "invalid-arg" : "trap" });
  // The gate only for functions that document not-permitted: the others take
  // a handle, which only a granted call could have issued.
  if (f.capability && f.errors.some((e) => e.code === "not-permitted")) {
    steps.push({ step: "capability", capability: f.capability, status: "not-permitted" });
  }
  if (f.resultKind === "status") {
    const statuses = f.errors.map((e): ImplementationStatus => ({ code: e.code, when: e.when, rank: RANK_OF[e.code] ?? "state" }));
    // Stable: within a rank the spec's order stands.
    statuses.sort((a, b) => RANKS.indexOf(a.rank) - RANKS.indexOf(b.rank));
    steps.push({ step: "implementation", statuses });
  }
  return steps;
}
