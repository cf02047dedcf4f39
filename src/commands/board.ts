import { parseArgs } from "node:util";
import { checkOutputFile } from "../cli/files.js";
import { UsageError, type Command } from "../cli/command.js";
import { untilStopSignal } from "../ota/cli-support.js";
import { defaultBoardPath, loadBoardFile } from "../sim/board.js";
import { DeviceFileError } from "../linux/device-file.js";
import { linuxHardware } from "../linux/index.js";
import { startBridgeServer } from "../sim/bridge-server.js";
import { BoardProfileError } from "../sim/errors.js";

const help = `usage: fwx board serve --socket <path> [--board <profile.json>] [--seed N]
                       [--pace-ms N] [--json]

Serve a simulated board to a C device over the HAL bridge.

Long-running. Listens on a Unix socket; the POSIX reference device
(fwx-device --board-socket <path>) connects and takes every peripheral
fwx_hal_* call (sensor, gpio, adc, pwm, i2c, spi, uart) from this board.
The calls run through the Node agent's own glue and host implementations,
so grants, claims, handles and statuses are exactly the agent's. Board
events (gpio edges, uart bytes) go back to the device as they happen on
the device's clock. A connector the profile hands to Linux
("backend": {"linux": ...}, docs/board-profiles.md) is served from its device
file, so a device on a bench can drive real hardware. The frame format is in
docs/hal-bridge.md.

options:
  --socket <path>   Unix socket to listen on (a stale socket file is replaced; a
                    regular file, or a socket another server serves, is refused)
  --board <file>    board profile (default: the bundled demo board) and its trace
  --seed <n>        overrides the profile's seed
  --pace-ms <n>     advance the board along the device clock every n ms of wall
                    time, so events arrive while the device is idle (default 10;
                    0: only when a call brings the device's time)
  --json            every board event as a JSON line on stdout

exit codes:
  0  stopped by SIGINT/SIGTERM
  1  internal error
  2  bad arguments, board profile or device file

example:
  fwx board serve --board boards/demo.json --socket /tmp/fwx-board.sock`;

export const command: Command = {
  name: "board",
  summary: "Serve a simulated board to a C device over the HAL bridge (fwx board serve)",
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: { socket: { type: "string" }, board: { type: "string" }, seed: { type: "string" }, "pace-ms": { type: "string" }, json: { type: "boolean" } },
    });
    const [sub, ...extra] = positionals;
    if (sub !== "serve") throw new UsageError(sub === undefined ? "missing subcommand: fwx board serve --socket <path>" : `unknown subcommand "${sub}" (the one there is: serve)`);
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (!values.socket) throw new UsageError("--socket is required (the Unix socket path the device connects to)");
    checkOutputFile("board serve", `--socket ${values.socket}`, values.socket);
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) throw new UsageError(`--seed "${values.seed}" must be an integer 0..4294967295`);
    const paceMs = values["pace-ms"] === undefined ? 10 : Number(values["pace-ms"]);
    if (!Number.isInteger(paceMs) || paceMs < 0 || paceMs > 60_000) throw new UsageError(`--pace-ms "${values["pace-ms"]}" must be an integer 0..60000`);
    let board;
    try {
      // Connectors the profile hands to Linux are served from their device files, so a C device can drive real hardware on a bench.
      board = loadBoardFile(values.board ?? defaultBoardPath(), { hardware: linuxHardware(), ...(seed === undefined ? {} : { seed }) });
    } catch (e) {
      if (e instanceof BoardProfileError || e instanceof DeviceFileError) throw new UsageError(e.message);
      throw e;
    }
    const json = !!values.json;
    let server;
    try {
      server = await startBridgeServer({
        board, socketPath: values.socket, paceMs,
        ...(json ? { onEvent: (e) => process.stdout.write(JSON.stringify(e) + "\n") } : {}),
      });
    } catch (e) {
      throw new UsageError(`--socket ${values.socket}: ${(e as Error).message}`);
    }
    process.stderr.write(`[board] ${board.profile.name} served on ${values.socket}\n`);
    await untilStopSignal();
    await server.close();
    return 0;
  },
};
