/** `*` matches any run of characters; everything else matches itself (policy scopes, URLs, the MCP gateway's tool rules). */
export function matchesPattern(value: string, pattern: string): boolean {
  const parts = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 'su').test(value);
}
