import type { InterfaceSpec } from "../schema.js";
import { TRAP_HANDLE, TRAP_MEMORY, TRAP_OUTPUT } from "./common.js";

export const sensor: InterfaceSpec = {
  name: "sensor",
  version: "1.0.0",
  doc: "Named sensors the board provides (temperature, pressure, vibration, ...), already converted to engineering units.",
  handles: [{ name: "sensor", since: "1.0.0", doc: "An open sensor, valid until the module stops." }],
  capabilities: [
    { name: "sensor", id: 2, since: "1.0.0", doc: "Read a named sensor.", scope: "sensor name" },
  ],
  functions: [
    {
      name: "find", since: "1.0.0", capability: "sensor", result: "status",
      doc: "Looks a sensor up by name and opens it. Finding the same name twice returns the same handle.",
      params: [{ name: "name", type: "string", doc: "Sensor name as in the board profile, e.g. `cold_room`." }],
      outputs: [{ name: "handle", type: "handle<sensor>", doc: "The open sensor." }],
      errors: [
        { code: "invalid-arg", when: "name is empty or not valid UTF-8" },
        { code: "not-permitted", when: "the module was not granted this sensor" },
        { code: "not-found", when: "the board has no sensor of that name" },
      ],
      traps: [TRAP_MEMORY, TRAP_OUTPUT],
    },
    {
      name: "read", since: "1.0.0", capability: "sensor", result: "status",
      doc: "Takes one sample.",
      params: [{ name: "handle", type: "handle<sensor>", doc: "From find." }],
      outputs: [
        { name: "value", type: "f64", doc: "The sample in the sensor's unit." },
        { name: "timestamp_us", type: "u64", doc: "When it was taken, on the now_us clock." },
      ],
      errors: [
        { code: "timeout", when: "the sensor did not deliver a sample in time" },
        { code: "other", when: "the sensor reported a fault (open circuit, out of range)" },
      ],
      traps: [TRAP_HANDLE, TRAP_OUTPUT],
    },
    {
      name: "info", since: "1.0.0", capability: "sensor", result: "status",
      doc: "Describes a sensor: its unit and its measuring range.",
      params: [
        { name: "handle", type: "handle<sensor>", doc: "From find." },
        { name: "unit", type: "mut-buffer", doc: "Where the unit's UTF-8 text (`°C`, `mm/s`) is written." },
      ],
      outputs: [
        { name: "unit_len", type: "u32", doc: "Bytes written; with `no-space`, the bytes needed." },
        { name: "min", type: "f64", doc: "Lowest value the sensor can report." },
        { name: "max", type: "f64", doc: "Highest value the sensor can report." },
      ],
      errors: [{ code: "no-space", when: "the unit text is longer than the buffer; only unit_len is written" }],
      traps: [TRAP_HANDLE, TRAP_MEMORY, TRAP_OUTPUT],
    },
  ],
};
