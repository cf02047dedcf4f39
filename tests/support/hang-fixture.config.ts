// Only for tests/support/hang-guard.test.ts: runs the deliberately hanging
// fixture with the hang guard and a short limit.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/support/fixtures/*.hang.ts"],
    setupFiles: ["tests/support/hang-guard.ts"],
    pool: "forks",
  },
});
