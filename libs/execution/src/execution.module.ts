import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@lib/audit';
import { GovernanceModule } from '@lib/governance';
import { ExecutionRunEntity } from './execution-run.entity';
import { ExecutionController } from './execution.controller';
import { ExecutionRunService } from './execution-run.service';
import { StatusMachineService } from './status-machine.service';
import { DlqController } from './dlq.controller';
import { DlqService } from './dlq.service';
import { RunCancelService } from './run-cancel.service';

/**
 * Runs and the status machine. The RUN_APPROVAL_GATE port this module's service needs is
 * provided by the approval lib's module, which the application imports beside this one.
 */
@Module({
  imports: [TypeOrmModule.forFeature([ExecutionRunEntity]), AuditModule, GovernanceModule],
  controllers: [ExecutionController, DlqController],
  providers: [ExecutionRunService, StatusMachineService, RunCancelService, DlqService],
  exports: [ExecutionRunService, StatusMachineService, RunCancelService, DlqService],
})
export class ExecutionModule {}
