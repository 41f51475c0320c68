import { checkSignoff } from '../../app/signoff.js';
import { defaultSignoffLabel } from '../../core/validate/signoff.js';
import { SlsaLedgerError } from '../../errors.js';
import { stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';

export const command: CommandModule = {
  spec: {
    name: 'signoff',
    summary: 'check the ops sign-off (a Jira issue) before a release is published',
    usage: 'signoff --jira KEY [--label LABEL]',
    description:
      'Passes (exit 0) when the Jira issue is done or carries the approval label; otherwise VALIDATE_SIGNOFF_MISSING (exit 1). Credentials from JIRA_BASE_URL, JIRA_EMAIL and JIRA_API_TOKEN.',
    options: {
      jira: {
        type: 'string',
        valueName: 'KEY',
        description: 'the Jira issue holding the sign-off, e.g. REL-123',
      },
      label: {
        type: 'string',
        valueName: 'LABEL',
        default: defaultSignoffLabel,
        description: 'the approval label',
      },
    },
    examples: ['slsa-ledger signoff --jira REL-123'],
  },
  async run(args, ctx) {
    const key = stringFlag(args, 'jira');
    if (key === undefined || key === '') {
      throw new SlsaLedgerError(
        'USAGE_MISSING_FLAG',
        'signoff needs --jira KEY (the slsa-provenance `signoff` input, e.g. REL-123)',
      );
    }
    const result = await checkSignoff({
      key,
      label: stringFlag(args, 'label') ?? defaultSignoffLabel,
      credentials: {
        baseUrl: ctx.env.JIRA_BASE_URL,
        email: ctx.env.JIRA_EMAIL,
        apiToken: ctx.env.JIRA_API_TOKEN,
      },
      logger: ctx.logger,
    });
    return { result, human: `sign-off: ${result.key} approved by ${result.approved_by}` };
  },
};
