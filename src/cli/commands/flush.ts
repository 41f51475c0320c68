import { flushQueue, flushRemainderError } from '../../app/flush.js';
import type { CommandModule } from '../command.js';
import { escapeUnprintable } from '../../core/text/unprintable.js';
import { booleanFlag } from '../args.js';
import { ledgerSigningFrom, ledgerWriteFlags, ledgerWriteOptions } from './ledger-flags.js';
import { checkerTrustFrom, trustFlags } from './trust-flags.js';

export const command: CommandModule = {
  spec: {
    name: 'flush',
    summary: 'replay queued entries; remove only those that landed',
    usage: 'flush [--repo DIR] [options]',
    description:
      'Replays the local queue file and the provenance-queue branch through the merge rule, one commit per entry. Entries that land (or are already in the ledger) leave the queue; the rest stay. Item by item: an invalid, conflicting or refused item is reported with its reason and stays; the others land. Only items whose signed statement verifies under the trust policy (trust: in .slsa-ledger.yml, or --trust-key) land; the others are reported (FLUSH_ENTRY_UNTRUSTED) and left where they are. Without any policy no queued item lands, from the queue branch or the local queue file: each is reported (FLUSH_NO_TRUST_POLICY) and left where it is, unless --allow-unauthenticated. Exit 0 when the queue is empty afterwards, 75 when refused entries remain (they wait for a retry), 2 when items remain for want of a policy, 1 when untrusted ones remain, 4 when only conflicting ones, 3 when only invalid ones; exits 2, 1, 4 and 3 are errors (--json: ok false, the code, and the result in error.details.result).',
    options: {
      ...ledgerWriteFlags,
      ...trustFlags,
      'allow-unauthenticated': {
        type: 'boolean',
        description:
          'DANGEROUS: without a trust policy, land every queued item unauthenticated (anyone who can push to the provenance-queue branch, or write the queue file, gets an entry landed by this writer); ignored when there is a policy',
      },
    },
    examples: ['slsa-ledger flush', 'slsa-ledger flush --repo ../ledger --json'],
  },
  async run(args, ctx) {
    const signing = await ledgerSigningFrom(args, ctx, 'record');
    const trust = await checkerTrustFrom(args, ctx);
    const result = await flushQueue({
      ...ledgerWriteOptions(args, ctx),
      signing,
      ...(trust === undefined ? {} : { trust }),
      ...(booleanFlag(args, 'allow-unauthenticated') ? { allowUnauthenticated: true } : {}),
    });
    const lines = result.items.map(
      (i) =>
        `  ${i.outcome.padEnd(9)} ${escapeUnprintable(i.tag)} run ${i.run_id}${i.reason === undefined ? '' : `: ${escapeUnprintable(i.reason)}`}`,
    );
    const fileError =
      result.queue_file_error === undefined
        ? []
        : [`  the queue file cannot be read (left as it is): ${result.queue_file_error.message}`];
    const human =
      result.outcome === 'empty'
        ? 'the queue is empty'
        : [`${result.landed} landed, ${result.remaining} remaining`, ...lines, ...fileError].join('\n');
    // items that stay for another reason than a retry: ok false, as ingest's partial failures
    const failure = flushRemainderError(result);
    if (failure !== undefined) {
      ctx.logger.info(human);
      throw failure;
    }
    return { result, human, ...(result.outcome === 'queued' ? { exitCode: 75 } : {}) };
  },
};
