/**
 * Every secret value resolved in this process, so the log sink and anything stored can redact
 * it. Masking at the sink means no code path can leak a resolved secret into a log line, even
 * one that logs a whole object.
 */
export class SecretMasker {
  static readonly REDACTED = '[secret]';
  private readonly values = new Set<string>();
  private pattern: RegExp | null = null;

  register(value: string): void {
    // Very short values would redact ordinary text; the provider refuses to resolve them.
    if (value.length === 0 || this.values.has(value)) return;
    this.values.add(value);
    this.pattern = null;
  }

  mask(text: string): string {
    if (this.values.size === 0) return text;
    this.pattern ??= new RegExp(
      [...this.values]
        .sort((a, b) => b.length - a.length)
        .map(escape)
        .join('|'),
      'g',
    );
    return text.replace(this.pattern, SecretMasker.REDACTED);
  }

  /** A JSON value with every secret redacted from every string (keys included). */
  maskJson<T>(value: T): T {
    if (this.values.size === 0 || value === undefined) return value;
    return JSON.parse(this.mask(JSON.stringify(value))) as T;
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The process-wide masker (the log sink is built before dependency injection exists). */
export const SECRET_MASKER = new SecretMasker();
