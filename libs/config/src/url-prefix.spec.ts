import { UrlPrefix, urlAllowed } from './url-prefix';

describe('UrlPrefix (the webhook allowlist)', () => {
  const parse = (entry: string): UrlPrefix => {
    const prefix = UrlPrefix.parse(entry);
    if (!prefix) throw new Error(`${entry} did not parse`);
    return prefix;
  };

  it('allows a URL with the same scheme, host and port under the path prefix', () => {
    const prefix = parse('https://hooks.example.com/ops/');
    expect(prefix.allows('https://hooks.example.com/ops/approvals?x=1')).toBe(true);
    expect(prefix.allows('https://hooks.example.com:443/ops/a')).toBe(true);
    expect(prefix.allows('https://hooks.example.com/other')).toBe(false);
    expect(prefix.allows('http://hooks.example.com/ops/a')).toBe(false);
    expect(prefix.allows('https://hooks.example.com:8443/ops/a')).toBe(false);
    expect(prefix.allows('https://hooks.example.com.evil.test/ops/a')).toBe(false);
    expect(prefix.allows('https://user:pw@hooks.example.com/ops/a')).toBe(false);
  });

  it('matches the path segment by segment, and refuses encoded separators, dots and `;`', () => {
    const prefix = parse('https://h.example/hooks');
    expect(prefix.allows('https://h.example/hooks')).toBe(true);
    expect(prefix.allows('https://h.example/hooks/a')).toBe(true);
    expect(prefix.allows('https://h.example/hooks-admin')).toBe(false);
    expect(prefix.allows('https://h.example/hooksevil')).toBe(false);
    expect(prefix.allows('https://h.example/hooks/..%2Fadmin')).toBe(false);
    expect(prefix.allows('https://h.example/hooks/%2e%2e/admin')).toBe(false);
    expect(prefix.allows('https://h.example/hooks/..;/admin')).toBe(false);
    expect(prefix.allows('https://h.example/hooks/../admin')).toBe(false);
  });

  it('compares hosts as the URL parser normalises them, and `:*` allows any port', () => {
    const loopback = parse('http://127.0.0.1:*/');
    expect(loopback.allows('http://127.0.0.1:41234/hook')).toBe(true);
    expect(loopback.allows('http://0x7f.0.0.1:80/hook')).toBe(true);
    expect(loopback.allows('http://127.0.0.2:80/hook')).toBe(false);
    expect(loopback.allows('http://localhost:80/hook')).toBe(false);
    expect(parse('http://EXAMPLE.com').allows('http://example.com/x')).toBe(true);
    expect(parse('http://example.com').allows('http://example.com:8080/x')).toBe(false);
  });

  it('refuses entries that are not plain http(s) prefixes', () => {
    for (const entry of ['ftp://x/', 'http://user@x/', 'http://x/?q=1', 'http://x:99999/', 'https://', 'x', 'http://x#f', 'http:// x/']) {
      expect(UrlPrefix.parse(entry)).toBeNull();
    }
  });

  it('an empty allowlist allows nothing; a URL that does not parse is refused', () => {
    expect(urlAllowed([], 'https://hooks.example.com/')).toBe(false);
    expect(urlAllowed([parse('https://hooks.example.com/')], 'not a url')).toBe(false);
  });
});
