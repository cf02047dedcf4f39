// An SPI device: one chip select on one bus (embedded-hal's SpiDevice), a
// full-duplex transfer with chip select asserted.

import type { HalCall } from "./call.js";
import type { HalError, SpiErrorKind } from "./errors.js";

export type SpiResult = { ok: true; rx: Uint8Array } | HalError<SpiErrorKind>;

export interface SpiDevice {
  readonly bus: number;
  readonly cs: number;
  readonly name: string;
  /** Clocks `tx` out and as many bytes in. */
  transfer(tx: Uint8Array, at: HalCall): SpiResult;
}

export interface SpiBus {
  readonly bus: number;
  readonly name: string;
  device(cs: number): SpiDevice | undefined;
}
