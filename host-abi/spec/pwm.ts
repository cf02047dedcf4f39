import type { InterfaceSpec } from "../schema.js";
import { TRAP_HANDLE, TRAP_OUTPUT } from "./common.js";

export const pwm: InterfaceSpec = {
  name: "pwm",
  version: "1.0.0",
  doc: "PWM outputs (fans, valves, dimmable lights). A channel is claimed exclusively.",
  handles: [{ name: "channel", since: "1.0.0", doc: "A claimed PWM channel." }],
  capabilities: [
    { name: "pwm", id: 5, since: "1.0.0", doc: "Drive a PWM channel.", scope: "channel number" },
  ],
  functions: [
    {
      name: "open", since: "1.0.0", capability: "pwm", result: "status",
      doc: "Claims a channel at a frequency, duty 0.",
      params: [
        { name: "channel", type: "u32", doc: "Channel number as in the board profile." },
        { name: "frequency_hz", type: "u32", doc: "PWM frequency." },
      ],
      outputs: [{ name: "handle", type: "handle<channel>", doc: "The claimed channel." }],
      errors: [
        { code: "invalid-arg", when: "frequency_hz is 0" },
        { code: "not-permitted", when: "the module was not granted this channel" },
        { code: "busy", when: "the channel is claimed" },
        { code: "not-found", when: "the board has no such channel" },
        { code: "unsupported", when: "the channel cannot make this frequency" },
      ],
      traps: [TRAP_OUTPUT],
    },
    {
      name: "set_duty", since: "1.0.0", capability: "pwm", result: "status",
      doc: "Sets the duty cycle.",
      params: [
        { name: "handle", type: "handle<channel>", doc: "From open." },
        { name: "duty", type: "f32", doc: "Fraction of the period high, 0.0 to 1.0." },
      ],
      errors: [{ code: "invalid-arg", when: "duty is NaN or outside 0.0 .. 1.0" }],
      traps: [TRAP_HANDLE],
    },
    {
      name: "close", since: "1.0.0", capability: "pwm", result: "status",
      doc: "Stops the output (low) and gives the channel back. The handle is invalid afterwards.",
      params: [{ name: "handle", type: "handle<channel>", doc: "From open." }],
      errors: [],
      traps: [TRAP_HANDLE],
    },
  ],
};
