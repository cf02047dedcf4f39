import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // A hard per-test limit that also stops synchronous wasm loops (see the file).
    setupFiles: ["tests/support/hang-guard.ts"],
  },
});
