import type { InterfaceSpec } from "../schema.js";
import { TRAP_MEMORY } from "./common.js";

export const spi: InterfaceSpec = {
  name: "spi",
  version: "1.0.0",
  doc: "SPI controller transfers. The board profile fixes each device's mode and clock; the module names bus + chip select.",
  capabilities: [
    { name: "spi", id: 7, since: "1.0.0", doc: "Talk to one device on one bus.", scope: "bus number + chip select" },
  ],
  functions: [
    {
      name: "transfer", since: "1.0.0", capability: "spi", result: "status",
      fuel: { base: 5000 }, // one bus transaction through the controller
      doc: "Asserts chip select, clocks tx out while clocking rx in, releases chip select. Full duplex: rx receives as many bytes as tx sends.",
      params: [
        { name: "bus", type: "u32", doc: "Bus number as in the board profile." },
        { name: "cs", type: "u32", doc: "Chip-select line on that bus." },
        { name: "tx", type: "buffer", doc: "Bytes to send." },
        { name: "rx", type: "mut-buffer", doc: "Received bytes; its length is 0 (discard) or tx's length." },
      ],
      errors: [
        { code: "invalid-arg", when: "tx is empty, or rx's length is neither 0 nor tx's length" },
        { code: "not-permitted", when: "the module was not granted this bus + chip select" },
        { code: "not-found", when: "the board has no such bus or chip select" },
        { code: "overrun", when: "received data was lost" },
        { code: "mode-fault", when: "another controller drove chip select" },
        { code: "frame-format", when: "the controller saw a malformed word" },
        { code: "timeout", when: "the transfer did not finish within the host's deadline" },
        { code: "other", when: "a controller-specific failure; see core.error_detail" },
      ],
      traps: [TRAP_MEMORY],
    },
  ],
};
