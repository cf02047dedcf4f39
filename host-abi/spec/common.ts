// Shared wording for the spec files: data, so every function states the same
// contract in the same words.
export const TRAP_MEMORY = "a pointer/length pair lies outside linear memory (checked unsigned, no wrap-around)";
export const TRAP_HANDLE = "the handle is not one this module owns (never issued, released, or another module's)";
export const TRAP_OUTPUT = "an out-pointer lies outside linear memory";
