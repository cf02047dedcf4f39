import { describe, expect, it } from "vitest";
import { testAgent, spec, seconds } from "./helpers.js";
import { tickerModule } from "../fixtures/hostile/modules.js";

describe("agent smoke", () => {
  it("runs a periodic timer module on the virtual clock", async () => {
    const agent = testAgent();
    await agent.addModule(spec("ticker", tickerModule(1000)));
    const summary = await agent.run(seconds(3.5));
    const logs = agent.log.events.filter((e) => e.kind === "log");
    expect(logs.map((e) => e.tUs)).toEqual([1_000_000n, 2_000_000n, 3_000_000n]);
    expect(summary.faults).toEqual([]);
  });
});
