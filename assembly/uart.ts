// Serial ports. Reads never block: an EventKind.UartRx event says bytes are
// waiting, then read() takes them.
import { Parity, Status, StopBits } from "./raw/types";
import { uart_close, uart_open, uart_read, uart_write } from "./raw/uart";
import { OUT, encodeText, utf8Len, utf8Ptr } from "./internal/scratch";

export { Parity, StopBits };

export class UartPort {
  /** Bytes taken by the last write(), possibly fewer than offered. */
  written: u32 = 0;
  /** Bytes placed in rx by the last read(). */
  received: u32 = 0;
  private closed: bool = false;

  constructor(readonly port: u32, readonly handle: u32, readonly status: Status) {}

  get ok(): bool {
    return this.status == Status.Ok && !this.closed;
  }

  private usable(): Status {
    if (this.status != Status.Ok) return this.status;
    return this.closed ? Status.InvalidArg : Status.Ok;
  }

  write(data: Uint8Array): Status {
    const s = this.usable();
    if (s != Status.Ok) return s;
    return this.writeRaw(data.dataStart, <usize>data.byteLength);
  }

  writeString(text: string): Status {
    const s = this.usable();
    if (s != Status.Ok) return s;
    encodeText(text);
    return this.writeRaw(utf8Ptr, utf8Len);
  }

  private writeRaw(ptr: usize, len: usize): Status {
    const r = <Status>uart_write(this.handle, ptr, len, OUT);
    this.written = r == Status.Ok ? load<u32>(OUT) : 0;
    return r;
  }

  /** Takes up to rx.length waiting bytes; `received` says how many. */
  read(rx: Uint8Array): Status {
    const s = this.usable();
    if (s != Status.Ok) return s;
    store<u32>(OUT, 0);
    const r = <Status>uart_read(this.handle, rx.dataStart, <usize>rx.byteLength, OUT);
    // The line-error statuses still deliver the bytes before the error.
    this.received = load<u32>(OUT);
    return r;
  }

  close(): Status {
    const s = this.usable();
    if (s != Status.Ok) return s;
    this.closed = true;
    return <Status>uart_close(this.handle);
  }
}

export class Uart {
  /** Opens `port` with 8 data bits. */
  static open(port: u32, baud: u32, parity: Parity = Parity.None, stopBits: StopBits = StopBits.One): UartPort {
    const s = <Status>uart_open(port, baud, parity, stopBits, OUT);
    return new UartPort(port, s == Status.Ok ? load<u32>(OUT) : 0, s);
  }
}
