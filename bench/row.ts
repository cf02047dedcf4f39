/** One figure a benchmark prints. Ratios are measured side by side in one run. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** The target, e.g. "≤ 1.25x"; rows with a goal also say whether it is met. */
  goal?: string;
  /** True when the goal is met; omitted when there is no goal. */
  met?: boolean;
}
