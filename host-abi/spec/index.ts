import type { AbiSpec } from "../schema.js";
import { adc } from "./adc.js";
import { core } from "./core.js";
import { gpio } from "./gpio.js";
import { i2c } from "./i2c.js";
import { kv } from "./kv.js";
import { lifecycle } from "./lifecycle.js";
import { pwm } from "./pwm.js";
import { sensor } from "./sensor.js";
import { spi } from "./spi.js";
import { statusCodes } from "./status.js";
import { telemetry } from "./telemetry.js";
import { timer } from "./timer.js";
import { uart } from "./uart.js";

export const abi: AbiSpec = {
  version: "1.0.0",
  customSection: "fwx.abi",
  statusCodes,
  lifecycle,
  interfaces: [core, timer, sensor, gpio, adc, pwm, i2c, spi, uart, kv, telemetry],
};
