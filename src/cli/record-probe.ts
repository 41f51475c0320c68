// What bin.ts starts for `record` before its runner (record-runner.ts) loads: the clone probe.
// Bundled beside record-runner.ts (scripts/build-cli.mjs), so both share one copy of src/io/git.ts,
// whose prestarted commands the runner takes.
export { prestartCloneProbe, repoDirOfArgs } from '../io/clone-probe.js';
