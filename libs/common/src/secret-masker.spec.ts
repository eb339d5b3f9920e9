import { SecretMasker } from './secret-masker';

describe('SecretMasker.maskJson', () => {
  const masker = new SecretMasker();
  masker.register('Quo"ted\\Secret-77');
  masker.register('tab\tsecret-99');
  masker.register('987654321');
  masker.register('SuperSecretValue-XYZZY-42');

  it('masks a secret with a quote, a backslash or a control character, in values and in keys', () => {
    expect(masker.maskJson({ q: 'Quo"ted\\Secret-77', tab: 'x tab\tsecret-99 y', ['Quo"ted\\Secret-77']: 1 })).toEqual({
      q: '[secret]',
      tab: 'x [secret] y',
      '[secret]': 1,
    });
  });

  it('masks a secret made of digits, as a number or in a string, and never breaks the JSON', () => {
    expect(masker.maskJson({ n: 987654321, s: 'pin 987654321', list: [987654321, 12, true, null] })).toEqual({
      n: '[secret]',
      s: 'pin [secret]',
      list: ['[secret]', 12, true, null],
    });
  });

  it('keeps everything else as it is, dates as JSON would write them', () => {
    const at = new Date('2026-12-03T10:00:00.000Z');
    expect(masker.maskJson({ a: { b: ['SuperSecretValue-XYZZY-42', 'ok'] }, at, skip: undefined })).toEqual({
      a: { b: ['[secret]', 'ok'] },
      at: '2026-12-03T10:00:00.000Z',
    });
  });
});
