import { useState } from "react";
import { call, type DeviceDetail, type DeviceRow } from "./api.js";
import { usePoll } from "./usePoll.js";

const FIELDS = ["customer", "group", "board", "module", "version"] as const;

export function Fleet() {
  const [filter, setFilter] = useState<Record<string, string>>({});
  const [online, setOnline] = useState("");
  const [open, setOpen] = useState<string | null>(null);
  const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
  if (online) q.set("online", online);
  const { data, error } = usePoll(() => call<DeviceRow[]>("GET", `/api/devices?${q}`), 2000, [q.toString()]);
  return (
    <section>
      <div className="filters">
        {FIELDS.map((f) => (
          <input key={f} placeholder={f} aria-label={`filter ${f}`} value={filter[f] ?? ""} onChange={(e) => setFilter({ ...filter, [f]: e.target.value })} />
        ))}
        <select aria-label="filter online" value={online} onChange={(e) => setOnline(e.target.value)}>
          <option value="">online or not</option>
          <option value="true">online</option>
          <option value="false">offline</option>
        </select>
      </div>
      {error && <p className="error">{error}</p>}
      <table className="devices">
        <thead><tr><th>device</th><th>state</th><th>customer / group</th><th>board</th><th>modules</th><th>last verdict</th></tr></thead>
        <tbody>
          {(data ?? []).map((d) => (
            <tr key={d.id} data-device={d.id} onClick={() => setOpen(open === d.id ? null : d.id)}>
              <td>{d.id}</td>
              <td><span className={d.online ? "pill ok" : "pill off"}>{d.online ? "online" : "offline"}</span></td>
              <td>{d.customer} / {d.group}</td>
              <td>{d.board}</td>
              <td>{d.modules.filter((m) => m.role === "active" || m.role === "trial").map((m) => `${m.module} ${m.version}${m.role === "trial" ? " (trial)" : ""}`).join(", ") || "—"}</td>
              <td className={`verdict ${d.lastVerdict?.phase ?? ""}`}>{d.lastVerdict ? `${d.lastVerdict.phase} ${d.lastVerdict.version ?? ""}` : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="count">{data ? `${data.length} devices` : "loading…"}</p>
      {open && <Device id={open} />}
    </section>
  );
}

function Device({ id }: { id: string }) {
  const { data } = usePoll(() => call<DeviceDetail>("GET", `/api/devices/${encodeURIComponent(id)}`), 2000, [id]);
  if (!data) return null;
  return (
    <div className="device">
      <h2>{data.id}</h2>
      <h3>Modules</h3>
      <ul>{data.modules.map((m) => <li key={`${m.module}${m.slot}`}>{m.module} slot {m.slot}: {m.version} ({m.role})</li>)}</ul>
      <h3>Verdicts</h3>
      <ul>{data.verdicts.map((v, i) => <li key={i}>{new Date(v.ts).toLocaleTimeString()} {v.module_id} {v.version} <b>{v.phase}</b> {v.reason}</li>)}</ul>
      <h3>Recent logs</h3>
      <pre className="logs">{data.logs.slice(-50).map((l) => l.line).join("\n")}</pre>
    </div>
  );
}
