// One conformance table (table.ts), two hosts: every row gives the status or
// trap the table expects on the Node agent's real host AND on the generated C
// glue with the POSIX device's bridged HAL, and both leave the same bytes in
// every output.

import { beforeAll, describe, expect, it } from "vitest";
import { buildHarness, runRowsOnBoth, type RowComparison } from "./c-side.js";
import { runRowOnNode } from "./node-side.js";
import { ROWS, type Outcome } from "./table.js";

const expected = (o: Outcome) => ("status" in o ? `status ${o.status}` : `trap ${o.trap}`);

describe("conformance table: the Node agent", () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const r = runRowOnNode(row);
      const setupCalls = r.calls.slice(0, -1);
      expect(setupCalls.map((c) => c.outcome), "setup calls").toEqual(setupCalls.map(() => "status ok"));
      expect(r.calls.at(-1)!.outcome).toBe(expected(row.expect));
    });
  }
});

describe("conformance table: the C glue with the bridged HAL, same verdicts and outputs", () => {
  let results: RowComparison[] = [];
  beforeAll(async () => {
    results = await runRowsOnBoth(ROWS, buildHarness());
  }, 600_000);
  ROWS.forEach((row, i) => {
    it(row.name, () => {
      const r = results[i]!;
      expect(r.problems).toEqual([]);
      expect(r.c.calls.at(-1)!.outcome).toBe(expected(row.expect));
      expect(r.c.calls).toEqual(r.node.calls);
    });
  });
});
