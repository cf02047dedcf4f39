// Identifier casing shared by the TypeScript, AssemblyScript and mock
// emitters. Spec names are kebab-case (`pin-mode`) or snake_case
// (`write_read`); the C emitters keep snake_case (emit-c-names.ts).

/** `write_read` → `writeRead`, `pin-mode` → `pinMode`. */
export const camel = (s: string): string => s.replace(/[-_]([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** `pin-mode` → `PinMode`. */
export const pascal = (s: string): string => camel(s).replace(/^[a-z]/, (c) => c.toUpperCase());
