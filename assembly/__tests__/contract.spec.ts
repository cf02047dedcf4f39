// The mock traps where the real host traps, so contract violations show up in
// specs rather than on a device.
import { gpio_write, sensor_find } from "fwx/raw";
import { Mock } from "fwx/testing";

describe("host contract", () => {
  beforeEach(() => { Mock.reset(); });

  test("a handle the module never got traps", () => {
    expect(() => { gpio_write(12345, true); }).toThrow();
  });

  test("a string running past the end of memory traps", () => {
    expect(() => { sensor_find(<usize>memory.size() * 65536 - 4, 16, 0); }).toThrow();
  });

  test("an out-pointer past the end of memory traps", () => {
    Mock.sensor("t", 1.0);
    expect(() => { sensor_find(0, 0, <usize>memory.size() * 65536); }).toThrow();
  });
});
