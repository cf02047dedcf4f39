// A sensor source: a named quantity in a unit (a simulated source, a hwmon or
// IIO processed value on Linux).

import type { HalCall } from "./call.js";
import type { HalError, SensorErrorKind } from "./errors.js";

export type SensorSample = { ok: true; value: number } | HalError<SensorErrorKind>;

export interface SensorSource {
  readonly name: string;
  readonly unit: string;
  readonly range: { readonly min: number; readonly max: number };
  /** One sample in `unit`. */
  read(at: HalCall): SensorSample;
}
