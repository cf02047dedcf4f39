import type { StatusCodeSpec } from "../schema.js";

// Append-only: a released value never changes meaning. New codes bump the
// patch version of the ABI; the compatibility check enforces it.
export const statusCodes: StatusCodeSpec[] = [
  { name: "ok", value: 0, since: "1.0.0", group: "common", doc: "The call succeeded; out-pointers hold their results." },
  { name: "invalid-arg", value: 1, since: "1.0.0", group: "common", doc: "An argument is outside its documented range (unknown enum value, empty name, zero period, 10-bit address)." },
  { name: "not-permitted", value: 2, since: "1.0.0", group: "common", doc: "The module was not granted the capability this call needs (sensor, pin and mode, bus + address, port, topic, quota)." },
  { name: "busy", value: 3, since: "1.0.0", group: "common", doc: "The resource is held by another module, or a rate limit is reached; retrying later may succeed." },
  { name: "timeout", value: 4, since: "1.0.0", group: "common", doc: "The device did not answer within the host's deadline." },
  { name: "not-found", value: 5, since: "1.0.0", group: "common", doc: "No such sensor, pin, channel, bus, port, key or timer on this device." },
  { name: "unsupported", value: 6, since: "1.0.0", group: "common", doc: "The device has the resource but cannot do this with it (an output-only pin read as input, a baud rate the port cannot make)." },
  { name: "no-space", value: 7, since: "1.0.0", group: "common", doc: "A caller buffer is too small (the length out-pointer then holds the size needed), or a quota or table is full." },
  { name: "other", value: 8, since: "1.0.0", group: "common", doc: "A device-specific failure with no better kind; core.error_detail returns the host's text for it." },
  { name: "bus", value: 16, since: "1.0.0", group: "bus", doc: "Bus error: a misplaced start or stop condition, or the bus is stuck." },
  { name: "arbitration-loss", value: 17, since: "1.0.0", group: "bus", doc: "Another controller won arbitration of a multi-controller I2C bus." },
  { name: "nack-address", value: 18, since: "1.0.0", group: "bus", doc: "No target acknowledged its address: nothing is at that address, or it is not ready." },
  { name: "nack-data", value: 19, since: "1.0.0", group: "bus", doc: "The target refused a data byte it was sent." },
  { name: "overrun", value: 20, since: "1.0.0", group: "bus", doc: "Received data was lost because it arrived faster than it was taken." },
  { name: "mode-fault", value: 21, since: "1.0.0", group: "spi", doc: "SPI mode fault: another controller drove chip select." },
  { name: "frame-format", value: 22, since: "1.0.0", group: "uart", doc: "A received UART frame or SPI word had the wrong format (missing stop bit)." },
  { name: "parity", value: 23, since: "1.0.0", group: "uart", doc: "A received UART byte failed its parity check." },
  { name: "noise", value: 24, since: "1.0.0", group: "uart", doc: "Line noise was detected while a UART byte was received." },
];
