// Regenerates docs/scenarios.md and the generated part of docs/retail.md from the declarations (npm run docs).
import { readFileSync, writeFileSync } from 'node:fs';
import { renderDatasetDocs, renderScenarioDocs, spliceGenerated } from '../dist/src/describe.js';

writeFileSync(new URL('../docs/scenarios.md', import.meta.url), renderScenarioDocs());
console.error('datagen: wrote docs/scenarios.md');

// docs/retail.md is written by hand around a generated part (tables, keys, layout, anomalies).
const retail = new URL('../docs/retail.md', import.meta.url);
writeFileSync(retail, spliceGenerated(readFileSync(retail, 'utf8'), renderDatasetDocs('retail')));
console.error('datagen: wrote the generated part of docs/retail.md');
