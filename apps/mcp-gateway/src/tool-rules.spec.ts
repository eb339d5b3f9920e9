import { parseGatewayConfig, GatewayConfigError } from './gateway-config';
import { mayBeCalled, refuseArguments, ruleFor, splitExposed } from './tool-rules';
import { MAX_STORED_RESULT_BYTES, storable } from './tool-executor';
import { AgentSession } from './tool-calls';
import { canonicalJson, sha256Hex } from '@lib/common';

const parse = (raw: unknown, env: NodeJS.ProcessEnv = {}) => parseGatewayConfig(raw, { source: 'gateway.json', baseDir: '/srv', env });
const base = {
  project: 'payments',
  upstreams: [{ name: 'files', command: 'node', args: ['server.js'] }],
  tools: [
    { tool: 'files__read_*', action: 'mcp.files.read' },
    { tool: 'files__write', when: { path: '/tmp/*' }, action: 'mcp.files.write_tmp' },
    { tool: 'files__write', action: 'mcp.files.write' },
    { tool: 'files__delete', when: { path: '/etc/*' }, deny: 'never under /etc' },
    { tool: 'files__delete', action: 'mcp.files.delete' },
    { tool: 'files__*', deny: 'not governed' },
  ],
};

describe('gateway config', () => {
  it('reads a config, with its defaults, and takes ${NAME} from the environment in upstream env', () => {
    const config = parse(
      { ...base, upstreams: [{ name: 'files', command: 'node', env: { TOKEN: '${FILES_TOKEN}' } }] },
      { FILES_TOKEN: 's3cret' },
    );
    expect(config.upstreams[0]).toEqual({ name: 'files', command: 'node', args: [], env: { TOKEN: 's3cret' }, cwd: '/srv' });
    expect([config.callWaitSeconds, config.maxWaitSeconds, config.dedupeWindowSeconds, config.permissionPrompt]).toEqual([
      20,
      50,
      3600,
      null,
    ]);
  });

  it.each<[string, unknown, RegExp]>([
    ['an unknown field', { ...base, extra: 1 }, /extra is not a known field/],
    [
      'a rule with both action and deny',
      { ...base, tools: [{ tool: 'x', action: 'a', deny: 'b' }] },
      /tools\[0\] must name an action .* or deny/,
    ],
    ['a rule with neither', { ...base, tools: [{ tool: 'x' }] }, /tools\[0\] must name an action/],
    ['an upstream name holding the separator', { ...base, upstreams: [{ name: 'a__b', command: 'x' }] }, /must not hold "__"/],
    ['an upstream name ending in _', { ...base, upstreams: [{ name: 'rec_', command: 'x' }] }, /nor begin or end with "_"/],
    ['an upstream with a command and a url', { ...base, upstreams: [{ name: 'a', command: 'x', url: 'http://h/mcp' }] }, /one of them/],
    [
      'duplicate upstreams',
      {
        ...base,
        upstreams: [
          { name: 'a', command: 'x' },
          { name: 'a', url: 'http://h/mcp' },
        ],
      },
      /duplicates "a"/,
    ],
    [
      'an unset variable',
      { ...base, upstreams: [{ name: 'a', command: 'x', env: { T: '${NOPE}' } }] },
      /names \$\{NOPE\}, which is not set/,
    ],
    ["a wait past clients' timeouts", { ...base, max_wait_seconds: 120 }, /max_wait_seconds must be an integer 1..50/],
    [
      'a console URL without {run_id}',
      { ...base, console_url: 'http://h/runs' },
      /console_url must be an http\(s\) URL holding \{run_id\}/,
    ],
    ['a bad action code', { ...base, tools: [{ tool: 'x', action: 'has space' }] }, /tools\[0\]\.action must name an action type/],
  ])('refuses %s, naming the field', (_, raw, message) => {
    expect(() => parse(raw)).toThrow(GatewayConfigError);
    expect(() => parse(raw)).toThrow(message);
  });
});

describe('tool rules', () => {
  const config = parse(base);

  it('the first rule that matches the name and the argument patterns wins; no rule denies', () => {
    expect(ruleFor(config, 'files__read_file', {})).toMatchObject({ kind: 'run', action: 'mcp.files.read' });
    expect(ruleFor(config, 'files__write', { path: '/tmp/a' })).toMatchObject({ kind: 'run', action: 'mcp.files.write_tmp' });
    expect(ruleFor(config, 'files__write', { path: '/home/a' })).toMatchObject({ kind: 'run', action: 'mcp.files.write' });
    // A pattern matches text (numbers and booleans as written), never an object standing in for it.
    expect(ruleFor(config, 'files__write', { path: { toString: '/tmp/a' } })).toMatchObject({ action: 'mcp.files.write' });
    expect(ruleFor(config, 'files__delete', { path: '/etc/passwd' })).toEqual({ kind: 'deny', message: 'never under /etc' });
    expect(ruleFor(config, 'files__delete', { path: '/var/x' })).toMatchObject({ kind: 'run', action: 'mcp.files.delete' });
    expect(ruleFor(config, 'files__chmod', {})).toEqual({ kind: 'deny', message: 'not governed' });
    expect(ruleFor(parse({ ...base, tools: [{ tool: 'files__a', action: 'x' }] }), 'files__b', {})).toMatchObject({ kind: 'deny' });
  });

  it('lists a tool some call of which may be allowed, not one every call of which is denied', () => {
    expect(mayBeCalled(config, 'files__delete')).toBe(true);
    expect(mayBeCalled(config, 'files__chmod')).toBe(false);
    expect(mayBeCalled(parse({ ...base, tools: [{ tool: 'files__a', action: 'x' }] }), 'files__b')).toBe(false);
  });

  it('splits an exposed name at the first separator only', () => {
    expect(splitExposed('files__read__all')).toEqual({ upstream: 'files', tool: 'read__all' });
    expect([splitExposed('__x'), splitExposed('files__'), splitExposed('plain')]).toEqual([null, null, null]);
  });

  it('refuses arguments that cannot be stored or name a secret, and passes ordinary ones', () => {
    let deep: unknown = 1;
    for (let level = 0; level < 31; level++) deep = [deep];
    expect(refuseArguments({ a: 'x', n: [1, { b: true }] }, 1000)).toBeNull();
    expect(refuseArguments([], 1000)?.code).toBe('invalid_arguments');
    expect(refuseArguments(null, 1000)?.code).toBe('invalid_arguments');
    expect(refuseArguments({ a: 'x'.repeat(2000) }, 1000)?.code).toBe('arguments_too_large');
    expect(refuseArguments({ a: '\u0000' }, 1000)).toMatchObject({ code: 'invalid_arguments', path: '$.a' });
    expect(refuseArguments({ ['\ud800']: 1 }, 1000)?.code).toBe('invalid_arguments');
    expect(refuseArguments({ deep }, 10_000)?.code).toBe('invalid_arguments');
    expect(refuseArguments({ list: [{ x: { $secret: 'DB' } }] }, 1000)).toMatchObject({ code: 'secret_reference', path: '$.list[0].x' });
  });
});

describe("an agent's idempotency keys", () => {
  it('are keyed by its credential: nobody without it computes, nor plants, them', () => {
    const client = {} as ConstructorParameters<typeof AgentSession>[0];
    const payload = { principal: 'p', tool: 'files__write', arguments: { path: '/tmp/a' } };
    const mine = new AgentSession(client, 'cpk_mine').keyOf(payload);
    expect(mine).toMatch(/^mcp:[0-9a-f]{64}$/);
    expect(new AgentSession(client, 'cpk_mine').keyOf({ ...payload })).toBe(mine);
    expect(new AgentSession(client, 'cpk_other').keyOf(payload)).not.toBe(mine);
    expect(mine).not.toBe(`mcp:${sha256Hex(canonicalJson(payload))}`);
  });
});

describe("a tool's result as the control plane keeps it", () => {
  it('keeps a small result whole and cuts a large one below the limit, with a marker; never a NUL or a lone surrogate', () => {
    expect(storable({ content: [{ type: 'text', text: 'ok' }] })).toEqual({ content: [{ type: 'text', text: 'ok' }], isError: false });
    const cut = storable({ content: [{ type: 'text', text: '\ud83d\ude00'.repeat(20_000) }], isError: true });
    const text = (cut.content[0] as { text: string }).text;
    expect(Buffer.byteLength(JSON.stringify(cut), 'utf8')).toBeLessThanOrEqual(MAX_STORED_RESULT_BYTES);
    expect([text.isWellFormed(), /\[cut: the tool's result was \d+ bytes/.test(text), cut.isError]).toEqual([true, true, true]);
    const cleaned = storable({ content: [{ type: 'text', text: 'a\u0000b\ud800' }] });
    expect((cleaned.content[0] as { text: string }).text).toBe('a\uFFFDb\uFFFD');
  });
});
