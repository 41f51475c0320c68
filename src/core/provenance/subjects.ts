import { SlsaLedgerError } from '../../errors.js';
import type { Subject } from './statement.js';

/**
 * Parses `sha256sum` output: `<64 hex>  <name>` (text mode) or `<64 hex> *<name>` (binary mode), one
 * per line; blank lines are skipped. Every bad line is reported at once (INPUT_INVALID, naming the file).
 */
export function parseSha256Sums(text: string, source: string): Subject[] {
  const subjects: Subject[] = [];
  const problems: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    if (raw.trim() === '') continue;
    const match = /^\\?([0-9a-fA-F]{64}) [ *](.+)$/.exec(raw);
    if (match === null) {
      problems.push(`line ${i + 1}: expected '<sha256>  <name>'`);
      continue;
    }
    subjects.push({ name: match[2] ?? '', sha256: (match[1] ?? '').toLowerCase() });
  }
  if (problems.length > 0) {
    throw new SlsaLedgerError(
      'INPUT_INVALID',
      `${source} is not in sha256sum format: ${problems.slice(0, 3).join('; ')}`,
      {
        details: { path: source, problems },
      },
    );
  }
  if (subjects.length === 0) {
    throw new SlsaLedgerError('INPUT_INVALID', `${source} lists no subjects`, { details: { path: source } });
  }
  return subjects;
}
