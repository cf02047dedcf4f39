import type { InterfaceSpec } from "../schema.js";
import { TRAP_MEMORY, TRAP_OUTPUT } from "./common.js";

export const core: InterfaceSpec = {
  name: "core",
  version: "1.0.0",
  doc: "Always available: abort, logging, the monotonic clock, deploy-time configuration and the fuel trap the instrumenter calls. Needs no capability.",
  enums: [
    {
      name: "log-level", since: "1.0.0", doc: "Severity of a log line.",
      cases: [
        { name: "debug", value: 0, since: "1.0.0", doc: "Developer detail, dropped by default on devices." },
        { name: "info", value: 1, since: "1.0.0", doc: "Normal operation." },
        { name: "warn", value: 2, since: "1.0.0", doc: "Something unexpected the module handled." },
        { name: "error", value: 3, since: "1.0.0", doc: "Something failed." },
      ],
    },
  ],
  functions: [
    {
      name: "abort", since: "1.0.0", capability: null, result: "never", errors: [],
      doc: "Ends the current callback with a fault carrying the message and source position. AssemblyScript's abort() is routed here by the SDK.",
      params: [
        { name: "message", type: "string", doc: "Why the module gave up." },
        { name: "file", type: "string", doc: "Source file name." },
        { name: "line", type: "u32", doc: "Source line, 1-based; 0 when unknown." },
        { name: "column", type: "u32", doc: "Source column, 1-based; 0 when unknown." },
      ],
      traps: ["always: the module faults with reason `abort` and the message", TRAP_MEMORY],
    },
    {
      name: "log", since: "1.0.0", capability: null, result: "status",
      doc: "Writes one log line attributed to the module. The host may drop lines below its configured level; that is still `ok`.",
      params: [
        { name: "level", type: "enum<log-level>", doc: "Severity." },
        { name: "message", type: "string", doc: "UTF-8 text; the host truncates it at 256 bytes." },
      ],
      errors: [
        { code: "invalid-arg", when: "level is not a log-level value, or message is not valid UTF-8" },
        { code: "busy", when: "the module exceeded the host's log rate limit; the line is dropped" },
      ],
      traps: [TRAP_MEMORY],
    },
    {
      name: "now_ms", since: "1.0.0", capability: null, result: "u64", errors: [], params: [],
      doc: "Monotonic milliseconds since the device started. Never goes backwards; in simulation it is the virtual clock.",
    },
    {
      name: "now_us", since: "1.0.0", capability: null, result: "u64", errors: [], params: [],
      doc: "Monotonic microseconds since the device started, same clock as now_ms.",
    },
    {
      name: "config_get", since: "1.0.0", capability: null, result: "status",
      doc: "Reads a deploy-time configuration value (set per device without a new binary) as UTF-8 text.",
      params: [
        { name: "key", type: "string", doc: "Configuration key." },
        { name: "value", type: "mut-buffer", doc: "Where the value's bytes are written." },
      ],
      outputs: [{ name: "value_len", type: "u32", doc: "Bytes written; with `no-space`, the bytes needed." }],
      errors: [
        { code: "invalid-arg", when: "key is empty or not valid UTF-8" },
        { code: "not-found", when: "no value and no default is set for key" },
        { code: "no-space", when: "the value is longer than the buffer; nothing is written but value_len" },
      ],
      traps: [TRAP_MEMORY, TRAP_OUTPUT],
    },
    {
      name: "error_detail", since: "1.0.0", capability: null, result: "status",
      doc: "The escape hatch of the error model: the host's text for the last non-ok status this module received (for `other` in particular). Empty when there was none.",
      params: [{ name: "text", type: "mut-buffer", doc: "Where the UTF-8 text is written." }],
      outputs: [{ name: "text_len", type: "u32", doc: "Bytes written; with `no-space`, the bytes needed." }],
      errors: [{ code: "no-space", when: "the text is longer than the buffer; nothing is written but text_len" }],
      traps: [TRAP_MEMORY, TRAP_OUTPUT],
    },
    {
      name: "fuel_exhausted", since: "1.0.0", capability: null, result: "never", errors: [], params: [],
      doc: "Called by fuel-metering instrumentation, never by module source: the current callback spent its fuel budget.",
      traps: ["always: the module faults with reason `fuel-exhausted`"],
    },
  ],
};
