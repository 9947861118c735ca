/** The master identity every copy carries in its comment: CB:<tag>:<master position>. */

/** 4 lowercase hex digits: low 16 bits of 32-bit FNV-1a over the UTF-8 bytes of the master name. */
export function masterTag(masterName: string): string {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(masterName, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h & 0xffff).toString(16).padStart(4, '0');
}

export function copyComment(masterName: string, masterPosition: string): string {
  return `CB:${masterTag(masterName)}:${masterPosition}`;
}

export function parseCopyComment(comment: string): { tag: string; masterPosition: string } | undefined {
  const m = /^CB:([0-9a-f]{4}):(\d{1,20})$/.exec(comment);
  return m ? { tag: m[1], masterPosition: m[2] } : undefined;
}
