import { verify as nodeVerify, type KeyObject } from 'node:crypto';
import { crypto as sigstoreCrypto, type X509Certificate } from '@sigstore/core';
import { VerificationError as SigstoreVerificationError, type TrustMaterial } from '@sigstore/verify';
// @sigstore/verify's certificate step, reused for what this module leaves to it: the chain when a
// leaf falls outside the cached shape, and the SCTs.
import { verifyCertificateChain } from '@sigstore/verify/dist/key/certificate.js';
import { filterTLogAuthorities } from '@sigstore/verify/dist/trust/filter.js';

// The certificate step of @sigstore/verify's Verifier (chain to a CA of the trusted root at each
// verified time, then the SCTs), with the CA side computed once per trusted root instead of once
// per bundle. The library rebuilds every path from the leaf on each call: it re-encodes each CA
// certificate to DER several times (to compare certificates), re-creates each CA key and verifies
// the intermediate and root signatures again, which is about half of a verification. Here each CA
// certificate's DER, key, subject and key identifiers, and the paths from it to a self-signed root
// within its chain (the library's buildPaths restricted to the chain) are computed when the trust
// material is loaded; a bundle costs the leaf's own checks.
//
// The result is the library's, decision for decision (its CertificateChainVerifier: issuers by
// authority/subject key identifier or by name, each verifying the certificate's signature; the
// shortest path, the last of equal ones; every certificate after the leaf a CA; names chained;
// path-length constraints; every certificate valid at the time; CAs of the root filtered by their
// validity at the time, the first that verifies wins). A leaf that could take part in the chain
// itself (self-signed, equal to a CA certificate, or a possible issuer of one) is left to the
// library, as is a chain whose paths cannot be computed (no issuer, a cycle).

interface ChainCert {
  readonly cert: X509Certificate;
  readonly der: Buffer;
  readonly key: KeyObject;
}

/** a CA of the trusted root with its chain prepared; `up` undefined: the library decides */
interface PreparedCa {
  readonly ca: TrustMaterial['certificateAuthorities'][number];
  readonly certs: readonly ChainCert[];
  readonly up: ReadonlyMap<ChainCert, readonly (readonly ChainCert[])[]> | undefined;
  /** why the CA's own chain could not be prepared (`up` undefined): said when the chain fails */
  readonly problem?: string;
}

type Signer = { key: KeyObject };

/**
 * The bytes a leaf certificate was read from (the bundle's, canonical DER: der.ts checked them),
 * so its DER and to-be-signed part are slices instead of re-encodings of the parsed tree.
 */
const leafBytes = new WeakMap<X509Certificate, Buffer>();

export function registerCertificateBytes(certificate: X509Certificate, der: Uint8Array): void {
  leafBytes.set(certificate, Buffer.from(der.buffer, der.byteOffset, der.byteLength));
}

const prepared = new WeakMap<TrustMaterial, readonly PreparedCa[]>();

function prepare(material: TrustMaterial): readonly PreparedCa[] {
  const cached = prepared.get(material);
  if (cached !== undefined) return cached;
  const cas = material.certificateAuthorities.map((ca) => prepareCa(ca));
  prepared.set(material, cas);
  return cas;
}

function prepareCa(ca: PreparedCa['ca']): PreparedCa {
  try {
    // the library's dedupe keeps the first of equal certificates, in order
    const certs: ChainCert[] = [];
    for (const cert of ca.certChain) {
      const der = cert.root.toDER();
      if (certs.some((c) => c.der.equals(der))) continue;
      certs.push({ cert, der, key: sigstoreCrypto.createPublicKey(cert.publicKey) });
    }
    const up = new Map<ChainCert, readonly (readonly ChainCert[])[]>();
    const visiting = new Set<ChainCert>();
    const pathsUp = (c: ChainCert): readonly (readonly ChainCert[])[] => {
      const done = up.get(c);
      if (done !== undefined) return done;
      if (visiting.has(c)) throw new Error('certificate chain cycle');
      visiting.add(c);
      const issuers = issuersOf(c.cert, certs);
      if (issuers.length === 0) {
        throw new Error(`no valid certificate path found from the trusted root's ${described(c)}`);
      }
      const paths: ChainCert[][] = [];
      for (const issuer of issuers) {
        if (issuer === c) {
          paths.push([c]);
          continue;
        }
        for (const sub of pathsUp(issuer)) paths.push([issuer, ...sub]);
      }
      visiting.delete(c);
      up.set(c, paths);
      return paths;
    };
    for (const c of certs) pathsUp(c);
    return { ca, certs, up };
  } catch (error) {
    return { ca, certs: [], up: undefined, problem: (error as Error).message };
  }
}

/** the library's findIssuer over a pool of prepared certificates */
function issuersOf(certificate: X509Certificate, pool: readonly ChainCert[]): ChainCert[] {
  if (certificate.subject.equals(certificate.issuer)) {
    const self = pool.find((p) => p.cert === certificate);
    // as the library: a self-signature that cannot be checked is an error, not a "no"
    if (self !== undefined && verifiesOrSays(certificate, self)) return [self];
  }
  return pool.filter((p) => maybeIssuer(certificate, p.cert) && signedBy(certificate, p));
}

/** the library's candidate rule: key identifiers when both sides have them, else names */
function maybeIssuer(certificate: X509Certificate, possible: X509Certificate): boolean {
  const keyIdentifier = certificate.extAuthorityKeyID?.keyIdentifier;
  if (keyIdentifier !== undefined) {
    const ski = possible.extSubjectKeyID?.keyIdentifier;
    if (ski !== undefined) return ski.equals(keyIdentifier);
  }
  return possible.subject.equals(certificate.issuer);
}

const tbsCache = new WeakMap<X509Certificate, Buffer>();

function tbsOf(certificate: X509Certificate): Buffer {
  let tbs = tbsCache.get(certificate);
  if (tbs === undefined) {
    const der = leafBytes.get(certificate);
    tbs =
      der === undefined ? certificate.tbsCertificate.toDER() : tlvAt(der, tlvAt(der, 0).contentStart).bytes;
    tbsCache.set(certificate, tbs);
  }
  return tbs;
}

interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
  readonly bytes: Buffer;
}

/** one DER element at `offset` (single-byte tags, definite lengths: what der.ts let through) */
function tlvAt(der: Buffer, offset: number): Tlv {
  const tag = der[offset] as number;
  let length = der[offset + 1] as number;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4) throw new Error('unsupported der length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (der[offset + 2 + i] as number);
    contentStart += n;
  }
  const end = contentStart + length;
  if (end > der.length) throw new Error('truncated der');
  return { tag, start: offset, contentStart, end, bytes: der.subarray(offset, end) };
}

function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end;) {
    const t = tlvAt(der, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

function derHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let l = length; l > 0; l = Math.floor(l / 256)) bytes.unshift(l % 256);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

const wrap = (tag: number, parts: readonly Buffer[]): Buffer => {
  const content = Buffer.concat(parts);
  return Buffer.concat([derHeader(tag, content.length), content]);
};

// 1.3.6.1.4.1.11129.2.4.2, the embedded SCT list (RFC 6962 §3.3)
const SCT_OID = Buffer.from('060a2b06010401d679020402', 'hex');

/**
 * RFC 6962 §3.2's precertificate TBS: the certificate's TBS without its (first) SCT extension,
 * in DER — what the library computes by re-parsing the certificate and re-encoding its tree, cut
 * here from the certificate's bytes. Undefined when the bytes are not known.
 */
function precertTbs(certificate: X509Certificate): Buffer | undefined {
  const der = leafBytes.get(certificate);
  if (der === undefined) return undefined;
  const tbs = tlvAt(der, tlvAt(der, 0).contentStart);
  const fields = children(der, tbs);
  const explicit = fields.find((f) => f.tag === 0xa3);
  if (explicit === undefined) return undefined;
  const extensions = tlvAt(der, explicit.contentStart);
  const list = children(der, extensions);
  const sct = list.findIndex((e) => {
    const oid = tlvAt(der, e.contentStart);
    return oid.bytes.equals(SCT_OID);
  });
  if (sct < 0) return undefined;
  const kept = list.filter((_, i) => i !== sct).map((e) => e.bytes);
  const newExplicit = wrap(0xa3, [wrap(0x30, kept)]);
  return wrap(
    0x30,
    fields.map((f) => (f === explicit ? newExplicit : f.bytes)),
  );
}

const spkiDigests = new WeakMap<X509Certificate, Buffer>();

/**
 * The library's verifySCTs (RFC 6962 §3.2: each embedded SCT verifies over the precertificate
 * with a CT log of the trusted root valid at the SCT's time), the issuer's key digest cached.
 */
function verifyScts(leaf: X509Certificate, issuer: X509Certificate, material: TrustMaterial): Buffer[] {
  const extension = leaf.extSCT;
  if (extension === undefined) return [];
  const scts = extension.signedCertificateTimestamps;
  if (scts.length === 0) return [];
  const tbs = precertTbs(leaf) ?? libraryPrecertTbs(leaf);
  let issuerId = spkiDigests.get(issuer);
  if (issuerId === undefined) {
    issuerId = sigstoreCrypto.digest('sha256', issuer.publicKey);
    spkiDigests.set(issuer, issuerId);
  }
  const length = Buffer.from([(tbs.length >> 16) & 0xff, (tbs.length >> 8) & 0xff, tbs.length & 0xff]);
  const preCert = Buffer.concat([issuerId, length, tbs]);
  return scts.map((sct) => {
    const logs = filterTLogAuthorities(material.ctlogs, { logID: sct.logID, targetDate: sct.datetime });
    if (!logs.some((log) => sct.verify(preCert, log.publicKey))) {
      throw chainError('SCT verification failed');
    }
    return sct.logID;
  });
}

/** the precertificate TBS as the library builds it (a clone without the SCT extension, re-encoded) */
function libraryPrecertTbs(leaf: X509Certificate): Buffer {
  const clone = leaf.clone();
  const index = clone.extensions.findIndex((e) => e.subs[0]?.toOID() === '1.3.6.1.4.1.11129.2.4.2');
  if (index >= 0) clone.extensions.splice(index, 1);
  return clone.tbsCertificate.toDER();
}

function signedBy(certificate: X509Certificate, issuer: ChainCert): boolean {
  try {
    return sigstoreCrypto.verify(
      tbsOf(certificate),
      issuer.key,
      certificate.signatureValue,
      certificate.signatureAlgorithm,
    );
  } catch {
    return false;
  }
}

/**
 * A self-signed CA certificate's own signature, as the library decides it, except that a check
 * that threw says so: Node's crypto throws for an unsupported algorithm or a key it cannot use,
 * and @sigstore/core turns that into `false`, which reads as a root that does not sign itself.
 * Either way this CA's chain is not prepared and the library decides; the message says why.
 */
function verifiesOrSays(certificate: X509Certificate, self: ChainCert): boolean {
  try {
    return nodeVerify(
      certificate.signatureAlgorithm,
      tbsOf(certificate),
      self.key,
      certificate.signatureValue,
    );
  } catch (error) {
    throw new Error(
      `the self-signature of the trusted root's ${described(self)} could not be checked: ${(error as Error).message}`,
    );
  }
}

/** a CA certificate by the start of its SHA-256 fingerprint */
function described(c: ChainCert): string {
  return `ca certificate sha256:${sigstoreCrypto.digest('sha256', c.der).toString('hex').slice(0, 16)}`;
}

function chainError(message: string, cause?: unknown): SigstoreVerificationError {
  return new SigstoreVerificationError({ code: 'CERTIFICATE_ERROR', message, cause });
}

/** The library's verifyCertificateChain for one time, CA side cached. */
function verifyChainAt(
  timestamp: Date,
  leaf: X509Certificate,
  leafDer: Buffer,
  material: TrustMaterial,
  cas: readonly PreparedCa[],
): X509Certificate[] {
  let error: unknown;
  for (const p of cas) {
    if (!(p.ca.validFor.start <= timestamp && p.ca.validFor.end >= timestamp)) continue;
    try {
      if (p.up === undefined || leafTakesPart(leaf, leafDer, p.certs)) {
        try {
          return verifyCertificateChain(timestamp, leaf, [p.ca]);
        } catch (libraryError) {
          // the library found no chain either: say first why this CA's own chain was not usable
          throw p.problem === undefined ? libraryError : chainError(p.problem, libraryError);
        }
      }
      return verifyPath(timestamp, leaf, p);
    } catch (err) {
      error = err;
    }
  }
  throw chainError('Failed to verify certificate chain', error);
}

/** a leaf that could stand in the chain itself: the library's general path search decides */
function leafTakesPart(leaf: X509Certificate, leafDer: Buffer, certs: readonly ChainCert[]): boolean {
  if (leaf.subject.equals(leaf.issuer)) return true;
  const aki = leaf.extAuthorityKeyID?.keyIdentifier;
  const ski = leaf.extSubjectKeyID?.keyIdentifier;
  if (aki !== undefined && ski !== undefined && aki.equals(ski)) return true;
  return certs.some((c) => c.der.equals(leafDer) || maybeIssuer(c.cert, leaf));
}

function verifyPath(timestamp: Date, leaf: X509Certificate, p: PreparedCa): X509Certificate[] {
  const up = p.up as ReadonlyMap<ChainCert, readonly (readonly ChainCert[])[]>;
  const issuers = p.certs.filter((c) => maybeIssuer(leaf, c.cert) && signedBy(leaf, c));
  if (issuers.length === 0) throw chainError('no valid certificate path found');
  const paths: (readonly ChainCert[])[] = [];
  for (const issuer of issuers) {
    for (const sub of up.get(issuer) ?? []) paths.push([issuer, ...sub]);
  }
  // every path starts with a certificate of the chain: all are trusted paths
  const shortest = paths.reduce((prev, curr) => (prev.length < curr.length ? prev : curr));
  const path = [leaf, ...shortest.map((c) => c.cert)].slice(0, -1);
  if (!path.slice(1).every((cert) => cert.isCA)) throw chainError('intermediate certificate is not a CA');
  for (let i = path.length - 2; i >= 0; i--) {
    if (!(path[i] as X509Certificate).issuer.equals((path[i + 1] as X509Certificate).subject)) {
      throw chainError('incorrect certificate name chaining');
    }
  }
  path.forEach((cert, i) => {
    const constraints = cert.extBasicConstraints;
    if (constraints?.isCA === true) {
      const pathLength = constraints.pathLenConstraint;
      if (pathLength !== undefined && pathLength < i - 1) throw chainError('path length constraint exceeded');
    }
  });
  if (!path.every((cert) => cert.validForDate(timestamp))) {
    throw chainError('certificate is not valid or expired at the specified date');
  }
  return path;
}

/**
 * The Verifier's `verifySigningKey` for a certificate: the chain at every verified time (the
 * path of the last one is kept, as the library does), the SCTs (no duplicates, at least
 * `ctlogThreshold`), and the leaf's key as the signer.
 */
export function verifyCertificateCached(
  leaf: X509Certificate,
  timestamps: readonly Date[],
  material: TrustMaterial,
  ctlogThreshold: number,
): Signer {
  const cas = prepare(material);
  const leafDer = leafBytes.get(leaf) ?? leaf.root.toDER();
  let path: X509Certificate[] = [];
  for (const timestamp of timestamps) path = verifyChainAt(timestamp, leaf, leafDer, material, cas);
  const scts = verifyScts(path[0] as X509Certificate, path[1] as X509Certificate, material);
  if (scts.some((s, i) => scts.findIndex((t) => t.equals(s)) !== i)) {
    throw new SigstoreVerificationError({ code: 'CERTIFICATE_ERROR', message: 'duplicate SCT' });
  }
  if (scts.length < ctlogThreshold) {
    throw new SigstoreVerificationError({
      code: 'CERTIFICATE_ERROR',
      message: `expected ${ctlogThreshold} SCTs, got ${scts.length}`,
    });
  }
  return { key: sigstoreCrypto.createPublicKey(leaf.publicKey) };
}
