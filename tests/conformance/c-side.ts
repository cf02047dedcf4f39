// Runs conformance rows through the generated C glue (firmware/fwx_abi_wasm3.c)
// on the project's wasm3 test double, with the POSIX device's peripheral HAL:
// the generated HAL bridge (firmware/ports/posix/fwx_hal_bridge.c) talking to
// the bridge server, which runs the board. Board behaviour therefore has one
// implementation (src/sim + src/agent/host); what the C side adds is its
// glue's checks and the bridge, and those are what the table holds to.

import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join, resolve } from "node:path";
import { LOWERED } from "../../src/agent/abi.js";
import { grantedKindMask } from "../../src/caps/capabilities.js";
import { startBridgeServer } from "../../src/sim/bridge-server.js";
import { slotBits, type LaidOutCall } from "./layout.js";
import { conformanceBoard, runRowOnNode, type RowResult } from "./node-side.js";
import { BOARD, type Row } from "./table.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";
import { buildOnce, inputsDigest } from "../../scripts/build-once.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const build = join(root, "tests", "c", "build", "conformance");
// -Og, as the C lane's sanitized builds (tests/c/run.mjs says why).
const SANITIZE = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g1", "-Og", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"];

/**
 * Builds the C harness with ASan/UBSan once for its inputs (scripts/build-once.mjs): the test files
 * that use it share one executable, rebuilt only when a source, a header or the flags change.
 * Returns its path or throws with the compiler's output.
 */
export function buildHarness(): string {
  const gcc = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, join(root, "scripts", "ensure-gcc.mjs")], { cwd: root, encoding: "utf8", timeout: 600_000 });
  if (gcc.status !== 0) throw new Error(`gcc with sanitizers is not available:\n${gcc.stdout}${gcc.stderr}`);
  const sources = [
    "firmware/fwx_abi_tables.c", "firmware/fwx_abi_wasm3.c", "firmware/fwx_support.c",
    "firmware/ports/posix/fwx_bridge.c", "firmware/ports/posix/fwx_hal_bridge.c",
    "tests/c/fake_wasm3/fake_wasm3.c", "tests/c/fake_wasm3/fake_guest.c", "tests/c/conformance/conformance_main.c",
  ].map((f) => join(root, f));
  const includes = ["-I", join(root, "firmware"), "-I", join(root, "firmware", "ports", "posix"), "-I", join(root, "tests", "c", "fake_wasm3")];
  const args = [...SANITIZE, ...includes, ...sources];
  const key = inputsDigest({ parts: { args }, dirs: [join(root, "firmware"), join(root, "tests", "c", "fake_wasm3"), join(root, "tests", "c", "conformance")] });
  return buildOnce(join(build, "conformance_harness"), key, (temp) => {
    const r = spawnSync("gcc", [...args, "-o", temp], { cwd: root, encoding: "utf8", timeout: 300_000 });
    if (r.status !== 0) throw new Error(`the conformance harness does not build:\n${r.stderr}`);
  });
}

interface Script { lines: string[]; expectLines: number }

function rowScript(row: Row, socket: string): { script: Script; node: RowResult; calls: { module: "mod" | "other"; laid: LaidOutCall }[] } {
  const calls: { module: "mod" | "other"; laid: LaidOutCall }[] = [];
  const node = runRowOnNode(row, (module, laid) => calls.push({ module, laid }));
  const lines = [`connect ${socket}`, "reset 65536"];
  let expectLines = 1;
  const attach = (slot: number, id: string, caps: object) => {
    lines.push(`attach ${slot} ${grantedKindMask(caps, LOWERED.capabilities)} ${id} ${JSON.stringify(caps)}`);
    expectLines++;
  };
  if (row.other) attach(1, "other", BOARD.grantable);
  attach(0, "mod", row.grants);
  for (const { module, laid } of calls) {
    for (const w of laid.writes) lines.push(`mem ${w.at} ${Buffer.from(w.bytes).toString("hex")}`);
    const slots = ["0", ...laid.flat.map((_, i) => slotBits(laid, i))];
    lines.push(`call ${module === "mod" ? 0 : 1} ${laid.index} ${slots.length} ${slots.join(" ")}`);
    for (const r of laid.results) lines.push(`read ${r.at} ${r.len}`);
    expectLines += 1 + laid.results.length;
  }
  return { script: { lines, expectLines }, node, calls };
}

export interface HarnessRun { out: string; err: string; code: number | null; timedOut: boolean }

/** Runs the harness on a script (one command a line) under a time limit, so a hang is a named failure. */
export function runHarness(harness: string, lines: readonly string[], timeoutMs = 60_000): Promise<HarnessRun> {
  return new Promise((resolveRun) => {
    const child = spawn(harness, [], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "", err = "", timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, timeoutMs);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => { clearTimeout(timer); resolveRun({ out, err, code, timedOut }); });
    child.stdin.on("error", () => {});
    child.stdin.end(lines.join("\n") + "\n");
  });
}

/** Where the conformance and bridge tests put sockets and the harness. */
export const BUILD_DIR = build;

export interface RowComparison {
  row: Row;
  node: RowResult;
  c: RowResult;
  /** Lines the harness printed that were not results (errors), or a run failure. */
  problems: string[];
}

/** Runs every row on both sides; the harness runs under a time limit, so a hang is a named failure. */
export async function runRowsOnBoth(rows: readonly Row[], harness: string, timeoutMs = 60_000): Promise<RowComparison[]> {
  const socket = join(build, `board-${process.pid}-${randomUUID().slice(0, 8)}.sock`);
  const server = await startBridgeServer({ board: conformanceBoard, socketPath: socket, paceMs: 0 });
  try {
    const scripts = rows.map((row) => ({ row, ...rowScript(row, socket) }));
    const output = await runHarness(harness, scripts.flatMap((s) => s.script.lines), timeoutMs);
    const lines = output.out.split("\n").filter(Boolean);
    let at = 0;
    return scripts.map(({ row, script, node, calls }) => {
      const mine = lines.slice(at, at + script.expectLines);
      at += script.expectLines;
      const problems = mine.filter((l) => l.startsWith("error"));
      if (output.timedOut) problems.push(`the C harness did not finish within ${timeoutMs} ms`);
      if (output.code !== 0) problems.push(`the C harness exited ${output.code}: ${output.err.slice(-2000)}`);
      if (mine.length < script.expectLines) problems.push(`the C harness printed ${mine.length} of ${script.expectLines} lines`);
      const results = mine.filter((l) => !l.startsWith("error") && l !== "ok");
      const c: RowResult = { calls: [] };
      for (const { laid } of calls) {
        const line = results.shift() ?? "missing";
        const code = /^status (\d+)$/.exec(line);
        const outcome = code ? `status ${LOWERED.statusCodes.find((x) => x.value === Number(code[1]))?.name ?? `unknown ${code[1]}`}` : line;
        const written = laid.results.map(() => (results.shift() ?? "missing").replace(/^bytes /, ""));
        c.calls.push({ outcome, written });
      }
      return { row, node, c, problems };
    });
  } finally {
    await server.close();
  }
}
