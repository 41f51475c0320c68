import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseNotificationLog, type NotificationAttempt } from '../core/notify/metrics.js';
import { SlsaLedgerError } from '../errors.js';
import { redactText } from './redaction.js';

export const defaultNotificationsLog = 'out/provenance/notifications.jsonl';

/** Appends one attempt as a JSON line (one `write` per line, so concurrent writers do not interleave). */
export async function appendNotificationAttempt(path: string, record: NotificationAttempt): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    // a reason may quote a receiver's answer, which may echo a token: redacted like all output
    await appendFile(path, redactText(`${JSON.stringify(record)}\n`), 'utf8');
  } catch (error) {
    throw new SlsaLedgerError(
      'OUTPUT_WRITE_FAILED',
      `cannot append to ${path}: ${(error as Error).message}`,
      {
        cause: error,
        details: { path },
      },
    );
  }
}

/** Reads the attempt log; a missing file is an empty log. */
export async function readNotificationLog(
  path: string,
): Promise<{ records: NotificationAttempt[]; skipped: number }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return { records: [], skipped: 0 };
    throw new SlsaLedgerError('INPUT_FILE_UNREADABLE', `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { path },
    });
  }
  return parseNotificationLog(text);
}
