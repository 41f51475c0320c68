import { SlsaLedgerError } from '../../errors.js';
import type { CommandModule } from '../command.js';

// Placeholder until this command lands; it fails closed with exit 70 rather than pretending.
export const command: CommandModule = {
  spec: { name: 'check', summary: 'not implemented yet', usage: 'check', options: {} },
  run() {
    return Promise.reject(new SlsaLedgerError('NOT_IMPLEMENTED', "'check' is not implemented yet"));
  },
};
