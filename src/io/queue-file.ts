// The local queue file (`out/provenance/queued-manifest.json`): read tolerant of absence, written
// atomically (temporary file, fsync, rename) so a crash never leaves a truncated queue.
import { readFile } from 'node:fs/promises';
import { parseQueue, serializeQueue, type QueueItem } from '../core/ledger/queue.js';
import { inputFileError, writeFileAtomic } from './files.js';

/** The queued items; a missing file is an empty queue. @throws `LEDGER_QUEUE_INVALID` */
export async function readQueueFile(path: string): Promise<QueueItem[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw inputFileError(path, 'queue', error);
  }
  return parseQueue(text, path);
}

/** Writes the queue atomically in canonical form. @throws `OUTPUT_WRITE_FAILED` */
export async function writeQueueFile(path: string, items: readonly QueueItem[]): Promise<void> {
  await writeFileAtomic(path, serializeQueue(items));
}
