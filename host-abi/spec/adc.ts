import type { InterfaceSpec } from "../schema.js";
import { TRAP_HANDLE, TRAP_OUTPUT } from "./common.js";

export const adc: InterfaceSpec = {
  name: "adc",
  version: "1.0.0",
  doc: "Analog inputs on the expansion connectors, as raw counts and as millivolts.",
  handles: [{ name: "channel", since: "1.0.0", doc: "An open ADC channel." }],
  capabilities: [
    { name: "adc", id: 4, since: "1.0.0", doc: "Read an ADC channel.", scope: "channel number" },
  ],
  functions: [
    {
      name: "open", since: "1.0.0", capability: "adc", result: "status",
      doc: "Opens a channel for reading. Channels are shared read-only: several modules may open the same one.",
      params: [{ name: "channel", type: "u32", doc: "Channel number as in the board profile." }],
      outputs: [{ name: "handle", type: "handle<channel>", doc: "The open channel." }],
      errors: [
        { code: "not-permitted", when: "the module was not granted this channel" },
        { code: "not-found", when: "the board has no such channel" },
      ],
      traps: [TRAP_OUTPUT],
    },
    {
      name: "read", since: "1.0.0", capability: "adc", result: "status",
      doc: "Converts once.",
      params: [{ name: "handle", type: "handle<channel>", doc: "From open." }],
      outputs: [
        { name: "raw", type: "u32", doc: "Counts, 0 .. 2^bits - 1." },
        { name: "millivolts", type: "u32", doc: "raw scaled by the reference voltage." },
      ],
      errors: [{ code: "timeout", when: "the conversion did not finish in time" }],
      traps: [TRAP_HANDLE, TRAP_OUTPUT],
    },
    {
      name: "info", since: "1.0.0", capability: "adc", result: "status",
      doc: "Resolution and reference voltage of a channel.",
      params: [{ name: "handle", type: "handle<channel>", doc: "From open." }],
      outputs: [
        { name: "bits", type: "u8", doc: "Resolution in bits." },
        { name: "vref_mv", type: "u32", doc: "Full-scale reference in millivolts." },
      ],
      errors: [],
      traps: [TRAP_HANDLE, TRAP_OUTPUT],
    },
  ],
};
