// An I2C controller (embedded-hal's I2c::transaction with 7-bit addresses):
// one call is one complete transaction, START to STOP.

import type { HalCall } from "./call.js";
import type { HalError, I2cErrorKind } from "./errors.js";

export type I2cResult = { ok: true; rx: Uint8Array } | HalError<I2cErrorKind>;

export interface I2cBus {
  readonly bus: number;
  readonly name: string;
  /** The name of the target the profile puts at `address`, for the event log; undefined when none is known. */
  targetName(address: number): string | undefined;
  /**
   * START, address+W, `tx`, [repeated START, address+R, `rxLength` bytes], STOP.
   * `tx` null skips the write phase, `rxLength` null the read phase.
   */
  transaction(address: number, tx: Uint8Array | null, rxLength: number | null, at: HalCall): I2cResult;
}
