// `fwx rollout` against a fleet service that closes a kept-alive connection as
// a request goes out (under load, its idle timer and the next poll can cross):
// a read is sent again on a new connection, an action never is.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { command } from "../../src/commands/rollout.js";

const VIEW = { id: "ro-1", module: "com.acme.x", version: "1.0.0", state: "done", devices: 1, maxFailures: "0", waves: [], haltReason: null, awaitingWave: null, approve: null };

/** A service that resets the first `resets` requests' connections, then answers `VIEW`. */
async function flakyService(resets: number): Promise<{ url: string; seen: string[]; server: Server }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (seen.length <= resets) {
      req.socket.destroy();
      return;
    }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(VIEW));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s) => { out += String(s); return true; });
  vi.spyOn(process.stderr, "write").mockImplementation((s) => { err += String(s); return true; });
  try {
    return { code: await command.run(args), out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

describe("fwx rollout over a connection the service resets", { timeout: 20_000 }, () => {
  let server: Server | null = null;
  afterEach(async () => {
    await new Promise((r) => server?.close(r) ?? r(undefined));
    server = null;
  });

  it("sends a status read again and prints the answer", async () => {
    const s = await flakyService(1);
    server = s.server;
    const r = await run(["status", "ro-1", "--fleet", s.url]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^ro-1  com\.acme\.x 1\.0\.0  DONE/);
    expect(s.seen).toEqual(["GET /api/rollouts/ro-1", "GET /api/rollouts/ro-1"]);
  });

  it("gives up on reads after three resets, naming the service and the cause", async () => {
    const s = await flakyService(3);
    server = s.server;
    const r = await run(["status", "ro-1", "--fleet", s.url]);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(new RegExp(`fleet service ${s.url.replace(/[.]/g, "\\.")} is unreachable: .*(ECONNRESET|other side closed|socket hang up)`));
    expect(s.seen).toHaveLength(3);
  });

  it("never sends an action twice", async () => {
    const s = await flakyService(1);
    server = s.server;
    const r = await run(["pause", "ro-1", "--fleet", s.url]);
    expect(r.code).toBe(4);
    expect(s.seen).toEqual(["POST /api/rollouts/ro-1/pause"]);
  });
});
