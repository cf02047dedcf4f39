import type { InterfaceSpec } from "../schema.js";
import { TRAP_MEMORY } from "./common.js";

const BUS_ERRORS = [
  { code: "bus", when: "the bus is stuck or a start/stop condition was misplaced" },
  { code: "arbitration-loss", when: "another controller won arbitration" },
  { code: "nack-address", when: "no target acknowledged the address" },
  { code: "nack-data", when: "the target refused a data byte" },
  { code: "overrun", when: "the controller lost received data" },
  { code: "timeout", when: "the transaction did not finish within the host's deadline (clock stretching)" },
  { code: "other", when: "a controller-specific failure; see core.error_detail" },
];

const SCOPE_ERRORS = [
  { code: "invalid-arg", when: "address is above 0x7f" },
  { code: "not-permitted", when: "the module was not granted this bus + address" },
  { code: "not-found", when: "the board has no such bus" },
];

export const i2c: InterfaceSpec = {
  name: "i2c",
  version: "1.0.0",
  doc: "I2C controller transactions with 7-bit addresses. Each call is one complete transaction; the host serialises modules on a shared bus.",
  capabilities: [
    { name: "i2c", id: 6, since: "1.0.0", doc: "Address one target on one bus.", scope: "bus number + 7-bit address" },
  ],
  functions: [
    {
      name: "write", since: "1.0.0", capability: "i2c", result: "status",
      fuel: { base: 5000 }, // one bus transaction through the controller (on hardware it blocks for the transfer)
      doc: "Writes bytes to a target: START, address+W, data, STOP.",
      params: [
        { name: "bus", type: "u32", doc: "Bus number as in the board profile." },
        { name: "address", type: "u8", doc: "7-bit target address." },
        { name: "data", type: "buffer", doc: "Bytes to send; may be empty (an address probe)." },
      ],
      errors: [...SCOPE_ERRORS, ...BUS_ERRORS],
      traps: [TRAP_MEMORY],
    },
    {
      name: "read", since: "1.0.0", capability: "i2c", result: "status",
      fuel: { base: 5000 }, // one bus transaction through the controller (on hardware it blocks for the transfer)
      doc: "Reads exactly rx.len bytes from a target: START, address+R, data, STOP.",
      params: [
        { name: "bus", type: "u32", doc: "Bus number as in the board profile." },
        { name: "address", type: "u8", doc: "7-bit target address." },
        { name: "rx", type: "mut-buffer", doc: "Filled completely on `ok`; unspecified otherwise." },
      ],
      errors: [...SCOPE_ERRORS, ...BUS_ERRORS],
      traps: [TRAP_MEMORY],
    },
    {
      name: "write_read", since: "1.0.0", capability: "i2c", result: "status",
      fuel: { base: 5000 }, // one bus transaction through the controller (on hardware it blocks for the transfer)
      doc: "Writes then reads with a repeated START in between, as register reads need.",
      params: [
        { name: "bus", type: "u32", doc: "Bus number as in the board profile." },
        { name: "address", type: "u8", doc: "7-bit target address." },
        { name: "tx", type: "buffer", doc: "Bytes to send first (typically a register number)." },
        { name: "rx", type: "mut-buffer", doc: "Filled completely on `ok`." },
      ],
      errors: [...SCOPE_ERRORS, ...BUS_ERRORS],
      traps: [TRAP_MEMORY],
    },
  ],
};
