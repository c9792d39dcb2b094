import { corruptFk } from './corrupt-fk.js';
import { duplicate } from './duplicate.js';
import { malform } from './malform.js';
import { missing } from './missing.js';
import { noise } from './noise.js';
import { outliers } from './outliers.js';
import { truncateLines } from './truncate-lines.js';

/** Every transform, by registry name. Adding a transform: one file in this folder plus one line here. */
export const transforms = [noise, missing, duplicate, corruptFk, malform, outliers, truncateLines] as const;
