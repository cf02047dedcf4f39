// A console action (rollback, config) answers only once the follower has
// stored the device's event for that module (which the device publishes after
// its new status), so the fleet list read right after the answer is current;
// the wait is bounded, and a refusal passes straight through.
import { describe, expect, it } from "vitest";
import { DeviceActionError, storedBeforeAnswer, type DeviceActionResult, type EventWatchers } from "../../src/fleet/device-actions.js";

const result: DeviceActionResult = { device: "gw-1", module: "com.acme.ticker", phase: "rolled-back", version: "1.0.0" };
const fire = (w: EventWatchers, device: string, module: string) => { for (const fn of w.get(device) ?? []) fn({ phase: "rolled-back", module }); };

describe("device actions answer once their effect is stored", () => {
  it("waits for the stored event of that device and module, not another's", async () => {
    const watchers: EventWatchers = new Map();
    const act = storedBeforeAnswer(async () => result, watchers, 10_000);
    let answered = false;
    const answer = act("gw-1", { op: "rollback", module: "com.acme.ticker" }).then((r) => { answered = true; return r; });
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    fire(watchers, "gw-2", "com.acme.ticker");
    fire(watchers, "gw-1", "com.acme.other");
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    fire(watchers, "gw-1", "com.acme.ticker");
    expect(await answer).toEqual(result);
    expect(watchers.size).toBe(0);
  });

  it("answers after the bound when the event never comes (another instance stored it), and passes refusals through", async () => {
    const watchers: EventWatchers = new Map();
    const t0 = Date.now();
    expect(await storedBeforeAnswer(async () => result, watchers, 200)("gw-1", { op: "rollback", module: "com.acme.ticker" })).toEqual(result);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    const refused = storedBeforeAnswer(async () => { throw new DeviceActionError(409, "gw-1 refused: busy"); }, watchers, 10_000);
    await expect(refused("gw-1", { op: "rollback", module: "com.acme.ticker" })).rejects.toThrow(/gw-1 refused: busy/);
    expect(watchers.size).toBe(0);
  });
});
