// The POSIX device's HAL bridge (firmware/ports/posix/): compiles warning-free
// as C99 and C11 with the project's strict flags, and its protocol limits
// match the ones the Node end and the generator use (host-abi/gen/bridge-wire.ts).
// The bridge's behaviour is tested end to end by tests/conformance/ (vitest).

import { readFileSync } from "node:fs";
import { join } from "node:path";

export default async function (ctx) {
  const port = join(ctx.root, "firmware", "ports", "posix");
  const sources = ["fwx_bridge.c", "fwx_hal_bridge.c"].map((f) => join(port, f));
  for (const std of ["c99", "c11"]) {
    const results = await Promise.all(sources.map((src) => ctx.objects.compile([...ctx.strictFor(std), "-I", ctx.firmware, "-I", port], src)));
    const bad = results.map((r, i) => ({ r, src: sources[i] })).filter(({ r }) => r.status !== 0);
    if (bad.length) ctx.fail(`firmware/ports/posix bridge compiles as ${std} with ${ctx.STRICT.join(" ")}`, bad.map(({ src, r }) => `${ctx.rel(src)}:\n${r.err}`).join("\n"));
    else ctx.pass();
  }
  const header = readFileSync(join(port, "fwx_bridge.h"), "utf8");
  const wire = readFileSync(join(ctx.root, "host-abi", "gen", "bridge-wire.ts"), "utf8");
  for (const [c, ts] of [["FWX_BRIDGE_MAX_FRAME", "BRIDGE_MAX_FRAME"], ["FWX_BRIDGE_MAX_BUFFER", "BRIDGE_MAX_BUFFER"], ["FWX_BRIDGE_MAX_MODULE_ID", "BRIDGE_MAX_MODULE_ID"], ["FWX_BRIDGE_MAX_CAPS_JSON", "BRIDGE_MAX_CAPS_JSON"], ["FWX_BRIDGE_VERSION", "BRIDGE_VERSION"]]) {
    const cValue = new RegExp(`#define ${c} (\\d+)u`).exec(header)?.[1];
    const tsValue = new RegExp(`export const ${ts} = (\\d+);`).exec(wire)?.[1];
    if (cValue === undefined || cValue !== tsValue) ctx.fail(`${c} in fwx_bridge.h equals ${ts} in bridge-wire.ts`, `C ${cValue}, TypeScript ${tsValue}`);
    else ctx.pass();
  }
}
