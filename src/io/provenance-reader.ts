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
import { SlsaLedgerError } from '../errors.js';
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
    }
  | {
      readonly kind: 'certificate-signed';
      readonly source: string;
      readonly format: 'bundle' | 'dsse';
      /** the envelope as found (its signature is not verified yet) */
      readonly envelope: DsseEnvelope;
      readonly provenance: CertificateSignedProvenance;
    };

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
  const material = (value.verificationMaterial ?? {}) as Record<string, unknown>;
  if (material.publicKey !== undefined) return { kind: 'key-signed', source, format: 'bundle', envelope };
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
 * Parses a provenance file's text: one JSON document (a bundle or an envelope, possibly
 * pretty-printed) or JSON lines, one document per line (`.intoto.jsonl`).
 */
export function parseProvenanceText(text: string, path: string): ProvenanceDocument[] {
  const trimmed = text.trim();
  if (trimmed === '') throw malformed(path, 'the file is empty');
  try {
    return [classifyProvenance(JSON.parse(trimmed), path)];
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  const docs: ProvenanceDocument[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    const source = `${path}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new SlsaLedgerError(
        'INPUT_JSON_MALFORMED',
        `${source} is not valid json: ${(error as Error).message}`,
        {
          cause: error,
          details: { path, line: i + 1 },
        },
      );
    }
    docs.push(classifyProvenance(value, source));
  }
  return docs;
}

/** Reads one provenance file (see parseProvenanceText). */
export async function readProvenanceFile(path: string): Promise<ProvenanceDocument[]> {
  return parseProvenanceText(await readInputText(path, 'provenance'), path);
}

const PROVENANCE_FILE = /\.(intoto\.jsonl|jsonl|sigstore\.json|sigstore|bundle|json|build\.slsa|slsa|dsse)$/;

/**
 * Expands `--provenance` values: files as given, directories to the provenance files directly in
 * them (`*.intoto.jsonl`, `*.jsonl`, `*.sigstore.json`, `*.json`, `*.build.slsa`, …), sorted.
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
    const found = entries
      .filter((e) => e.isFile() && PROVENANCE_FILE.test(e.name))
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
