import type { InterfaceSpec } from "../schema.js";
import { TRAP_MEMORY } from "./common.js";

export const telemetry: InterfaceSpec = {
  name: "telemetry",
  version: "1.0.0",
  doc: "Messages to the cloud. The device forwards them under its own topic prefix; the module names only the last part.",
  capabilities: [
    { name: "telemetry", id: 10, since: "1.0.0", doc: "Publish on a topic.", scope: "topic name, or a prefix ending in `/#`" },
  ],
  functions: [
    {
      name: "publish", since: "1.0.0", capability: "telemetry", result: "status",
      doc: "Queues one message. Delivery is at least once once queued; the host rate-limits each module.",
      params: [
        { name: "topic", type: "string", doc: "1 to 64 bytes of UTF-8, no `+`, `#` or NUL." },
        { name: "payload", type: "buffer", doc: "Up to 1024 bytes, usually JSON or CBOR." },
      ],
      errors: [
        { code: "invalid-arg", when: "topic is empty, longer than 64 bytes, not valid UTF-8 or holds `+`, `#` or NUL" },
        { code: "not-permitted", when: "the module was not granted this topic" },
        { code: "busy", when: "the module exceeded its message rate; the message is dropped" },
        { code: "no-space", when: "payload is longer than 1024 bytes, or the outgoing queue is full" },
      ],
      traps: [TRAP_MEMORY],
    },
  ],
};
