// The Node end of the HAL bridge (docs/hal-bridge.md): serves the peripheral
// fwx_hal_* calls of a C device (firmware/ports/posix/fwx_hal_bridge.c) from
// the simulated board. Each call frame is laid out in a scratch linear memory
// and run through the agent's own generated glue and host implementations
// (createHostImports + src/agent/host/*), so grants, claims, handles and
// statuses are the code the Node agent runs, checks included: a call the
// device's glue should have refused is refused again here.

import { lstatSync, unlinkSync } from "node:fs";
import net from "node:net";
import { createHostImports, type HostImpl } from "../abi/host.generated.js";
import { FUNCTION_BY_INDEX, LOWERED } from "../agent/abi.js";
import { GuestTrap } from "../agent/faults.js";
import { DeviceClaimRegistry } from "../agent/handles.js";
import type { AgentEvent, ClaimRegistry } from "../agent/host-context.js";
import { createAdcHost } from "../agent/host/adc.js";
import { createGpioHost } from "../agent/host/gpio.js";
import { createI2cHost } from "../agent/host/i2c.js";
import { createPwmHost } from "../agent/host/pwm.js";
import { createSensorHost } from "../agent/host/sensor.js";
import { createSpiHost } from "../agent/host/spi.js";
import { createUartHost } from "../agent/host/uart.js";
import { InstanceContext } from "../agent/instance.js";
import { CapabilityError, parseCapabilities, type Capabilities } from "../caps/capabilities.js";
import {
  BRIDGE_MAX_BUFFER, BRIDGE_MAX_CAPS_JSON, BRIDGE_MAX_MODULE_ID, BRIDGE_VERSION, FRAME, isBridged, wireOutput, wireParam,
} from "../../host-abi/gen/bridge-wire.js";
import { camel } from "../../host-abi/gen/names.js";
import type { Board } from "./board.js";
import { BridgeProtocolError, FrameReader, FrameSplitter, FrameWriter } from "./bridge-frames.js";

/** Handle kind numbers as the C header numbers them (FWX_HANDLE_*): spec order from 1. */
const HANDLE_KINDS: readonly string[] = LOWERED.interfaces.flatMap((i) => i.handles.map((h) => `${i.name}.${h.name}`));
/** Attached modules per connection (slot numbers 0..MAX_SLOTS-1), as FWX_BRIDGE_MAX_MODULES in C. */
export const MAX_SLOTS = 16;
/** Replies and events a device may leave unread before the board drops the link. */
const MAX_UNREAD_BYTES = 1 << 20;

export interface BridgeServerOptions {
  /** The board every connection shares (claims are device-wide), or a factory giving each connection its own. */
  board: Board | (() => Board);
  /** Unix socket path to listen on (replaced if a stale socket file is there). */
  socketPath: string;
  /** Every board event (gpio levels, uart bytes, i2c transactions), stamped with the module and device time. */
  onEvent?: (event: AgentEvent & { t: string; module: string }) => void;
  /**
   * Advance the board between calls along the device clock, every this many
   * ms of wall time, so watched pins and received bytes raise events while the
   * device is idle. 0: the board moves only when a call brings a device time.
   */
  paceMs?: number;
}

export interface BridgeServer {
  readonly socketPath: string;
  close(): Promise<void>;
}

interface Attached {
  ctx: InstanceContext;
  imports: Record<string, Record<string, (...a: (number | bigint)[]) => number>>;
  /** The output object the glue handed the implementation in the current call. */
  lastOut: { value: Record<string, unknown> | null };
}

/** The peripheral hosts of one module, wrapped to see which outputs the implementation set. */
function peripheralHost(board: Board, ctx: InstanceContext, lastOut: Attached["lastOut"]): HostImpl {
  const real: Record<string, object> = {
    sensor: createSensorHost(board.peripherals, ctx), gpio: createGpioHost(board.peripherals, ctx), adc: createAdcHost(board.peripherals, ctx), pwm: createPwmHost(board.peripherals, ctx),
    i2c: createI2cHost(board.peripherals, ctx), spi: createSpiHost(board.peripherals, ctx), uart: createUartHost(board.peripherals, ctx),
  };
  const wrap = (iface: string) => new Proxy(real[iface] ?? {}, {
    get: (target, name: string) => {
      const fn = (target as Record<string, unknown>)[name];
      if (typeof fn !== "function") throw new BridgeProtocolError(`${iface}.${name} is not served by the bridge`);
      return (...args: unknown[]) => {
        const last = args[args.length - 1];
        lastOut.value = last && typeof last === "object" && !(last instanceof Uint8Array) ? (last as Record<string, unknown>) : null;
        return (fn as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return Object.fromEntries(LOWERED.interfaces.map((i) => [i.name, wrap(i.name)])) as unknown as HostImpl;
}

class Connection {
  private readonly splitter = new FrameSplitter();
  private readonly modules = new Map<number, Attached>();
  private helloDone = false;
  private deviceNowUs = 0n;
  private deviceNowAt = process.hrtime.bigint();
  private readonly pacer: NodeJS.Timeout | null;

  constructor(private readonly socket: net.Socket, private readonly board: Board, private readonly claims: ClaimRegistry, private readonly opts: BridgeServerOptions) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("close", () => this.shutdown());
    socket.on("error", () => this.shutdown());
    this.pacer = opts.paceMs ? setInterval(() => this.pace(), opts.paceMs) : null;
  }

  private onData(chunk: Buffer): void {
    try {
      for (const body of this.splitter.push(chunk)) this.handle(body);
    } catch (e) {
      this.refuse(e instanceof BridgeProtocolError || e instanceof CapabilityError ? e.message : `internal error: ${(e as Error).stack ?? e}`);
    }
  }

  /** Device time as the implementations see it: the latest a call brought (pace() moves only the board). */
  private nowUs(): bigint {
    return this.deviceNowUs;
  }

  private pace(): void {
    const elapsedUs = (process.hrtime.bigint() - this.deviceNowAt) / 1000n;
    const now = this.deviceNowUs + elapsedUs;
    if (this.modules.size) this.board.advanceTo(now);
  }

  private send(w: FrameWriter): void {
    if (this.socket.destroyed) return;
    // A device that sends calls but never reads the replies must not make the
    // board buffer without bound: past this it is cut off.
    if (this.socket.writableLength > MAX_UNREAD_BYTES) {
      this.socket.destroy();
      this.shutdown();
      return;
    }
    this.socket.write(w.frame());
  }

  private refuse(text: string): void {
    const bytes = new TextEncoder().encode(text.slice(0, 1000));
    this.send(new FrameWriter().u8(FRAME.error).u8(0).u16(0).u32(0).u16(bytes.length).bytes(bytes));
    this.socket.end();
    this.shutdown();
  }

  private shutdown(): void {
    if (this.pacer) clearInterval(this.pacer);
    for (const m of this.modules.values()) m.ctx.runCleanups();
    this.modules.clear();
  }

  private handle(body: Uint8Array): void {
    const r = new FrameReader(body);
    const type = r.u8("type");
    r.u8("reserved");
    const slot = r.u16("slot");
    const seq = r.u32("seq");
    if (!this.helloDone && type !== FRAME.hello) throw new BridgeProtocolError(`frame type ${type} before hello`);
    switch (type) {
      case FRAME.hello: {
        const version = r.u16("version");
        const hash = new TextDecoder().decode(r.bytes(r.u16("hash length"), "ABI hash"));
        r.end("hello");
        if (version !== BRIDGE_VERSION) throw new BridgeProtocolError(`bridge version ${version}, this server speaks ${BRIDGE_VERSION}`);
        if (hash !== LOWERED.hash) throw new BridgeProtocolError(`device ABI spec hash ${hash.slice(0, 16)}… differs from this server's ${LOWERED.hash.slice(0, 16)}… (regenerate, or use the fwx that built the device)`);
        this.helloDone = true;
        this.send(new FrameWriter().u8(FRAME.helloOk).u8(0).u16(0).u32(seq).u16(BRIDGE_VERSION));
        return;
      }
      case FRAME.attach: return this.attach(r, slot, seq);
      case FRAME.detach: {
        r.end("detach");
        this.modules.get(slot)?.ctx.runCleanups();
        this.modules.delete(slot);
        this.send(new FrameWriter().u8(FRAME.detachOk).u8(0).u16(slot).u32(seq));
        return;
      }
      case FRAME.owned: {
        const m = this.module(slot);
        const kind = r.u32("handle kind");
        const handle = r.u32("handle");
        r.end("owned");
        const name = HANDLE_KINDS[kind - 1];
        const owned = name !== undefined && m.ctx.owns(name, handle);
        this.send(new FrameWriter().u8(FRAME.ownedReply).u8(0).u16(slot).u32(seq).u32(owned ? 1 : 0));
        return;
      }
      case FRAME.call: return this.call(r, slot, seq);
      default: throw new BridgeProtocolError(`unknown frame type ${type}`);
    }
  }

  private module(slot: number): Attached {
    const m = this.modules.get(slot);
    if (!m) throw new BridgeProtocolError(`slot ${slot} has no module attached`);
    return m;
  }

  private attach(r: FrameReader, slot: number, seq: number): void {
    if (slot >= MAX_SLOTS) throw new BridgeProtocolError(`slot ${slot} is outside 0..${MAX_SLOTS - 1}`);
    const idLen = r.u16("module id length");
    if (idLen === 0 || idLen > BRIDGE_MAX_MODULE_ID) throw new BridgeProtocolError(`module id length ${idLen} is outside 1..${BRIDGE_MAX_MODULE_ID}`);
    const id = new TextDecoder("utf-8", { fatal: false }).decode(r.bytes(idLen, "module id"));
    const capsLen = r.u16("grant length");
    if (capsLen > BRIDGE_MAX_CAPS_JSON) throw new BridgeProtocolError(`grant of ${capsLen} bytes is over ${BRIDGE_MAX_CAPS_JSON}`);
    const capsText = new TextDecoder().decode(r.bytes(capsLen, "grant"));
    r.end("attach");
    let caps: Capabilities;
    try {
      caps = parseCapabilities(capsLen ? JSON.parse(capsText) : {}, `attach ${id} grant`);
    } catch (e) {
      throw new BridgeProtocolError(e instanceof CapabilityError ? e.message : `attach ${id}: grant is not JSON: ${(e as Error).message}`);
    }
    this.modules.get(slot)?.ctx.runCleanups();
    const lastOut: Attached["lastOut"] = { value: null };
    const ctx = new InstanceContext(id, new WebAssembly.Memory({ initial: 1, maximum: 1 }), {
      caps, config: new Map(), claims: this.claims, nowUs: () => this.nowUs(),
      emit: (e) => this.opts.onEvent?.({ ...e, t: String(this.nowUs()), module: id }),
      postEvent: (kind, handle, arg) => this.send(new FrameWriter().u8(FRAME.event).u8(0).u16(slot).u32(0).u32(kind).u32(handle).u32(arg)),
      fuel: 0n, watchdogMs: 0, createHost: () => { throw new Error("unused"); },
    });
    const imports = createHostImports(peripheralHost(this.board, ctx, lastOut), ctx) as unknown as Attached["imports"];
    this.modules.set(slot, { ctx, imports, lastOut });
    this.send(new FrameWriter().u8(FRAME.attachOk).u8(0).u16(slot).u32(seq));
  }

  private call(r: FrameReader, slot: number, seq: number): void {
    const m = this.module(slot);
    const index = r.u16("function");
    r.u16("reserved");
    const now = r.u64("device time");
    const f = FUNCTION_BY_INDEX[index];
    if (!f || !isBridged(f)) throw new BridgeProtocolError(`function ${index} is not served by the bridge`);
    if (now > this.deviceNowUs) this.deviceNowUs = now;
    this.deviceNowAt = process.hrtime.bigint();
    const mem = new Uint8Array(m.ctx.memory.buffer);
    let at = 16;
    const flat: (number | bigint)[] = [];
    const mutable: { at: number; len: number }[] = [];
    for (const p of f.params) {
      const w = wireParam(p);
      const what = `${f.iface}.${f.name} ${w.name}`;
      switch (w.wire) {
        // wasm hands i32 to JavaScript signed and i64 as a signed BigInt: do the same.
        case "u32": flat.push(r.u32(what) | 0); break;
        case "u64": flat.push(BigInt.asIntN(64, r.u64(what))); break;
        case "f32": { const b = new DataView(new ArrayBuffer(4)); b.setUint32(0, r.u32(what), true); flat.push(b.getFloat32(0, true)); break; }
        case "f64": { const b = new DataView(new ArrayBuffer(8)); b.setBigUint64(0, r.u64(what), true); flat.push(b.getFloat64(0, true)); break; }
        case "bytes": case "capacity": {
          const len = r.u32(`${what} length`);
          if (len > BRIDGE_MAX_BUFFER) throw new BridgeProtocolError(`${what}: ${len} bytes is over ${BRIDGE_MAX_BUFFER}`);
          mem.set(r.bytes(len, what), at);
          flat.push(at, len);
          if (w.wire === "capacity") mutable.push({ at, len });
          at += len;
          break;
        }
      }
    }
    const outAt = f.outputs.map(() => { const a = at; at += 8; return a; });
    flat.push(...outAt);
    r.end(`${f.iface}.${f.name} call`);
    m.lastOut.value = null;
    let status: number;
    try {
      status = m.imports[f.module]![f.name]!(...flat);
    } catch (e) {
      if (e instanceof GuestTrap) throw new BridgeProtocolError(`${f.iface}.${f.name}: the device passed a call its glue must refuse (${e.message})`);
      throw e;
    }
    const w = new FrameWriter().u8(FRAME.reply).u8(0).u16(slot).u32(seq).u16(index).u16(0).u32(status);
    const view = new DataView(m.ctx.memory.buffer);
    f.outputs.forEach((o, i) => {
      const set = status === 0 || (m.lastOut.value?.[camel(o.spec.name)] ?? undefined) !== undefined;
      w.u8(set ? 1 : 0);
      if (wireOutput(o) === "u32" || wireOutput(o) === "f32") w.u32(set ? view.getUint32(outAt[i]!, true) : 0);
      else w.u64(set ? view.getBigUint64(outAt[i]!, true) : 0n);
    });
    for (const b of mutable) w.u32(b.len).bytes(new Uint8Array(m.ctx.memory.buffer, b.at, b.len));
    this.send(w);
  }
}

/**
 * Makes way for the socket: nothing there, or a socket nobody listens on any more (a server that was
 * killed), which is removed. Anything else is refused, never deleted: a regular file or directory given
 * by mistake, or a socket another server (another `fwx board serve`) is serving, whose devices would
 * otherwise lose it without a word.
 */
async function removeStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; fwx replaces only a stale socket, never another file`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once("connect", () => { probe.destroy(); resolve(true); });
    probe.once("error", () => resolve(false));
  });
  if (live) throw new Error(`${path} is being served by another process (another fwx board serve?); stop it, or give another path`);
  unlinkSync(path);
}

/** Listens on `socketPath` and serves every connection from the one simulated board (claims are device-wide). */
export async function startBridgeServer(opts: BridgeServerOptions): Promise<BridgeServer> {
  await removeStaleSocket(opts.socketPath);
  const claims = new DeviceClaimRegistry();
  const sockets = new Set<net.Socket>();
  const shared = typeof opts.board === "function" ? null : opts.board;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    if (shared) new Connection(socket, shared, claims, opts);
    else new Connection(socket, (opts.board as () => Board)(), new DeviceClaimRegistry(), opts);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.socketPath, () => resolve());
  });
  return {
    socketPath: opts.socketPath,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
