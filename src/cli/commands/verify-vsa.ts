import { verifyVsa } from '../../app/verify.js';
import { UsageError } from '../../errors.js';
import { listFlag, stringFlag } from '../args.js';
import type { CommandContext, CommandResult, ParsedArgs } from '../command.js';
import { defined } from './verify.js';

/** `verify --vsa FILE`: slsa-verifier verify-vsa's check (app/verify.ts verifyVsa). */
export async function runVerifyVsa(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const opt = (name: string): string | undefined => stringFlag(args, name);
  const need = (name: string): string => {
    const v = opt(name);
    if (v === undefined || v === '') {
      throw new UsageError('USAGE_MISSING_FLAG', `verify --vsa needs --${name}`, { details: { flag: name } });
    }
    return v;
  };
  const levels = listFlag(args, 'verified-level');
  const { statement, predicate } = await verifyVsa({
    vsa: need('vsa'),
    keys: listFlag(args, 'key'),
    artifacts: args.positionals,
    subjectDigests: listFlag(args, 'digest'),
    verifierId: need('verifier-id'),
    resourceUri: need('resource-uri'),
    cwd: ctx.cwd,
    ...defined({
      publicKeyId: opt('public-key-id'),
      verifiedLevels: levels.length === 0 ? undefined : levels,
    }),
  });
  return {
    result: { ok: true, predicate },
    human: `PASSED vsa by ${predicate.verifier.id} for ${predicate.resourceUri} (${predicate.verifiedLevels.join(', ')})`,
    ...(args.values['print-provenance'] === true ? { stdout: JSON.stringify(statement) } : {}),
  };
}
