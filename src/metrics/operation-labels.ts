/** How the `operation` label of request metrics is bounded. */
export interface OperationLabelLimits {
  /** Names are cut to this many characters. */
  readonly maxLength: number;
  /** Distinct names labelled; a name first seen after that counts as `other`. */
  readonly maxNames: number;
}

/**
 * Turns the operation a request ran into a Prometheus label of bounded cardinality. Every label value is a series
 * kept for the life of the process, so a client choosing names must not choose how many there are: only names the
 * parsed document defines are used, each cut short, and only the first `maxNames` of them.
 */
export class OperationLabels {
  private readonly seen = new Set<string>();

  constructor(private readonly limits: OperationLabelLimits) {}

  /**
   * `resolved` is false when no operation ran (unparsable, an operationName the document does not define, a
   * persisted query not found): `invalid`. A resolved operation without a name is `anonymous`.
   */
  label(resolved: boolean, name: string | null | undefined): string {
    if (!resolved) return 'invalid';
    if (name === undefined || name === null || name === '') return 'anonymous';
    const cut = name.slice(0, this.limits.maxLength);
    if (this.seen.has(cut)) return cut;
    if (this.seen.size >= this.limits.maxNames) return 'other';
    this.seen.add(cut);
    return cut;
  }
}
