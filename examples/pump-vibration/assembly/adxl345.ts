// The ADXL345 accelerometer on the pump's bearing housing (demo board: I2C
// bus 1, address 0x53). The FIFO in stream mode buffers up to 32 samples,
// so the module drains it on a timer instead of reading every sample on
// time; an overrun flag tells when samples were lost and the block has a gap.
import { I2c, Status } from "fwx";

export const I2C_BUS: u32 = 1;
export const ACCEL_ADDRESS: u8 = 0x53;

const REG_DEVID: u8 = 0x00;
const REG_BW_RATE: u8 = 0x2c;
const REG_POWER_CTL: u8 = 0x2d;
const REG_INT_SOURCE: u8 = 0x30;
const REG_DATA_FORMAT: u8 = 0x31;
const REG_DATAX0: u8 = 0x32;
const REG_FIFO_CTL: u8 = 0x38;
const REG_FIFO_STATUS: u8 = 0x39;

export const DEVID: u8 = 0xe5;
const MEASURE: u8 = 0x08;
/** FULL_RES with ±4 g: 256 LSB/g (3.9 mg) on every range, 1.1 g of vibration plus 1 g of gravity fit. */
const FORMAT_FULL_RES_4G: u8 = 0x09;
const FIFO_STREAM: u8 = 0x80;
const INT_OVERRUN: u8 = 0x01;
export const FIFO_DEPTH: u32 = 32;
export const LSB_PER_G: f64 = 256;

// Transfer buffers, allocated once.
const TX1 = new Uint8Array(1);
const TX2 = new Uint8Array(2);
const RX1 = new Uint8Array(1);
const RX6 = new Uint8Array(6);

/** Output data rate code for BW_RATE: ODR = 3200 Hz / 2^(15 - code); 0 when `hz` is not one of 100..3200 Hz. */
export function rateCode(hz: u32): u8 {
  for (let code: u8 = 0x0a; code <= 0x0f; code++) if ((<u32>3200 >> (15 - code)) == hz) return code;
  return 0;
}

export class Adxl345 {
  /** Status of the last failed transfer (Ok when none failed). */
  status: Status = Status.Ok;
  /** X axis of the last sample read, in g. */
  x: f64 = 0;

  private writeRegister(reg: u8, value: u8): bool {
    // Constant indexes inside the buffers' fixed lengths: no bounds check needed.
    unchecked((TX2[0] = reg));
    unchecked((TX2[1] = value));
    this.status = I2c.write(I2C_BUS, ACCEL_ADDRESS, TX2);
    return this.status == Status.Ok;
  }

  private readRegister(reg: u8): i32 {
    unchecked((TX1[0] = reg));
    this.status = I2c.writeRead(I2C_BUS, ACCEL_ADDRESS, TX1, RX1);
    return this.status == Status.Ok ? <i32>unchecked(RX1[0]) : -1;
  }

  /** Checks the device id and configures format, rate and FIFO; leaves it in standby. */
  configure(rate: u8): bool {
    const id = this.readRegister(REG_DEVID);
    if (id < 0) return false;
    if (id != DEVID) {
      this.status = Status.NotFound;
      return false;
    }
    return this.writeRegister(REG_POWER_CTL, 0)
      && this.writeRegister(REG_DATA_FORMAT, FORMAT_FULL_RES_4G)
      && this.writeRegister(REG_BW_RATE, rate)
      && this.writeRegister(REG_FIFO_CTL, FIFO_STREAM);
  }

  /** Starts measuring; the FIFO starts empty and the first sample comes one period later. */
  start(): bool {
    // Standby first: entering measure mode is what restarts the sample clock.
    return this.writeRegister(REG_POWER_CTL, 0) && this.writeRegister(REG_POWER_CTL, MEASURE);
  }

  standby(): bool {
    return this.writeRegister(REG_POWER_CTL, 0);
  }

  /** True when samples were lost since the last FIFO read; false also on a failed read (see status). */
  overrun(): bool {
    const v = this.readRegister(REG_INT_SOURCE);
    return v >= 0 && (v & INT_OVERRUN) != 0;
  }

  /** Samples waiting in the FIFO, or -1 when the read failed. */
  waiting(): i32 {
    const v = this.readRegister(REG_FIFO_STATUS);
    return v < 0 ? -1 : v & 0x3f;
  }

  /** Takes the oldest FIFO entry into `x`. One transaction, so all three axes belong to one sample. */
  readSample(): bool {
    unchecked((TX1[0] = REG_DATAX0));
    this.status = I2c.writeRead(I2C_BUS, ACCEL_ADDRESS, TX1, RX6);
    if (this.status != Status.Ok) return false;
    const raw = <i16>(<u16>unchecked(RX6[0]) | (<u16>unchecked(RX6[1]) << 8));
    this.x = <f64>raw / LSB_PER_G;
    return true;
  }
}
