// Types for scripts/ensure-chromium.mjs (imported by the console test).
export const CHROMIUM: string;
export function ensureChromium(): string | null;
