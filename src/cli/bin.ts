#!/usr/bin/env node
// The executable. Kept tiny: `--version` must cost no more than Node's own start-up.
import { runCli } from './main.js';

process.exitCode = await runCli(process.argv.slice(2));
