import { call, type HealthPoint } from "./api.js";
import { usePoll } from "./usePoll.js";

const W = 720, H = 200;

/** Installs (green) and faults (red) per minute over the last hour. */
export function Health() {
  const since = Math.floor(Date.now() / 60_000) * 60_000 - 59 * 60_000;
  const { data } = usePoll(() => call<HealthPoint[]>("GET", `/api/health?since=${since}&bucket=60000`), 5000, []);
  const points = data ?? [];
  const max = Math.max(1, ...points.map((p) => Math.max(p.installs, p.faults)));
  const x = (t: number) => ((t - since) / (60 * 60_000)) * W;
  const bw = W / 60 / 2 - 1;
  return (
    <section>
      <h2>Installs and faults, last hour</h2>
      <svg className="health" width={W} height={H + 20} role="img" aria-label="installs and faults per minute">
        <line x1={0} y1={H} x2={W} y2={H} stroke="#999" />
        {points.map((p) => (
          <g key={p.t}>
            <rect className="installs" x={x(p.t)} y={H - (p.installs / max) * H} width={bw} height={(p.installs / max) * H} fill="#2a9d55" />
            <rect className="faults" x={x(p.t) + bw + 1} y={H - (p.faults / max) * H} width={bw} height={(p.faults / max) * H} fill="#d64545" />
          </g>
        ))}
        <text x={0} y={H + 15} fontSize={11}>−60 min</text>
        <text x={W - 30} y={H + 15} fontSize={11}>now</text>
      </svg>
      <p>{points.reduce((a, p) => a + p.installs, 0)} installs, {points.reduce((a, p) => a + p.faults, 0)} faults</p>
    </section>
  );
}
