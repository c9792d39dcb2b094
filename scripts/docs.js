// Regenerates docs/scenarios.md from the scenario declarations (npm run docs).
import { writeFileSync } from 'node:fs';
import { renderScenarioDocs } from '../dist/src/describe.js';

writeFileSync(new URL('../docs/scenarios.md', import.meta.url), renderScenarioDocs());
console.error('datagen: wrote docs/scenarios.md');
