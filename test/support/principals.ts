import { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR } from '@lib/common';
import { ApiKeyService, Principal, Role } from '@lib/identity';

/**
 * A service principal that exists in the database, minted the way an admin of every project
 * mints one (through ApiKeyService), as an integration spec's actor. One that holds the approver
 * role is marked a service approver, since votes count only from people and marked services.
 */
export async function servicePrincipal(app: INestApplicationContext, name: string, roles: Role[]): Promise<Principal> {
  const admin = Principal.of(randomUUID(), 'fixture-admin', [Role.Admin], ['*']);
  const minted = await app
    .get(ApiKeyService)
    .mint(
      admin,
      { name, roles, projectIds: ['*'], serviceApprover: roles.includes(Role.Approver) || undefined },
      { actor: SYSTEM_ACTOR, requestId: `fixture-${randomUUID()}` },
    );
  return Principal.of(minted.row.principal_id, name, roles, ['*'], { credential: `api_key:${minted.row.id}` });
}
