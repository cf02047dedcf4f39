// The hang guard (hang-guard.ts) turns a test stuck in synchronous wasm into a
// named failure: proven on a fixture with an infinite loop nothing stops, run
// in its own vitest process with a 1.5 s limit.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CHILD_NODE_FLAGS } from "./child-node.mjs";

const root = join(import.meta.dirname, "..", "..");

describe("hang guard", () => {
  it("an infinite wasm loop, in a test or in a hook, ends the run as a failure naming it, not a hang", () => {
    const started = Date.now();
    const r = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, join(root, "node_modules", "vitest", "vitest.mjs"), "run", "--config", "tests/support/hang-fixture.config.ts"], {
      cwd: root, encoding: "utf8", timeout: 90_000, env: { ...process.env, FWX_TEST_HANG_LIMIT_MS: "1500", FORCE_COLOR: "0" },
    });
    const elapsed = Date.now() - started;
    const output = r.stdout + r.stderr;
    expect(r.signal, "the child run itself hung: the guard did not fire").toBeNull();
    expect(r.status).not.toBe(0);
    expect(output).toMatch(/HANG: test "spins forever \(tests\/support\/fixtures\/spins-forever\.hang\.ts\)" ran \d+ ms without returning to the event loop \(limit 1500 ms\)/);
    // A hook hangs as a test does (its own process: the first kill ends one file).
    expect(output).toMatch(/HANG: the hooks of tests\/support\/fixtures\/spins-in-hook\.hang\.ts ran \d+ ms without returning to the event loop \(limit 1500 ms\)/);
    // The finishing test beside it is not blamed.
    expect(output).not.toMatch(/HANG: test "a test that finishes/);
    expect(elapsed).toBeLessThan(60_000);
  });
});
