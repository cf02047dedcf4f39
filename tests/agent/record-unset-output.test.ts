// Record/replay of calls whose implementation left an output unset (a
// non-ok status: the glue then leaves guest memory alone). The recording
// must say "unset", not invent a value, and replay must reproduce it.

import { describe, expect, it } from "vitest";
import { FUNCTIONS } from "../../src/abi/host.generated.js";
import { readRecording } from "../../src/agent/record.js";
import { replayRecording } from "../../src/agent/replay.js";
import { runSimulation } from "../../src/agent/simulate.js";
import { defaultBoardPath, loadBoardFile } from "../../src/sim/board.js";
import { ModuleBuilder, op } from "../fixtures/hostile/builder.js";
import { seconds } from "./helpers.js";

/** Every second: config_get("nope") into a 16-byte buffer; the key has no value, so value_len stays unset. */
function missingConfigReader(): Uint8Array {
  const b = new ModuleBuilder();
  const start = b.import("fwx:timer@1", "start", ["i32", "i32", "i32"], ["i32"]);
  const configGet = b.import("fwx:core@1", "config_get", ["i32", "i32", "i32", "i32", "i32"], ["i32"]);
  b.mem(1).dataAt(16, "nope");
  b.func("fwx_init", { params: [], results: ["i32"] }, [...op.i32(1), ...op.i32(1000), ...op.i32(1), ...op.call(start)], { export: true });
  b.func("fwx_on_timer", { params: ["i32"], results: [] }, [...op.i32(16), ...op.i32(4), ...op.i32(64), ...op.i32(16), ...op.i32(128), ...op.call(configGet), ...op.drop], { export: true });
  return b.build();
}

describe("recording an output left unset", () => {
  it("records it as unset and replays without divergence", async () => {
    const bytes = missingConfigReader();
    const { recording } = await runSimulation({
      board: loadBoardFile(defaultBoardPath()), durationUs: seconds(3.5), record: true, watchdogMs: 0,
      modules: [{ id: "reader", bytes, source: "reader.wasm", requested: { timers: 1 } }],
    });
    const configGet = FUNCTIONS.findIndex((f) => f.iface === "core" && f.name === "config_get");
    const calls = readRecording(recording!).entries.filter((e) => e.tag === "call" && e.fn === configGet);
    expect(calls).toHaveLength(3);
    for (const c of calls) expect(c).toMatchObject({ result: 5, outputs: [undefined] }); // not-found, value_len unset
    expect(replayRecording(recording!, bytes).divergence).toBeNull();
  });
});
