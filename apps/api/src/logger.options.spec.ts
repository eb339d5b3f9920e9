import { loggedUrl } from './logger.options';

describe('loggedUrl (the access log)', () => {
  it('replaces the value of a query parameter that may carry a credential, keeping the rest', () => {
    expect(loggedUrl('/api/v1/principals/me?access_token=hostile-admin-key-0001')).toBe('/api/v1/principals/me?access_token=[redacted]');
    expect(loggedUrl('/console/?code=abc123&state=xyz')).toBe('/console/?code=[redacted]&state=xyz');
    expect(loggedUrl('/api/v1/audit/events?project_id=payments&after=41&api%5Fkey=cpk_x')).toBe(
      '/api/v1/audit/events?project_id=payments&after=41&api%5Fkey=[redacted]',
    );
    expect(loggedUrl('/x?API_KEY=cpk_y&%zz=1')).toBe('/x?API_KEY=[redacted]&%zz=1');
  });

  it('leaves a URL without a query, or without such a parameter, as it is', () => {
    expect(loggedUrl('/api/v1/execution/run/e60d')).toBe('/api/v1/execution/run/e60d');
    expect(loggedUrl('/api/v1/execution/runs?project_id=p&status=RUN&limit=5')).toBe(
      '/api/v1/execution/runs?project_id=p&status=RUN&limit=5',
    );
  });
});
