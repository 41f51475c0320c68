import type { VerdictRecorder } from '../../app/validate.js';
import { SlsaLedgerError } from '../../errors.js';
import type { CommandContext, OptionSpec, ParsedArgs } from '../command.js';

// `validate --record`: the flags and the recorder that writes the verdict through the ledger's
// record use case (the same merge rule, commit, push and queue as `record`).
export const recordFlags: Readonly<Record<string, OptionSpec>> = {
  record: { type: 'boolean', description: 'write the verdict back to the ledger (merge rule)' },
};

export function buildVerdictRecorder(_args: ParsedArgs, _ctx: CommandContext): VerdictRecorder {
  return () =>
    Promise.reject(new SlsaLedgerError('NOT_IMPLEMENTED', 'validate --record waits for the ledger record use case'));
}
