import { bank } from './bank/index.js';
import { retail } from './retail/index.js';

/** Every dataset, by registry name. Adding a dataset: one folder here plus one line below. */
export const datasets = [retail, bank] as const;
