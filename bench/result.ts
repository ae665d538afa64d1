/** One line of the printed table and of RESULTS.md: a figure, its baseline, and the target it is held to. */
export interface ResultRow {
  readonly what: string;
  readonly project: string;
  readonly baseline: string;
  /** project ÷ baseline, or undefined where a figure has no baseline (burst, cold start). */
  readonly ratio: number | undefined;
  readonly target: string;
  /** undefined where the issue sets no target. */
  readonly met: boolean | undefined;
}

/** What one benchmark produced: its rows, and the raw figures written to bench/results/<name>.json. */
export interface BenchResult {
  readonly name: string;
  readonly rows: readonly ResultRow[];
  readonly figures: Record<string, unknown>;
}

export const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
