// An ADC channel (embedded-hal 0.2's OneShot, which 1.0 left to drivers).

import type { HalCall } from "./call.js";
import type { AdcErrorKind, HalError } from "./errors.js";

export type AdcReading = { ok: true; raw: number; millivolts: number } | HalError<AdcErrorKind>;

export interface AdcChannel {
  readonly channel: number;
  readonly name: string;
  readonly bits: number;
  readonly vrefMv: number;
  /** One conversion: raw counts 0 .. 2^bits - 1 and raw scaled by the reference. */
  read(at: HalCall): AdcReading;
}
