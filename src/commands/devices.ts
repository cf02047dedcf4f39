import { parseArgs } from "node:util";
import type { Command } from "../cli/command.js";
import { READ_EXIT_CODES_HELP, OTA_EXIT, reportRemoteError } from "../ota/cli-support.js";
import { BROKER_ARGS, BROKER_ARGS_HELP, brokerTargetFromArgs } from "../ota/transport.js";
import { deviceOfTopic, TOPIC_ROOT, type DeviceStatus } from "../ota/protocol.js";
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

function ago(ts: number): string {
  const s = Math.max(0, Math.round((Date.now() - ts) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${(s / 3600).toFixed(1)} h ago`;
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
        conn.retained<DeviceStatus>(`${TOPIC_ROOT}/+/status`),
        conn.retained<{ online: boolean }>(`${TOPIC_ROOT}/+/presence`),
      ]);
      const ids = new Set([...statuses.keys(), ...presence.keys()].map((t) => deviceOfTopic(t)!).filter(Boolean));
      const rows = [...ids].sort().map((id) => ({
        device: id,
        online: presence.get(`${TOPIC_ROOT}/${id}/presence`)?.online ?? false,
        status: statuses.get(`${TOPIC_ROOT}/${id}/status`) ?? null,
      }));
      if (json) {
        process.stdout.write(JSON.stringify(rows) + "\n");
        return OTA_EXIT.ok;
      }
      if (!rows.length) {
        process.stdout.write("no devices have published a status on this broker\n");
        return OTA_EXIT.ok;
      }
      for (const r of rows) {
        const s = r.status;
        process.stdout.write(`${r.device}  ${r.online ? "online" : "OFFLINE"}${s ? `  last seen ${ago(s.ts)}  board ${s.board}  ${s.customer}/${s.group}${s.busy ? `  installing (session ${s.busy})` : ""}` : ""}\n`);
        if (!s) continue;
        if (!s.modules.length) process.stdout.write("  (no modules)\n");
        for (const m of s.modules) {
          const slot = (n: "A" | "B") => {
            const x = m.slots[n];
            const tag = m.active === n ? (m.state === "trial" ? "trial" : "active") : m.confirmed === n ? "confirmed" : "spare";
            return x ? `${n}: ${x.version} (seq ${x.sequence}, ${tag})` : `${n}: empty`;
          };
          const h = m.health;
          process.stdout.write(`  ${m.id}  ${m.version ?? "-"}  ${m.state}  ${slot("A")}  ${slot("B")}\n`);
          process.stdout.write(`    health: ${h.callbacks} callbacks, ${h.faults} faults, ${h.restarts} restarts${h.lastFault ? `; last fault: ${h.lastFault}` : ""}\n`);
          const cfg = Object.entries(m.config);
          if (cfg.length) process.stdout.write(`    config: ${cfg.map(([k, v]) => `${k}=${v}`).join(" ")}\n`);
        }
        if (s.lastInstall) {
          const li = s.lastInstall;
          process.stdout.write(`  last install: ${li.module} ${li.version ?? ""} ${li.phase}${li.reason ? `: ${li.reason}` : ""} (${ago(li.ts)})\n`);
        }
      }
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
