// The fwx SDK for AssemblyScript modules:
//
//   import { Gpio, PinMode, Sensor, Timer, Telemetry, Log, Config, Status } from "fwx";
//
// Every call that can fail returns a Status (never throws). Out-values go
// through static scratch memory; the host never allocates in module memory.
// A module exports `fwx_init(): i32` and, as needed, fwx_on_timer(id),
// fwx_on_event(kind, handle, arg), fwx_health(): i32 and fwx_deinit().
import "./abort";

export { Status, statusName, isOk, errorDetail, errorDetailLength } from "./status";
export { ABI_VERSION } from "./raw/types";
export { Clock } from "./clock";
export { Log, LogLevel, LogLine } from "./log";
export { Config } from "./config";
export { Timer } from "./timer";
export { Sensor } from "./sensor";
export { Gpio, Pin, PinMode, Edge } from "./gpio";
export { Adc, AdcChannel } from "./adc";
export { Pwm, PwmChannel } from "./pwm";
export { I2c } from "./i2c";
export { Spi } from "./spi";
export { Uart, UartPort, Parity, StopBits } from "./uart";
export { Kv } from "./kv";
export { Telemetry } from "./telemetry";
export { Json } from "./json";
export { EventKind } from "./events";
