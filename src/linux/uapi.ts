// The kernel's user-space ABI for GPIO (character device uAPI v2), I2C
// (i2c-dev) and SPI (spidev): ioctl request numbers, struct layouts and the
// encoders that fill the request buffers a native ioctl call hands to the
// kernel. Layouts are those of a 64-bit little-endian kernel (x86-64,
// arm64: the Raspberry Pi OS 64-bit and Debian arm64 gateways), where
// pointers are 8 bytes. tests/linux/uapi-layout.test.ts compiles a C program
// against /usr/include/linux/{gpio,i2c,i2c-dev}.h and spi/spidev.h and checks
// every size, offset and request number here against the headers.
// The GPIO v2 and spidev structs have the same layout on 32-bit ARM; struct
// i2c_msg does not (it holds a pointer: 12 bytes there), so the native addon
// copies the messages encoded here field by field into its own structs
// (native/i2c-msgs.h, tests/linux/i2c-msgs.test.ts).

// asm-generic/ioctl.h: nr 8 bits, type 8 bits, size 14 bits, dir 2 bits.
const IOC_WRITE = 1;
const IOC_READ = 2;
function ioc(dir: number, type: number, nr: number, size: number): number {
  if (size >= 1 << 14) throw new RangeError(`ioctl argument size ${size} exceeds the 14-bit size field`);
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}
const iow = (type: number, nr: number, size: number) => ioc(IOC_WRITE, type, nr, size);
const ior = (type: number, nr: number, size: number) => ioc(IOC_READ, type, nr, size);
const iowr = (type: number, nr: number, size: number) => ioc(IOC_READ | IOC_WRITE, type, nr, size);

// ---- GPIO uAPI v2 (linux/gpio.h) ----

export const GPIO_V2_LINES_MAX = 64;
export const GPIO_MAX_NAME_SIZE = 32;
export const GPIO_V2_LINE_NUM_ATTRS_MAX = 10;

export const GpioLineFlag = {
  USED: 1n << 0n,
  ACTIVE_LOW: 1n << 1n,
  INPUT: 1n << 2n,
  OUTPUT: 1n << 3n,
  EDGE_RISING: 1n << 4n,
  EDGE_FALLING: 1n << 5n,
  OPEN_DRAIN: 1n << 6n,
  OPEN_SOURCE: 1n << 7n,
  BIAS_PULL_UP: 1n << 8n,
  BIAS_PULL_DOWN: 1n << 9n,
  BIAS_DISABLED: 1n << 10n,
  EVENT_CLOCK_REALTIME: 1n << 11n,
} as const;

export const GpioLineAttrId = { FLAGS: 1, OUTPUT_VALUES: 2, DEBOUNCE: 3 } as const;
export const GpioLineEventId = { RISING_EDGE: 1, FALLING_EDGE: 2 } as const;

/** Byte sizes and offsets of the v2 structs. */
export const GPIO_LAYOUT = {
  chipInfo: { size: 68, name: 0, label: 32, lines: 64 },
  lineInfo: { size: 256, name: 0, consumer: 32, offset: 64, numAttrs: 68, flags: 72, attrs: 80 },
  lineAttribute: { size: 16, id: 0, value: 8 },
  lineConfigAttribute: { size: 24, attr: 0, mask: 16 },
  lineConfig: { size: 272, flags: 0, numAttrs: 8, attrs: 32 },
  lineRequest: { size: 592, offsets: 0, consumer: 256, config: 288, numLines: 560, eventBufferSize: 564, fd: 588 },
  lineValues: { size: 16, bits: 0, mask: 8 },
  lineEvent: { size: 48, timestampNs: 0, id: 8, offset: 12, seqno: 16, lineSeqno: 20 },
} as const;

const GPIO_MAGIC = 0xb4;
export const GPIO_GET_CHIPINFO_IOCTL = ior(GPIO_MAGIC, 0x01, GPIO_LAYOUT.chipInfo.size);
export const GPIO_V2_GET_LINEINFO_IOCTL = iowr(GPIO_MAGIC, 0x05, GPIO_LAYOUT.lineInfo.size);
export const GPIO_V2_GET_LINE_IOCTL = iowr(GPIO_MAGIC, 0x07, GPIO_LAYOUT.lineRequest.size);
export const GPIO_V2_LINE_SET_CONFIG_IOCTL = iowr(GPIO_MAGIC, 0x0d, GPIO_LAYOUT.lineConfig.size);
export const GPIO_V2_LINE_GET_VALUES_IOCTL = iowr(GPIO_MAGIC, 0x0e, GPIO_LAYOUT.lineValues.size);
export const GPIO_V2_LINE_SET_VALUES_IOCTL = iowr(GPIO_MAGIC, 0x0f, GPIO_LAYOUT.lineValues.size);

export interface GpioLineConfigSpec {
  flags: bigint;
  /** Output level of each requested line (bit i: the line at offsets[i]); only with OUTPUT. */
  outputValues?: bigint;
  /** Debounce period for input lines, µs; 0 or absent: none. */
  debounceUs?: number;
}

function encodeLineConfig(v: DataView, at: number, lines: number, spec: GpioLineConfigSpec): void {
  const L = GPIO_LAYOUT.lineConfig;
  const A = GPIO_LAYOUT.lineConfigAttribute;
  const all = lines === 64 ? ~0n & 0xffff_ffff_ffff_ffffn : (1n << BigInt(lines)) - 1n;
  v.setBigUint64(at + L.flags, spec.flags, true);
  let n = 0;
  const attr = (id: number, write: (p: number) => void) => {
    const p = at + L.attrs + n * A.size;
    v.setUint32(p + A.attr + GPIO_LAYOUT.lineAttribute.id, id, true);
    write(p + A.attr + GPIO_LAYOUT.lineAttribute.value);
    v.setBigUint64(p + A.mask, all, true);
    n++;
  };
  if (spec.outputValues !== undefined) attr(GpioLineAttrId.OUTPUT_VALUES, (p) => v.setBigUint64(p, spec.outputValues! & all, true));
  if (spec.debounceUs) attr(GpioLineAttrId.DEBOUNCE, (p) => v.setUint32(p, spec.debounceUs!, true));
  v.setUint32(at + L.numAttrs, n, true);
}

/** The name, label and line count of a struct gpiochip_info that GPIO_GET_CHIPINFO_IOCTL filled. */
export function decodeChipInfo(buf: Uint8Array): { name: string; label: string; lines: number } {
  const C = GPIO_LAYOUT.chipInfo;
  const text = (at: number) => {
    const b = buf.subarray(at, at + GPIO_MAX_NAME_SIZE);
    const end = b.indexOf(0);
    return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
  };
  return { name: text(C.name), label: text(C.label), lines: new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(C.lines, true) };
}

/** A struct gpio_v2_line_info asking GPIO_V2_GET_LINEINFO_IOCTL about line `offset` (everything else zero, as the kernel requires). */
export function encodeLineInfoRequest(offset: number): Uint8Array {
  const buf = new Uint8Array(GPIO_LAYOUT.lineInfo.size);
  new DataView(buf.buffer).setUint32(GPIO_LAYOUT.lineInfo.offset, offset, true);
  return buf;
}

/** A struct gpio_v2_line_request for GPIO_V2_GET_LINE_IOCTL; the kernel writes the line fd at GPIO_LAYOUT.lineRequest.fd. */
export function encodeLineRequest(offsets: readonly number[], consumer: string, config: GpioLineConfigSpec, eventBufferSize = 0): Uint8Array {
  const R = GPIO_LAYOUT.lineRequest;
  if (offsets.length < 1 || offsets.length > GPIO_V2_LINES_MAX) throw new RangeError(`a line request takes 1..${GPIO_V2_LINES_MAX} lines, not ${offsets.length}`);
  const buf = new Uint8Array(R.size);
  const v = new DataView(buf.buffer);
  offsets.forEach((o, i) => v.setUint32(R.offsets + 4 * i, o, true));
  const name = new TextEncoder().encode(consumer).subarray(0, GPIO_MAX_NAME_SIZE - 1); // NUL-terminated
  buf.set(name, R.consumer);
  encodeLineConfig(v, R.config, offsets.length, config);
  v.setUint32(R.numLines, offsets.length, true);
  v.setUint32(R.eventBufferSize, eventBufferSize, true);
  v.setInt32(R.fd, -1, true);
  return buf;
}

/** A struct gpio_v2_line_config for GPIO_V2_LINE_SET_CONFIG_IOCTL on a request of `lines` lines. */
export function encodeLineConfigRequest(lines: number, config: GpioLineConfigSpec): Uint8Array {
  const buf = new Uint8Array(GPIO_LAYOUT.lineConfig.size);
  encodeLineConfig(new DataView(buf.buffer), 0, lines, config);
  return buf;
}

/** A struct gpio_v2_line_values (bits to set / read, mask of the lines concerned). */
export function encodeLineValues(bits: bigint, mask: bigint): Uint8Array {
  const buf = new Uint8Array(GPIO_LAYOUT.lineValues.size);
  const v = new DataView(buf.buffer);
  v.setBigUint64(GPIO_LAYOUT.lineValues.bits, bits, true);
  v.setBigUint64(GPIO_LAYOUT.lineValues.mask, mask, true);
  return buf;
}

export function decodeLineValues(buf: Uint8Array): bigint {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getBigUint64(GPIO_LAYOUT.lineValues.bits, true);
}

export interface GpioLineEvent {
  timestampNs: bigint;
  rising: boolean;
  offset: number;
  seqno: number;
  lineSeqno: number;
}

/** The struct gpio_v2_line_events one read() of a line fd returned (a whole number of them). */
export function decodeLineEvents(buf: Uint8Array): GpioLineEvent[] {
  const E = GPIO_LAYOUT.lineEvent;
  if (buf.byteLength % E.size !== 0) throw new RangeError(`a line fd read returned ${buf.byteLength} bytes, not a multiple of ${E.size}`);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: GpioLineEvent[] = [];
  for (let p = 0; p < buf.byteLength; p += E.size) {
    const id = v.getUint32(p + E.id, true);
    if (id !== GpioLineEventId.RISING_EDGE && id !== GpioLineEventId.FALLING_EDGE) throw new RangeError(`line event at byte ${p} has unknown id ${id}`);
    out.push({ timestampNs: v.getBigUint64(p + E.timestampNs, true), rising: id === GpioLineEventId.RISING_EDGE, offset: v.getUint32(p + E.offset, true), seqno: v.getUint32(p + E.seqno, true), lineSeqno: v.getUint32(p + E.lineSeqno, true) });
  }
  return out;
}

// ---- I2C (linux/i2c-dev.h, linux/i2c.h) ----

export const I2C_SLAVE = 0x0703;
export const I2C_FUNCS = 0x0705;
export const I2C_RDWR = 0x0707;
export const I2C_M_RD = 0x0001;
export const I2C_FUNC_I2C = 0x0000_0001;
export const I2C_RDWR_IOCTL_MAX_MSGS = 42;
export const I2C_LAYOUT = {
  msg: { size: 16, addr: 0, flags: 2, len: 4, buf: 8 },
  rdwrData: { size: 16, msgs: 0, nmsgs: 8 },
} as const;

export interface I2cMessagePlan {
  /** The struct i2c_msg array; each `buf` field is left 0 for the native side to point at `buffers[i]`. */
  msgs: Uint8Array;
  buffers: Uint8Array[];
  /** Index into `buffers` of the read phase, or -1. */
  readIndex: number;
}

/** The messages of one transaction (the I2cBus.transaction shape): write `tx`, then a repeated-START read of `rxLength`. */
export function encodeI2cTransaction(address: number, tx: Uint8Array | null, rxLength: number | null): I2cMessagePlan {
  if (!Number.isInteger(address) || address < 0 || address > 0x7f) throw new RangeError(`I2C address ${address} is not 7-bit`);
  const M = I2C_LAYOUT.msg;
  const parts: { flags: number; data: Uint8Array }[] = [];
  if (tx !== null) parts.push({ flags: 0, data: tx });
  if (rxLength !== null) parts.push({ flags: I2C_M_RD, data: new Uint8Array(rxLength) });
  if (parts.length === 0) parts.push({ flags: 0, data: new Uint8Array(0) }); // an address probe
  const msgs = new Uint8Array(M.size * parts.length);
  const v = new DataView(msgs.buffer);
  parts.forEach((p, i) => {
    if (p.data.byteLength > 0xffff) throw new RangeError(`an i2c_msg carries at most 65535 bytes, not ${p.data.byteLength}`);
    v.setUint16(i * M.size + M.addr, address, true);
    v.setUint16(i * M.size + M.flags, p.flags, true);
    v.setUint16(i * M.size + M.len, p.data.byteLength, true);
  });
  return { msgs, buffers: parts.map((p) => p.data), readIndex: rxLength === null ? -1 : parts.length - 1 };
}

// ---- SPI (linux/spi/spidev.h) ----

const SPI_MAGIC = 0x6b; // 'k'
export const SPI_LAYOUT = {
  transfer: { size: 32, txBuf: 0, rxBuf: 8, len: 16, speedHz: 20, delayUsecs: 24, bitsPerWord: 26, csChange: 27, txNbits: 28, rxNbits: 29, wordDelayUsecs: 30 },
} as const;
/** SPI_IOC_MESSAGE(n): n struct spi_ioc_transfer. */
export function spiIocMessage(n: number): number {
  return iow(SPI_MAGIC, 0, n * SPI_LAYOUT.transfer.size);
}
export const SPI_IOC_RD_MODE = ior(SPI_MAGIC, 1, 1);
export const SPI_IOC_WR_MODE = iow(SPI_MAGIC, 1, 1);
export const SPI_IOC_RD_BITS_PER_WORD = ior(SPI_MAGIC, 3, 1);
export const SPI_IOC_WR_BITS_PER_WORD = iow(SPI_MAGIC, 3, 1);
export const SPI_IOC_RD_MAX_SPEED_HZ = ior(SPI_MAGIC, 4, 4);
export const SPI_IOC_WR_MAX_SPEED_HZ = iow(SPI_MAGIC, 4, 4);
export const SPI_IOC_WR_MODE32 = iow(SPI_MAGIC, 5, 4);
export const SPI_CPHA = 0x01;
export const SPI_CPOL = 0x02;

/** One struct spi_ioc_transfer; tx_buf/rx_buf are left 0 for the native side to point at the tx and rx buffers. */
export function encodeSpiTransfer(len: number, speedHz: number, bitsPerWord = 8): Uint8Array {
  const T = SPI_LAYOUT.transfer;
  if (!Number.isInteger(len) || len < 1 || len > 0xffff_ffff) throw new RangeError(`SPI transfer length ${len} is out of range`);
  const buf = new Uint8Array(T.size);
  const v = new DataView(buf.buffer);
  v.setUint32(T.len, len, true);
  v.setUint32(T.speedHz, speedHz, true);
  v.setUint8(T.bitsPerWord, bitsPerWord);
  return buf;
}
