import { nestingDepth } from './json-body-parser';

describe('nestingDepth', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(nestingDepth('{"a":[1,{"b":2}]}')).toBe(3);
    expect(nestingDepth('{"a":"[[[[{{{{"}')).toBe(1);
    expect(nestingDepth('{"a":"\\"[[["}')).toBe(1);
    expect(nestingDepth('1')).toBe(0);
  });

  it('measures 5,000 levels without recursion', () => {
    expect(nestingDepth('['.repeat(5000) + ']'.repeat(5000))).toBe(5000);
  });
});
