import type { CommandContext, CommandResult, ParsedArgs } from '../command.js';
import { UsageError } from '../../errors.js';

export function runVerifyGithub(_args: ParsedArgs, _ctx: CommandContext): Promise<CommandResult> {
  return Promise.reject(new UsageError('USAGE_INVALID_FLAG', '--repo/--owner is not available yet'));
}
