// Runs the bundled CLI (or another Node script) in a child process for a test:
// its exit code and its whole output, read after the pipes close rather than
// at exit, so the last line (often the JSON a test parses) is never lost on a
// loaded machine; a time limit turns a hang into a named failure.
import { spawn } from "node:child_process";
import { CHILD_NODE_FLAGS } from "./child-node.mjs";

export interface NodeRun { code: number | null; out: string; err: string }

export function runNode(script: string, args: string[], o: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<NodeRun> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [...CHILD_NODE_FLAGS, script, ...args], { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    const t = setTimeout(() => { p.kill("SIGKILL"); rej(new Error(`fwx ${args.join(" ")} did not finish within ${timeoutMs} ms: ${err}`)); }, timeoutMs);
    p.on("close", (code) => { clearTimeout(t); res({ code, out, err }); });
  });
}
