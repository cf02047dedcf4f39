// The order vitest starts test files in. With durations from an earlier run
// in its cache, vitest starts the longest files first; on a clean clone (CI)
// it has none and starts the largest files first. Some short files run long:
// they wait on brokers, devices and health windows, or run a 16-hour demo.
// Started last, they trail the run on a core the rest left idle. So files
// that vitest has no result for are started in this measured order first.
//
// The list: the ten longest files of a clean-clone run on 2 cores (wall
// seconds: 72, 71, 61, 55, 55, 54, 40, 35, 33, 32), then four that mostly
// wait on brokers and devices (wall seconds against their CPU seconds: 15
// against 1.4, 12 against 1.0, 16 against 3.3, 13 against 3.2). Started early,
// their waiting overlaps other files' work; in vitest's own order aedes and
// mosquitto were the last two files of the run, 14 s and 11 s of brokers. The
// list only orders: a file missing from it, or one that got faster, runs all
// the same.

import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

export const LONG_FILES = [
  "tests/guest/c-rust-modules.test.ts",
  "tests/ota/secure-broker.test.ts",
  "tests/ota/crash.test.ts",
  "tests/cli/errors.test.ts",
  "tests/device/signed-ops.test.ts",
  "tests/demo/demo.test.ts",
  "tests/ota/trust.test.ts",
  "tests/device/ota-device.test.ts",
  "tests/ota/cli-trust.test.ts",
  "tests/ota/robustness.test.ts",
  "tests/ota/aedes.test.ts",
  "tests/ota/mosquitto.test.ts",
  "tests/linux/bridge-uart.test.ts",
  "tests/device/secure-broker-device.test.ts",
];

export default class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const rank = (spec: TestSpecification): number => {
      const file = relative(root, spec.moduleId);
      if (this.ctx.cache.getFileTestResults(`${spec.project.name}:${file}`)) return LONG_FILES.length; // vitest knows better
      const i = LONG_FILES.indexOf(file.split("\\").join("/"));
      return i < 0 ? LONG_FILES.length : i;
    };
    // Stable: within each rank, vitest's own order.
    return sorted.map((spec, i) => ({ spec, i, r: rank(spec) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.spec);
  }
}
