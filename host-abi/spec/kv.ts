import type { InterfaceSpec } from "../schema.js";
import { TRAP_MEMORY, TRAP_OUTPUT } from "./common.js";

export const kv: InterfaceSpec = {
  name: "kv",
  version: "1.0.0",
  doc: "A small persistent key-value store private to each module, kept across restarts and updates of the same module id. Keys are at most 32 bytes; the quota counts key and value bytes.",
  capabilities: [
    { name: "kv", id: 9, since: "1.0.0", doc: "Use the module's store.", scope: "quota in bytes" },
  ],
  functions: [
    {
      name: "get", since: "1.0.0", capability: "kv", result: "status",
      doc: "Reads a value.",
      params: [
        { name: "key", type: "string", doc: "1 to 32 bytes of UTF-8." },
        { name: "value", type: "mut-buffer", doc: "Where the value is written." },
      ],
      outputs: [{ name: "value_len", type: "u32", doc: "Bytes written; with `no-space`, the bytes needed." }],
      errors: [
        { code: "invalid-arg", when: "key is empty, longer than 32 bytes or not valid UTF-8" },
        { code: "not-permitted", when: "the module has no kv grant" },
        { code: "not-found", when: "no value is stored under key" },
        { code: "no-space", when: "the value is longer than the buffer; only value_len is written" },
      ],
      traps: [TRAP_MEMORY, TRAP_OUTPUT],
    },
    {
      name: "set", since: "1.0.0", capability: "kv", result: "status",
      fuel: { base: 5000 }, // a durable write of the store (write, fsync, rename)
      doc: "Stores a value atomically: after a power loss the old or the new value is there, never a mix.",
      params: [
        { name: "key", type: "string", doc: "1 to 32 bytes of UTF-8." },
        { name: "value", type: "buffer", doc: "Bytes to store; may be empty." },
      ],
      errors: [
        { code: "invalid-arg", when: "key is empty, longer than 32 bytes or not valid UTF-8" },
        { code: "not-permitted", when: "the module has no kv grant" },
        { code: "no-space", when: "storing it would exceed the module's quota; the old value is kept" },
      ],
      traps: [TRAP_MEMORY],
    },
    {
      name: "delete", since: "1.0.0", capability: "kv", result: "status",
      fuel: { base: 5000 }, // a durable write of the store (write, fsync, rename)
      doc: "Removes a value.",
      params: [{ name: "key", type: "string", doc: "1 to 32 bytes of UTF-8." }],
      errors: [
        { code: "invalid-arg", when: "key is empty, longer than 32 bytes or not valid UTF-8" },
        { code: "not-permitted", when: "the module has no kv grant" },
        { code: "not-found", when: "no value is stored under key" },
      ],
      traps: [TRAP_MEMORY],
    },
  ],
};
