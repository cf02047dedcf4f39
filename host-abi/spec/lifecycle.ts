import type { LifecycleExportSpec } from "../schema.js";

// Exports a module provides. The host calls them; a module never calls them itself.
export const lifecycle: LifecycleExportSpec[] = [
  {
    name: "fwx_init", since: "1.0.0", required: true, params: [], result: "i32",
    doc: "Called once after instantiation. Claim pins, open buses, start timers here. Return 0 to start; any other value is a failed start and the host reports it with that value.",
  },
  {
    name: "fwx_on_timer", since: "1.0.0", required: false, result: "none",
    params: [{ name: "id", type: "u32", doc: "The id the module passed to timer.start." }],
    doc: "Called when a timer the module started expires. Required if the module imports timer.start.",
  },
  {
    name: "fwx_on_event", since: "1.0.0", required: false, result: "none",
    params: [
      { name: "kind", type: "u32", doc: "Event kind number (see each interface's events)." },
      { name: "handle", type: "u32", doc: "The handle the event concerns." },
      { name: "arg", type: "u32", doc: "Event-specific argument." },
    ],
    doc: "Called for asynchronous events: GPIO edges, UART bytes received.",
  },
  {
    name: "fwx_health", since: "1.0.0", required: false, params: [], result: "i32",
    doc: "Optional health probe during an update's trial window: 0 means healthy; any other value vetoes confirmation and the device reverts to the previous slot.",
  },
  {
    name: "fwx_deinit", since: "1.0.0", required: false, params: [], result: "none",
    doc: "Called before the module is stopped or replaced. Handles are released by the host afterwards either way.",
  },
];
