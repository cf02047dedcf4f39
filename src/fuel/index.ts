export { COST_MODEL, COST_MODEL_VERSION, type CostModel } from "./cost-model.js";
export { FuelError, type FuelErrorCode } from "./errors.js";
export {
  DEFAULT_INSTANTIATE_FUEL,
  FUEL_GET_EXPORT,
  FUEL_IMPORT_MODULE,
  FUEL_IMPORT_NAME,
  FUEL_SET_EXPORT,
  GROW_REFUSED_EXPORT,
  instrumentFuel,
  RESERVED_EXPORT_PREFIX,
  type FuelStats,
  type InstrumentOptions,
  type InstrumentResult,
} from "./instrument.js";
export { decodeFuelSection, encodeFuelSection, FUEL_SECTION_FORMAT, FUEL_SECTION_NAME, readFuelSection, type FuelSection } from "./section.js";
export { abiHostCallCosts, type HostCallCosts, type HostCallFuel } from "./host-calls.js";
