import { useState, type FormEvent } from "react";
import { call, failures, type RolloutView } from "./api.js";
import { usePoll } from "./usePoll.js";

function base64(buf: ArrayBuffer): string {
  let s = "";
  const b = new Uint8Array(buf);
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

function CreateForm({ onCreated }: { onCreated(): void }) {
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const file = form.get("package") as File | null;
    if (!file || !file.size) return setError("choose a package file");
    try {
      await call("POST", "/api/rollouts", {
        package: base64(await file.arrayBuffer()), target: form.get("target"), waves: form.get("waves"),
        maxFailures: form.get("maxFailures"), approve: form.get("approve"),
      });
      setError(null);
      onCreated();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form className="create" onSubmit={submit}>
      <label>package <input type="file" name="package" accept=".fwx" /></label>
      <label>target <input name="target" defaultValue="all" /></label>
      <label>waves <input name="waves" defaultValue="1,5%,25%,100%" /></label>
      <label>max failures <input name="maxFailures" defaultValue="2%" /></label>
      <label>approval <select name="approve" defaultValue="none">
        <option value="none">none: waves start by themselves</option>
        <option value="first">before the first wave</option>
        <option value="every">before every wave</option>
      </select></label>
      <button type="submit">Start rollout</button>
      {error && <p className="error">{error}</p>}
    </form>
  );
}

function Wave({ w }: { w: RolloutView["waves"][number] }) {
  const ok = w.counts.confirmed ?? 0;
  const bad = failures(w.counts);
  const pct = (n: number) => `${w.size ? (100 * n) / w.size : 0}%`;
  return (
    <div className="wave" data-wave={w.index + 1}>
      <span className="label">wave {w.index + 1}</span>
      <div className="bar" role="progressbar" aria-valuenow={ok + bad} aria-valuemax={w.size}>
        <div className="ok" style={{ width: pct(ok) }} />
        <div className="bad" style={{ width: pct(bad) }} />
      </div>
      <span className="numbers">{ok + bad}/{w.size} · {w.state} · failed {bad} (allowed {w.allowedFailures})</span>
    </div>
  );
}

export function Rollouts() {
  const { data, error, reload } = usePoll(() => call<RolloutView[]>("GET", "/api/rollouts"), 1000, []);
  const act = async (r: RolloutView, action: "pause" | "resume" | "cancel") => {
    if (!window.confirm(`${action} rollout ${r.id} (${r.module} ${r.version})?`)) return;
    try {
      await call("POST", `/api/rollouts/${r.id}/${action}`);
    } catch (e) {
      window.alert((e as Error).message);
    }
    reload();
  };
  return (
    <section>
      <CreateForm onCreated={reload} />
      {error && <p className="error">{error}</p>}
      {(data ?? []).map((r) => (
        <article key={r.id} className={`rollout ${r.state}`} data-rollout={r.id}>
          <h2>{r.module} {r.version} <span className="state">{r.state}</span></h2>
          <p className="meta">{r.id} · {r.devices} devices · max failures {r.maxFailures} per wave</p>
          {r.haltReason && <p className="halt">{r.haltReason}</p>}
          {r.awaitingWave !== null && <p className="awaiting">wave {r.awaitingWave + 1} of {r.waves.length} waits for approval{r.awaitingWave > 0 ? ` (wave ${r.awaitingWave} succeeded)` : ""}</p>}
          {r.waves.map((w) => <Wave key={w.index} w={w} />)}
          <div className="actions">
            {r.state === "running" && <button onClick={() => act(r, "pause")}>Pause</button>}
            {(r.state === "paused" || r.state === "awaiting-approval") && <button onClick={() => act(r, "resume")}>{r.state === "paused" ? "Resume" : "Approve"}</button>}
            {!["done", "cancelled"].includes(r.state) && <button onClick={() => act(r, "cancel")}>Cancel</button>}
          </div>
        </article>
      ))}
    </section>
  );
}
