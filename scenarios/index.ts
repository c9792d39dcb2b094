import { attendance } from './attendance.js';
import { ecommerceEvents } from './ecommerce_events.js';
import { experiments } from './experiments.js';
import { iotSensors } from './iot_sensors.js';
import { loans } from './loans.js';
import { sales } from './sales.js';

/** Every scenario, by registry name. Adding a scenario: one file in this folder plus one line here. */
export const scenarios = [attendance, loans, iotSensors, experiments, sales, ecommerceEvents] as const;
