// The OTA wire protocol (docs/ota-protocol.md is the prose version).
//
// Topics, all under fwx/v2/<device>/:
//   cmd            tool → device   JSON command            QoS 1
//   reply/<client> device → tool   JSON reply to one cmd   QoS 1
//   chunk          tool → device   binary chunk frame      QoS 0 (the window protocol retransmits)
//   ack            device → tool   binary ack frame        QoS 0 (cumulative: a lost ack is covered by the next);
//                                                          the final ack QoS 1 (its PUBACK starts the install)
//   event          device → tools  JSON install progress and verdicts   QoS 1
//   status         device → fleet  JSON device state, retained          QoS 1
//   presence       device → fleet  JSON online flag, retained, also the last will   QoS 1
//   log            device → tools  JSON module log lines and lifecycle  QoS 0
//   telemetry/<module>/<topic>  module telemetry, raw payload           QoS 0

import { crc32 } from "./crc32.js";

/** The protocol version is the second topic level: v2 = the frame layouts below (v1 had tagged frames and 32-bit sessions). */
export const TOPIC_ROOT = "fwx/v2";
export const DEFAULT_BROKER = "mqtt://127.0.0.1:1883";
export const DEFAULT_CHUNK_BYTES = 1024;
/** Largest chunk data a device takes (the tool's --chunk range is 64..MAX_CHUNK_BYTES). */
export const MAX_CHUNK_BYTES = 65536;
/** Device ids become topic levels: no wildcards, separators or NUL. */
export const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function topicsFor(device: string) {
  const base = `${TOPIC_ROOT}/${device}`;
  return {
    cmd: `${base}/cmd`,
    reply: (client: string) => `${base}/reply/${client}`,
    chunk: `${base}/chunk`,
    ack: `${base}/ack`,
    event: `${base}/event`,
    status: `${base}/status`,
    presence: `${base}/presence`,
    log: `${base}/log`,
    telemetry: (module: string, topic: string) => `${base}/telemetry/${module}/${topic}`,
  };
}

/** The device id in a topic under TOPIC_ROOT, or null. */
export function deviceOfTopic(topic: string): string | null {
  const parts = topic.split("/");
  return parts.length >= 4 && `${parts[0]}/${parts[1]}` === TOPIC_ROOT ? parts[2]! : null;
}

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

// ---- binary frames -------------------------------------------------------
// The topic names the frame kind, so frames carry no tag. All integers big-endian.
// chunk: u16 session | u32 offset | u32 crc32(data) | data…      (10 bytes of header)
// ack:   u8 flags | u16 session | u32 contiguous offset          (7 bytes)
// The data length is the rest of the MQTT payload.

export const CHUNK_HEADER_BYTES = 10;
export const ACK_BYTES = 7;
/** The device saw a chunk beyond `offset`: the chunk at `offset` is missing, resend it now. */
export const ACK_GAP = 0x01;
/** Sessions are 16-bit nonces, 1..65535 (0 is never used, so a zeroed frame is no session). */
export const MAX_SESSION = 0xffff;

export interface ChunkFrame { session: number; offset: number; data: Uint8Array }
export interface AckFrame { session: number; offset: number; gap: boolean }

export function encodeChunk(session: number, offset: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(CHUNK_HEADER_BYTES + data.length);
  out.writeUInt16BE(session & MAX_SESSION, 0);
  out.writeUInt32BE(offset >>> 0, 2);
  out.writeUInt32BE(crc32(data), 6);
  out.set(data, CHUNK_HEADER_BYTES);
  return out;
}

/** Decodes a chunk frame; throws ProtocolError for a frame too short to hold a header and data, or a CRC mismatch. */
export function decodeChunk(frame: Uint8Array): ChunkFrame {
  if (frame.length <= CHUNK_HEADER_BYTES) throw new ProtocolError(`chunk frame of ${frame.length} bytes holds no data after its ${CHUNK_HEADER_BYTES}-byte header`);
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const data = frame.subarray(CHUNK_HEADER_BYTES);
  const offset = b.readUInt32BE(2);
  const want = b.readUInt32BE(6);
  const got = crc32(data);
  if (want !== got) throw new ProtocolError(`chunk at offset ${offset}: CRC32 ${got.toString(16).padStart(8, "0")} does not match ${want.toString(16).padStart(8, "0")} in the frame`);
  return { session: b.readUInt16BE(0), offset, data };
}

export function encodeAck(a: AckFrame): Buffer {
  const out = Buffer.allocUnsafe(ACK_BYTES);
  out[0] = a.gap ? ACK_GAP : 0;
  out.writeUInt16BE(a.session & MAX_SESSION, 1);
  out.writeUInt32BE(a.offset >>> 0, 3);
  return out;
}

export function decodeAck(frame: Uint8Array): AckFrame {
  if (frame.length !== ACK_BYTES) throw new ProtocolError(`ack frame of ${frame.length} bytes is not an ack (${ACK_BYTES} bytes)`);
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  return { session: b.readUInt16BE(1), offset: b.readUInt32BE(3), gap: (frame[0]! & ACK_GAP) !== 0 };
}

// ---- JSON control messages ---------------------------------------------

export interface TransferSpec {
  /** What is sent: the package itself or a delta against the package in the device's confirmed slot. */
  mode: "full" | "delta";
  size: number;
  /** SHA-256 (hex) of the bytes sent. */
  sha256: string;
  /** Delta only: SHA-256 of the base package the delta applies to. */
  base?: string;
}

export interface PackageRef { module: string; version: string; sequence: number; size: number; sha256: string }

/** What a `begin` carries when the bytes sent are a delta rather than the package itself. */
export interface DeltaSpec { base: string; size: number; sha256: string }

/** The transfer a begin announces: the package itself unless `delta` is given. */
export function transferOf(cmd: { package: PackageRef; delta?: DeltaSpec }): TransferSpec {
  return cmd.delta
    ? { mode: "delta", size: cmd.delta.size, sha256: cmd.delta.sha256, base: cmd.delta.base }
    : { mode: "full", size: cmd.package.size, sha256: cmd.package.sha256 };
}

interface CmdBase { req: string; from: string }
export type Command =
  | (CmdBase & { op: "begin"; session: number; window: number; package: PackageRef; delta?: DeltaSpec })
  | (CmdBase & { op: "query"; session: number })
  | (CmdBase & { op: "abort"; session: number })
  | (CmdBase & { op: "rollback"; module: string })
  | (CmdBase & { op: "remove"; module: string })
  | (CmdBase & { op: "config"; module: string; values: Record<string, string> })
  | (CmdBase & { op: "logs"; module?: string; limit: number })
  | (CmdBase & { op: "status" });

export type Reply = { req: string; ok: true; [k: string]: unknown } | { req: string; ok: false; code: string; message: string };

export const VERDICTS = ["confirmed", "reverted", "refused", "failed"] as const;
export type Verdict = (typeof VERDICTS)[number];

/** One step of an install on the device, published on the event topic. */
export interface InstallEvent {
  session: number | null;
  module: string;
  phase: "received" | "verified" | "written" | "trial" | "health" | Verdict | "rolled-back" | "removed" | "reconfigured" | "recovered";
  /** Wall-clock ms on the device. */
  ts: number;
  version?: string;
  sequence?: number;
  /** Why: the refusal's message, the fault that reverted a trial, … */
  reason?: string;
  /** PackageError code for refusals. */
  code?: string;
  /** SHA-256 (hex) of the package concerned, so a tool that reconnected under a new session still recognises its verdict. */
  package?: string;
  /** SHA-256 (hex) of the signed begin this verdict answers (src/ota/signed-command.ts). */
  request?: string;
  /** The device's signature over the verdict, bound to `request` and `package` (base64 CBOR [statement, signature]). */
  proof?: string;
  /** The device certificate the proof verifies under (base64); absent: the one in the device's status. */
  cert?: string;
}

export function isVerdict(phase: string): phase is Verdict {
  return (VERDICTS as readonly string[]).includes(phase);
}

export interface SlotStatus { version: string; sequence: number; sha256: string; size: number }
export interface ModuleStatus {
  id: string;
  /** The slot running now and whether it is confirmed or on trial. */
  active: "A" | "B" | null;
  state: "confirmed" | "trial" | "stopped" | "faulted" | "quarantined";
  version: string | null;
  sequence: number | null;
  slots: { A: SlotStatus | null; B: SlotStatus | null };
  confirmed: "A" | "B" | null;
  installedSeq: number;
  health: { callbacks: number; faults: number; restarts: number; lastFault: string | null };
  config: Record<string, string>;
}
export interface DeviceStatus {
  device: string;
  ts: number;
  board: string;
  /** fwx version of the agent. */
  agent: string;
  customer: string;
  group: string;
  busy: number | null;
  /** Highest signed-command counter the device accepted: a tool signs its next command with a higher one (a lie here only gets that command refused as replayed). */
  counter: number;
  /** Serial of the revocation list the device keeps (0: none). */
  revocationSerial: number;
  /** The device certificate (base64) its proofs verify under; a claim until checked against the root. */
  cert: string;
  modules: ModuleStatus[];
  lastInstall: InstallEvent | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A retained status read off the broker, shaped as the tools use it: anyone the broker lets publish there
 * can write anything, and a status whose `modules` is not a list (or a module whose `slots` is missing)
 * took `fwx devices` and `fwx flash` down with a TypeError. Not an object: null. Modules that are not
 * objects with a string id are left out; a module's slots, health and config that are not objects read as
 * empty; a `lastInstall` that is not an object as none. Values keep their types otherwise: it is still a
 * claim, shown as one and decided on by nothing (docs/ota-protocol.md, "What the tools decide on").
 */
export function asDeviceStatus(v: unknown): DeviceStatus | null {
  if (!isRecord(v)) return null;
  const slot = (x: unknown) => (isRecord(x) ? (x as unknown as SlotStatus) : null);
  const modules = (Array.isArray(v.modules) ? v.modules : []).filter((m): m is Record<string, unknown> => isRecord(m) && typeof m.id === "string").map((m) => {
    const slots = isRecord(m.slots) ? m.slots : {};
    return {
      ...m,
      slots: { A: slot(slots.A), B: slot(slots.B) },
      health: isRecord(m.health) ? m.health : {},
      config: isRecord(m.config) ? m.config : {},
    } as unknown as ModuleStatus;
  });
  return { ...v, modules, lastInstall: isRecord(v.lastInstall) ? v.lastInstall : null } as unknown as DeviceStatus;
}

export function parseJson<T>(payload: Uint8Array, what: string): T {
  try {
    return JSON.parse(Buffer.from(payload).toString("utf8")) as T;
  } catch (e) {
    throw new ProtocolError(`${what}: not JSON: ${(e as Error).message}`);
  }
}
