import { ParamsField, TargetsField } from './create-execution-run.dto';

/** The new plan. Omitted fields become empty ({} and []), as on create. */
export class ReplacePlanDto {
  @ParamsField()
  params?: Record<string, unknown>;

  @TargetsField()
  targets?: string[];
}
