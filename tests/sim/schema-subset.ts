// A deliberately small JSON Schema (draft 2020-12) evaluator for the keywords
// boards/schema.json and schemas/fwx.schema.json use. It refuses any keyword it does not know, so the
// schema cannot silently rely on something these tests do not check.

type Schema = Record<string, unknown>;
const ANNOTATIONS = new Set(["$schema", "$id", "$comment", "title", "description", "$defs"]);
const KNOWN = new Set(["type", "enum", "const", "properties", "required", "additionalProperties", "items", "minItems", "minimum", "maximum", "exclusiveMinimum", "minLength", "maxLength", "pattern", "oneOf", "$ref", "propertyNames"]);

/** Errors of `value` against `schema` (default: the root); $ref resolves in root.$defs. */
export function validateAgainst(root: Schema, value: unknown, schema: Schema = root): string[] {
  const errors: string[] = [];
  const check = (s: Schema, v: unknown, path: string): void => {
    for (const k of Object.keys(s)) if (!KNOWN.has(k) && !ANNOTATIONS.has(k)) throw new Error(`schema-subset: unsupported keyword ${k} at ${path}`);
    if (typeof s.$ref === "string") {
      const name = s.$ref.replace("#/$defs/", "");
      check((root.$defs as Record<string, Schema>)[name]!, v, path);
    }
    if (s.type !== undefined) {
      const t = s.type;
      const ok = t === "object" ? v !== null && typeof v === "object" && !Array.isArray(v)
        : t === "array" ? Array.isArray(v)
        : t === "integer" ? Number.isInteger(v)
        : t === "number" ? typeof v === "number"
        : typeof v === t;
      if (!ok) { errors.push(`${path}: not ${String(t)}`); return; }
    }
    if (s.enum && !(s.enum as unknown[]).includes(v)) errors.push(`${path}: not in enum`);
    if (s.const !== undefined && s.const !== v) errors.push(`${path}: not ${JSON.stringify(s.const)}`);
    if (typeof v === "number") {
      if (typeof s.minimum === "number" && v < s.minimum) errors.push(`${path}: below minimum`);
      if (typeof s.maximum === "number" && v > s.maximum) errors.push(`${path}: above maximum`);
      if (typeof s.exclusiveMinimum === "number" && v <= s.exclusiveMinimum) errors.push(`${path}: not above exclusiveMinimum`);
    }
    if (typeof v === "string") {
      if (typeof s.minLength === "number" && v.length < s.minLength) errors.push(`${path}: too short`);
      if (typeof s.maxLength === "number" && v.length > s.maxLength) errors.push(`${path}: too long`);
      if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(v)) errors.push(`${path}: does not match ${s.pattern}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === "number" && v.length < s.minItems) errors.push(`${path}: too few items`);
      if (s.items) v.forEach((item, i) => check(s.items as Schema, item, `${path}[${i}]`));
    }
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const r of (s.required ?? []) as string[]) if (o[r] === undefined) errors.push(`${path}.${r}: required`);
      for (const [k, val] of Object.entries(o)) {
        if (s.propertyNames) check(s.propertyNames as Schema, k, `${path}.${k} (name)`);
        if (props[k]) check(props[k]!, val, `${path}.${k}`);
        else if (s.additionalProperties === false) errors.push(`${path}.${k}: not allowed`);
        else if (s.additionalProperties && typeof s.additionalProperties === "object") check(s.additionalProperties as Schema, val, `${path}.${k}`);
      }
    }
    if (s.oneOf) {
      const matching = (s.oneOf as Schema[]).filter((alt) => validateAgainst(root, v, alt).length === 0);
      if (matching.length !== 1) errors.push(`${path}: matches ${matching.length} of oneOf`);
    }
  };
  check(schema, value, "$");
  return errors;
}
