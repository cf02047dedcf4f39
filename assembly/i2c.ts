// I2C transactions with 7-bit addresses. Each call is one complete
// transaction; buffers are passed by pointer, never copied.
import { Status } from "./raw/types";
import { i2c_read, i2c_write, i2c_write_read } from "./raw/i2c";

/** I2C controller transactions on the buses the board profile names. */
export class I2c {
  /** START, address+W, data, STOP. An empty `data` probes the address. */
  static write(bus: u32, address: u8, data: Uint8Array): Status {
    return <Status>i2c_write(bus, address, data.dataStart, <usize>data.byteLength);
  }

  /** Fills all of `rx` on Ok. */
  static read(bus: u32, address: u8, rx: Uint8Array): Status {
    return <Status>i2c_read(bus, address, rx.dataStart, <usize>rx.byteLength);
  }

  /** Writes `tx`, repeated START, reads all of `rx`: a register read. */
  static writeRead(bus: u32, address: u8, tx: Uint8Array, rx: Uint8Array): Status {
    return <Status>i2c_write_read(bus, address, tx.dataStart, <usize>tx.byteLength, rx.dataStart, <usize>rx.byteLength);
  }
}
