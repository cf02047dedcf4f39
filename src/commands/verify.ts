import { isDeviceClass } from "../validate/limits.js";
import { parseArgs } from "node:util";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import type { Capabilities } from "../caps/capabilities.js";
import { abi } from "../../host-abi/spec/index.js";
import { lowerAbi } from "../../host-abi/gen/lower.js";
import { PackageError } from "../pkg/errors.js";
import { capabilitiesFrom, loadCapabilities, loadJson, loadPublicKey, loadRevocationList, parseTime, parseUint, readInput } from "../pkg/files.js";
import { offeredInterfaces } from "../pkg/interfaces.js";
import { keyId } from "../pkg/keys.js";
import { DEVICE_CLASSES, type DeviceClass } from "../pkg/manifest.js";
import { verifyPackage, type DeviceContext, type VerifyContext } from "../pkg/verify.js";
import { otherFileKind } from "../pkg/file-kind.js";

const help = `usage: fwx verify <package.fwx> --root root.pub --customer C --group G
                  (--board profile.json | --device-caps caps.json)
                  [--device-class mcu|gateway] [--installed-seq N]
                  [--revocations revoked.fwxrl] [--now ISO-DATE] [--json]

Decide, exactly as a device would, whether it accepts a package.

Runs the same verifyPackage as the device agent: structure, payload hash,
certificate and package signatures, chain to the root key, validity on the
device clock, revocation, scope (module prefix, customer, group), device
class and fuel metering, capabilities (package ⊆ certificate ⊆ board),
interfaces (the firmware built from this ABI offers every interface at its
current version) and anti-rollback.

options:
  --root <file>            product root public key (PEM, hex or raw)
  --customer, --group      the device's customer and device group
  --board <file>           board profile; its "grantable" capabilities (and
                           "deviceClass", if present) describe the device
  --device-caps <file>     capabilities JSON the device can grant (instead of --board)
  --device-class <c>       mcu or gateway (overrides the board profile)
  --installed-seq <n>      sequence number of the installed version
  --revocations <file>     root-signed revocation list (fwx cert revoke)
  --now <date>             device clock (default: this machine's clock)
  --json                   print the result as JSON

exit codes:
  0  accepted
  1  internal error
  2  rejected (prints the FWX_PKG_E_* code and why) or bad arguments

example:
  fwx verify build/temp-alarm.fwx --root keys/root.pub --board boards/demo.json \\
      --customer plant-a --group line-1 --installed-seq 6`;


function deviceFromBoard(file: string): { capabilities: Capabilities; deviceClass?: DeviceClass } {
  const json = loadJson(file, "board profile");
  if (!json || typeof json !== "object") throw new UsageError(`${file}: a board profile must be a JSON object`);
  const o = json as Record<string, unknown>;
  if (o.grantable === undefined) throw new UsageError(`${file}: board profile has no "grantable" capabilities (what the board can grant)`);
  const out: { capabilities: Capabilities; deviceClass?: DeviceClass } = { capabilities: capabilitiesFrom(o.grantable, `${file}: grantable`) };
  if (isDeviceClass(o.deviceClass)) out.deviceClass = o.deviceClass;
  else if (o.deviceClass !== undefined) throw new UsageError(`${file}: deviceClass ${JSON.stringify(o.deviceClass)} is not one of ${DEVICE_CLASSES.join(", ")}`);
  return out;
}

export const command: Command = {
  name: "verify",
  summary: "Verify a .fwx package against a product root key",
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        root: { type: "string" }, customer: { type: "string" }, group: { type: "string" }, board: { type: "string" },
        "device-caps": { type: "string" }, "device-class": { type: "string" }, "installed-seq": { type: "string" },
        revocations: { type: "string" }, now: { type: "string" }, json: { type: "boolean", default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UsageError("verify: give exactly one package file");
    const file = positionals[0]!;
    if (!values.root) throw new UsageError("verify: --root <root.pub> is required (the key the device trusts)");
    if (!values.customer || !values.group) throw new UsageError("verify: --customer and --group are required (the scope of the device)");
    if (values.board && values["device-caps"]) throw new UsageError("verify: give --board <profile.json> or --device-caps <caps.json>, not both");
    if (!values.board && !values["device-caps"]) throw new UsageError("verify: --board <profile.json> or --device-caps <caps.json> is required (what the device can grant)");
    const rootPublicKey = loadPublicKey(values.root);
    const board = values.board ? deviceFromBoard(values.board) : { capabilities: loadCapabilities(values["device-caps"]!) };
    const cls = values["device-class"] ?? board.deviceClass;
    if (cls !== undefined && !isDeviceClass(cls)) throw new UsageError(`verify: --device-class "${cls}" must be one of ${DEVICE_CLASSES.join(", ")}`);
    const device: DeviceContext = {
      customer: values.customer, group: values.group, capabilities: board.capabilities,
      offeredInterfaces: offeredInterfaces(lowerAbi(abi)),
    };
    if (cls) device.deviceClass = cls;
    const ctx: VerifyContext = { rootPublicKey, now: values.now ? parseTime(values.now, "--now") * 1000 : Date.now(), device };
    const seq = parseUint(values["installed-seq"], "--installed-seq");
    if (seq !== undefined) ctx.installedSeq = seq;
    if (values.revocations) ctx.revoked = loadRevocationList(values.revocations, rootPublicKey);
    const bytes = new Uint8Array(readInput(file, "package"));
    try {
      const v = verifyPackage(bytes, ctx);
      const m = v.manifest;
      if (values.json) console.log(JSON.stringify({ ok: true, id: m.id, version: m.version, sequence: m.sequence, integrator: v.certificate.integratorId }));
      else console.log(`${file}: OK — ${m.id} ${m.version} (sequence ${m.sequence}), signed by integrator "${v.certificate.integratorId}" (key ${keyId(v.certificate.integratorKey)}) under root ${keyId(rootPublicKey)}`);
      return EXIT.ok;
    } catch (e) {
      if (!(e instanceof PackageError)) throw e;
      if (values.json) console.log(JSON.stringify({ ok: false, code: e.code, number: e.numericCode, message: e.message, offset: e.offset }));
      else {
        const other = e.code === "FWX_PKG_E_MAGIC" ? otherFileKind(bytes, "package") : null;
        console.error(`${file}: REJECTED ${e.message}${other ? `; it is ${other}` : ""}`);
      }
      return EXIT.invalid;
    }
  },
};
