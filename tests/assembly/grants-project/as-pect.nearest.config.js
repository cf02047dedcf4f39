// The same specs through manifest: "nearest", as the repository's own
// as-pect.config.js runs every example: the spec's file is found from the
// binary's debug names, then the fwx.json above it.
import { fileURLToPath } from "node:url";
import { fwxAspectConfig } from "../../../assembly/testing/aspect.js";

export default fwxAspectConfig({
  entries: [fileURLToPath(new URL("./assembly/__tests__/", import.meta.url)) + "**/*.spec.ts"],
  manifest: "nearest",
});
