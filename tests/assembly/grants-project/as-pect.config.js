// The grants fixture's specs, run by tests/sdk/mock-grants.test.ts from the
// repository root: the mock takes its grants from ./fwx.json.
import { fileURLToPath } from "node:url";
import { fwxAspectConfig } from "../../../assembly/testing/aspect.js";

export default fwxAspectConfig({
  entries: [fileURLToPath(new URL("./assembly/__tests__/", import.meta.url)) + "**/*.spec.ts"],
  manifest: fileURLToPath(new URL("./fwx.json", import.meta.url)),
});
