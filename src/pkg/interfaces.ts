// Interface compatibility: a module built against name@major.minor runs on
// firmware offering the same name and major at the same or a newer minor
// (minors only add functions; a major bump may change or remove them).

import type { LoweredAbi } from "../../host-abi/gen/lower.js";
import type { InterfaceRequirement } from "../wasm/abi-section.js";

/** What a device running firmware built from `lowered` offers: every interface at its current version. */
export function offeredInterfaces(lowered: Pick<LoweredAbi, "interfaces">): InterfaceRequirement[] {
  return lowered.interfaces.map((i) => ({ name: i.name, major: i.major, minor: i.minor }));
}

/** Each requirement the offer does not satisfy, named with what is offered instead. Empty = compatible. */
export function interfaceShortfall(required: readonly InterfaceRequirement[], offered: readonly InterfaceRequirement[]): string[] {
  const out: string[] = [];
  for (const r of required) {
    const same = offered.filter((o) => o.name === r.name);
    const want = `${r.name}@${r.major}.${r.minor}`;
    if (same.length === 0) out.push(`interface ${want} (not offered at all)`);
    else if (!same.some((o) => o.major === r.major && o.minor >= r.minor)) out.push(`interface ${want} (offered: ${same.map((o) => `${o.name}@${o.major}.${o.minor}`).join(", ")})`);
  }
  return out;
}
