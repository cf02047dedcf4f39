// Keyed records that are persisted as JSON objects (kv stores, device state,
// config values) hold names chosen outside the host: module ids, config keys,
// kv keys. A plain object would treat `__proto__` as its prototype (the entry
// is lost on the next save) and would answer a lookup of `constructor` with
// Object.prototype's. These records have no prototype instead.

/**
 * A record keyed by names from outside (module ids, config keys) with a null
 * prototype: `__proto__` is then an ordinary key that survives a JSON round
 * trip, and a lookup of `constructor` finds nothing instead of
 * Object.prototype's. Every keyed map of the persisted state is one of these.
 */
export function ownRecord<T>(from: Record<string, T> = {}): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [k, v] of Object.entries(from)) out[k] = v;
  return out;
}
