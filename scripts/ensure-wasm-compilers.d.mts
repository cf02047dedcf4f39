// Types for scripts/ensure-wasm-compilers.mjs, so tests and bench import it checked.
/** Ensures clang with wasm-ld builds wasm32 modules (installing Debian's clang and lld if needed); returns the clang command. */
export function ensureClangWasm(): string;
/** Ensures Debian's rustc builds no_std wasm32 modules (installing rustc and libstd-rust-dev-wasm32 if needed); returns its path. */
export function ensureRustWasm(): string;
/** This environment without PATH directories that would let clang run a wasm-opt of its own (see the script). */
export function clangEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
