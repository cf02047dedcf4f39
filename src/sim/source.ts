// Evaluates value sources (constant, trace column, sine, another sensor) at a
// virtual time. Pure: the same spec and time always give the same value.

import type { SourceSpec } from "./profile-types.js";
import { traceValueAt, type Trace, type TraceValue } from "./trace.js";

export class Sources {
  constructor(
    private readonly trace: Trace | undefined,
    private readonly sensorSources: ReadonlyMap<string, SourceSpec>,
  ) {}

  /** The noise-free value at `tUs`, or the trace's `timeout`/`fault` marker. */
  valueAt(spec: SourceSpec, tUs: bigint): TraceValue {
    switch (spec.kind) {
      case "constant":
        return spec.value;
      case "trace": {
        // Validation guarantees the column exists whenever a trace source is used.
        const points = this.trace?.series.get(spec.column);
        if (!points || points.length === 0) throw new Error(`trace column ${spec.column} missing after validation`);
        return traceValueAt(points, tUs, spec.interpolation);
      }
      case "sine": {
        const t = Number(tUs) / 1e6 + spec.phaseS;
        return spec.mean + spec.amplitude * Math.sin((2 * Math.PI * t) / spec.periodS);
      }
      case "sensor": {
        const inner = this.sensorSources.get(spec.name);
        if (!inner) throw new Error(`sensor ${spec.name} missing after validation`);
        return this.valueAt(inner, tUs);
      }
    }
  }

  /** Like valueAt, but a fault marker reads as `fallback` (devices that keep their last conversion). */
  numberAt(spec: SourceSpec, tUs: bigint, fallback: number): number {
    const v = this.valueAt(spec, tUs);
    return typeof v === "number" ? v : fallback;
  }
}
