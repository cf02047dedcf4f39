// This example's specs alone, run from the repository root:
//   npx asp --config examples/modbus-energy-meter/as-pect.config.js
import { fileURLToPath } from "node:url";
import { fwxAspectConfig } from "../../assembly/testing/aspect.js";

export default fwxAspectConfig({
  entries: [fileURLToPath(new URL("./assembly/__tests__/", import.meta.url)) + "**/*.spec.ts"],
  manifest: fileURLToPath(new URL("./fwx.json", import.meta.url)),
});
