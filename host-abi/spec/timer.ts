import type { InterfaceSpec } from "../schema.js";

export const timer: InterfaceSpec = {
  name: "timer",
  version: "1.0.0",
  doc: "One-shot and periodic timers. Expiry calls the module's fwx_on_timer(id) export; callbacks never overlap.",
  capabilities: [
    { name: "timer", id: 1, since: "1.0.0", doc: "Use timers.", scope: "the number of timers the module may run at once" },
  ],
  functions: [
    {
      name: "start", since: "1.0.0", capability: "timer", result: "status",
      doc: "Starts timer `id`, or restarts it if it is already running.",
      params: [
        { name: "id", type: "u32", doc: "Module-chosen id, passed back to fwx_on_timer." },
        { name: "period_ms", type: "u32", doc: "Delay before the first expiry and, if periodic, between expiries." },
        { name: "periodic", type: "bool", doc: "Repeat until cancelled." },
      ],
      errors: [
        { code: "invalid-arg", when: "period_ms is 0, or periodic is not 0 or 1" },
        { code: "not-permitted", when: "the module has no timer grant" },
        { code: "no-space", when: "the module already runs as many timers as it was granted" },
      ],
    },
    {
      name: "cancel", since: "1.0.0", capability: "timer", result: "status",
      doc: "Stops timer `id`. An expiry already queued is dropped.",
      params: [{ name: "id", type: "u32", doc: "The id given to start." }],
      errors: [
        { code: "not-permitted", when: "the module has no timer grant" },
        { code: "not-found", when: "no timer with that id is running" },
      ],
    },
  ],
};
