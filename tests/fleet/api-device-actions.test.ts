// The fleet API's device actions (rollback, config) for a device id the fleet
// database does not know: 404 at once, naming the device, as GET answers,
// and no signed command is sent (it would wait for a device that cannot
// answer and end as a 504 after the action's timeout).
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiServer } from "../../src/fleet/api.js";
import type { DeviceAction } from "../../src/fleet/device-actions.js";

const sent: { device: string; action: DeviceAction }[] = [];
const api = createApiServer({
  store: { device: async (id: string) => (id === "gw-1" ? { id } : null) } as never,
  crashes: { crashes: async () => [] } as never,
  rollouts: null, consoleDir: null,
  deviceActions: async (device, action) => {
    sent.push({ device, action });
    return { device, module: action.module, phase: action.op === "rollback" ? "rolled-back" : "reconfigured" };
  },
});
let base = "";
beforeAll(async () => {
  await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => api.close(r));
});

const post = async (path: string, body: unknown) => {
  const r = await fetch(base + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() as { error?: string; phase?: string } };
};

describe("device actions on the fleet API", () => {
  it("answer 404 naming an unknown device, and send it nothing", async () => {
    const rb = await post("/api/devices/gw-404/rollback", { module: "com.acme.x" });
    expect(rb.status).toBe(404);
    expect(rb.body.error).toBe('no device "gw-404" in the fleet database');
    const cfg = await post("/api/devices/gw-404/config", { module: "com.acme.x", values: { threshold_c: 5 } });
    expect(cfg.status).toBe(404);
    expect(cfg.body.error).toBe('no device "gw-404" in the fleet database');
    expect(sent).toEqual([]);
  });

  it("go to a known device", async () => {
    sent.length = 0;
    const rb = await post("/api/devices/gw-1/rollback", { module: "com.acme.x" });
    expect(rb.status, JSON.stringify(rb.body)).toBe(200);
    expect(rb.body.phase).toBe("rolled-back");
    expect(sent).toEqual([{ device: "gw-1", action: { op: "rollback", module: "com.acme.x" } }]);
  });
});
