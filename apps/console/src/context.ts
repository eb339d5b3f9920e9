import type { ControlPlaneClient, components } from '@control-plane/client';

/** What every page gets: the client of the signed-in session and who that is. */
export interface Context {
  readonly client: ControlPlaneClient;
  readonly me: components['schemas']['PrincipalDto'];
}
