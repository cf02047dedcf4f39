// Types for scripts/ensure-postgres.mjs (imported by the fleet tests).
export function postgresBinDir(): string | null;
export function ensurePostgres(): string | null;
export interface ThrowawayPostgres {
  /** postgres://fwx@127.0.0.1:<port>/postgres (trust authentication). */
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}
export function startPostgres(opts?: { timeoutMs?: number }): Promise<ThrowawayPostgres>;
