// The fleet console: a React app built by Vite into dist/console, which `fwx fleet` serves.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  build: { outDir: fileURLToPath(new URL("../dist/console", import.meta.url)), emptyOutDir: true },
});
