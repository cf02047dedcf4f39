// `fwx rollout` against a fleet service that closes a kept-alive connection as
// a request goes out (under load, its idle timer and the next poll can cross):
// a read is sent again on a new connection, an action never is.
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { command } from "../../src/commands/rollout.js";
import { createApiServer, KEEP_ALIVE_MS } from "../../src/fleet/api.js";

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

  it("polls --wait without the per-device rows, and prints the final view with them once", async () => {
    let polls = 0;
    let targetReads = 0;
    const view = (state: string) => ({ ...VIEW, state, waves: [] });
    const api = createApiServer({
      store: {} as never, crashes: {} as never, consoleDir: null,
      rollouts: {
        get: async (id: string) => (id === "ro-1" ? view(++polls < 3 ? "running" : "done") : null),
        targets: async () => { targetReads++; return [{ device_id: "gw-1", wave: 0, state: "confirmed" }]; },
      } as never,
    });
    await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
    server = api;
    const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const r = await run(["status", "ro-1", "--wait", "--json", "--fleet", url]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ state: "done", targets: [{ device_id: "gw-1" }] });
    expect([polls, targetReads]).toEqual([4, 1]);
    const bad = await fetch(`${url}/api/rollouts/ro-1?targets=some`);
    expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([400, "targets=some: expected none (or no targets parameter, for every device's row)"]);
  });

  it("gives up on reads after three resets, naming the service and the cause", async () => {
    const s = await flakyService(3);
    server = s.server;
    const r = await run(["status", "ro-1", "--fleet", s.url]);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(new RegExp(`fleet service ${s.url.replace(/[.]/g, "\\.")} is unreachable: .*(ECONNRESET|other side closed|socket hang up)`));
    expect(s.seen).toHaveLength(3);
  });

  it("names a word after --approve that is not a mode, instead of calling it an unexpected argument", async () => {
    await expect(command.run(["create", "x.fwx", "--target", "all", "--approve", "sometimes"])).rejects.toThrow('--approve "sometimes": expected every or first (or --approve alone, for every)');
  });

  it("names a service that takes the request and never answers, under --timeout, and says an action may have happened", async () => {
    const seen: string[] = [];
    server = createServer((req) => { seen.push(`${req.method} ${req.url}`); }); // never answers
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const t0 = Date.now();
    const read = await run(["status", "ro-1", "--fleet", url, "--timeout", "300ms"]);
    expect([read.code, read.err]).toEqual([4, `fwx: rollout: fleet service ${url} did not answer GET /api/rollouts/ro-1 within 0.3 s (--timeout)\n`]);
    const action = await run(["resume", "ro-1", "--fleet", url, "--timeout", "300ms"]);
    expect(action.code).toBe(4);
    expect(action.err).toContain("did not answer POST /api/rollouts/ro-1/resume within 0.3 s (--timeout) (it may still have done it: see fwx rollout status)");
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(seen).toEqual(["GET /api/rollouts/ro-1", "POST /api/rollouts/ro-1/resume"]);
    server.closeAllConnections();
    await expect(command.run(["status", "--timeout", "soon"])).rejects.toThrow('--timeout "soon": expected a positive time');
  });

  it("never sends an action twice", async () => {
    const s = await flakyService(1);
    server = s.server;
    const r = await run(["pause", "ro-1", "--fleet", s.url]);
    expect(r.code).toBe(4);
    expect(s.seen).toEqual(["POST /api/rollouts/ro-1/pause"]);
  });
});

describe("the fleet API's kept-alive connections", { timeout: 20_000 }, () => {
  it("advertises an idle limit far above a poll interval, so the client closes first, and serves again on the same socket", async () => {
    const api = createApiServer({ store: {} as never, crashes: {} as never, rollouts: null, consoleDir: null });
    await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () => new Promise<{ status: number; keepAlive: string | undefined; reused: boolean }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: (api.address() as AddressInfo).port, path: "/api/no-such-thing", agent }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode!, keepAlive: res.headers["keep-alive"]?.toString(), reused: req.reusedSocket }));
      });
      req.on("error", reject);
      req.end();
    });
    try {
      const first = await get();
      expect(first.status).toBe(404);
      expect(first.keepAlive).toBe(`timeout=${KEEP_ALIVE_MS / 1000}`);
      expect(KEEP_ALIVE_MS).toBeGreaterThanOrEqual(30_000);
      await new Promise((r) => setTimeout(r, 100));
      expect(await get()).toMatchObject({ status: 404, reused: true });
    } finally {
      agent.destroy();
      await new Promise<void>((r) => { api.close(() => r()); api.closeAllConnections(); });
    }
  });
});
