import { SlsaLedgerError } from '../../errors.js';
import type { CommandModule } from '../command.js';

// Placeholder until this command lands; it fails closed with exit 70 rather than pretending.
export const command: CommandModule = {
  spec: { name: 'kpi', summary: 'not implemented yet', usage: 'kpi', options: {} },
  run() {
    return Promise.reject(new SlsaLedgerError('NOT_IMPLEMENTED', "'kpi' is not implemented yet"));
  },
};
