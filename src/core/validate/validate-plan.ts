import { SlsaLedgerError, VerificationError } from '../../errors.js';
import { compareTimestamps } from '../ledger/merge.js';
import type { EntryValidation, LedgerEntry } from '../ledger/entry.js';
import type { VerificationPolicy } from '../verify/types.js';
import { escapeUnprintable } from '../text/unprintable.js';

export const defaultProvenanceWorkflow = '.github/workflows/slsa-provenance.yml';

/**
 * Finds the entry to validate: the given run of the tag, else its latest run (newest `timestamp`,
 * then highest `run_id`). Throws LEDGER_ENTRY_NOT_FOUND naming the runs that exist, and
 * VALIDATE_ENTRY_AMBIGUOUS when the ledger holds that run twice (the merge rule keeps one entry per
 * key across every day file; a second one is a hand push, and which copy was judged, and which one
 * the verdict lands on, would be the pusher's choice).
 */
export function selectEntry(entries: readonly LedgerEntry[], tag: string, runId?: number): LedgerEntry {
  const runs = entries.filter((e) => e.tag === tag);
  const chosen =
    runId === undefined
      ? [...runs].sort((a, b) => compareTimestamps(b.timestamp, a.timestamp) || b.run_id - a.run_id)[0]
      : runs.find((e) => e.run_id === runId);
  if (chosen === undefined) {
    throw new SlsaLedgerError(
      'LEDGER_ENTRY_NOT_FOUND',
      runId === undefined
        ? `no ledger entry for tag ${tag}`
        : `no ledger entry for tag ${tag} run ${runId}${runs.length > 0 ? ` (runs: ${runs.map((r) => r.run_id).join(', ')})` : ''}`,
      { details: { tag, run_id: runId ?? null, runs: runs.map((r) => r.run_id) } },
    );
  }
  const copies = runs.filter((e) => e.run_id === chosen.run_id).length;
  if (copies > 1) {
    throw new SlsaLedgerError(
      'VALIDATE_ENTRY_AMBIGUOUS',
      `the ledger holds ${copies} entries for ${tag} run ${chosen.run_id}: run slsa-ledger check and remove the one that was pushed by hand`,
      { details: { tag, run_id: chosen.run_id, count: copies } },
    );
  }
  return chosen;
}

/** Refuses an entry whose status is not success (exit 1), quoting its failure_reason. */
export function checkEntryStatus(entry: LedgerEntry): void {
  if (entry.status === 'success') return;
  throw new VerificationError(
    'VALIDATE_STATUS_NOT_SUCCESS',
    `${entry.tag} run ${entry.run_id} has status ${entry.status}: ${entry.failure_reason ?? 'no failure_reason recorded'}`,
    {
      details: {
        tag: entry.tag,
        run_id: entry.run_id,
        status: entry.status,
        failure_reason: entry.failure_reason ?? null,
      },
    },
  );
}

/** `https://HOST/OWNER/REPO/releases/…` → `{ host, owner, repo }`. */
export function sourceOfReleaseUrl(releaseUrl: string): { origin: string; sourceUri: string } | undefined {
  let url: URL;
  try {
    url = new URL(releaseUrl);
  } catch {
    return undefined;
  }
  const m = /^\/([^/]+)\/([^/]+)\/releases(?:\/|$)/.exec(url.pathname);
  if (url.protocol !== 'https:' || m === null) return undefined;
  return { origin: url.origin, sourceUri: `${url.host}/${m[1]}/${m[2]}` };
}

export interface PolicyFlags {
  /** `--source-uri github.com/OWNER/REPO` (overrides the release URL) */
  readonly sourceUri?: string;
  /** `--builder-id` (e.g. a reusable workflow); else the repository's provenance workflow */
  readonly builderId?: string;
  /** the provenance workflow's path in the source repository */
  readonly provenanceWorkflow?: string;
}

/**
 * The verification policy an entry implies: the source repository from `release_url` (unless
 * `--source-uri`), the entry's tag, its commit, and the builder: `--builder-id`, else the
 * provenance workflow of that repository (any ref).
 */
export function derivePolicy(entry: LedgerEntry, flags: PolicyFlags = {}): VerificationPolicy {
  const fromRelease = entry.release_url === undefined ? undefined : sourceOfReleaseUrl(entry.release_url);
  const sourceUri = flags.sourceUri ?? fromRelease?.sourceUri;
  if (sourceUri === undefined) {
    throw new SlsaLedgerError(
      'USAGE_MISSING_FLAG',
      `${entry.tag} run ${entry.run_id} has no release_url of the form https://HOST/OWNER/REPO/releases/…: pass --source-uri`,
      { details: { flag: 'source-uri', release_url: entry.release_url ?? null } },
    );
  }
  if (!/^[a-z0-9.-]+(:\d+)?\/[^/\s]+\/[^/\s]+$/i.test(sourceUri)) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `--source-uri takes HOST/OWNER/REPO, got '${sourceUri}'`,
      {
        details: { flag: 'source-uri', value: sourceUri },
      },
    );
  }
  const workflow = (flags.provenanceWorkflow ?? defaultProvenanceWorkflow).replace(/^\/+/, '');
  const builderId = flags.builderId ?? `https://${sourceUri}/${workflow}`;
  return { sourceUri, sourceTag: entry.tag, commit: entry.sha, builderId };
}

/** The longest `validation.reason` a verdict writes (code units). */
export const MAX_VERDICT_REASON = 1000;

/**
 * A failure's message as the entry schema's plain text: it quotes what a signed provenance says (a
 * ref, a source, a predicate type, a subject), so a control, format or lone-surrogate character there
 * is written as `\uXXXX`, and the text is cut on a code point boundary. Otherwise the schema refused
 * the failed verdict and the run kept its earlier `validated` flag.
 */
export function verdictReason(reason: string): string {
  const text = escapeUnprintable(reason);
  if (text.length <= MAX_VERDICT_REASON) return text;
  let end = MAX_VERDICT_REASON;
  // never end on the high half of a surrogate pair
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/** The entry with the verdict, to write back through the merge rule. */
export function buildVerdictEntry(
  entry: LedgerEntry,
  verdict: {
    readonly passed: boolean;
    readonly validatedAt: string;
    readonly validatorRunId?: number;
    readonly reason?: string;
  },
): LedgerEntry {
  const validation: EntryValidation = {
    status: verdict.passed ? 'passed' : 'failed',
    validated_at: verdict.validatedAt,
    ...(verdict.validatorRunId === undefined ? {} : { validator_run_id: verdict.validatorRunId }),
    ...(verdict.reason === undefined ? {} : { reason: verdictReason(verdict.reason) }),
  };
  return { ...entry, governance_flag: verdict.passed ? 'validated' : 'validation-failed', validation };
}

/** Where an entry's `artifact_url` leads. */
export type ArtifactLocation =
  | { readonly kind: 'artifact'; readonly owner: string; readonly repo: string; readonly artifactId: number }
  | { readonly kind: 'run'; readonly owner: string; readonly repo: string; readonly runId: number }
  | { readonly kind: 'direct'; readonly url: string };

/**
 * Reads an artifact URL: the web link `actions/upload-artifact` prints
 * (`https://HOST/OWNER/REPO/actions/runs/RUN/artifacts/ID`) or the REST URL (`…/repos/OWNER/REPO/
 * actions/artifacts/ID[/zip]`) name one artifact of the artifacts API; a run link
 * (`…/actions/runs/RUN`) means "the provenance artifact of that run"; anything else is fetched as is.
 */
export function resolveArtifactLocation(artifactUrl: string): ArtifactLocation {
  const url = new URL(artifactUrl);
  let m = /\/repos\/([^/]+)\/([^/]+)\/actions\/artifacts\/(\d+)(?:\/zip)?\/?$/.exec(url.pathname);
  if (m !== null) return { kind: 'artifact', owner: m[1]!, repo: m[2]!, artifactId: Number(m[3]) };
  m = /^\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/artifacts\/(\d+)\/?$/.exec(url.pathname);
  if (m !== null) return { kind: 'artifact', owner: m[1]!, repo: m[2]!, artifactId: Number(m[4]) };
  m = /^\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)(?:\/attempts\/\d+)?\/?$/.exec(url.pathname);
  if (m !== null) return { kind: 'run', owner: m[1]!, repo: m[2]!, runId: Number(m[3]) };
  return { kind: 'direct', url: url.href };
}

/** Ranks a file in an artifact archive as provenance (lower is better; undefined: not provenance). */
export function provenanceFileRank(name: string): number | undefined {
  const base = name.split('/').pop() ?? name;
  const order = [
    /\.intoto\.jsonl$/i,
    /\.sigstore\.json$/i,
    /\.sigstore$/i,
    /\.bundle\.json$/i,
    /\.jsonl$/i,
    /\.json$/i,
  ];
  const i = order.findIndex((r) => r.test(base));
  return i === -1 ? undefined : i;
}

/** The files of an archive that hold the provenance: all of the best rank. */
export function pickProvenanceFiles(names: readonly string[]): string[] {
  const files = names.filter((n) => !n.endsWith('/'));
  if (files.length === 1) return files;
  const ranked = files
    .map((n) => ({ n, r: provenanceFileRank(n) }))
    .filter((x): x is { n: string; r: number } => x.r !== undefined);
  const best = Math.min(...ranked.map((x) => x.r));
  return ranked.filter((x) => x.r === best).map((x) => x.n);
}

/** The artifact of a run most likely to hold provenance (by name), or undefined. */
export function pickProvenanceArtifact<T extends { readonly name: string; readonly expired?: boolean }>(
  artifacts: readonly T[],
  name?: string,
): T | undefined {
  const live = artifacts.filter((a) => a.expired !== true);
  if (name !== undefined) return live.find((a) => a.name === name);
  return (
    live.find((a) => /provenance|intoto|attestation|sigstore|slsa/i.test(a.name)) ??
    (live.length === 1 ? live[0] : undefined)
  );
}
