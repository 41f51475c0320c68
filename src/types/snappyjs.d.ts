// snappyjs 0.7 ships no types: the two functions slsa-ledger uses.
declare module 'snappyjs' {
  export function uncompress(compressed: Buffer, maxLength?: number): Buffer;
  export function compress(uncompressed: Buffer): Buffer;
}
