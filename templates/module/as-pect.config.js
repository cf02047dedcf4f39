// Specs run against fwx's simulated device (see `Mock` in "fwx/testing").
import { fwxAspectConfig } from "fwx/assembly/testing/aspect.js";

// fwx.json's config defaults are served as on a device (Mock.config overrides
// them), and its capabilities are enforced: a call outside them is NotPermitted.
export default fwxAspectConfig({ entries: ["assembly/__tests__/**/*.spec.ts"], manifest: "fwx.json" });
