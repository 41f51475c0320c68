import { SlsaLedgerError } from '../../errors.js';
import type { CommandModule } from '../command.js';

// Placeholder until this command lands; it fails closed with exit 70 rather than pretending.
export const command: CommandModule = {
  spec: { name: 'notify', summary: 'not implemented yet', usage: 'notify', options: {} },
  run() {
    return Promise.reject(new SlsaLedgerError('NOT_IMPLEMENTED', "'notify' is not implemented yet"));
  },
};
