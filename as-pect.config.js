// as-pect specs of this repository: the SDK's own specs and every example's.
// Run: npm run test:as   (or: npx asp --config as-pect.config.js)
// One example alone: npx asp --config examples/<name>/as-pect.config.js
import { fwxAspectConfig } from "./assembly/testing/aspect.js";

export default fwxAspectConfig({
  entries: ["assembly/__tests__/**/*.spec.ts", "examples/*/assembly/__tests__/**/*.spec.ts"],
  // Each example's specs get its own fwx.json: its config defaults and its grants.
  manifest: "nearest",
});
