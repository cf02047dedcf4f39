import { useState } from "react";
import { call, type CrashView, type DeviceActionResult, type DeviceDetail, type DeviceRow } from "./api.js";
import { usePoll } from "./usePoll.js";
import { useLiveLogs } from "./useLiveLogs.js";

const FIELDS = ["customer", "group", "board", "module", "version"] as const;

export function Fleet() {
  const [filter, setFilter] = useState<Record<string, string>>({});
  const [online, setOnline] = useState("");
  const [open, setOpen] = useState<string | null>(null);
  const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
  if (online) q.set("online", online);
  const { data, error, reload } = usePoll(() => call<DeviceRow[]>("GET", `/api/devices?${q}`), 2000, [q.toString()]);
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
      {open && <Device id={open} onChanged={reload} />}
    </section>
  );
}

function Device({ id, onChanged }: { id: string; onChanged(): void }) {
  const { data, reload } = usePoll(() => call<DeviceDetail>("GET", `/api/devices/${encodeURIComponent(id)}`), 2000, [id]);
  const [result, setResult] = useState<string | null>(null);
  const logs = useLiveLogs(id, data?.logs);
  if (!data) return null;
  // Every action asks first, then shows what the device itself signed (or why it refused).
  const act = async (what: string, path: string, body: unknown) => {
    if (!window.confirm(`${what} on ${data.id}?`)) return;
    try {
      const r = await call<DeviceActionResult>("POST", `/api/devices/${encodeURIComponent(data.id)}/${path}`, body);
      setResult(`${r.module}: ${r.phase}${r.version ? ` → ${r.version}` : ""}${r.reason ? ` (${r.reason})` : ""}`);
    } catch (e) {
      setResult(`not done: ${(e as Error).message}`);
    }
    // The service answers once the device's new status is stored: the list shows it now, not a poll later.
    reload();
    onChanged();
  };
  const running = [...new Set(data.modules.filter((m) => m.role === "active" || m.role === "confirmed").map((m) => m.module))];
  return (
    <div className="device">
      <h2>{data.id}</h2>
      <h3>Modules</h3>
      <ul>{data.modules.map((m) => <li key={`${m.module}${m.slot}`}>{m.module} slot {m.slot}: {m.version} ({m.role})</li>)}</ul>
      {running.map((module) => <ModuleActions key={module} module={module} act={act} />)}
      {result && <p className="action-result" role="status">{result}</p>}
      <h3>Verdicts</h3>
      <ul>{data.verdicts.map((v, i) => <li key={i}>{new Date(v.ts).toLocaleTimeString()} {v.module_id} {v.version} <b>{v.phase}</b> {v.reason}</li>)}</ul>
      <h3>Crash reports</h3>
      {data.crashes.length ? data.crashes.map((c, i) => <Crash key={i} c={c} />) : <p className="none">no crash reports</p>}
      <h3>Logs <span className={logs.live ? "live on" : "live"}>{logs.live ? "● live" : "○ reconnecting"}</span></h3>
      <pre className="logs">{logs.lines.slice(-50).map(logText).join("\n")}</pre>
    </div>
  );
}

/** A fault as the integrator reads it: where in their own code (through the module's debug map), else why not. */
function Crash({ c }: { c: CrashView }) {
  const sha = c.wasmSha256 ? c.wasmSha256.slice(0, 12) : null;
  return (
    <div className="crash" data-module={c.module}>
      <p className="what">{new Date(c.ts).toLocaleTimeString()} <b>{c.module}</b> {c.reason}{c.callback ? ` in ${c.callback}` : ""}{c.detail ? `: ${c.detail}` : ""}</p>
      {c.at ? <p className="where">at <code className="source">{c.at}</code> in <code>{c.function}</code></p>
        : <p className="where unmapped">{!sha ? "the device sent no module hash: its crash cannot be matched to a debug map"
          : c.mapped ? "no frame in the project's own sources" : `no debug map for module ${sha}… (fwx rollout map <file.fwxmap.json> uploads one)`}</p>}
      {c.stack.length > 0 && <pre className="stack">{c.stack.join("\n")}</pre>}
    </div>
  );
}

function ModuleActions({ module, act }: { module: string; act: (what: string, path: string, body: unknown) => Promise<void> }) {
  const [pairs, setPairs] = useState("");
  const values = Object.fromEntries(pairs.split(/[\s,]+/).filter((p) => p.includes("=")).map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]));
  return (
    <div className="module-actions" data-module={module}>
      <b>{module}</b>{" "}
      <button onClick={() => void act(`Roll ${module} back to its other slot`, "rollback", { module })}>Roll back</button>{" "}
      <input placeholder="key=value …" aria-label={`config of ${module}`} value={pairs} onChange={(e) => setPairs(e.target.value)} />{" "}
      <button disabled={!Object.keys(values).length} onClick={() => void act(`Set ${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(", ")} for ${module}`, "config", { module, values })}>Set config</button>
    </div>
  );
}

/** A log line as a person reads it: time, level and message of the device's JSON line (the line as is otherwise). */
function logText(l: { ts: number; line: string }): string {
  try {
    const j = JSON.parse(l.line) as { level?: string; message?: string; module?: string; kind?: string; reason?: string; detail?: string; callback?: string; summary?: string; state?: string };
    const at = new Date(l.ts).toLocaleTimeString();
    if (typeof j.message === "string") return `${at} ${(j.level ?? "").padEnd(5)} ${j.module ?? ""}: ${j.message}`;
    // The same words as fwx logs: a fault's reason and callback (its stack is under Crash reports), a lifecycle's summary.
    if (j.kind === "fault") return `${at} FAULT ${j.module ?? ""}: ${j.reason ?? ""} in ${j.callback ?? "?"}: ${j.detail ?? ""}`;
    if (j.kind === "lifecycle") return `${at} ${"".padEnd(5)} ${j.module ?? ""}: ${j.summary ?? j.state ?? ""}`;
  } catch { /* not JSON: shown as it came */ }
  return l.line;
}
