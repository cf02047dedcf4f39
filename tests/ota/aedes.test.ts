import { aedesBroker } from "./brokers.js";
import { defineOtaSuite } from "./scenarios.js";

defineOtaSuite("aedes", aedesBroker);
