/** A failure of the whole run, said in one line (an unreachable source, a refused login, no legacy tables…). */
export class ImportError extends Error {
  override readonly name = 'ImportError';
}
