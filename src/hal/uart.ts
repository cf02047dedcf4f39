// A UART port with 8 data bits (embedded-io's Read / Write without blocking,
// plus receive events as a serial device's poll() gives them).

import type { HalCall } from "./call.js";
import type { ClaimRefusal, UartErrorKind } from "./errors.js";

export type Parity = "none" | "even" | "odd";
export interface LineSettings { baud: number; parity: Parity; stopBits: 1 | 2 }

/** One received byte; `error` when it arrived damaged. */
export interface ReceivedByte { byte: number; error?: UartErrorKind }

/** A burst of bytes has arrived (the line went idle after it): the burst, and how many bytes now wait. Called outside any module callback. */
export type ReceiveListener = (burst: readonly ReceivedByte[], waiting: number, atUs: bigint) => void;

export interface UartRead {
  bytes: number[];
  /** Set when bytes were lost (overrun, reported first) or the byte after `bytes` was damaged (dropped). */
  error?: UartErrorKind;
}

export interface UartPort {
  readonly port: number;
  readonly name: string;
  readonly bauds: readonly number[];
  readonly parities: readonly Parity[];
  readonly stopBits: readonly (1 | 2)[];
  readonly txBufferBytes: number;
  /** Opens with `settings` (one the lists above allow); received bursts go to `onReceive`. */
  open(settings: LineSettings, at: HalCall, onReceive: ReceiveListener): ClaimRefusal;
  close(): void;
  /** Queues what fits in the transmit buffer; returns how many bytes were taken. Never blocks. */
  write(data: Uint8Array, at: HalCall): number;
  /** Takes up to `max` received bytes, stopping before the first damaged one. Never blocks. */
  read(max: number): UartRead;
}
