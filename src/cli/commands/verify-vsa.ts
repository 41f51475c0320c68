import type { CommandContext, CommandResult, ParsedArgs } from '../command.js';
import { UsageError } from '../../errors.js';

export function runVerifyVsa(_args: ParsedArgs, _ctx: CommandContext): Promise<CommandResult> {
  return Promise.reject(new UsageError('USAGE_INVALID_FLAG', '--vsa is not available yet'));
}
