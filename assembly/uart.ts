// Serial ports. Reads never block: an EventKind.UartRx event says bytes are
// waiting, then read() takes them. readAt() and the pointer forms let a frame
// be assembled in place without subarray(), which allocates a new view
// object on every call.
import { Parity, Status, StopBits } from "./raw/types";
import { uart_close, uart_open, uart_read, uart_write } from "./raw/uart";
import { OUT, encodeText, lengthOut, utf8Len, utf8Ptr } from "./internal/scratch";
import { HostResource, openedHandle } from "./internal/resource";

export { Parity, StopBits };

/** An open serial port: `Uart.open` returns one; check `.ok` or `.status`. */
export class UartPort extends HostResource {
  /** Bytes taken by the last write, possibly fewer than offered. */
  written: u32 = 0;
  /** Bytes placed by the last read. */
  received: u32 = 0;

  constructor(
    /** Port number as in the board profile. */
    readonly port: u32,
    handle: u32,
    status: Status,
  ) {
    super(handle, status);
  }

  /** Sends all of `data`; `written` says how many bytes the host took, possibly fewer. */
  write(data: Uint8Array): Status {
    return this.writeFrom(data.dataStart, <usize>data.byteLength);
  }

  /** Sends the UTF-8 of `text` (no allocation up to 1 KiB). */
  writeString(text: string): Status {
    const s = this.usable();
    if (s != Status.Ok) {
      this.written = 0;
      return s;
    }
    encodeText(text);
    return this.writeFrom(utf8Ptr, utf8Len);
  }

  /** Sends `length` bytes at `ptr` in this module's memory (part of a buffer, a memory.data block). */
  writeFrom(ptr: usize, length: usize): Status {
    const s = this.usable();
    if (s != Status.Ok) {
      this.written = 0;
      return s;
    }
    const r = <Status>uart_write(this.handle, ptr, length, OUT);
    this.written = r == Status.Ok ? load<u32>(OUT) : 0;
    return r;
  }

  /**
   * Takes up to rx.length waiting bytes into rx; `received` says how many.
   * The line-error statuses (Overrun, Parity, FrameFormat, Noise) still
   * deliver the bytes before the error.
   */
  read(rx: Uint8Array): Status {
    return this.readInto(rx.dataStart, <usize>rx.byteLength);
  }

  /**
   * Like read(), into rx from `offset` to its end: appending to a partly
   * received frame is `port.readAt(frame, filled)`, with no subarray() (an
   * allocation) and no copy. InvalidArg, without calling the host, when
   * offset is outside 0..rx.length.
   */
  readAt(rx: Uint8Array, offset: i32): Status {
    if (offset < 0 || offset > rx.length) {
      this.received = 0;
      return Status.InvalidArg;
    }
    return this.readInto(rx.dataStart + <usize>offset, <usize>(rx.length - offset));
  }

  /** Takes up to `capacity` waiting bytes to `ptr` in this module's memory; `received` says how many. */
  readInto(ptr: usize, capacity: usize): Status {
    const s = this.usable();
    if (s != Status.Ok) {
      this.received = 0;
      return s;
    }
    const r = <Status>uart_read(this.handle, ptr, capacity, lengthOut());
    this.received = load<u32>(OUT);
    return r;
  }

  /** Closes the port. Later calls on this UartPort return InvalidArg. */
  close(): Status {
    const s = this.giveBack();
    return s != Status.Ok ? s : <Status>uart_close(this.handle);
  }
}

/** Opens serial ports. */
export class Uart {
  /** Opens `port` with 8 data bits. Check `.status` (or `.ok`) on the result. */
  static open(port: u32, baud: u32, parity: Parity = Parity.None, stopBits: StopBits = StopBits.One): UartPort {
    const s = <Status>uart_open(port, baud, parity, stopBits, OUT);
    return new UartPort(port, openedHandle(s), s);
  }
}
