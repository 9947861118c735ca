/**
 * MongoDB connection strings, read without the driver: the config check and every message that
 * names the server use these, so a password never reaches a log line or an error.
 */

interface Parts {
  scheme: string;
  /** `user:password` (or `user`), '' when none. */
  credentials: string;
  /** Hosts, path and options: everything after the credentials. */
  rest: string;
}

/**
 * Splits at the last `@` of the URI: host names cannot contain one, while a password typed with
 * an unencoded `@` (p@ss) would make the first `@` cut the password in two and show its tail.
 */
function split(uri: string): Parts | undefined {
  const m = /^(mongodb(?:\+srv)?:\/\/)/.exec(uri);
  if (!m) return undefined;
  const body = uri.slice(m[1].length);
  const at = body.lastIndexOf('@');
  return at < 0 ? { scheme: m[1], credentials: '', rest: body } : { scheme: m[1], credentials: body.slice(0, at), rest: body.slice(at + 1) };
}

/** The URI with any password replaced, for messages and logs. */
export function redactUri(uri: string): string {
  const p = split(uri);
  if (!p || !p.credentials) return uri;
  const colon = p.credentials.indexOf(':');
  return colon < 0 ? `${p.scheme}${p.credentials}@${p.rest}` : `${p.scheme}${p.credentials.slice(0, colon)}:***@${p.rest}`;
}

/** The host list, for "cannot reach ... at". */
export function hostsOf(uri: string): string {
  const p = split(uri);
  return (p ? /^[^/?]*/.exec(p.rest)?.[0] : undefined) || redactUri(uri);
}

/** What is wrong with the credentials part that the driver would misread, or undefined. */
export function credentialProblem(uri: string): string | undefined {
  const p = split(uri);
  if (!p || !p.credentials) return undefined;
  const colon = p.credentials.indexOf(':');
  const user = colon < 0 ? p.credentials : p.credentials.slice(0, colon);
  const password = colon < 0 ? '' : p.credentials.slice(colon + 1);
  for (const [what, text] of [['user name', user], ['password', password]] as const) {
    const bad = [...new Set(text.match(/[@:/?#[\]]/g) ?? [])];
    if (bad.length) return `the ${what} in the MongoDB URI contains ${bad.map((c) => `"${c}"`).join(', ')}, which must be percent-encoded (${bad.map((c) => `${c} as ${encodeURIComponent(c) === c ? '%' + c.charCodeAt(0).toString(16).toUpperCase() : encodeURIComponent(c)}`).join(', ')})`;
  }
  return undefined;
}
