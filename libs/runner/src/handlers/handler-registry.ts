import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ActionHandler } from '@lib/execution';
import { PolicyService } from '@lib/policy';
import { BuildGrantHandler } from './build-grant.handler';
import { HttpRequestHandler } from './http-request.handler';
import { NoopHandler } from './noop.handler';
import { RemoteHandler } from './remote.handler';
import { SleepHandler } from './sleep.handler';

/** The handlers an action type may name. A policy naming an unknown handler stops the process at start. */
@Injectable()
export class HandlerRegistry implements OnApplicationBootstrap {
  private readonly handlers: ReadonlyMap<string, ActionHandler>;

  constructor(
    private readonly policy: PolicyService,
    noop: NoopHandler,
    sleep: SleepHandler,
    http: HttpRequestHandler,
    buildGrant: BuildGrantHandler,
    remote: RemoteHandler,
  ) {
    this.handlers = new Map<string, ActionHandler>([noop, sleep, http, buildGrant, remote].map((handler) => [handler.code, handler]));
  }

  // After every module's init, so the policy is loaded.
  onApplicationBootstrap(): void {
    const unknown = this.policy.list().filter((actionType) => !this.handlers.has(actionType.handler));
    if (unknown.length > 0) {
      throw new Error(
        `the policy names handlers that do not exist: ${unknown.map((actionType) => `${actionType.code} -> ${actionType.handler}`).join(', ')}`,
      );
    }
  }

  find(code: string): ActionHandler | undefined {
    return this.handlers.get(code);
  }
}
