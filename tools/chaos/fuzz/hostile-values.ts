import fc from 'fast-check';

/**
 * The ingredients of hostile requests, as fast-check arbitraries so a seed replays them.
 * JSON values are raw JSON text: a number like 9999999999999999999, -0 or 1e309 and an escaped
 * lone surrogate ("\ud800") cannot survive JSON.stringify, so they are written as text.
 */

const nested = (depth: number, open: string, close: string, inner = '') => open.repeat(depth) + inner + close.repeat(depth);

/** Nesting far past the parser's limit (64), where a recursive walker would overflow its stack. */
export const deepJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(65, 1_000, 5_000).map((depth) => nested(depth, '[', ']')),
  fc.constantFrom(65, 5_000).map((depth) => nested(depth, '{"a":', '}', '1')),
);

export const hostileJsonValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '9999999999999999999',
    '-9999999999999999999',
    '1e309',
    '-1e309',
    '1e-400',
    '-0',
    '1.5',
    '-1',
    '0',
    '4294967296',
    '9007199254740993',
    'null',
    'true',
    '[]',
    '{}',
    '[null]',
    '""',
    '" "',
    '"\\u0000"',
    '"a\\u0000b"',
    '"\\ud800"',
    '"\\udfff"',
    '"x\\ud800y"',
    '"\\udc00\\ud800"',
    '"\\u202e\\u200b\\ufeff"',
    '"\\u0000\\u0001\\u001f\\u007f"',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    `"${'x'.repeat(10_000)}"`,
    `[${'1,'.repeat(5_000)}1]`,
    '"2026-02-30T25:61:61Z"',
    '"9999999999999999999"',
    `"' OR 1=1 --"`,
    '"../../etc/passwd"',
    '{"$secret":"nope"}',
    `{"$secret":"${'s'.repeat(300)}"}`,
  ),
  fc.string({ unit: 'binary', maxLength: 40 }).map((text) => JSON.stringify(text)),
  fc.double().map((value) => JSON.stringify(value)),
  fc.bigInt().map((value) => value.toString()),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  deepJson,
);

/** Whole bodies that are not a JSON object, or not JSON at all. */
export const malformedBody: fc.Arbitrary<string> = fc.constantFrom(
  '{',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  '[',
  'nul',
  '\ufeff{}',
  '{"a":1}{"b":2}',
  '{"a":1,"a":2}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  ' ',
  'null',
  '[]',
  '"string"',
  '123',
  '9999999999999999999',
  'true',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"a":"\\x00"}',
  '{"a":01}',
  '{"a":NaN}',
  '{"a":Infinity}',
  '\u0000',
);

/** A path segment where an id goes. */
export const hostilePathSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '9999999999999999999',
    '-1',
    '0',
    '1e309',
    'NaN',
    'null',
    'undefined',
    '%00',
    '%ZZ',
    '%ED%A0%80',
    '%C0%AF',
    '%F0%9F%92%A9',
    '..%2F..%2Fetc%2Fpasswd',
    'a'.repeat(4_000),
    '00000000-0000-0000-0000-000000000000',
    'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
    '%7B00000000-0000-0000-0000-000000000000%7D',
    '00000000-0000-0000-0000-000000000000%00',
    "'%20OR%201=1",
  ),
  fc.string({ unit: 'binary', maxLength: 30 }).map((text) => encodeURIComponent(text) || 'x'),
  fc.uuid().map((id) => id),
);

/** A query value (already URL-encoded where it needs to be). */
export const hostileQueryValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '9999999999999999999',
    '-9999999999999999999',
    '-1',
    '0',
    '1e309',
    'NaN',
    'Infinity',
    '',
    '%00',
    '%ED%A0%80',
    'x'.repeat(3_000),
    'true',
    '%5B%5D',
    '%7B%7D',
    '2026-13-45T99:99:99Z',
    '0001-01-01T00:00:00Z',
    '275760-09-13T00:00:00.001Z',
    "'%20OR%201=1%20--",
    '1.5',
    '0x10',
  ),
  fc.string({ unit: 'binary', maxLength: 30 }).map((text) => encodeURIComponent(text)),
);

/** Extra headers, some repeated: a repeated name is sent as several header lines. */
export const hostileHeaders: fc.Arbitrary<[string, string][]> = fc.oneof(
  fc.constant<[string, string][]>([]),
  fc.constantFrom<[string, string][]>(
    [['Idempotency-Key', 'x'.repeat(300)]],
    [['Idempotency-Key', 'caf\u00e9']],
    [['Idempotency-Key', '']],
    [['Idempotency-Key', ' ']],
    [
      ['Idempotency-Key', 'dup-a'],
      ['Idempotency-Key', 'dup-b'],
    ],
    [
      ['Idempotency-Key', 'same'],
      ['Idempotency-Key', 'same'],
    ],
    [['Content-Type', 'text/plain']],
    [['Content-Type', 'application/x-www-form-urlencoded']],
    [['Content-Type', 'application/json; charset=latin1']],
    [['Content-Type', 'application/json; charset=utf-16']],
    [['Content-Type', 'multipart/form-data; boundary=x']],
    [['Content-Type', 'application/json; charset="utf-8"; charset=ascii']],
    [
      ['Content-Type', 'application/json'],
      ['Content-Type', 'text/plain'],
    ],
    [['X-Request-Id', 'r'.repeat(500)]],
    [['X-Request-Id', '\u00ff\u00fe']],
    [['Last-Event-ID', '9999999999999999999']],
    [['Last-Event-ID', '-1']],
    [['Last-Event-ID', 'abc']],
    [['Accept', 'text/event-stream']],
    [['Content-Encoding', 'gzip']],
    [['X-Forwarded-For', '1.2.3.4, 5.6.7.8']],
  ),
);
