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

  /**
   * A JSON value with every secret redacted from every string and key, walked value by value (a
   * secret with a quote, a backslash or a control character in it is escaped in JSON text, and
   * one made of digits would match across JSON syntax: neither is masked, or masked safely, in
   * the text). A number or boolean whose text holds a secret becomes the redaction marker.
   */
  maskJson<T>(value: T): T {
    if (this.values.size === 0 || value === undefined) return value;
    return this.maskValue(value) as T;
  }

  private maskValue(value: unknown): unknown {
    if (typeof value === 'string') return this.mask(value);
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
      const text = String(value);
      return this.mask(text) === text ? value : SecretMasker.REDACTED;
    }
    if (Array.isArray(value)) return value.map((item) => this.maskValue(item));
    if (value === null || typeof value !== 'object') return value;
    // toJSON first (dates and the like), as JSON.stringify would.
    const plain = typeof (value as { toJSON?: unknown }).toJSON === 'function' ? (value as { toJSON(): unknown }).toJSON() : value;
    if (plain !== value) return this.maskValue(plain);
    const masked: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (item === undefined || typeof item === 'function') continue;
      masked[this.mask(key)] = this.maskValue(item);
    }
    return masked;
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The process-wide masker (the log sink is built before dependency injection exists). */
export const SECRET_MASKER = new SecretMasker();
