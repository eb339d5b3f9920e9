import { useTestApi } from '../support/api-client';

describe('health and the OpenAPI document', () => {
  const { api } = useTestApi();

  it('GET /health/live and /health/ready answer without a key', async () => {
    const live = await api.http.get('/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ status: 'ok' });
    const ready = await api.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info.database.status).toBe('up');
  });

  it('serves the OpenAPI spec describing every Phase-1 endpoint', async () => {
    const response = await api.http.get('/api/openapi.json');
    expect(response.status).toBe(200);
    const paths = Object.keys(response.body.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/execution/run',
        '/api/v1/execution/run/by_key',
        '/api/v1/execution/run/{execution_id}',
        '/api/v1/execution/run/{execution_id}/events',
        '/approvals/{execution_id}/approve',
        '/approvals/{execution_id}/reject',
        '/api/v1/api-keys',
      ]),
    );
    const docs = await api.http.get('/api/docs');
    expect([200, 301, 302]).toContain(docs.status);
  });
});
