import { keygen } from '../../app/keygen.js';
import { UsageError } from '../../errors.js';
import { booleanFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';

export const command: CommandModule = {
  spec: {
    name: 'keygen',
    summary: 'make an ed25519 or p-256 key pair for key-signed mode, with its key id',
    usage: 'keygen [--type ed25519|p256] [--out FILE] [--public-out FILE] [--force]',
    description:
      'Writes the private key (PKCS#8 PEM, mode 0600; encrypted when SLSA_LEDGER_KEY_PASSPHRASE is set) and the public key (SPKI PEM), and prints the public key and its key id (hex SHA-256 of the public key DER, the `publicKey.hint` of the bundles it signs). Existing files are never replaced without --force.',
    options: {
      type: { type: 'string', valueName: 'TYPE', description: 'ed25519 (default) or p256' },
      out: {
        type: 'string',
        valueName: 'FILE',
        isOutputPath: true,
        description: 'private key file (default slsa-ledger.key)',
      },
      'public-out': {
        type: 'string',
        valueName: 'FILE',
        isOutputPath: true,
        description: 'public key file (default: OUT with .pub)',
      },
      force: { type: 'boolean', description: 'replace existing key files' },
    },
    examples: [
      'SLSA_LEDGER_KEY_PASSPHRASE=… slsa-ledger keygen --out release.key',
      'slsa-ledger keygen --type p256 --json',
    ],
  },
  async run(args, ctx) {
    const type = stringFlag(args, 'type') ?? 'ed25519';
    if (type !== 'ed25519' && type !== 'p256') {
      throw new UsageError('USAGE_INVALID_FLAG', `--type takes ed25519 or p256, got '${type}'`, {
        details: { flag: 'type', value: type },
      });
    }
    const passphrase = ctx.env.SLSA_LEDGER_KEY_PASSPHRASE;
    const out = stringFlag(args, 'out');
    const publicOut = stringFlag(args, 'public-out');
    const result = await keygen({
      keyType: type === 'p256' ? 'ecdsa-p256' : 'ed25519',
      cwd: ctx.cwd,
      force: booleanFlag(args, 'force'),
      ...(out === undefined ? {} : { out }),
      ...(publicOut === undefined ? {} : { publicOut }),
      ...(passphrase === undefined || passphrase === '' ? {} : { passphrase }),
    });
    return {
      result,
      human: [
        `wrote ${result.privateKeyPath} (${result.keyType}, mode 0600${result.encrypted ? ', encrypted' : ', NOT encrypted: set SLSA_LEDGER_KEY_PASSPHRASE to encrypt it'})`,
        `wrote ${result.publicKeyPath}`,
        `key id ${result.keyId}`,
      ].join('\n'),
      ...(ctx.json ? {} : { stdout: `${result.publicKeyPem.trimEnd()}\nkey id: ${result.keyId}` }),
    };
  },
};
