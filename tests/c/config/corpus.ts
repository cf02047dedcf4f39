// Writes the corpus for tests/c/config/config_number_harness.c: numbers as an
// operator might type them for `fwx config set`, each with the Node agent's
// answer for a number setting without bounds (src/ota/config-values.ts): the
// text it keeps, or why it refuses. Handpicked edges, then seeded random ones.
import { writeFileSync } from "node:fs";
import { checkConfigValues, ConfigValueError } from "../../../src/ota/config-values.js";

const FIELD = [{ name: "x", type: "number" as const }];

function nodeAnswer(typed: string): string {
  try {
    return `ok ${checkConfigValues("m", FIELD, { x: typed }).x}`;
  } catch (e) {
    if (!(e instanceof ConfigValueError)) throw e;
    if (/expected a number/.test(e.message)) return "not-a-number";
    if (/significant digits/.test(e.message)) return "digits";
    if (/is beyond/.test(e.message)) return "beyond";
    throw new Error(`unexpected refusal of "${typed}": ${e.message}`);
  }
}

const EDGES = [
  "0", "-0", "+0", "0.0", "00.50", ".5", "5.", ".", "", " ", "-", "+", "e5", "1e", "1e+", "1e-", " 7 ", "\t7", "7\t", "0x10", "Infinity", "-Infinity", "NaN",
  "1_000", "1,5", "1e308", "1e309", "0e400", "1e-309", "1e-400", "4.9e-324", "0.3", "0.1", "0.2", "30.25", "30.26", "-40.5", "6.50", "1.5e1", "100e-2",
  "1e-6", "1e-7", "0.000001", "0.0000001", "1.25e-7", "123456789012345.5", "12345678901234.5", "0.123456789012345", "0.1234567890123456",
  "9007199254740991", "9007199254740992", "-9007199254740991", "9007199254740993", "1e21", "1e22", "1e23", "123e-2", "1.0000000000000002",
  "99999999999999.9", "999999999999999.9", "5e-324", "2.5e-5", "-2.5e-5", "1.7976931348623157e308", "00000000000000000000000001.5",
  "1.500000000000000000000000", "0.000000000000000000000000000001", "1" + "0".repeat(25), "1." + "0".repeat(30) + "1",
];

/** A small deterministic generator (mulberry32): the corpus is the same on every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = rng(20261205);
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const digits = (n: number) => Array.from({ length: n }, () => String(int(0, 9))).join("");

const cases = new Set<string>(EDGES);
for (let i = 0; i < 20_000; i++) {
  const kind = int(0, 3);
  if (kind === 0) {
    // Digits with a point somewhere and an optional exponent, sign and spaces.
    const whole = digits(int(0, 12)), frac = digits(int(0, 12));
    if (!whole && !frac) continue;
    const point = frac || rand() < 0.3 ? `.${frac}` : "";
    const exp = rand() < 0.4 ? `${rand() < 0.5 ? "e" : "E"}${["", "+", "-"][int(0, 2)]}${int(0, 30)}` : "";
    cases.add(`${rand() < 0.1 ? " " : ""}${["", "-", "+"][int(0, 2)]}${whole}${point}${exp}${rand() < 0.1 ? " " : ""}`);
  } else {
    // A double as JavaScript writes it, in each of its forms.
    const x = (rand() - 0.5) * 10 ** int(-12, 17);
    const forms = [String(x), x.toExponential(int(0, 16)), x.toPrecision(int(1, 17))];
    if (Math.abs(x) < 1e21) forms.push(x.toFixed(int(0, 20)));
    cases.add(forms[kind % forms.length]!);
  }
}

const out = [...cases].filter((c) => !/[\t\n]/.test(c)).map((c) => `${c}\t${nodeAnswer(c)}`);
writeFileSync(process.argv[2]!, out.join("\n") + "\n");
console.log(`${out.length} numbers`);
