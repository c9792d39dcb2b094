import { attendance } from './attendance.js';
import { loans } from './loans.js';

/** Every scenario, by registry name. Adding a scenario: one file in this folder plus one line here. */
export const scenarios = [attendance, loans] as const;
