import { builtinModules } from "node:module";
import { readFileSync } from "node:fs";
import esbuild from "rollup-plugin-esbuild";
import resolve from "@rollup/plugin-node-resolve";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
const deps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
const external = (id) =>
  id.startsWith("node:") || builtinModules.includes(id) || deps.some((d) => id === d || id.startsWith(`${d}/`));

export default {
  // The preparation worker (src/agent/prepare-pool.ts) loads dist/prepare-worker.js.
  input: { cli: "src/cli.ts", "prepare-worker": "src/agent/prepare-worker.ts" },
  output: {
    dir: "dist",
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "chunks/[name]-[hash].js",
    sourcemap: true,
  },
  external,
  plugins: [resolve({ extensions: [".ts", ".js", ".mjs"] }), esbuild({ target: "node20", tsconfig: "tsconfig.json" })],
  onwarn(warning, warn) {
    if (warning.code === "CIRCULAR_DEPENDENCY") return;
    warn(warning);
  },
};
