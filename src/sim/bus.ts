// Simulated I2C and SPI buses: route each transaction to the device at an
// address / chip select, apply the profile's fault windows, and report the
// ABI status the transaction ends with.

import { Status } from "../abi/host.generated.js";
import { abiStatus, type I2cErrorKind, type SpiErrorKind } from "../hal/errors.js";
import { hexByte } from "../hal/hex.js";
import type { BusFault, I2cBusSpec, SpiBusSpec } from "./profile-types.js";

export interface BusResult<K extends string = I2cErrorKind | SpiErrorKind> {
  /** An ABI status code (Status.ok, Status.nackAddress, ...): abiStatus(kind), or ok. */
  status: number;
  /** What went wrong, in the peripheral boundary's words (src/hal/errors.ts); absent on ok. */
  kind?: K;
  /** Why, for core.error_detail; empty on ok. */
  detail: string;
  /** Bytes clocked in (I2C read phase / SPI full duplex). */
  rx: Uint8Array;
}

/** One I2C target, driven byte by byte as a controller would. */
export interface I2cDevice {
  readonly address: number;
  readonly name: string;
  /** Address phase of a START or repeated START: true = ACK. */
  ackAddress(read: boolean, tUs: bigint): boolean;
  /** A data byte from the controller; false = NACK (the controller then sends STOP). */
  writeByte(byte: number, index: number, tUs: bigint): boolean;
  /** The next byte the target sends. */
  readByte(tUs: bigint): number;
  /** STOP condition. */
  stop(tUs: bigint): void;
}

/** One SPI device on a chip select: a full-duplex exchange while CS is asserted. */
export interface SpiDevice {
  readonly cs: number;
  readonly name: string;
  transfer(tx: Uint8Array, tUs: bigint): Uint8Array;
}

/** A profile fault's name as an error kind (the profile says `nack-data`, as the ABI status is named). */
const FAULT_KIND: Record<string, I2cErrorKind | SpiErrorKind> = {
  bus: "bus", "arbitration-loss": "arbitration-loss", "nack-data": "no-acknowledge-data", overrun: "overrun",
  timeout: "timeout", other: "other", "mode-fault": "mode-fault", "frame-format": "frame-format",
};

function failed<K extends I2cErrorKind | SpiErrorKind>(kind: K, detail: string, rx: Uint8Array): BusResult<K> {
  return { status: abiStatus(kind), kind, detail, rx };
}

function activeFault<S extends string>(faults: readonly BusFault<S>[], target: number, tUs: bigint): BusFault<S> | undefined {
  return faults.find((f) => f.fromUs <= tUs && tUs < f.toUs && (f.target === undefined || f.target === target));
}

export class SimI2cBus {
  private readonly devices = new Map<number, I2cDevice>();

  constructor(readonly spec: I2cBusSpec, devices: readonly I2cDevice[]) {
    for (const d of devices) this.devices.set(d.address, d);
  }

  device(address: number): I2cDevice | undefined {
    return this.devices.get(address);
  }

  /**
   * START, address+W, tx bytes, [repeated START, address+R, rxLength bytes], STOP.
   * `tx` null skips the write phase (plain read); `rxLength` null skips the read phase (plain write).
   */
  transaction(address: number, tx: Uint8Array | null, rxLength: number | null, tUs: bigint): BusResult<I2cErrorKind> {
    const rx = new Uint8Array(rxLength ?? 0);
    // Only a failure is described: a polling module makes thousands of transactions a simulated minute.
    const where = () => `I2C bus ${this.spec.bus} address ${hexByte(address)}`;
    const fault = activeFault(this.spec.faults, address, tUs);
    if (fault) return failed(FAULT_KIND[fault.status] as I2cErrorKind, `${where()}: ${fault.detail}`, rx);
    const dev = this.devices.get(address);
    if (tx !== null) {
      if (!dev || !dev.ackAddress(false, tUs))
        return failed("no-acknowledge-address", dev ? `${where()} (${dev.name}) did not acknowledge: busy (write cycle in progress)` : `${where()}: no device answers`, rx);
      for (let i = 0; i < tx.length; i++) {
        if (!dev.writeByte(tx[i]!, i, tUs)) {
          dev.stop(tUs);
          return failed("no-acknowledge-data", `${where()} (${dev.name}) refused data byte ${i} (${hexByte(tx[i]!)})`, rx);
        }
      }
    }
    if (rxLength !== null) {
      if (!dev || !dev.ackAddress(true, tUs)) {
        dev?.stop(tUs);
        return failed("no-acknowledge-address", dev ? `${where()} (${dev.name}) did not acknowledge its read address: busy` : `${where()}: no device answers`, rx);
      }
      for (let i = 0; i < rxLength; i++) rx[i] = dev.readByte(tUs);
    }
    dev!.stop(tUs);
    return { status: Status.ok, detail: "", rx };
  }
}

export class SimSpiBus {
  private readonly devices = new Map<number, SpiDevice>();

  constructor(readonly spec: SpiBusSpec, devices: readonly SpiDevice[]) {
    for (const d of devices) this.devices.set(d.cs, d);
  }

  device(cs: number): SpiDevice | undefined {
    return this.devices.get(cs);
  }

  /** Exchanges tx for as many received bytes; the caller has checked that cs exists. */
  transfer(cs: number, tx: Uint8Array, tUs: bigint): BusResult<SpiErrorKind> {
    const where = `SPI bus ${this.spec.bus} cs ${cs}`;
    const fault = activeFault(this.spec.faults, cs, tUs);
    if (fault) return failed(FAULT_KIND[fault.status] as SpiErrorKind, `${where}: ${fault.detail}`, new Uint8Array(tx.length));
    const dev = this.devices.get(cs);
    if (!dev) return failed("other", `${where}: no device`, new Uint8Array(tx.length));
    return { status: Status.ok, detail: "", rx: dev.transfer(tx, tUs) };
  }
}
