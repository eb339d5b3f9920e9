import { diffPlans, flatten } from '../src/format';

describe('the console shows plans so that two different plans never look the same', () => {
  const lines = (params: unknown) => flatten(params).map((line) => `${line.path} = ${line.text}`);

  it('names each leaf by a path no other key can be mistaken for', () => {
    expect(lines({ cmd: { x: 'safe' } })).toEqual(['params.cmd.x = "safe"']);
    expect(lines({ 'cmd.x': 'safe' })).toEqual(['params["cmd.x"] = "safe"']);
    expect(lines({ list: ['a', 'b'] })).toEqual(['params.list[0] = "a"', 'params.list[1] = "b"']);
    expect(lines({ list: { 0: 'a', 1: 'b' } })).toEqual(['params.list["0"] = "a"', 'params.list["1"] = "b"']);
    expect(lines({ token: { $secret: 'DEPLOY_TOKEN' }, empty: {}, none: [] })).toEqual([
      'params.token = secret reference DEPLOY_TOKEN',
      'params.empty = {}',
      'params.none = []',
    ]);
    expect(lines({ n: 1, s: '1', b: true, z: null })).toEqual(['params.n = 1', 'params.s = "1"', 'params.b = true', 'params.z = null']);
  });

  it('finds every change, including ones a dotted path would hide', () => {
    const targets = ['web-1'];
    // A key holding a dot beside a nested one: the nested value changed.
    expect(
      diffPlans({ params: { cmd: { x: 'safe' } }, targets }, { params: { cmd: { x: 'rm -rf /' }, 'cmd.x': 'safe' }, targets }),
    ).toEqual([
      { path: 'params.cmd.x', before: '"safe"', after: '"rm -rf /"' },
      { path: 'params["cmd.x"]', before: null, after: '"safe"' },
    ]);
    expect(diffPlans({ params: { 'a.b': 'x' }, targets }, { params: { a: { b: 'x' } }, targets })).toHaveLength(2);
    expect(diffPlans({ params: { list: ['a'] }, targets }, { params: { list: { 0: 'a' } }, targets })).toHaveLength(2);
    // Targets as a list: one target holding a comma is not two targets.
    expect(diffPlans({ params: {}, targets: ['a, b'] }, { params: {}, targets: ['a', 'b'] })).toEqual([
      { path: 'targets', before: '["a, b"]', after: '["a","b"]' },
    ]);
    expect(diffPlans({ params: { a: 1 }, targets }, { params: { a: 1 }, targets })).toEqual([]);
  });
});
