// Assembles the HostImpl a module instance gets on a device: the agent's own
// core/timer/kv/telemetry implementations plus the board's peripherals,
// reached only through the peripheral boundary (src/hal/).

import type { HostImpl } from "../../abi/host.generated.js";
import type { PeripheralBoard } from "../../hal/peripherals.js";
import type { InstanceContext } from "../instance.js";
import type { BoardLike, HostServices } from "../runtime.js";
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

export function createDeviceHost(ctx: InstanceContext, s: HostServices<BoardLike & PeripheralBoard>): HostImpl {
  const board = s.board.peripherals;
  return {
    core: createCoreHost(ctx, s.core),
    timer: createTimerHost(ctx, s.timer),
    kv: createKvHost(ctx, s.kv),
    telemetry: createTelemetryHost(ctx, s.telemetry.queue, s.telemetry.rate),
    sensor: createSensorHost(board, ctx),
    gpio: createGpioHost(board, ctx),
    adc: createAdcHost(board, ctx),
    pwm: createPwmHost(board, ctx),
    i2c: createI2cHost(board, ctx),
    spi: createSpiHost(board, ctx),
    uart: createUartHost(board, ctx),
  };
}
