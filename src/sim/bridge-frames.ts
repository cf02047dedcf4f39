// Bounded reading and writing of HAL-bridge frames (docs/hal-bridge.md): a
// u32 little-endian body length, then the body. Every read is checked against
// the body's end, so a short or hostile frame is a BridgeProtocolError naming
// the field, never an out-of-range read.

import { BRIDGE_MAX_FRAME } from "../../host-abi/gen/bridge-wire.js";

export class BridgeProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BridgeProtocolError";
  }
}

export class FrameReader {
  private pos = 0;
  private readonly view: DataView;
  constructor(readonly body: Uint8Array) {
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  }
  private need(n: number, what: string): number {
    if (n > this.body.length - this.pos) throw new BridgeProtocolError(`frame ends inside ${what} (byte ${this.pos} of ${this.body.length})`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(what: string): number { return this.view.getUint8(this.need(1, what)); }
  u16(what: string): number { return this.view.getUint16(this.need(2, what), true); }
  u32(what: string): number { return this.view.getUint32(this.need(4, what), true); }
  u64(what: string): bigint { return this.view.getBigUint64(this.need(8, what), true); }
  bytes(n: number, what: string): Uint8Array { const at = this.need(n, what); return this.body.subarray(at, at + n); }
  /** Fails when bytes are left over: a frame must be exactly as long as its fields. */
  end(what: string): void {
    if (this.pos !== this.body.length) throw new BridgeProtocolError(`${what}: ${this.body.length - this.pos} unexpected trailing byte(s)`);
  }
}

export class FrameWriter {
  private readonly buf = new Uint8Array(BRIDGE_MAX_FRAME);
  private readonly view = new DataView(this.buf.buffer);
  private len = 0;
  private room(n: number): number {
    if (n > BRIDGE_MAX_FRAME - this.len) throw new BridgeProtocolError(`frame would exceed ${BRIDGE_MAX_FRAME} bytes`);
    const at = this.len;
    this.len += n;
    return at;
  }
  u8(v: number): this { this.view.setUint8(this.room(1), v); return this; }
  u16(v: number): this { this.view.setUint16(this.room(2), v, true); return this; }
  u32(v: number): this { this.view.setUint32(this.room(4), v >>> 0, true); return this; }
  u64(v: bigint): this { this.view.setBigUint64(this.room(8), BigInt.asUintN(64, v), true); return this; }
  bytes(b: Uint8Array): this { this.buf.set(b, this.room(b.length)); return this; }
  /** The frame on the wire: length prefix and body. */
  frame(): Buffer {
    const out = Buffer.alloc(4 + this.len);
    out.writeUInt32LE(this.len, 0);
    out.set(this.buf.subarray(0, this.len), 4);
    return out;
  }
}

/** Splits a byte stream into frame bodies; refuses a length above the maximum before buffering it. */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Uint8Array[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const bodies: Uint8Array[] = [];
    while (this.pending.length >= 4) {
      const len = this.pending.readUInt32LE(0);
      if (len === 0 || len > BRIDGE_MAX_FRAME) throw new BridgeProtocolError(`frame length ${len} is outside 1..${BRIDGE_MAX_FRAME}`);
      if (this.pending.length < 4 + len) break;
      bodies.push(new Uint8Array(this.pending.subarray(4, 4 + len)));
      this.pending = this.pending.subarray(4 + len);
    }
    return bodies;
  }
}
