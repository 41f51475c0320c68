// Keeping a private repository out of the public transparency log (issue 15: "a private repository
// never goes to the public log unless the user opts in explicitly"). Pure: the GitHub event payload
// and the environment come in as arguments.

/**
 * Keyless signing in a private repository publishes the repository name, workflow, commit and
 * digests to the public Rekor log: `attest --sigstore`, and the ledger writers (`record`, `flush`,
 * `validate --record`), which sign keyless by default in Actions. The CLI (and the action) refuses that in GitHub Actions without
 * the explicit opt-in `SLSA_LEDGER_PUBLIC_LOG_OPT_IN=true`; a Sigstore of the user's own (--rekor-url,
 * or SLSA_LEDGER_REKOR_URL for the writers) is not the public log, and `--sign-key`/`--no-sign` do
 * not log at all. Returns the refusal message, or undefined when the run may go on.
 */
export function publicLogRefusal(
  argv: readonly string[],
  event: unknown,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const has = (flag: string): boolean => argv.some((a) => a === flag || a.startsWith(`${flag}=`));
  const attestKeyless = argv[0] === 'attest' && has('--sigstore');
  const writer = argv[0] === 'record' || argv[0] === 'flush' || (argv[0] === 'validate' && has('--record'));
  const writerKeyless =
    writer && !has('--sign-key') && !has('--no-sign') && (env.SLSA_LEDGER_REKOR_URL ?? '') === '';
  if (!attestKeyless && !writerKeyless) return undefined;
  if (has('--rekor-url')) return undefined;
  const repo = (event as { repository?: { private?: unknown; visibility?: unknown } } | null)?.repository;
  const isPrivate =
    repo?.private === true || repo?.visibility === 'private' || repo?.visibility === 'internal';
  if (!isPrivate || env.SLSA_LEDGER_PUBLIC_LOG_OPT_IN === 'true') return undefined;
  if (writerKeyless) {
    return `${argv[0]} signs the ledger keyless, which in a private repository would publish its name, workflow and commit to the public Rekor log; name a Sigstore of your own (SLSA_LEDGER_FULCIO_URL and SLSA_LEDGER_REKOR_URL), sign with a key (--sign-key FILE), or set SLSA_LEDGER_PUBLIC_LOG_OPT_IN=true to opt in`;
  }
  return "attest --sigstore in a private repository would publish its name, workflow, commit and digests to the public Rekor log; use actions/attest-build-provenance (GitHub's own Sigstore instance for private repositories), or set SLSA_LEDGER_PUBLIC_LOG_OPT_IN=true to opt in";
}
