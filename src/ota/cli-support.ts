// Shared by the OTA subcommands: exit codes, option checks, error mapping.

import { UsageError } from "../cli/command.js";
import { DEVICE_ID } from "./protocol.js";
import { DeviceDistrusted, DeviceRefused, DeviceUnreachable } from "./rpc.js";

/** Exit codes of the OTA commands (fwx flash, devices, logs, rollback, remove, config). */
export const OTA_EXIT = { ok: 0, internal: 1, invalid: 2, deviceFailed: 3, unreachable: 4 } as const;

/** The exit codes of `fwx flash`: the one field tool that waits for an install's verdict. */
export const EXIT_CODES_HELP = `exit codes:
  0  done: the device confirmed the new version
  1  internal error
  2  invalid input, or the device refused the package
  3  the update was reverted or failed on the device
  4  broker or device unreachable, device busy, or a timeout`;

/** The exit codes of a signed command to one device (rollback, remove, config set): never 3, which only an install has. */
export const COMMAND_EXIT_CODES_HELP = `exit codes:
  0  done: the device signed that it did it
  1  internal error
  2  invalid input, or the device refused the request
  4  broker or device unreachable, device busy, or a timeout`;

/** The exit codes of a read (devices, logs): nothing is installed or commanded. */
export const READ_EXIT_CODES_HELP = `exit codes:
  0  done
  1  internal error
  2  invalid input
  4  broker or device unreachable, or a timeout`;

export function checkDevice(id: string | undefined, option = "--device"): string {
  if (!id) throw new UsageError(`${option} is required`);
  if (!DEVICE_ID.test(id)) throw new UsageError(`${option} "${id}": device ids are 1-64 letters, digits, . _ - (they become MQTT topic levels)`);
  return id;
}

export function checkBrokerUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--broker "${url}" is not a URL (expected e.g. mqtt://127.0.0.1:1883)`);
  }
  if (!["mqtt:", "mqtts:", "tcp:", "ws:", "wss:"].includes(u.protocol)) throw new UsageError(`--broker "${url}": unsupported scheme ${u.protocol} (mqtt, mqtts, ws, wss)`);
  return url;
}

const TIME_UNITS = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;

/**
 * A time option named in seconds (`--timeout <s>`, `--health-seconds`, `--device-timeout`) → seconds.
 * A bare number is seconds, as the option's name says; a number with a unit (500ms, 30s, 2m, 1h) is
 * taken too, since every other time fwx reads is written that way (`--duration 10m`).
 */
export function parseSeconds(v: string | undefined, option: string): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?$/.exec(v.trim());
  const n = m ? Number(m[1]) * TIME_UNITS[(m[2] ?? "s") as keyof typeof TIME_UNITS] : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${option} "${v}": expected a positive time: seconds (30) or with a unit (500ms, 30s, 2m, 1h)`);
  return n;
}

/** A clock speed-up (`--speed 10` or `--speed 10x`, as `fwx run` writes it) → the factor. */
export function parseSpeedFactor(v: string | undefined, option = "--speed"): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?|\.\d+)x?$/.exec(v.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${option} "${v}": expected a positive speed-up factor, like 10 or 10x`);
  return n;
}

/**
 * Text a device or the broker supplied (a status, a log line, a module's abort message, a refusal), made safe
 * for a terminal: control characters, escape sequences among them, are shown as \u001b instead of being
 * sent to it; whatever is not a string or a number is shown as "?".
 */
export function printable(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v !== "string") return "?";
  return v.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Maps errors from the control channel to exit codes and one line on stderr. Returns null for errors it does not know. */
export function reportRemoteError(e: unknown, json: boolean, command: string): number | null {
  const out = (code: string, message: string, exit: number) => {
    if (json) process.stdout.write(JSON.stringify({ ok: false, code, message }) + "\n");
    else process.stderr.write(`fwx: ${command}: ${printable(message)}\n`);
    return exit;
  };
  if (e instanceof DeviceUnreachable) return out("unreachable", e.message, OTA_EXIT.unreachable);
  if (e instanceof DeviceDistrusted) return out(e.code, `not believed: ${e.message}`, OTA_EXIT.invalid);
  if (e instanceof DeviceRefused) return out(e.code, `${e.device ? `device ${e.device}` : "device"} refused: ${e.message}`, e.code === "busy" ? OTA_EXIT.unreachable : OTA_EXIT.invalid);
  return null;
}

/** Resolves at the first SIGINT or SIGTERM: how the long-running commands (agent, broker, logs --follow) wait to be stopped. */
export function untilStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
