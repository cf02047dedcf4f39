// Errors of the simulator's inputs. Both carry the place of the mistake in a
// form an editor can jump to: the profile file plus a JSON field path, or the
// trace file plus line:column.

/** A board profile is invalid. `message` is `<source>: <path>: <problem>`. */
export class BoardProfileError extends Error {
  constructor(readonly source: string, readonly path: string, readonly problem: string) {
    super(path === "" ? `${source}: ${problem}` : `${source}: ${path}: ${problem}`);
    this.name = "BoardProfileError";
  }
}

/** A trace CSV is invalid. `message` is `<source>:<line>:<column>: <problem>` (both 1-based). */
export class TraceError extends Error {
  constructor(readonly source: string, readonly line: number, readonly column: number, readonly problem: string) {
    super(`${source}:${line}:${column}: ${problem}`);
    this.name = "TraceError";
  }
}
