import type { Emitter } from "./emitter.js";

// Placeholder until its owner lands it.
export const emitAsMock: Emitter = () => [];
