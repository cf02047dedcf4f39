// The C device's uart calls reach a real serial device: the generated C
// bridge (the conformance harness, under ASan and UBSan) talks to a bridge
// server whose board hands UART port 1 to Linux, a socat pseudo-terminal,
// with libmodbus answering on the far end. Every child has a time limit.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LOWERED } from "../../src/agent/abi.js";
import { grantedKindMask } from "../../src/caps/capabilities.js";
import { runCli } from "../../src/cli/main.js";
import { linuxHardware } from "../../src/linux/index.js";
import { loadBoard } from "../../src/sim/board.js";
import { startBridgeServer, type BridgeServer } from "../../src/sim/bridge-server.js";
import { withCrc } from "../../src/sim/modbus.js";
import { parseTraceCsv } from "../../src/sim/trace.js";
import { buildHarness, runHarness } from "../conformance/c-side.js";
import { fnByName } from "../conformance/layout.js";
import { demoCopy } from "../sim/helpers.js";
import { PtyLab } from "./pty-modbus.js";

const lab = new PtyLab("fwx-linux-bridge-");
const dir = lab.dir;
let ours = "";
let harness = "";
let server: BridgeServer | null = null;
const TRACE = ["time,sensor,value", ...["cold_room", "pump_vibration", "pump_pressure_mv", "meter_voltage", "meter_current", "meter_power", "meter_energy_kwh"].map((c) => `0,${c},1`), "0,door,0", "0,pump_running,1"].join("\n");

function linuxProfile(device: string): any {
  const profile = demoCopy();
  delete profile.uart[0].device;
  profile.uart[0].backend = { linux: { device } };
  return profile;
}

beforeAll(async () => {
  harness = buildHarness();
  lab.setUp();
  const pair = await lab.ptyPair();
  ours = pair.ours;
  await lab.startSlave(pair.theirs, [0x4170, 0x0000]);
}, 600_000);

afterAll(async () => {
  await server?.close();
  lab.close();
});

const call = (fn: string, ...args: number[]) => `call 0 ${fnByName(fn).index} ${args.length + 1} 0 ${args.map((a) => a >>> 0).join(" ")}`;

describe("HAL bridge to a Linux serial device", () => {
  it("a C device reads Modbus input registers from libmodbus through fwx:uart@1", async () => {
    const board = loadBoard(linuxProfile(ours), { source: "boards/x.json", trace: parseTraceCsv(TRACE, "t.csv"), hardware: linuxHardware() });
    const socketPath = join(dir, "board.sock");
    server = await startBridgeServer({ board, socketPath, paceMs: 0 });
    const grant = { uart: [1] };
    const request = withCrc([1, 4, 0, 0, 0, 2]);
    const r = await runHarness(harness, [
      `connect ${socketPath}`, `attach 0 ${grantedKindMask(grant, LOWERED.capabilities)} meter ${JSON.stringify(grant)}`,
      call("uart.open", 1, 9600, 1, 1, 1024), "read 1024 4", // even parity, one stop bit
      `mem 2048 ${Buffer.from(request).toString("hex")}`,
      call("uart.write", 1, 2048, request.length, 1040), "read 1040 4",
      "events 3000", "events 200",
      call("uart.read", 1, 3072, 64, 1048), "read 1048 4", "read 3072 9",
    ], 30_000);
    expect(r.timedOut).toBe(false);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines.slice(0, 6)).toEqual(["ok", "ok", "status 0", "bytes 01000000", "status 0", "bytes 08000000"]);
    const events = lines.slice(6).filter((l) => l.startsWith("event "));
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e).toMatch(/^event 0 2 1 \d+$/); // uart rx on handle 1
    expect(lines.slice(-3)).toEqual(["status 0", "bytes 09000000", `bytes ${Buffer.from(withCrc([1, 4, 4, 0x41, 0x70, 0, 0])).toString("hex")}`]);
  }, 120_000);

  it("fwx board serve refuses a profile whose serial device is missing, naming the connector and path", async () => {
    const { writeFileSync } = await import("node:fs");
    const profilePath = join(dir, "missing.json");
    writeFileSync(profilePath, JSON.stringify({ ...linuxProfile(join(dir, "ttyUSB7")), trace: undefined, sensors: [], adc: [], spi: [], i2c: [], gpio: [], pwm: [], uart: [linuxProfile(join(dir, "ttyUSB7")).uart[0]], grantable: { uart: [1] } }));
    const err: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
    vi.spyOn(console, "log").mockImplementation(() => {});
    const code = await runCli(["board", "serve", "--socket", join(dir, "never.sock"), "--board", profilePath]);
    vi.restoreAllMocks();
    expect(code).toBe(2);
    expect(err.join("\n")).toContain(`${profilePath}: uart[0]: serial device ${join(dir, "ttyUSB7")} does not exist`);
  });
});
