import type { InterfaceSpec } from "../schema.js";
import { TRAP_HANDLE, TRAP_MEMORY, TRAP_OUTPUT } from "./common.js";

export const uart: InterfaceSpec = {
  name: "uart",
  version: "1.0.0",
  doc: "Serial ports (RS-485 for Modbus RTU, RS-232). A port is opened exclusively; reads never block, bytes arriving raise an `rx` event.",
  enums: [
    {
      name: "parity", since: "1.0.0", doc: "Parity bit.",
      cases: [
        { name: "none", value: 0, since: "1.0.0", doc: "No parity bit." },
        { name: "even", value: 1, since: "1.0.0", doc: "Even parity." },
        { name: "odd", value: 2, since: "1.0.0", doc: "Odd parity." },
      ],
    },
    {
      name: "stop-bits", since: "1.0.0", doc: "Stop bits per frame.",
      cases: [
        { name: "one", value: 1, since: "1.0.0", doc: "One stop bit." },
        { name: "two", value: 2, since: "1.0.0", doc: "Two stop bits." },
      ],
    },
  ],
  handles: [{ name: "port", since: "1.0.0", doc: "An open serial port." }],
  events: [
    { name: "rx", kind: 2, since: "1.0.0", doc: "Bytes arrived on an open port.", handle: "port", arg: "bytes now waiting in the receive buffer" },
  ],
  capabilities: [
    { name: "uart", id: 8, since: "1.0.0", doc: "Open a serial port.", scope: "port number" },
  ],
  functions: [
    {
      name: "open", since: "1.0.0", capability: "uart", result: "status",
      doc: "Opens a port with 8 data bits and the given framing.",
      params: [
        { name: "port", type: "u32", doc: "Port number as in the board profile." },
        { name: "baud", type: "u32", doc: "Bits per second." },
        { name: "parity", type: "enum<parity>", doc: "Parity." },
        { name: "stop_bits", type: "enum<stop-bits>", doc: "Stop bits." },
      ],
      outputs: [{ name: "handle", type: "handle<port>", doc: "The open port." }],
      errors: [
        { code: "invalid-arg", when: "baud is 0, or parity or stop_bits is not a value of its enum" },
        { code: "not-permitted", when: "the module was not granted this port" },
        { code: "busy", when: "the port is open (by this module or another)" },
        { code: "not-found", when: "the board has no such port" },
        { code: "unsupported", when: "the port cannot make this baud rate or framing" },
      ],
      traps: [TRAP_OUTPUT],
    },
    {
      name: "write", since: "1.0.0", capability: "uart", result: "status",
      doc: "Queues bytes for sending. Never blocks: takes what fits in the transmit buffer.",
      params: [
        { name: "handle", type: "handle<port>", doc: "From open." },
        { name: "data", type: "buffer", doc: "Bytes to send." },
      ],
      outputs: [{ name: "written", type: "u32", doc: "Bytes taken, possibly fewer than data's length." }],
      errors: [{ code: "busy", when: "the transmit buffer is full; nothing was taken" }],
      traps: [TRAP_HANDLE, TRAP_MEMORY, TRAP_OUTPUT],
    },
    {
      name: "read", since: "1.0.0", capability: "uart", result: "status",
      doc: "Takes up to rx.len received bytes. Never blocks: `ok` with received = 0 when nothing is waiting.",
      params: [
        { name: "handle", type: "handle<port>", doc: "From open." },
        { name: "rx", type: "mut-buffer", doc: "Where received bytes go." },
      ],
      outputs: [{ name: "received", type: "u32", doc: "Bytes written to rx." }],
      errors: [
        { code: "overrun", when: "bytes were lost since the last read; the bytes that survived are returned" },
        { code: "frame-format", when: "a frame had no stop bit; the bytes before it are returned" },
        { code: "parity", when: "a byte failed parity; the bytes before it are returned" },
        { code: "noise", when: "noise was detected; the bytes before it are returned" },
      ],
      traps: [TRAP_HANDLE, TRAP_MEMORY, TRAP_OUTPUT],
    },
    {
      name: "close", since: "1.0.0", capability: "uart", result: "status",
      doc: "Closes the port; unsent bytes are dropped. The handle is invalid afterwards.",
      params: [{ name: "handle", type: "handle<port>", doc: "From open." }],
      errors: [],
      traps: [TRAP_HANDLE],
    },
  ],
};
