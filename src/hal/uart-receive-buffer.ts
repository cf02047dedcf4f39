// The receive side of every UART port: a bounded buffer of received bytes, any
// of them damaged, and the overrun a full buffer causes. The Linux serial port
// and the simulated one both keep their bytes here, so a module reads the same
// way from either (UartPort.read).

import type { UartErrorKind } from "./errors.js";
import type { ReceivedByte, UartRead } from "./uart.js";

export class UartReceiveBuffer {
  private queue: ReceivedByte[] = [];
  private overrun = false;

  /** `capacity`: the bytes the port's receive buffer holds (the profile's rxBufferBytes). */
  constructor(private readonly capacity: number) {}

  /** A byte came off the line: kept, or lost to a full buffer, which the next read reports as an overrun. */
  push(received: ReceivedByte): void {
    if (this.queue.length >= this.capacity) this.overrun = true;
    else this.queue.push(received);
  }

  /** Bytes waiting to be read. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Forgets every waiting byte and a pending overrun (the port was opened or closed). */
  clear(): void {
    this.queue = [];
    this.overrun = false;
  }

  /**
   * Takes up to `max` bytes, stopping before the first damaged one; that byte
   * is dropped and its error reported. Lost bytes (overrun) are reported first,
   * ahead of any damaged byte, which then waits for the next read.
   */
  read(max: number): UartRead {
    const bytes: number[] = [];
    let error: UartErrorKind | undefined;
    if (this.overrun) {
      error = "overrun";
      this.overrun = false;
    }
    while (bytes.length < max && this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.error) {
        if (!error) {
          error = next.error;
          this.queue.shift();
        }
        break;
      }
      bytes.push(next.byte);
      this.queue.shift();
    }
    return error ? { bytes, error } : { bytes };
  }
}
