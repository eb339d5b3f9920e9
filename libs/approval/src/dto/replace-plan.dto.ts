import { ParamsField, TargetsField } from '@lib/execution';

/** The new plan. Omitted fields become empty ({} and []), as on create. */
export class ReplacePlanDto {
  @ParamsField()
  params?: Record<string, unknown>;

  @TargetsField()
  targets?: string[];
}
