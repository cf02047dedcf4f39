// The fleet API under input an operator's tools or a stray client send: a
// path with bad percent-encoding is answered 400 naming the path, on every
// route (the API, the live log stream, the console's files), and the service
// keeps serving (a throw in the request handler would end the process).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiServer } from "../../src/fleet/api.js";

const consoleDir = mkdtempSync(join(tmpdir(), "fwx-console-"));
writeFileSync(join(consoleDir, "index.html"), "<!doctype html>");
const api = createApiServer({
  store: {
    device: async (id: string) => (id === "gw-1" ? { id } : null), devices: async () => [],
    health: async () => { throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }); },
  } as never,
  crashes: { crashes: async () => [] } as never,
  rollouts: null, consoleDir,
  liveLogs: { subscribe: () => () => {} },
});
let port = 0;
beforeAll(async () => {
  await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
  port = (api.address() as AddressInfo).port;
});
afterAll(async () => {
  api.closeAllConnections();
  await new Promise((r) => api.close(r));
  rmSync(consoleDir, { recursive: true, force: true });
});

/** One request with the path sent as it is (fetch would normalize it). */
function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET", agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.setTimeout(5_000, () => req.destroy(new Error(`no answer to GET ${path} within 5 s`)));
    req.on("error", reject);
    req.end();
  });
}

describe("the fleet API on malformed paths", { timeout: 20_000 }, () => {
  it("answers 400 naming the path, on the API, the live log stream and the console, and keeps serving", async () => {
    for (const path of ["/api/devices/%E0%A4%A", "/api/devices/%ZZ/logs/live", "/%E0%A4%A", "/assets/%ZZ.js"]) {
      const r = await get(path);
      expect([path, r.status]).toEqual([path, 400]);
      expect(JSON.parse(r.body)).toEqual({ error: `malformed percent-encoding in the path ${JSON.stringify(path)}` });
    }
    expect((await get("/api/devices/gw-1")).status).toBe(200);
    expect((await get("/index.html")).body).toBe("<!doctype html>");
  });
});

describe("the fleet API when its database is down", { timeout: 20_000 }, () => {
  it("answers 503 naming the database and the cause, not 500 'internal error'", async () => {
    const r = await get("/api/health");
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toEqual({ error: "the fleet database is unavailable: connect ECONNREFUSED 127.0.0.1:5432" });
  });
});
