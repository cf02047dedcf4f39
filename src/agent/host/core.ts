// fwx:core@1 — abort, logging, the clock, configuration, error detail and the
// fuel trap. Needs no capability.

import { Status, type CoreHost } from "../../abi/host.generated.js";
import type { ModuleHostContext } from "../host-context.js";
import { ABORT_SITE, GuestTrap } from "../faults.js";
import { TokenBucket } from "../rate-limit.js";

export const LOG_LINE_MAX_BYTES = 256;
export const LOG_LEVEL_NAMES = ["debug", "info", "warn", "error"] as const;

export interface CoreServices {
  /** The text of the last non-ok status this instance received. */
  lastErrorDetail(): string;
  /** Lines below this level are dropped (and still answered `ok`). */
  minLogLevel: number;
  /** Lines per second of device time, with a burst; over it, `busy`. */
  logRate: { perSecond: number; burst: number };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = enc.encode(text);
  if (bytes.length <= maxBytes) return text;
  // Back off to a character boundary so the kept part stays valid UTF-8.
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return dec.decode(bytes.subarray(0, end)) + "…";
}

/** Copies `text` into a guest buffer with the ABI's no-space rule: too long → nothing but the length. */
export function writeText(text: string, into: Uint8Array, out: { len: number }): number {
  const bytes = enc.encode(text);
  out.len = bytes.length;
  if (bytes.length > into.length) return Status.noSpace;
  into.set(bytes);
  return Status.ok;
}

export function createCoreHost(ctx: ModuleHostContext, services: CoreServices): CoreHost {
  const bucket = new TokenBucket(services.logRate.perSecond, services.logRate.burst);
  const scratch = { len: 0 };
  return {
    abort(message, file, line, column) {
      // A line without a file is the site id `fwx build` passes for an abort the compiler made
      // (src/build/abort-sites.ts); the build's debug map names its file, line and message.
      if (!file && line) throw new GuestTrap("abort", `${message ? `${message} ` : ""}${ABORT_SITE}${line}`);
      const where = file ? ` at ${file}${line ? `:${line}${column ? `:${column}` : ""}` : ""}` : "";
      throw new GuestTrap("abort", `${message || "(no message)"}${where}`);
    },
    log(level, message) {
      if (!bucket.take(ctx.nowUs())) return ctx.fail(Status.busy, `core.log: more than ${services.logRate.perSecond} lines/s (burst ${services.logRate.burst}); line dropped`);
      if (level < services.minLogLevel) return Status.ok;
      ctx.emit({ kind: "log", level: LOG_LEVEL_NAMES[level] ?? String(level), message: truncateUtf8(message, LOG_LINE_MAX_BYTES) });
      return Status.ok;
    },
    nowMs() {
      return ctx.nowUs() / 1000n;
    },
    nowUs() {
      return ctx.nowUs();
    },
    configGet(key, value, out) {
      if (key === "") return ctx.fail(Status.invalidArg, "core.config_get: key is empty");
      const v = ctx.config.get(key);
      if (v === undefined) return ctx.fail(Status.notFound, `core.config_get: no value and no default for "${key}"`);
      const r = writeText(v, value, scratch);
      out.valueLen = scratch.len;
      if (r !== Status.ok) return ctx.fail(r, `core.config_get: "${key}" is ${scratch.len} bytes, the buffer holds ${value.length}`);
      return r;
    },
    errorDetail(text, out) {
      // Not via ctx.fail: reading the detail must not replace it.
      const r = writeText(services.lastErrorDetail(), text, scratch);
      out.textLen = scratch.len;
      return r;
    },
    fuelExhausted() {
      throw new GuestTrap("fuel-exhausted", "the callback spent its fuel budget");
    },
  };
}

