// The CLI's redaction is the one every file write uses too (src/core/redact/redact.ts).
export { collectSecrets, redact, secretEnvNames } from '../core/redact/redact.js';
