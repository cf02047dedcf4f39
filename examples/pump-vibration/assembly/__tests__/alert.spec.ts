import { AlertState, Change } from "../alert";

describe("maintenance alert state", () => {
  test("is raised once, after the confirmation blocks", () => {
    const a = new AlertState(4.5, 0.5, 2);
    expect(a.update(5.0)).toBe(Change.None);
    expect(a.update(5.1)).toBe(Change.Raised);
    expect(a.active).toBe(true);
    expect(a.update(6.0)).toBe(Change.None);
    expect(a.update(7.0)).toBe(Change.None);
  });

  test("a single high block between low ones raises nothing", () => {
    const a = new AlertState(4.5, 0.5, 2);
    expect(a.update(5.0)).toBe(Change.None);
    expect(a.update(3.0)).toBe(Change.None);
    expect(a.update(5.0)).toBe(Change.None);
    expect(a.active).toBe(false);
  });

  test("clears only below the limit minus the hysteresis", () => {
    const a = new AlertState(4.5, 0.5, 1);
    expect(a.update(4.5)).toBe(Change.Raised);
    expect(a.update(4.2)).toBe(Change.None);
    expect(a.update(4.0)).toBe(Change.None);
    expect(a.update(3.99)).toBe(Change.Cleared);
    expect(a.active).toBe(false);
  });

  test("can be raised again after it cleared", () => {
    const a = new AlertState(4.5, 0.5, 1);
    expect(a.update(5)).toBe(Change.Raised);
    expect(a.update(1)).toBe(Change.Cleared);
    expect(a.update(5)).toBe(Change.Raised);
  });
});
