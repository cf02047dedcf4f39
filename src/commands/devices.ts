import { parseArgs } from "node:util";
import type { Command } from "../cli/command.js";
import { printable, READ_EXIT_CODES_HELP, OTA_EXIT, reportRemoteError } from "../ota/cli-support.js";
import { BROKER_ARGS, BROKER_ARGS_HELP, brokerTargetFromArgs } from "../ota/transport.js";
import { asDeviceStatus, deviceOfTopic, TOPIC_ROOT, type DeviceStatus } from "../ota/protocol.js";
import { ToolConnection } from "../ota/rpc.js";

const help = `usage: fwx devices [--broker mqtt://127.0.0.1:1883] [--ca f --cert f --key f]
                   [--username u --password-file f] [--json]

List devices with their modules, versions, slot states and health.

Reads the retained status and presence every device agent publishes
(fwx/v2/<device>/status and /presence), so it shows devices that are
offline too, with when they were last seen. What it shows is each device's
claim, not a proof: anyone the broker lets publish there could write it.
Nothing is decided on it; commands that change a device are answered with
the device's signature (see docs/ota-protocol.md, "Trust model").

options:
${BROKER_ARGS_HELP}
  --json                  print [{device, online, status}] as JSON

${READ_EXIT_CODES_HELP}

example:
  fwx devices --broker mqtt://127.0.0.1:1883`;

function ago(ts: unknown): string {
  if (typeof ts !== "number" || !Number.isFinite(ts)) return "at an unknown time";
  const s = Math.max(0, Math.round((Date.now() - ts) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${(s / 3600).toFixed(1)} h ago`;
}

/** One device's lines of the listing. */
function deviceLines(device: string, online: boolean, s: DeviceStatus | null): string[] {
  const head = `${printable(device)}  ${online ? "online" : "OFFLINE"}`;
  if (!s) return [head];
  const out = [`${head}  last seen ${ago(s.ts)}  board ${printable(s.board)}  ${printable(s.customer)}/${printable(s.group)}${s.busy ? `  installing (session ${printable(s.busy)})` : ""}`];
  if (!s.modules.length) out.push("  (no modules)");
  for (const m of s.modules) {
    const slot = (n: "A" | "B") => {
      const x = m.slots[n];
      const tag = m.active === n ? (m.state === "trial" ? "trial" : "active") : m.confirmed === n ? "confirmed" : "spare";
      return x ? `${n}: ${printable(x.version)} (seq ${printable(x.sequence)}, ${tag})` : `${n}: empty`;
    };
    const h = m.health;
    out.push(`  ${printable(m.id)}  ${m.version === null || m.version === undefined ? "-" : printable(m.version)}  ${printable(m.state)}  ${slot("A")}  ${slot("B")}`);
    out.push(`    health: ${printable(h.callbacks)} callbacks, ${printable(h.faults)} faults, ${printable(h.restarts)} restarts${h.lastFault ? `; last fault: ${printable(h.lastFault)}` : ""}`);
    const cfg = Object.entries(m.config);
    if (cfg.length) out.push(`    config: ${cfg.map(([k, v]) => `${printable(k)}=${printable(v)}`).join(" ")}`);
  }
  if (s.lastInstall) {
    const li = s.lastInstall;
    out.push(`  last install: ${printable(li.module)}${li.version ? ` ${printable(li.version)}` : ""} ${printable(li.phase)}${li.reason ? `: ${printable(li.reason)}` : ""} (${ago(li.ts)})`);
  }
  return out;
}

export const command: Command = {
  name: "devices",
  summary: "List devices, their modules, versions and slot states",
  help,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { ...BROKER_ARGS, json: { type: "boolean" } } });
    const json = !!values.json;
    let conn: ToolConnection | null = null;
    try {
      const broker = brokerTargetFromArgs(values);
      conn = await ToolConnection.open({ brokerUrl: broker.url, ...(broker.security ? { security: broker.security } : {}) });
      const [statuses, presence] = await Promise.all([
        conn.retained<unknown>(`${TOPIC_ROOT}/+/status`),
        conn.retained<{ online: boolean }>(`${TOPIC_ROOT}/+/presence`),
      ]);
      const ids = new Set([...statuses.keys(), ...presence.keys()].map((t) => deviceOfTopic(t)!).filter(Boolean));
      const rows = [...ids].sort().map((id) => ({
        device: id,
        online: presence.get(`${TOPIC_ROOT}/${id}/presence`)?.online === true,
        status: asDeviceStatus(statuses.get(`${TOPIC_ROOT}/${id}/status`)),
      }));
      if (json) {
        process.stdout.write(JSON.stringify(rows) + "\n");
        return OTA_EXIT.ok;
      }
      if (!rows.length) {
        process.stdout.write("no devices have published a status on this broker\n");
        return OTA_EXIT.ok;
      }
      // Every field is a claim anyone allowed to publish there could write: shown through printable(), and
      // one device's malformed status costs its own lines only, never the listing.
      for (const r of rows) process.stdout.write(deviceLines(r.device, r.online, r.status).join("\n") + "\n");
      return OTA_EXIT.ok;
    } catch (e) {
      const code = reportRemoteError(e, json, "devices");
      if (code !== null) return code;
      throw e;
    } finally {
      await conn?.close();
    }
  },
};
