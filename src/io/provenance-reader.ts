import { stat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  bundleFromJSON,
} from '@sigstore/bundle';
import { parseEnvelope } from '../core/provenance/dsse.js';
import type { CertificateSignedProvenance } from '../core/verify/signature-sigstore.js';
import type { DsseEnvelope } from '../core/verify/types.js';
import { isSlsaLedgerError, SlsaLedgerError } from '../errors.js';
import { parseJson } from '../core/input/strict-json.js';
import { limits } from '../core/input/limits.js';
import { inputFileError, readInputText } from './files.js';

export const BUNDLE_MEDIA_TYPES: readonly string[] = [
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
];

/** One provenance document read from a file, classified by how it is signed. */
export type ProvenanceDocument =
  | {
      readonly kind: 'key-signed';
      /** `path` or `path:line` for JSON lines */
      readonly source: string;
      readonly format: 'bundle' | 'dsse';
      readonly envelope: DsseEnvelope;
      /** the key id the bundle names (`verificationMaterial.publicKey.hint`) */
      readonly keyHint?: string;
      /** the whole bundle, when the document is one (its log entries are verified with it) */
      readonly bundle?: unknown;
      /** the attestations document (npm registry, GitHub API) it came from */
      readonly set?: AttestationSet;
    }
  | {
      readonly kind: 'certificate-signed';
      readonly source: string;
      readonly format: 'bundle' | 'dsse';
      /** the envelope as found (its signature is not verified yet) */
      readonly envelope: DsseEnvelope;
      readonly provenance: CertificateSignedProvenance;
      /** the attestations document (npm registry, GitHub API) it came from */
      readonly set?: AttestationSet;
    };

/**
 * One attestations document `{"attestations":[…]}`, compared by identity: its bundles are one set
 * (npm's publish attestation is checked beside the provenance of its own document only). Not by
 * name: line 1 of `a.jsonl` and a file named `a.jsonl:1` are both `a.jsonl:1`, and a file given
 * twice is two documents.
 */
export interface AttestationSet {
  /** `path`, `path:line` */
  readonly source: string;
}

function malformed(source: string, problem: string, cause?: unknown): SlsaLedgerError {
  return new SlsaLedgerError('INPUT_PROVENANCE_MALFORMED', `${source}: ${problem}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { source },
  });
}

function classifyBundle(value: Record<string, unknown>, source: string): ProvenanceDocument {
  const mediaType = value.mediaType;
  if (typeof mediaType !== 'string' || !BUNDLE_MEDIA_TYPES.includes(mediaType)) {
    throw malformed(source, `unknown sigstore bundle media type ${JSON.stringify(mediaType)}`);
  }
  // proto3 JSON refuses two members of one oneof (sigstore-go's protojson does); @sigstore/bundle
  // keeps one of them, and which one decides how the bundle is verified (a `publicKey` beside the
  // certificate made a keyless bundle ask for --key, exit 2)
  const material = (value.verificationMaterial ?? {}) as Record<string, unknown>;
  for (const [where, object, members] of [
    ['', value, ['dsseEnvelope', 'messageSignature']],
    ['verificationMaterial.', material, ['publicKey', 'x509CertificateChain', 'certificate']],
  ] as const) {
    const set = members.filter((m) => object[m] !== undefined && object[m] !== null);
    if (set.length > 1) {
      throw malformed(
        source,
        `invalid sigstore bundle: ${set.map((m) => where + m).join(' and ')} exclude each other`,
      );
    }
  }
  try {
    bundleFromJSON(value);
  } catch (error) {
    const fields = (error as { fields?: string[] }).fields;
    throw malformed(source, `invalid sigstore bundle${fields ? ` (${fields.join(', ')})` : ''}`, error);
  }
  if (value.dsseEnvelope === undefined) {
    throw malformed(source, 'the sigstore bundle holds a message signature, not a dsse envelope');
  }
  const envelope = parseEnvelope(value.dsseEnvelope, source);
  if (material.publicKey !== undefined) {
    const pk = material.publicKey;
    const hint = typeof pk === 'object' && pk !== null ? (pk as Record<string, unknown>).hint : undefined;
    return {
      kind: 'key-signed',
      source,
      format: 'bundle',
      envelope,
      bundle: value,
      ...(typeof hint === 'string' && hint !== '' ? { keyHint: hint } : {}),
    };
  }
  return {
    kind: 'certificate-signed',
    source,
    format: 'bundle',
    envelope,
    provenance: { kind: 'bundle', bundle: value },
  };
}

function classifyEnvelope(value: Record<string, unknown>, source: string): ProvenanceDocument {
  const envelope = parseEnvelope(value, source);
  const first = (value.signatures as { cert?: unknown }[])[0];
  if (typeof first?.cert === 'string' && first.cert.includes('-----BEGIN CERTIFICATE-----')) {
    return {
      kind: 'certificate-signed',
      source,
      format: 'dsse',
      envelope,
      provenance: { kind: 'dsse-with-certificate', envelope: value, certificatePem: first.cert },
    };
  }
  return { kind: 'key-signed', source, format: 'dsse', envelope };
}

/** Classifies one parsed JSON document: a Sigstore bundle (has `mediaType`) or a DSSE envelope. */
export function classifyProvenance(value: unknown, source: string): ProvenanceDocument {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(source, 'expected a sigstore bundle or a dsse envelope (a json object)');
  }
  const v = value as Record<string, unknown>;
  if ('mediaType' in v) return classifyBundle(v, source);
  if ('payloadType' in v || 'payload' in v || 'signatures' in v) return classifyEnvelope(v, source);
  throw malformed(source, 'neither a sigstore bundle nor a dsse envelope');
}

/**
 * Parses a provenance file's text strictly (the `signed` limits: duplicate and case-variant keys
 * refused, bounded): one JSON document (a bundle, an envelope, or a list of attestations as the
 * npm registry's attestations endpoint and GitHub's attestations API answer them), or JSON lines,
 * one document per line (`.intoto.jsonl`, `gh attestation download`'s `.jsonl`).
 */
export function parseProvenanceText(text: string, path: string): ProvenanceDocument[] {
  if (text.trim() === '') throw malformed(path, 'the file is empty');
  const lines = text.split(/\r?\n/);
  let whole: unknown;
  try {
    whole = parseJson(text, 'signed', `provenance ${path}`);
  } catch (error) {
    const isLines = lines.filter((l) => l.trim() !== '').length > 1;
    if (!isLines || !isSlsaLedgerError(error) || error.code !== 'INPUT_JSON_MALFORMED') throw error;
  }
  if (whole !== undefined) return classifyDocument(whole, path);
  const docs: ProvenanceDocument[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const source = `${path}:${i + 1}`;
    docs.push(...classifyDocument(parseJson(line, 'signed', `provenance ${source}`), source));
  }
  return docs;
}

/**
 * One document: a bundle or envelope, or `{"attestations":[{"bundle":…}, …]}` (npm registry's
 * `/-/npm/v1/attestations/NAME@VERSION`, GitHub's attestations API): each bundle is a document,
 * named `source#N` and marked with the set it came from (npm's publish attestation is checked
 * beside the provenance of its set); entries without an inline bundle are skipped.
 */
function classifyDocument(value: unknown, source: string): ProvenanceDocument[] {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'attestations' in value) {
    const list = value.attestations;
    if (!Array.isArray(list)) throw malformed(source, 'attestations must be a list');
    const set: AttestationSet = { source };
    return list.flatMap((a: unknown, i) => {
      const bundle = (a as { bundle?: unknown } | null)?.bundle;
      return bundle === undefined || bundle === null
        ? []
        : [{ ...classifyProvenance(bundle, `${source}#${i}`), set }];
    });
  }
  return [classifyProvenance(value, source)];
}

/** Reads one provenance file (see parseProvenanceText). */
export async function readProvenanceFile(path: string): Promise<ProvenanceDocument[]> {
  return parseProvenanceText(
    await readInputText(path, 'provenance', { maxBytes: limits.signed.maxBytes }),
    path,
  );
}

const PROVENANCE_FILE = /\.(intoto\.jsonl|jsonl|sigstore\.json|sigstore|bundle|json|build\.slsa|slsa|dsse)$/;

/**
 * Expands `--provenance` values: files as given, directories to the provenance files directly in
 * them (`*.intoto.jsonl`, `*.jsonl`, `*.sigstore.json`, `*.json`, `*.build.slsa`, …), sorted; a
 * symbolic link or other non-regular entry of such a name is listed too, and refused when read.
 */
export async function expandProvenancePaths(
  paths: readonly string[],
): Promise<{ files: string[]; hadDirectory: boolean }> {
  const files: string[] = [];
  let hadDirectory = false;
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (error) {
      throw inputFileError(path, 'provenance', error);
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    hadDirectory = true;
    const entries = await readdir(path, { withFileTypes: true });
    // every entry with a provenance file's name but a directory: a symbolic link, FIFO or device
    // is read as any file given (INPUT_FILE_NOT_REGULAR, its own UNREADABLE verdict), not dropped
    // without a word (a directory of links was "holds no provenance files")
    const found = entries
      .filter((e) => !e.isDirectory() && PROVENANCE_FILE.test(e.name))
      .map((e) => join(path, e.name))
      .sort();
    if (found.length === 0) {
      throw new SlsaLedgerError(
        'INPUT_FILE_MISSING',
        `provenance directory ${path} holds no provenance files`,
        {
          details: { path },
        },
      );
    }
    files.push(...found);
  }
  return { files, hadDirectory };
}
