// Types for scripts/build-once.mjs, so tests import it checked.
/** A digest of `parts` (JSON), gcc's version, each of `files`, and every .c and .h under `dirs`. */
export function inputsDigest(o: { parts: unknown; files?: string[]; dirs?: string[] }): string;
/** `out`, built by `build(temp)` unless it was built from inputs with digest `key` already; one builder at a time. */
export function buildOnce(out: string, key: string, build: (temp: string) => void): string;
