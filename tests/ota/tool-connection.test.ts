// How a field tool's first connection to the broker ends when it cannot be
// made: a login the broker refuses is final and said at once; a broker that
// is not there is tried until the timeout, which then names the cause.
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../../src/ota/broker.js";
import { PasswordFile, passwordLine } from "../../src/ota/broker-access.js";
import { DeviceUnreachable, ToolConnection } from "../../src/ota/rpc.js";

describe("ToolConnection.open", () => {
  let broker: RunningBroker;
  beforeAll(async () => { broker = await startBroker({ passwords: PasswordFile.parse(passwordLine("tool", "right", randomBytes(12))) }); });
  afterAll(async () => { await broker.close(); });

  it("connects with the right password (the control)", async () => {
    const c = await ToolConnection.open({ brokerUrl: broker.url, security: { username: "tool", password: Buffer.from("right") }, connectTimeoutMs: 10_000 });
    await c.close();
  });

  it("gives up at once, naming the broker's refusal, when the login is refused", async () => {
    const t0 = performance.now();
    const err = await ToolConnection.open({ brokerUrl: broker.url, security: { username: "tool", password: Buffer.from("wrong") }, connectTimeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceUnreachable);
    expect((err as Error).message).toBe(`the broker ${broker.url} refused this login: Connection refused: Bad username or password (check --username, --password-file or the client certificate)`);
    // Not the 10 s connect timeout: the first refusal ends it.
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it("names why nothing answered when the timeout ends the attempts", async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((res) => { const s = createServer().listen(0, "127.0.0.1", () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); }); });
    const url = `mqtt://127.0.0.1:${port}`;
    await expect(ToolConnection.open({ brokerUrl: url, connectTimeoutMs: 1_000 })).rejects.toThrow(`no MQTT connection to ${url} within 1000 ms (connect ECONNREFUSED 127.0.0.1:${port})`);
  });
});
