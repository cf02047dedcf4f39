// SPI full-duplex transfers; the board profile fixes mode and clock.
import { Status } from "./raw/types";
import { spi_transfer } from "./raw/spi";

/** SPI transfers to the devices the board profile names by bus and chip select. */
export class Spi {
  /** Clocks `tx` out and, unless `rx` is empty, the same number of bytes into `rx`. */
  static transfer(bus: u32, cs: u32, tx: Uint8Array, rx: Uint8Array): Status {
    return <Status>spi_transfer(bus, cs, tx.dataStart, <usize>tx.byteLength, rx.dataStart, <usize>rx.byteLength);
  }

  /** Sends `tx` and discards what comes back. */
  static write(bus: u32, cs: u32, tx: Uint8Array): Status {
    return <Status>spi_transfer(bus, cs, tx.dataStart, <usize>tx.byteLength, 0, 0);
  }
}
