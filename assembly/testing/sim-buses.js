// The buses of the simulated device (sim-device.js): I2C targets as register
// files, SPI devices with a fixed answer, UART ports with receive and send
// queues. Like the rest of the device, these see arguments the generated glue
// has already checked, and return status numbers.

import { STATUS } from "./mock-glue.generated.js";

const S = STATUS;

/**
 * A simulated I2C target: a register file. The first byte written selects
 * the register, later bytes are written from there; reads continue from the
 * selected register, wrapping at the end of the file.
 */
export class I2cTarget {
  constructor(registers) {
    this.regs = Uint8Array.from(registers);
    /** The register the next read starts at. */
    this.pointer = 0;
    /** reg → { width, entries: Uint8Array[] }: scripted values of FIFO and data registers. */
    this.queues = new Map();
  }

  /**
   * Queues successive values of register `reg` (a FIFO data register, a
   * conversion result): every later read transaction that covers `reg` first
   * takes the next `width`-byte entry into reg..reg+width-1, so one burst
   * read sees one whole entry. An empty queue leaves the registers as they
   * are (the last entry stays readable, as on most FIFOs when empty).
   */
  queue(reg, values, width) {
    if (width < 1 || reg + width > this.regs.length) throw new Error(`queued entries of ${width} bytes at register 0x${reg.toString(16)} do not fit the device's ${this.regs.length} registers`);
    if (values.length % width !== 0) throw new Error(`${values.length} queued bytes are not whole ${width}-byte entries`);
    let queue = this.queues.get(reg);
    if (!queue || queue.width !== width) {
      queue = { width, entries: [] };
      this.queues.set(reg, queue);
    }
    for (let i = 0; i < values.length; i += width) queue.entries.push(Uint8Array.from(values.subarray(i, i + width)));
  }

  write(data) {
    if (data.length === 0) return;
    const size = this.regs.length;
    this.pointer = data[0] % size;
    for (let i = 1; i < data.length; i++) this.regs[(this.pointer + i - 1) % size] = data[i];
  }

  read(rx) {
    const size = this.regs.length;
    for (const [reg, queue] of this.queues) {
      // Distance from the first register read to `reg`, going round the file.
      const covered = (reg - this.pointer + size) % size < rx.length;
      if (covered && queue.entries.length) this.regs.set(queue.entries.shift(), reg);
    }
    for (let i = 0; i < rx.length; i++) rx[i] = this.regs[(this.pointer + i) % size];
  }
}

/** fwx:i2c@1 on the simulated device. */
export function makeI2c(sim) {
  // Every transaction starts by addressing the target: a 10-bit address is
  // refused, and no target at the address is a NACK.
  const transaction = (bus, address, run) => {
    if (address > 0x7f) return S["invalid-arg"];
    const dev = sim.i2cTarget(bus, address);
    if (!dev) return S["nack-address"];
    run(dev);
    return S.ok;
  };
  return {
    write: (bus, address, data) => transaction(bus, address, (dev) => dev.write(data)),
    read: (bus, address, rx) => transaction(bus, address, (dev) => dev.read(rx)),
    writeRead: (bus, address, tx, rx) => transaction(bus, address, (dev) => {
      dev.write(tx);
      dev.read(rx);
    }),
  };
}

/** fwx:spi@1 on the simulated device. */
export function makeSpi(sim) {
  return {
    transfer: (bus, cs, tx, rx) => {
      if (tx.length === 0 || (rx.length !== 0 && rx.length !== tx.length)) return S["invalid-arg"];
      const dev = sim.spiDevices.get(`${bus}:${cs}`);
      if (!dev) return S["not-found"];
      dev.sent.push(Uint8Array.from(tx));
      for (let i = 0; i < rx.length; i++) rx[i] = dev.response.length ? dev.response[i % dev.response.length] : 0;
      return S.ok;
    },
  };
}

/** fwx:uart@1 on the simulated device. */
export function makeUart(sim) {
  const host = sim.host;
  const port = (handle) => sim.ports.get(host.resource("uart.port", handle));
  return {
    open: (number, baud, parity, stopBits, out) => {
      if (baud === 0) return S["invalid-arg"];
      const p = sim.port(number);
      if (p.open) return S.busy;
      p.baud = baud;
      p.parity = parity;
      p.stopBits = stopBits;
      p.open = host.issueHandle("uart.port", number);
      out.handle = p.open;
      return S.ok;
    },
    write: (handle, data, out) => {
      port(handle).tx.push(...data);
      out.written = data.length;
      return S.ok;
    },
    read: (handle, rx, out) => {
      const p = port(handle);
      const n = Math.min(rx.length, p.rx.length);
      rx.set(p.rx.splice(0, n));
      out.received = n;
      return S.ok;
    },
    close: (handle) => {
      port(handle).open = 0;
      host.releaseHandle("uart.port", handle);
      return S.ok;
    },
  };
}
