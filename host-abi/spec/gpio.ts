import type { InterfaceSpec } from "../schema.js";
import { TRAP_HANDLE, TRAP_OUTPUT } from "./common.js";

export const gpio: InterfaceSpec = {
  name: "gpio",
  version: "1.0.0",
  doc: "Digital pins on the expansion connectors. A pin is claimed exclusively: while one module holds it, no other module can.",
  enums: [
    {
      name: "pin-mode", since: "1.0.0", doc: "How a pin is driven.",
      cases: [
        { name: "input", value: 0, since: "1.0.0", doc: "Floating input." },
        { name: "input-pull-up", value: 1, since: "1.0.0", doc: "Input with the internal pull-up." },
        { name: "input-pull-down", value: 2, since: "1.0.0", doc: "Input with the internal pull-down." },
        { name: "output", value: 3, since: "1.0.0", doc: "Push-pull output, starts low." },
        { name: "output-open-drain", value: 4, since: "1.0.0", doc: "Open-drain output, starts released (high via pull-up)." },
      ],
    },
  ],
  flags: [
    {
      name: "edge", since: "1.0.0", doc: "Which transitions raise an event.",
      flags: [
        { name: "rising", bit: 0, since: "1.0.0", doc: "Low to high." },
        { name: "falling", bit: 1, since: "1.0.0", doc: "High to low." },
      ],
    },
  ],
  handles: [{ name: "pin", since: "1.0.0", doc: "A claimed pin." }],
  events: [
    { name: "edge", kind: 1, since: "1.0.0", doc: "A watched pin changed level.", handle: "pin", arg: "the new level: 1 high, 0 low" },
  ],
  capabilities: [
    { name: "gpio", id: 3, since: "1.0.0", doc: "Claim a pin.", scope: "pin number + the modes allowed on it" },
  ],
  functions: [
    {
      name: "claim", since: "1.0.0", capability: "gpio", result: "status",
      doc: "Claims a pin in a mode.",
      params: [
        { name: "pin", type: "u32", doc: "Connector pin number as in the board profile." },
        { name: "mode", type: "enum<pin-mode>", doc: "How to drive it." },
      ],
      outputs: [{ name: "handle", type: "handle<pin>", doc: "The claimed pin." }],
      errors: [
        { code: "invalid-arg", when: "mode is not a pin-mode value" },
        { code: "not-permitted", when: "the module was not granted this pin in this mode" },
        { code: "busy", when: "the pin is claimed (by this module or another)" },
        { code: "not-found", when: "the board has no such pin" },
        { code: "unsupported", when: "the pin cannot work in this mode" },
      ],
      traps: [TRAP_OUTPUT],
    },
    {
      name: "read", since: "1.0.0", capability: "gpio", result: "status",
      doc: "Reads the pin's level. On an output this is the level being driven.",
      params: [{ name: "handle", type: "handle<pin>", doc: "From claim." }],
      outputs: [{ name: "level", type: "bool", doc: "1 high, 0 low." }],
      errors: [],
      traps: [TRAP_HANDLE, TRAP_OUTPUT],
    },
    {
      name: "write", since: "1.0.0", capability: "gpio", result: "status",
      doc: "Drives an output pin.",
      params: [
        { name: "handle", type: "handle<pin>", doc: "From claim." },
        { name: "level", type: "bool", doc: "1 high, 0 low." },
      ],
      errors: [
        { code: "invalid-arg", when: "level is not 0 or 1" },
        { code: "unsupported", when: "the pin was claimed as an input" },
      ],
      traps: [TRAP_HANDLE],
    },
    {
      name: "watch", since: "1.0.0", capability: "gpio", result: "status",
      doc: "Chooses which edges of an input raise an `edge` event; no flags stops watching.",
      params: [
        { name: "handle", type: "handle<pin>", doc: "From claim." },
        { name: "edges", type: "flags<edge>", doc: "Edges to report." },
      ],
      errors: [
        { code: "invalid-arg", when: "edges has bits outside the edge flags" },
        { code: "unsupported", when: "the pin was claimed as an output" },
      ],
      traps: [TRAP_HANDLE],
    },
    {
      name: "release", since: "1.0.0", capability: "gpio", result: "status",
      doc: "Gives the pin back; outputs return to input. The handle is invalid afterwards.",
      params: [{ name: "handle", type: "handle<pin>", doc: "From claim." }],
      errors: [],
      traps: [TRAP_HANDLE],
    },
  ],
};
