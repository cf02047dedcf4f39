import { isAbsolute, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { checkOutputDirectory, describeFileError } from "../cli/files.js";
import { UsageError, type Command } from "../cli/command.js";
import { loadPrivateKey, loadPublicKey, readInput } from "../pkg/files.js";
import { checkDeviceCertificate } from "../pkg/identity.js";
import { rawPublicKey } from "../pkg/keys.js";
import { crashHookFromSpec } from "../ota/crash.js";
import { checkDevice, parseSeconds, parseSpeedFactor, untilStopSignal } from "../ota/cli-support.js";
import { BROKER_ARGS, BROKER_ARGS_HELP, brokerTargetFromArgs } from "../ota/transport.js";
import { startSimDevice } from "../ota/sim-device.js";
import { jsonText } from "../ota/device-agent.js";
import { BoardProfileError } from "../sim/errors.js";
import { defaultBoardPath, loadBoardFile, type Board } from "../sim/board.js";
import { linuxConnectors, linuxHardware } from "../linux/index.js";
import { DeviceFileError } from "../linux/device-file.js";
import { applyDeviceOverrides, attributeToOption, DeviceOverrideError, parseDeviceOverride, type DeviceOverride } from "../linux/dev-override.js";
import { RevocationsRolledBack } from "../ota/op-guard.js";
import { lockStateDir, StateDirInUse, stateLockPath as stateLockPathOf } from "../ota/state-lock.js";
import { StateFileError, StateWriteError } from "../ota/state-store.js";
import { AntiRollbackStoreError, defaultAntiRollbackPath, FileAntiRollbackStore } from "../ota/anti-rollback.js";
import type { HealthPolicy } from "../ota/install.js";

/** Whether `path` is `dir` or lies under it (after resolving both). */
function isInside(path: string, dir: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

const help = `usage: fwx agent --device-id <id> [--board <profile.json>] --state-dir <dir> [--floor <file>]
                 [--revocations <list.fwxrl>]
                 --root <root.pub> --customer <c> --group <g>
                 --device-key <device.key> --device-cert <device.cert>
                 [--broker mqtts://host:8883 --ca ca.pem --cert dev.pem --key dev.key]
                 [--username u --password-file f] [--health-callbacks N]
                 [--health-seconds T] [--speed X] [--dev <connector>=<path>]...
                 [--bus-traffic] [--json]

Run the device agent: hosts modules, installs updates over MQTT.

Long-running. Keeps per module an A and a B slot, the confirmed slot, the
installed sequence numbers and config values in --state-dir, and restarts
from there: interrupted trials are retried once, then reverted; every slot
is re-hashed and re-verified before it runs. A new package is verified with
--root (signature chain, customer/group scope, board capabilities,
anti-rollback), written to the inactive slot, started on trial and
confirmed after the health window (N callbacks and T seconds without a
fault, and the module's fwx_health() returning 0 if it exports one), or
reverted automatically.

options:
  --device-id <id>        this device's id (MQTT topics fwx/v2/<id>/…)
  --board <file>          board profile (default: the bundled demo board)
  --state-dir <dir>       where slots and state live (created if missing; its
                          parent directory must exist). One agent per state
                          directory: <dir>.lock beside it names the running
                          agent's process, and a second agent is refused
  --floor <file>          the anti-rollback store: per module the highest confirmed
                          sequence and the lowest one it may run, and the signed-
                          command counter; only ever raised (default: beside the
                          state directory, <state-dir>.anti-rollback.json). Kept
                          OUTSIDE --state-dir so that restoring an older copy of the
                          state directory cannot roll the device back or replay
                          commands; a file protects against whoever can write the
                          state directory only, not against root on the gateway
                          (docs/ota-protocol.md, "Anti-rollback")
  --revocations <file>    a root-signed revocation list to keep if newer than the
                          one kept in --state-dir (as \`fwx cert deliver\` would).
                          The agent refuses to start when the kept list is older
                          than a serial it already enforced (a rolled-back state
                          directory would un-revoke): this brings the current one back
  --root <file>           product root public key (PEM, hex or raw)
  --customer, --group     this device's customer and device group (package scope)
  --device-key <file>     this device's private key (fwx keys gen); keep it out of
                          --state-dir's backups and readable by the agent only
  --device-cert <file>    its certificate from the product root (fwx cert device),
                          naming --device-id, --customer and --group: the agent
                          signs every answer and verdict with the key, and tools
                          believe them only under this certificate
${BROKER_ARGS_HELP}
  --health-callbacks <n>  callbacks a trial must complete (default 3)
  --health-seconds <t>    device-time seconds a trial must run fault-free (default 10)
  --speed <x>             device clock speed-up for demos (default 1); refused
                          when the board has hardware connectors (they run on
                          the wall clock only)
  --dev <connector>=<path>  serve a connector from a device file (repeatable):
                          uart1=/dev/ttyUSB0, rs485=/dev/serial0, i2c1=/dev/i2c-1
                          (kind and number, or the connector's name in the
                          profile); a simulated connector becomes a Linux one.
                          Connectors the profile hands to Linux ("backend":
                          {"linux": ...}) and --dev are opened at start: a
                          missing device file, or one the user may not open,
                          stops the agent naming the connector, the path and
                          the group the user needs (docs/board-profiles.md)
  --bus-traffic           keep peripheral traffic (i2c, spi, uart, gpio, pwm
                          events) in the log ring served by \`fwx logs\` and on
                          the MQTT log topic; off by default, so a module
                          polling a bus cannot push its warnings out of the
                          500-line ring (traffic is rate-limited either way)
  --json                  module logs and install events as JSON lines on stdout

environment:
  FWX_CRASH_AT=<point>[#n]  power-loss testing: die abruptly (SIGKILL) at that
                            point of an install (see docs/ota-protocol.md)

exit codes:
  0  stopped by SIGINT/SIGTERM
  1  internal error
  2  bad arguments or board profile

example:
  fwx agent --device-id gw-17 --board boards/demo.json --state-dir /var/lib/fwx \\
      --root root.pub --customer acme-foods --group cold-store-3 \\
      --device-key gw-17.key --device-cert gw-17.devcert
  (on a gateway: --board boards/raspberry-pi-4.json --dev uart0=/dev/ttyUSB0;
  running it as a systemd service: docs/agent.md)`;

/**
 * The health policy --health-callbacks and --health-seconds ask for (what is not given stays the
 * agent's default): a window of `seconds` comes with a trial timeout of six windows, at least 60 s.
 */
export function healthFromFlags(callbacks: number | undefined, seconds: number | undefined): Partial<HealthPolicy> {
  return { ...(callbacks ? { callbacks } : {}), ...(seconds ? { seconds, timeoutSeconds: Math.max(60, seconds * 6) } : {}) };
}

export const command: Command = {
  name: "agent",
  summary: "Run the device agent (A/B slots, OTA over MQTT)",
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        "device-id": { type: "string" }, board: { type: "string" }, "state-dir": { type: "string" }, floor: { type: "string" }, revocations: { type: "string" }, ...BROKER_ARGS,
        root: { type: "string" }, customer: { type: "string" }, group: { type: "string" },
        "device-key": { type: "string" }, "device-cert": { type: "string" },
        "health-callbacks": { type: "string" }, "health-seconds": { type: "string" }, speed: { type: "string" }, json: { type: "boolean" },
        "bus-traffic": { type: "boolean" }, dev: { type: "string", multiple: true },
      },
    });
    const deviceId = checkDevice(values["device-id"], "--device-id");
    if (!values["state-dir"]) throw new UsageError("--state-dir is required");
    checkOutputDirectory("agent", `--state-dir ${values["state-dir"]}`, values["state-dir"]);
    if (!values.root) throw new UsageError("--root is required (the product root public key the device trusts)");
    if (!values.customer || !values.group) throw new UsageError("--customer and --group are required (they scope which packages this device accepts)");
    const callbacks = values["health-callbacks"] === undefined ? undefined : Number(values["health-callbacks"]);
    if (callbacks !== undefined && (!Number.isInteger(callbacks) || callbacks < 1)) throw new UsageError(`--health-callbacks "${values["health-callbacks"]}" must be a positive integer`);
    const seconds = parseSeconds(values["health-seconds"], "--health-seconds");
    const speed = parseSpeedFactor(values.speed, "--speed");
    let rootPublicKey: Uint8Array;
    try {
      rootPublicKey = loadPublicKey(values.root);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    let crash;
    try {
      crash = crashHookFromSpec(process.env.FWX_CRASH_AT);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (!values["device-key"] || !values["device-cert"]) throw new UsageError("--device-key and --device-cert are required (the device's identity: fwx keys gen, then fwx cert device)");
    const deviceKey = loadPrivateKey(values["device-key"]);
    const deviceCert = new Uint8Array(readInput(values["device-cert"], "device certificate"));
    try {
      const c = checkDeviceCertificate(deviceCert, rootPublicKey, deviceId, Date.now());
      if (c.customer !== values.customer || c.group !== values.group) throw new Error(`it names customer ${c.customer}, group ${c.group}`);
      if (!Buffer.from(c.deviceKey).equals(Buffer.from(rawPublicKey(deviceKey)))) throw new Error("it certifies another key than --device-key");
    } catch (e) {
      throw new UsageError(`--device-cert ${values["device-cert"]}: ${(e as Error).message}`);
    }
    const floorPath = values.floor ?? defaultAntiRollbackPath(values["state-dir"]);
    if (isInside(floorPath, values["state-dir"])) throw new UsageError(`--floor ${floorPath} is inside --state-dir ${values["state-dir"]}: whoever can rewrite the state directory could lower it; give a path outside it`);
    let floor;
    try {
      floor = new FileAntiRollbackStore(floorPath);
    } catch (e) {
      if (e instanceof AntiRollbackStoreError) throw new UsageError(e.message);
      throw new UsageError(`--floor ${floorPath}: ${(e as Error).message}`);
    }
    let board: Board;
    let devices: DeviceOverride[] = [];
    try {
      devices = (values.dev ?? []).map(parseDeviceOverride);
      board = loadBoardFile(values.board ?? defaultBoardPath(), { hardware: linuxHardware(), override: (j, source) => applyDeviceOverrides(j, devices, source) });
    } catch (e) {
      if (e instanceof BoardProfileError || e instanceof DeviceFileError || e instanceof DeviceOverrideError) throw new UsageError(attributeToOption(e.message, devices));
      throw e;
    }
    const hardware = linuxConnectors(board.profile);
    if (hardware.length && speed !== undefined && speed !== 1) throw new UsageError(`--speed ${values.speed}: the board serves ${hardware.join(", ")} from real hardware, which runs on the wall clock only; leave --speed out`);
    const json = !!values.json;
    const broker = brokerTargetFromArgs(values);
    // Last of the checks, first of the work: one agent per state directory.
    let release: () => void;
    try {
      release = lockStateDir(values["state-dir"]);
    } catch (e) {
      if (e instanceof StateDirInUse) throw new UsageError(e.message);
      throw new UsageError(`--state-dir ${values["state-dir"]}: cannot take its lock ${stateLockPathOf(values["state-dir"])}: ${describeFileError(e)}`);
    }
    let agent;
    try {
      agent = await startSimDevice({
        deviceId, brokerUrl: broker.url, ...(broker.security ? { security: broker.security } : {}), stateDir: values["state-dir"], floor, rootPublicKey,
        ...(values.revocations ? { revocations: new Uint8Array(readInput(values.revocations, "revocation list")) } : {}), deviceKey, deviceCert,
        customer: values.customer, group: values.group, crash, waitForBroker: false,
        board,
        ...(speed ? { speed } : {}),
        ...(values["bus-traffic"] ? { busTraffic: true } : {}),
        health: healthFromFlags(callbacks, seconds),
        onTimeline: (e) => {
          if (json) process.stdout.write(jsonText(e) + "\n");
          else if (e.kind === "install") process.stderr.write(`[install] ${e.event.module} ${e.event.phase}${e.event.version ? ` ${e.event.version}` : ""}${e.event.reason ? `: ${e.event.reason}` : ""}\n`);
          else if (e.kind === "module" && (e.event.kind === "log" || e.event.kind === "fault" || e.event.kind === "lifecycle")) {
            process.stderr.write(`[${e.module}] ${e.event.kind}: ${String(e.event.message ?? e.event.summary ?? `${e.event.reason}: ${e.event.detail}`)}\n`);
          } else if (e.kind === "agent") process.stderr.write(`[agent] ${e.message}\n`);
        },
      });
    } catch (e) {
      release();
      if (e instanceof BoardProfileError || e instanceof RevocationsRolledBack) throw new UsageError(e.message);
      // A damaged device.json: name the file and the field, never a stack trace. The agent does not start on it
      // (guessing would run or forget modules); the floors outside the state directory stay as they are.
      if (e instanceof StateWriteError) throw new UsageError(`${e.message}; free space on its file system (or fix its permissions) and start the agent again`);
      if (e instanceof StateFileError) throw new UsageError(`${e.message}; restore it from a backup, or move it away to start with no modules (the anti-rollback floors are kept outside the state directory)`);
      throw e;
    }
    try {
      await untilStopSignal();
      await agent.stop();
    } finally {
      release();
    }
    return 0;
  },
};
