// Resources only one module may hold at a time (a GPIO pin, a PWM channel, a
// UART port): claimed device-wide under `<prefix>:<number>` in the claim
// registry, remembered per instance so that stopping the module (or a fault)
// releases whatever it still holds.

import type { ModuleHostContext } from "../host-context.js";

export interface ExclusiveResources<R> {
  /** Who holds `r` now, for a `busy` detail: "this module", "module <id>", or undefined when it is free. */
  holder(r: R): string | undefined;
  /** Claims a free resource (check holder() first) for this module. */
  take(r: R): void;
  /** Runs the host's own release of `r`, then drops the claim. */
  release(r: R): void;
}

export function exclusiveResources<R>(ctx: ModuleHostContext, prefix: string, numberOf: (r: R) => number, free: (r: R) => void): ExclusiveResources<R> {
  const held = new Set<R>();
  const key = (r: R) => `${prefix}:${numberOf(r)}`;
  const release = (r: R) => {
    free(r);
    held.delete(r);
    ctx.claims.release(key(r), ctx.moduleId);
  };
  ctx.onStop(() => {
    for (const r of [...held]) release(r);
  });
  return {
    holder(r) {
      const owner = ctx.claims.owner(key(r));
      return owner === undefined ? undefined : owner === ctx.moduleId ? "this module" : `module ${owner}`;
    },
    take(r) {
      ctx.claims.claim(key(r), ctx.moduleId);
      held.add(r);
    },
    release,
  };
}
