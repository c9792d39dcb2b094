#!/usr/bin/env node
// The `datagen` command: oclif resolves the command from dist/src/cli/commands.js.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
