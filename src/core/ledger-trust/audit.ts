// The trust audit of the ledger (issue 14 item 4, DESIGN.md §7, docs/trust.md "What check
// verifies"): over pre-loaded inputs (the day files and their signed logs at the audited head, the
// history of the commits that changed them, the logs at the last witnessed head), decide that every
// entry's current bytes are its latest signed state, that each entry's signed states form one
// unbroken hash chain from its record, that every signer was allowed for its kind of change, and
// that history only grew. Pure: the engine and `check` read git, this decides.
import { entryProblems, type LedgerEntry } from '../ledger/entry.js';
import type { SignerIdentity } from '../verify/types.js';
import { verifyStoredBundle, type TrustMaterial } from './bundle-verify.js';
import { parseCanonicalJson } from './canonical-json.js';
import { checkTransitionChange } from './change-rules.js';
import { decideSigner, describeSigner, type ResolvedTrustPolicy } from './policy.js';
import {
  checkAppendOnly,
  logSegmentOf,
  logSegments,
  missingSegments,
  parseLedgerLog,
  vsaPathFor,
  type LogInput,
} from './storage.js';
import { entryDigest, sameLedger, type TransitionStatement } from './transition.js';
import { parseTransitionStatement } from './transition-parse.js';
import { decodeBase64 } from '../provenance/dsse.js';
import { createHash } from 'node:crypto';

export type TrustFindingCode =
  | 'CHECK_ENTRY_UNSIGNED'
  | 'CHECK_SIGNATURE_INVALID'
  | 'CHECK_SIGNER_UNTRUSTED'
  | 'CHECK_CHAIN_BROKEN'
  | 'CHECK_HISTORY_REWRITTEN';

/** Every trust finding with one line on what it means (docs and `check --help`). */
export const trustFindingCodes: Readonly<Record<TrustFindingCode, string>> = {
  CHECK_ENTRY_UNSIGNED:
    "an entry's bytes are not the state of any signed transition (a hand edit, or written with --no-sign)",
  CHECK_SIGNATURE_INVALID:
    'a stored transition or vsa is malformed, does not verify, or was signed for another place',
  CHECK_SIGNER_UNTRUSTED:
    'a transition is signed by someone the trust policy does not allow for its kind, or makes a change its kind may not',
  CHECK_CHAIN_BROKEN:
    "an entry's signed states do not form one chain from its record (a state missing, replayed or forked)",
  CHECK_HISTORY_REWRITTEN:
    'history did not only grow: a signed log shrank or changed, a signed entry vanished or went back, or a change broke the merge rule',
};

export interface TrustFinding {
  readonly code: TrustFindingCode;
  readonly message: string;
  readonly path?: string;
  readonly commit?: string;
  readonly tag?: string;
  readonly run_id?: number;
  /** 1-based line of the log the finding is about */
  readonly line?: number;
}

/**
 * One day at the audited head: the day file and its logs (undefined: absent). A log is its segments
 * (`transitions.jsonl`, `transitions.2.jsonl`, …), or a text: segment 1 alone.
 */
export interface TrustDay {
  /** `docs/reports/<day>/manifest.json` */
  readonly path: string;
  readonly manifest: string | undefined;
  readonly transitions: LogInput;
  readonly vsa?: LogInput;
}

/** A change a commit made to a day file or a log (`before`/`after` undefined when absent). */
export interface TrustChange {
  readonly path: string;
  readonly before?: string;
  readonly after?: string;
}

export interface TrustCommit {
  readonly commit: string;
  readonly changes: readonly TrustChange[];
}

/** The logs at the last head this clone (or database) verified: they must be prefixes of today's. */
export interface TrustWitness {
  readonly commit: string;
  readonly logs: readonly { readonly path: string; readonly text: string }[];
}

/** One log of the witness (its text at the witnessed head). */
export interface TrustWitnessLog {
  readonly path: string;
  readonly text: string;
}

/**
 * Days of the audited head read together (`auditLedgerTrustStreamed`), in path order across groups,
 * with the witness's logs of the same day paths (those of days no longer at the head included).
 */
export interface TrustDayGroup {
  readonly days: readonly TrustDay[];
  readonly witnessLogs?: readonly TrustWitnessLog[];
}

export interface TrustAuditInput {
  readonly days: readonly TrustDay[];
  readonly policy: ResolvedTrustPolicy;
  readonly material: TrustMaterial;
  /** this ledger: statements signed for another repository or branch are not accepted here */
  readonly location?: { readonly repository: string; readonly branch: string };
  /**
   * every commit that changed a day file or a log, oldest first (first-parent); with a witness, the
   * commits after the witnessed one (an incremental check), else the whole history
   */
  readonly history?: Iterable<TrustCommit>;
  readonly witness?: TrustWitness;
}

/** What the audit says about one current entry (the database stores `status` as `signature_status`). */
export type EntrySignatureStatus = 'verified' | 'unsigned' | 'invalid' | 'untrusted';

export interface EntryTrust {
  readonly path: string;
  readonly tag: string;
  readonly run_id: number;
  readonly status: EntrySignatureStatus;
  /** signed transitions of the entry */
  readonly transitions: number;
  /** who signed its current state, when it verified */
  readonly signer?: string;
}

export interface TrustAuditResult {
  readonly findings: readonly TrustFinding[];
  readonly entries: readonly EntryTrust[];
  /** lines verified (transitions and vsas) */
  readonly verified: number;
}

const keyOf = (tag: string, runId: number): string => `${tag}\u0000${runId}`;
const label = (tag: string, runId: number): string => `${tag} run ${runId}`;

/** `line N` of a link, naming its segment when it is not in `here` (the segment being talked about). */
function lineOf(link: { readonly path: string; readonly line: number }, here: string): string {
  return link.path === here ? `line ${link.line}` : `${link.path} line ${link.line}`;
}

interface Link {
  /** the log segment the line is in */
  readonly path: string;
  readonly line: number;
  readonly statement: TransitionStatement;
  /** `ok`: verified and allowed; otherwise why this link cannot be trusted */
  readonly status: 'ok' | 'invalid' | 'untrusted';
  readonly signer?: SignerIdentity;
}

/** Reads a statement from a bundle without verifying it (history replay, attribution of bad lines). */
function claimedStatement(bundle: unknown, source: string): TransitionStatement | undefined {
  const env = (bundle as { dsseEnvelope?: { payload?: unknown } } | null)?.dsseEnvelope;
  const payload = typeof env?.payload === 'string' ? decodeBase64(env.payload) : undefined;
  if (payload === undefined) return undefined;
  try {
    return parseTransitionStatement(payload, source);
  } catch {
    return undefined;
  }
}

function parseEntries(text: string | undefined, path: string): Map<string, LedgerEntry> | undefined {
  if (text === undefined) return new Map();
  let value: unknown;
  try {
    value = parseCanonicalJson(text, 'dayFile', `day file ${path}`);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  const out = new Map<string, LedgerEntry>();
  for (const raw of value) {
    // an invalid entry is the schema audit's finding; here it simply has no signed state to match
    if (entryProblems(raw).length === 0) {
      const e = raw as LedgerEntry;
      out.set(keyOf(e.tag, e.run_id), e);
    }
  }
  return out;
}

/**
 * The valid entries of a day file's text (strict, bounded JSON; invalid entries skipped: the schema
 * audit reports them), or undefined when it is not a JSON array. Absent file: no entries.
 */
export function readDayEntries(text: string | undefined, path: string): LedgerEntry[] | undefined {
  const map = parseEntries(text, path);
  return map === undefined ? undefined : [...map.values()];
}

/** The `verificationResult` of a VSA payload (SLSA VSA v1), or undefined. */
export function vsaResult(payload: Uint8Array): string | undefined {
  try {
    const st = parseCanonicalJson(payload, 'signed', 'vsa') as {
      predicate?: { verificationResult?: unknown };
    } | null;
    const r = st?.predicate?.verificationResult;
    return typeof r === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** One key's links: those that extend its chain, those that do not, and whether every change was allowed. */
interface Chain {
  readonly accepted: readonly Link[];
  readonly excluded: readonly Link[];
  readonly ok: boolean;
}

/** One transitions segment's claims in replay: its number, and the state digests per key. */
interface SegmentClaims {
  readonly n: number;
  readonly claims: Map<string, string[]>;
}

/** The states a day's log claims for a key, segment by segment in order. */
function statesOf(segments: ReadonlyMap<string, SegmentClaims> | undefined): (key: string) => string[] {
  if (segments === undefined) return () => [];
  const ordered = [...segments.values()].sort((a, b) => a.n - b.n);
  return (key) => ordered.flatMap((s) => s.claims.get(key) ?? []);
}

/**
 * Characters of log lines the statement cache keeps at most: a pure memo, emptied when full, so a
 * history of many GiB of logs never makes it hold every line.
 */
const STATEMENT_CACHE_CHARS = 32 * 1024 * 1024;

type AuditSetup = Omit<TrustAuditInput, 'days' | 'history'>;

const byPath = (a: TrustDay, b: TrustDay): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

class Audit {
  readonly findings: TrustFinding[] = [];
  readonly entries: EntryTrust[] = [];
  verified = 0;
  private readonly statementCache = new Map<string, TransitionStatement | undefined>();
  private statementCacheChars = 0;

  /** `input` without a policy: the history replay alone (`auditLedgerHistoryStreamed`), no head pass */
  constructor(private readonly input: Partial<AuditSetup>) {}

  /** The policy and material the head pass verifies with. */
  private get setup(): AuditSetup {
    const { policy, material } = this.input;
    // a bug, not bad input: only auditLedgerHistoryStreamed builds an audit without a policy, and it
    // never audits days
    if (policy === undefined || material === undefined)
      throw new Error('the head pass of the trust audit needs a policy and its material');
    return { ...this.input, policy, material };
  }

  add(finding: TrustFinding): void {
    this.findings.push(finding);
  }

  /** The statement a log line claims (cached: history replay and the head pass read the same lines). */
  claimed(text: string, bundle: unknown, source: string): TransitionStatement | undefined {
    if (this.statementCache.has(text)) return this.statementCache.get(text);
    const st = claimedStatement(bundle, source);
    if (this.statementCacheChars + text.length > STATEMENT_CACHE_CHARS) {
      this.statementCache.clear();
      this.statementCacheChars = 0;
    }
    this.statementCache.set(text, st);
    this.statementCacheChars += text.length;
    return st;
  }

  /** After history: the witness, then day by day (all days at once). */
  finish(days: readonly TrustDay[]): TrustAuditResult {
    this.auditGroup({ days, witnessLogs: this.input.witness?.logs ?? [] }, this.input.witness?.commit);
    return this.result();
  }

  /**
   * One group of days (after history): the witness's logs of its day paths against the head's,
   * then its days in path order.
   */
  auditGroup(group: TrustDayGroup, witnessCommit: string | undefined): void {
    if (witnessCommit !== undefined) this.checkWitness(witnessCommit, group.witnessLogs ?? [], group.days);
    for (const day of [...group.days].sort(byPath)) this.auditDay(day);
  }

  result(): TrustAuditResult {
    return { findings: this.findings, entries: this.entries, verified: this.verified };
  }

  // ---- the head: signatures, signers, chains, current bytes -----------------------------------

  /**
   * A log's readable segments in order; a segment missing below the last one, or over its limit
   * (present but not read), is a finding.
   */
  private segmentsOf(day: TrustDay, kind: 'transitions' | 'vsa'): { path: string; text: string }[] {
    const segments = logSegments(day.path, kind, kind === 'transitions' ? day.transitions : day.vsa);
    const first = segments[0]?.path ?? '';
    for (const n of missingSegments(segments)) {
      this.add({
        code: 'CHECK_HISTORY_REWRITTEN',
        path: first,
        message: `segment ${n} of the ${kind} log of ${day.path} is missing: a log's segments are never removed`,
      });
    }
    const out: { path: string; text: string }[] = [];
    for (const seg of segments) {
      if (seg.text === undefined) {
        this.add({
          code: 'CHECK_SIGNATURE_INVALID',
          path: seg.path,
          message: `${seg.path} ${seg.unread ?? "is over the limits for signed ledger logs (a segment's size, or its log's segments together)"} and was not read`,
        });
        continue;
      }
      out.push({ path: seg.path, text: seg.text });
    }
    return out;
  }

  private verifyLinks(day: TrustDay): Link[] {
    const links: Link[] = [];
    for (const segment of this.segmentsOf(day, 'transitions')) this.verifySegment(day, segment, links);
    return links;
  }

  /** A transitions or VSA file's lines; each line that cannot be read is a finding of its own. */
  private parsedLog(segment: { path: string; text: string }): ReturnType<typeof parseLedgerLog> {
    const parsed = parseLedgerLog(segment.text, segment.path);
    for (const p of parsed.problems) {
      this.add({
        code: 'CHECK_SIGNATURE_INVALID',
        path: segment.path,
        ...(p.line > 0 ? { line: p.line } : {}),
        message: p.message,
      });
    }
    return parsed;
  }

  private verifySegment(day: TrustDay, segment: { path: string; text: string }, links: Link[]): void {
    const { path } = segment;
    const parsed = this.parsedLog(segment);
    const { location, policy, material } = this.setup;
    for (const l of parsed.lines) {
      const where = `${path} line ${l.line}`;
      const result = verifyStoredBundle(l.bundle, material);
      this.verified += 1;
      if (!result.ok) {
        const st = this.claimed(l.text, l.bundle, where);
        const id = st === undefined ? {} : { tag: st.predicate.entry.tag, run_id: st.predicate.entry.run_id };
        this.add({
          code: result.failure === 'invalid' ? 'CHECK_SIGNATURE_INVALID' : 'CHECK_SIGNER_UNTRUSTED',
          path,
          line: l.line,
          ...id,
          message: `${where}: ${result.message}`,
        });
        if (st !== undefined)
          links.push({
            path,
            line: l.line,
            statement: st,
            status: result.failure === 'invalid' ? 'invalid' : 'untrusted',
          });
        continue;
      }
      let st: TransitionStatement;
      try {
        st = parseTransitionStatement(result.payload, where);
      } catch (error) {
        this.add({ code: 'CHECK_SIGNATURE_INVALID', path, line: l.line, message: (error as Error).message });
        continue;
      }
      const p = st.predicate;
      const id = { tag: p.entry.tag, run_id: p.entry.run_id };
      const elsewhere =
        p.ledger.path !== day.path
          ? `signed for ${p.ledger.path}, stored beside ${day.path}`
          : location !== undefined && !sameLedger(p.ledger, location)
            ? `signed for ${p.ledger.repository} branch ${p.ledger.branch}, not this ledger (${location.repository} branch ${location.branch})`
            : undefined;
      if (elsewhere !== undefined) {
        this.add({
          code: 'CHECK_SIGNATURE_INVALID',
          path,
          line: l.line,
          ...id,
          message: `${where}: ${elsewhere}`,
        });
        links.push({ path, line: l.line, statement: st, status: 'invalid', signer: result.signer });
        continue;
      }
      const decision = decideSigner(policy, p.kind, result.signer);
      if (!decision.allowed) {
        this.add({
          code: 'CHECK_SIGNER_UNTRUSTED',
          path,
          line: l.line,
          ...id,
          message: `${where}: ${p.kind} of ${label(id.tag, id.run_id)}: ${decision.reason}`,
        });
        links.push({ path, line: l.line, statement: st, status: 'untrusted', signer: result.signer });
        continue;
      }
      links.push({ path, line: l.line, statement: st, status: 'ok', signer: result.signer });
    }
  }

  /** VSAs: each line verifies and is signed by a verdict signer; returns the payload digests that did. */
  private verifyVsas(day: TrustDay): Map<string, string | undefined> {
    // payload digest -> the VSA's verificationResult (undefined when it has none)
    const good = new Map<string, string | undefined>();
    for (const segment of this.segmentsOf(day, 'vsa')) this.verifyVsaSegment(segment, good);
    return good;
  }

  private verifyVsaSegment(
    segment: { path: string; text: string },
    good: Map<string, string | undefined>,
  ): void {
    const { path } = segment;
    const parsed = this.parsedLog(segment);
    for (const l of parsed.lines) {
      const where = `${path} line ${l.line}`;
      const result = verifyStoredBundle(l.bundle, this.setup.material);
      this.verified += 1;
      if (!result.ok) {
        this.add({
          code: result.failure === 'invalid' ? 'CHECK_SIGNATURE_INVALID' : 'CHECK_SIGNER_UNTRUSTED',
          path,
          line: l.line,
          message: `${where}: ${result.message}`,
        });
        continue;
      }
      const decision = decideSigner(this.setup.policy, 'verdict', result.signer);
      if (!decision.allowed) {
        this.add({
          code: 'CHECK_SIGNER_UNTRUSTED',
          path,
          line: l.line,
          message: `${where}: vsa: ${decision.reason}`,
        });
        continue;
      }
      good.set(sha256Hex(result.payload), vsaResult(result.payload));
    }
  }

  private auditDay(day: TrustDay): void {
    const links = this.verifyLinks(day);
    const vsas = this.verifyVsas(day);
    const entries = parseEntries(day.manifest, day.path);
    const byKey = new Map<string, Link[]>();
    for (const link of links) {
      const k = keyOf(link.statement.predicate.entry.tag, link.statement.predicate.entry.run_id);
      const list = byKey.get(k);
      if (list === undefined) byKey.set(k, [link]);
      else list.push(link);
    }
    const chains = new Map<string, Chain>();
    for (const [k, links] of byKey) chains.set(k, this.checkChain(links, vsas, day.vsa !== undefined));

    if (entries === undefined) return; // not a manifest: the schema audit reports it, and nothing here can match
    for (const [k, entry] of entries) {
      const chain = chains.get(k);
      const id = { tag: entry.tag, run_id: entry.run_id };
      const name = label(entry.tag, entry.run_id);
      const base = { path: day.path, ...id, transitions: byKey.get(k)?.length ?? 0 };
      if (chain === undefined) {
        this.add({
          code: 'CHECK_ENTRY_UNSIGNED',
          path: day.path,
          ...id,
          message: `${name} has no signed transition`,
        });
        this.entries.push({ ...base, status: 'unsigned' });
        continue;
      }
      const digest = entryDigest(entry);
      const subject = (l: Link): string => l.statement.subject[0].digest.sha256;
      const head = chain.accepted[chain.accepted.length - 1];
      if (head !== undefined && subject(head) === digest) {
        const all = [...chain.accepted, ...chain.excluded];
        const status: EntrySignatureStatus =
          !chain.ok || all.some((l) => l.status === 'invalid')
            ? 'invalid'
            : all.some((l) => l.status === 'untrusted')
              ? 'untrusted'
              : 'verified';
        this.entries.push({
          ...base,
          status,
          ...(status === 'verified' && head.signer !== undefined
            ? { signer: describeSigner(head.signer) }
            : {}),
        });
        continue;
      }
      const earlier = chain.accepted.find((l) => subject(l) === digest);
      if (earlier !== undefined) {
        this.add({
          code: 'CHECK_HISTORY_REWRITTEN',
          path: day.path,
          ...id,
          line: earlier.line,
          message: `${name} went back to the signed state of ${earlier.path} line ${earlier.line}; its latest signed state is ${lineOf(head!, earlier.path)}`,
        });
        this.entries.push({ ...base, status: 'invalid' });
      } else if (chain.excluded.some((l) => subject(l) === digest)) {
        // its state is signed, but outside the chain: the chain finding says why
        this.entries.push({ ...base, status: 'invalid' });
      } else {
        this.add({
          code: 'CHECK_ENTRY_UNSIGNED',
          path: day.path,
          ...id,
          message:
            head === undefined
              ? `${name} has no signed state that chains to its record`
              : `${name} differs from its latest signed state (${head.path} line ${head.line}): changed without a signature`,
        });
        this.entries.push({ ...base, status: 'unsigned' });
      }
    }
    for (const [k, chain] of byKey) {
      if (entries.has(k)) continue;
      const p = chain[0]!.statement.predicate;
      this.add({
        code: 'CHECK_HISTORY_REWRITTEN',
        path: day.path,
        tag: p.entry.tag,
        run_id: p.entry.run_id,
        message: `${label(p.entry.tag, p.entry.run_id)} has signed transitions in ${chain[0]!.path} but is gone from ${day.path}`,
      });
    }
  }

  /**
   * Walks one key's links in log order. A link extends the chain when it is the record (first) or
   * names the state of the chain's head as its previous one; any other link is excluded (and
   * reported), so a replayed or forked link never becomes the head.
   */
  private checkChain(
    links: readonly Link[],
    vsas: ReadonlyMap<string, string | undefined>,
    haveVsaLog: boolean,
  ): Chain {
    const accepted: Link[] = [];
    const excluded: Link[] = [];
    let ok = true;
    for (const link of links) {
      const p = link.statement.predicate;
      const id = { path: link.path, line: link.line, tag: p.entry.tag, run_id: p.entry.run_id };
      const at = (l: Link): string => lineOf(l, link.path);
      const name = label(p.entry.tag, p.entry.run_id);
      const head = accepted[accepted.length - 1];
      if (
        head === undefined
          ? p.previous !== null
          : p.previous?.sha256 !== head.statement.subject[0].digest.sha256
      ) {
        this.add({
          code: 'CHECK_CHAIN_BROKEN',
          ...id,
          message:
            head === undefined
              ? `the first signed state of ${name} (line ${link.line}) is a${p.kind === 'update' ? 'n' : ''} ${p.kind}: its record is missing`
              : p.previous === null
                ? `${name} is recorded a second time (line ${link.line}) after ${at(head)}`
                : `line ${link.line} of ${name} does not follow its latest signed state (${at(head)}): replayed, forked or a state is missing`,
        });
        excluded.push(link);
        ok = false;
        continue;
      }
      accepted.push(link);
      const violation = checkTransitionChange(p.kind, head?.statement.predicate.state ?? null, p.state);
      if (violation !== undefined) {
        this.add({
          code: violation.rule === 'merge-rule' ? 'CHECK_HISTORY_REWRITTEN' : 'CHECK_SIGNER_UNTRUSTED',
          ...id,
          message: `${p.kind} of ${name} (line ${link.line}): ${violation.message}`,
        });
        ok = false;
      }
      if (p.vsa !== undefined && link.status === 'ok') {
        const expected = p.state.validation?.status === 'passed' ? 'PASSED' : 'FAILED';
        const result = vsas.get(p.vsa.sha256);
        const problem = !vsas.has(p.vsa.sha256)
          ? `names vsa ${p.vsa.sha256.slice(0, 12)}…, which ${haveVsaLog ? 'is not a verified vsa of' : 'is not stored in'} ${vsaPathFor(p.ledger.path)}`
          : result !== expected
            ? `says ${p.state.validation?.status ?? 'nothing'}, but its vsa says verificationResult ${result ?? 'nothing'}`
            : undefined;
        if (problem !== undefined) {
          this.add({
            code: 'CHECK_SIGNATURE_INVALID',
            ...id,
            message: `the verdict of ${name} (line ${link.line}) ${problem}`,
          });
          ok = false;
        }
      }
    }
    return { accepted, excluded, ok };
  }

  // ---- history: logs only grow, and every change of an entry is signed --------------------------

  /**
   * Replay state: per day file its entries (digest by key; undefined while it is not a manifest)
   * and the state digests its transitions log claims for each key. Checks start at the first commit
   * that writes a transitions log: before it the ledger was not signed (the head pass reports those
   * entries as unsigned unless they were signed since). History may start after a witnessed head
   * (an incremental check): a day seen for the first time starts from the `before` texts of its first
   * change, and its claims from the witnessed log. History may come in chunks (`replay`), so a long
   * one is never held whole.
   */
  private replayState:
    | {
        readonly entries: Map<string, Map<string, string> | undefined>;
        /** per day file, per transitions segment: the state digests its lines claim for each key */
        readonly claimed: Map<string, Map<string, SegmentClaims>>;
        /** per day file and kind of log: the last segment seen so far */
        readonly lastSegment: Map<string, number>;
        signing: boolean;
      }
    | undefined;

  private claimsOf(text: string, path: string, into = new Map<string, string[]>()): Map<string, string[]> {
    for (const l of parseLedgerLog(text, path).lines) {
      const st = this.claimed(l.text, l.bundle, `${path} line ${l.line}`);
      if (st === undefined) continue;
      const k = keyOf(st.predicate.entry.tag, st.predicate.entry.run_id);
      const states = into.get(k);
      if (states === undefined) into.set(k, [st.subject[0].digest.sha256]);
      else states.push(st.subject[0].digest.sha256);
    }
    return into;
  }

  /**
   * Where the replay starts from the witness's logs (given whole, or group by group before any
   * commit is replayed): the last segment of each log, and the states its transitions claim.
   */
  seedWitness(logs: readonly TrustWitnessLog[]): void {
    const state = (this.replayState ??= {
      entries: new Map<string, Map<string, string> | undefined>(),
      claimed: new Map<string, Map<string, SegmentClaims>>(),
      lastSegment: new Map<string, number>(),
      signing: false,
    });
    for (const log of logs) {
      const seg = logSegmentOf(log.path);
      if (seg === undefined) continue;
      const lastKey = `${seg.day}\u0000${seg.kind}`;
      state.lastSegment.set(lastKey, Math.max(state.lastSegment.get(lastKey) ?? 0, seg.n));
      if (seg.kind !== 'transitions') continue;
      state.signing = true;
      const day = state.claimed.get(seg.day) ?? new Map<string, SegmentClaims>();
      day.set(log.path, { n: seg.n, claims: this.claimsOf(log.text, log.path) });
      state.claimed.set(seg.day, day);
    }
  }

  /** Replays the next commits of history (oldest first), after those replayed before. */
  replay(history: Iterable<TrustCommit>): void {
    if (this.replayState === undefined) this.seedWitness(this.input.witness?.logs ?? []);
    const state = this.replayState!;
    const { entries, claimed, lastSegment } = state;
    const digests = (text: string | undefined, path: string): Map<string, string> | undefined => {
      const parsed = parseEntries(text, path);
      return parsed === undefined ? undefined : new Map([...parsed].map(([k, e]) => [k, entryDigest(e)]));
    };
    for (const c of history) {
      const touched = new Map<string, { day?: TrustChange }>();
      // the last segment of each log before this commit: only it may grow, and new ones come after it
      const lastBefore = new Map<string, number | undefined>();
      for (const ch of c.changes) {
        const seg = logSegmentOf(ch.path);
        if (seg === undefined) {
          touched.set(ch.path, { ...touched.get(ch.path), day: ch });
          continue;
        }
        const lastKey = `${seg.day}\u0000${seg.kind}`;
        if (!lastBefore.has(lastKey)) lastBefore.set(lastKey, lastSegment.get(lastKey));
        const sealed = lastBefore.get(lastKey);
        const check = checkAppendOnly(ch.before, ch.after);
        if (!check.ok) {
          this.add({
            code: 'CHECK_HISTORY_REWRITTEN',
            path: ch.path,
            commit: c.commit,
            message: `commit ${c.commit.slice(0, 12)} rewrote ${ch.path}: ${check.reason}`,
          });
        } else if (sealed !== undefined && seg.n < sealed && ch.after !== undefined) {
          this.add({
            code: 'CHECK_HISTORY_REWRITTEN',
            path: ch.path,
            commit: c.commit,
            message: `commit ${c.commit.slice(0, 12)} appended to ${ch.path}, but segment ${sealed} of that log was already written: only a log's last segment grows`,
          });
        }
        if (ch.after !== undefined) lastSegment.set(lastKey, Math.max(lastSegment.get(lastKey) ?? 0, seg.n));
        if (seg.kind === 'transitions') {
          state.signing = true;
          // appended lines update the segment's claims; after a rewrite (or first seen), it is read afresh
          const day = claimed.get(seg.day) ?? new Map<string, SegmentClaims>();
          const known = day.get(ch.path);
          day.set(ch.path, {
            n: seg.n,
            claims:
              check.ok && known !== undefined
                ? this.claimsOf(check.appended, ch.path, known.claims)
                : this.claimsOf(ch.after ?? '', ch.path),
          });
          claimed.set(seg.day, day);
          if (!touched.has(seg.day)) touched.set(seg.day, {});
        }
      }
      for (const [dayPath, t] of touched) {
        const before = entries.has(dayPath) ? entries.get(dayPath) : digests(t.day?.before, dayPath);
        let after = before;
        if (t.day !== undefined) {
          after = digests(t.day.after, dayPath);
          entries.set(dayPath, after);
        }
        if (!state.signing || t.day === undefined) continue;
        this.checkCommitDay(c.commit, dayPath, before, after, statesOf(claimed.get(dayPath)));
      }
    }
  }

  private checkCommitDay(
    commit: string,
    path: string,
    before: ReadonlyMap<string, string> | undefined,
    after: ReadonlyMap<string, string> | undefined,
    claims: (key: string) => readonly string[],
  ): void {
    const short = commit.slice(0, 12);
    if (after === undefined) {
      this.add({
        code: 'CHECK_ENTRY_UNSIGNED',
        path,
        commit,
        message: `commit ${short} leaves ${path} unreadable as a manifest: what it holds is not a signed state`,
      });
      return;
    }
    for (const [k, digest] of after) {
      if (before !== undefined && before.get(k) === digest) continue; // unchanged by this commit
      const states = claims(k);
      if (states[states.length - 1] === digest) continue;
      const [tag = '', run] = k.split('\u0000');
      const name = label(tag, Number(run));
      this.add(
        states.includes(digest)
          ? {
              code: 'CHECK_HISTORY_REWRITTEN',
              path,
              commit,
              tag,
              run_id: Number(run),
              message: `commit ${short} puts ${name} in ${path} back to an earlier signed state`,
            }
          : {
              code: 'CHECK_ENTRY_UNSIGNED',
              path,
              commit,
              tag,
              run_id: Number(run),
              message: `commit ${short} changes ${name} in ${path} to a state no signed transition names`,
            },
      );
    }
    if (before === undefined) return;
    for (const k of before.keys()) {
      if (after.has(k)) continue;
      const [tag = '', run] = k.split('\u0000');
      this.add({
        code: 'CHECK_HISTORY_REWRITTEN',
        path,
        commit,
        tag,
        run_id: Number(run),
        message: `commit ${short} removes ${label(tag, Number(run))} from ${path}: entries are never removed`,
      });
    }
  }

  // ---- the witness: what was verified before is still there ------------------------------------

  private checkWitness(commit: string, logs: readonly TrustWitnessLog[], days: readonly TrustDay[]): void {
    const current = new Map<string, string | undefined>();
    for (const d of days) {
      for (const kind of ['transitions', 'vsa'] as const) {
        for (const seg of logSegments(d.path, kind, kind === 'transitions' ? d.transitions : d.vsa))
          current.set(seg.path, seg.text);
      }
    }
    for (const log of logs) {
      const now = current.get(log.path);
      const check = checkAppendOnly(log.text, now);
      if (check.ok) continue;
      const keysOf = (text: string | undefined): Set<string> => {
        const out = new Set<string>();
        for (const l of parseLedgerLog(text ?? '', log.path).lines) {
          const st = this.claimed(l.text, l.bundle, `${log.path} line ${l.line}`);
          if (st !== undefined) out.add(label(st.predicate.entry.tag, st.predicate.entry.run_id));
        }
        return out;
      };
      const nowKeys = keysOf(now);
      const dropped = [...keysOf(log.text)].filter((k) => !nowKeys.has(k));
      this.add({
        code: 'CHECK_HISTORY_REWRITTEN',
        path: log.path,
        commit,
        message: `${log.path} no longer extends what was verified at ${commit.slice(0, 12)}: ${check.reason}${dropped.length > 0 ? `; dropped: ${dropped.join(', ')}` : ''}`,
      });
    }
  }
}

/**
 * Audits the signed ledger. Findings come in a stable order: history, witness, then day by day.
 * Never throws on bad input: every problem is a finding.
 */
export function auditLedgerTrust(input: TrustAuditInput): TrustAuditResult {
  const audit = new Audit(input);
  if (input.history !== undefined) audit.replay(input.history);
  return audit.finish(input.days);
}

/**
 * `auditLedgerTrust` with the history given in chunks, oldest first: each chunk is replayed as it
 * arrives, so a long history is never held whole (the reader bounds a chunk's bytes). The same
 * findings as `auditLedgerTrust` with the chunks concatenated as `history`.
 */
export async function auditLedgerTrustChunked(
  input: Omit<TrustAuditInput, 'history'>,
  history: AsyncIterable<readonly TrustCommit[]>,
): Promise<TrustAuditResult> {
  const audit = new Audit(input);
  audit.replay([]);
  for await (const chunk of history) audit.replay(chunk);
  return audit.finish(input.days);
}

/**
 * The audit with everything streamed, so memory holds one group of days and one chunk of history,
 * however large the ledger (docs/limits.md "Signed logs, day by day"): the witness's logs (group by
 * group, for where the replay starts), then the history in chunks, then the days at the head in
 * groups, in path order, each with the witness's logs of its day paths. The same findings as
 * `auditLedgerTrust` over the days concatenated, with `witness` the witness's logs concatenated;
 * with more than one group, witness findings come group by group before that group's days.
 */
export async function auditLedgerTrustStreamed(
  input: Omit<AuditSetup, 'witness'> & {
    /** the witnessed head: each group's `witnessLogs` must still be prefixes of its logs */
    readonly witnessCommit?: string;
  },
  sources: {
    /** the witness's logs (group by group), where the history replay starts */
    readonly witnessLogs?: AsyncIterable<readonly TrustWitnessLog[]>;
    /** the commits after the witnessed head (or all), in chunks, oldest first; absent: not audited */
    readonly history?: AsyncIterable<readonly TrustCommit[]>;
    readonly days: AsyncIterable<TrustDayGroup>;
  },
): Promise<TrustAuditResult> {
  const audit = new Audit(input);
  if (sources.history !== undefined) {
    audit.seedWitness([]);
    for await (const logs of sources.witnessLogs ?? []) audit.seedWitness(logs);
    for await (const chunk of sources.history) audit.replay(chunk);
  }
  for await (const group of sources.days) audit.auditGroup(group, input.witnessCommit);
  return audit.result();
}

/**
 * The history replay of the audit alone, streamed like `auditLedgerTrustStreamed` (one chunk of
 * history in memory at a time): every change of every commit, oldest first, from the first one
 * (`ingest`'s first or `--full` read, which has no watermark to compare with). Verifies no
 * signature and needs no policy: it reads what the log lines claim. Returns the history's findings,
 * those of `auditLedgerTrustStreamed` with the same history before any day is audited.
 */
export async function auditLedgerHistoryStreamed(
  history: AsyncIterable<readonly TrustCommit[]>,
): Promise<readonly TrustFinding[]> {
  const audit = new Audit({});
  audit.seedWitness([]);
  for await (const chunk of history) audit.replay(chunk);
  return audit.result().findings;
}
