import { SlsaLedgerError } from '../../errors.js';
import type { CommandModule } from '../command.js';

// Placeholder until this command lands; it fails closed with exit 70 rather than pretending.
export const command: CommandModule = {
  spec: { name: 'attest', summary: 'not implemented yet', usage: 'attest', options: {} },
  run() {
    return Promise.reject(new SlsaLedgerError('NOT_IMPLEMENTED', "'attest' is not implemented yet"));
  },
};
