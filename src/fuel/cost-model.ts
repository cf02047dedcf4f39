// The static cost model: how much fuel each construct charges. Fuel is an
// abstract unit (roughly "one wasm instruction"), not time: its job is to make
// every callback's work bounded and the same on every run, on Node and on
// wasm3 alike. Bump COST_MODEL_VERSION whenever a weight changes, because
// budgets in manifests are calibrated against it and the `fwx.fuel` section
// records which model a payload was metered with. The version also covers
// where charges are placed when that changes totals: 2 charges small
// caller-charged functions at their call sites (rewrite.ts), which weighs an
// `if` arm holding such a call differently from 1. 3 charges host calls what
// the ABI says they cost (host-calls.ts) instead of 2 like any call, charges
// memory.copy/fill after their bounds check, and memory.grow per page added
// rather than per page requested.

export const COST_MODEL_VERSION = 3;

export interface CostModel {
  version: number;
  /** Ordinary instruction (arithmetic, local/global access, load/store, branch). */
  instruction: number;
  /** call / call_indirect: the instruction plus frame set-up. A host call adds the ABI's price (host-calls.ts). */
  call: number;
  /** memory.copy / memory.fill: charged on top of `instruction`, per `bulkBytesPerUnit` bytes moved. */
  bulkBytesPerUnit: number;
  /** memory.grow: charged on top of `instruction`, per 64 KiB page added (the host zeroes it); a refused grow adds nothing. */
  growPerPage: number;
  /** Minimum charge of one loop iteration, so that an empty loop still pays. */
  loopIterationMinimum: number;
}

export const COST_MODEL: Readonly<CostModel> = Object.freeze({
  version: COST_MODEL_VERSION,
  instruction: 1,
  call: 2,
  bulkBytesPerUnit: 64,
  growPerPage: 1024,
  loopIterationMinimum: 1,
});

/** log2(bulkBytesPerUnit): the dynamic charge is a shift, not a division. */
export const BULK_BYTES_SHIFT = Math.log2(COST_MODEL.bulkBytesPerUnit);
/** log2(growPerPage). */
export const GROW_PAGE_SHIFT = Math.log2(COST_MODEL.growPerPage);
