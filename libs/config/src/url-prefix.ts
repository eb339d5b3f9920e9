const ENTRY = /^(https?):\/\/(\[[0-9A-Fa-f:.]+\]|[^\s/:@?#[\]]+)(?::(\d{1,5}|\*))?(\/[^\s?#]*)?$/;

const DEFAULT_PORT: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/**
 * One entry of an allowlist of URLs (WEBHOOK_ALLOWED_URLS): a scheme, a host, a port (or any
 * port) and a path prefix. A URL is allowed when its scheme, host and port are those of the entry
 * (compared after the URL parser's normalisation, so `http://0x7f.1/` is 127.0.0.1) and its path
 * is the entry's or below it, segment by segment (`/hooks` allows `/hooks/a`, not `/hooks-admin`).
 * A URL carrying credentials, or a path with an encoded separator or dot, or a `;` (which some
 * servers resolve to another path), is never allowed. The allowlist names hosts: a name's DNS
 * answer is the operator's to keep (name IP addresses to pin them).
 */
export class UrlPrefix {
  private constructor(
    readonly text: string,
    private readonly protocol: string,
    private readonly hostname: string,
    /** null: any port. */
    private readonly port: string | null,
    private readonly path: string,
  ) {}

  static parse(entry: string): UrlPrefix | null {
    const match = ENTRY.exec(entry);
    if (!match) return null;
    const [, scheme, host, port, path] = match;
    let normalised: URL;
    try {
      normalised = new URL(`${scheme}://${host}${path ?? '/'}`);
    } catch {
      return null;
    }
    if (port !== undefined && port !== '*' && (Number(port) < 1 || Number(port) > 65535)) return null;
    const protocol = `${scheme}:`;
    return new UrlPrefix(entry, protocol, normalised.hostname, port === '*' ? null : (port ?? DEFAULT_PORT[protocol]), normalised.pathname);
  }

  allows(url: string): boolean {
    let candidate: URL;
    try {
      candidate = new URL(url);
    } catch {
      return false;
    }
    if (candidate.username || candidate.password) return false;
    if (candidate.protocol !== this.protocol || candidate.hostname !== this.hostname) return false;
    const port = candidate.port || DEFAULT_PORT[candidate.protocol];
    if (this.port !== null && port !== this.port) return false;
    const path = candidate.pathname;
    if (/%2f|%5c|%2e|;/i.test(path)) return false;
    if (this.path.endsWith('/')) return path.startsWith(this.path);
    return path === this.path || path.startsWith(`${this.path}/`);
  }
}

/** Whether any entry allows the URL (none: nothing is allowed). */
export function urlAllowed(allowlist: readonly UrlPrefix[], url: string): boolean {
  return allowlist.some((prefix) => prefix.allows(url));
}
