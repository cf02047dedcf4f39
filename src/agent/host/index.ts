// Assembles the HostImpl a module instance gets on a device: the agent's own
// core/timer/kv/telemetry implementations plus the board's peripherals.

import type { HostImpl } from "../../abi/host.generated.js";
import type { Board } from "../../sim/board.js";
import type { InstanceContext } from "../instance.js";
import type { HostServices } from "../runtime.js";
import { createCoreHost } from "./core.js";
import { createTimerHost } from "./timer.js";
import { createKvHost } from "./kv.js";
import { createTelemetryHost } from "./telemetry.js";
import { createSensorHost } from "./sensor.js";
import { createGpioHost } from "./gpio.js";
import { createAdcHost } from "./adc.js";
import { createPwmHost } from "./pwm.js";
import { createI2cHost } from "./i2c.js";
import { createSpiHost } from "./spi.js";
import { createUartHost } from "./uart.js";

export function createDeviceHost(ctx: InstanceContext, s: HostServices<Board>): HostImpl {
  return {
    core: createCoreHost(ctx, s.core),
    timer: createTimerHost(ctx, s.timer),
    kv: createKvHost(ctx, s.kv),
    telemetry: createTelemetryHost(ctx, s.telemetry.queue, s.telemetry.rate),
    sensor: createSensorHost(s.board, ctx),
    gpio: createGpioHost(s.board, ctx),
    adc: createAdcHost(s.board, ctx),
    pwm: createPwmHost(s.board, ctx),
    i2c: createI2cHost(s.board, ctx),
    spi: createSpiHost(s.board, ctx),
    uart: createUartHost(s.board, ctx),
  };
}
