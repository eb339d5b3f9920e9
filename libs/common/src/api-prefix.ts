import { Controller } from '@nestjs/common';

/** The versioned API's prefix, spelled once. The Phase-1 LOCK's `/approvals/...`, `/health` and `/metrics` stand outside it, as they are. */
export const API_V1 = 'api/v1';

/** A controller of the versioned API: its routes are under `/api/v1/<path>`. */
export const ApiV1Controller = (path = ''): ClassDecorator => Controller(path ? `${API_V1}/${path}` : API_V1);
