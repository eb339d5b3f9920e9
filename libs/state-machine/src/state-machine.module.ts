import { Module } from '@nestjs/common';
import { AuditModule } from '@lib/audit';
import { StatusMachineService } from './status-machine.service';

@Module({
  imports: [AuditModule],
  providers: [StatusMachineService],
  exports: [StatusMachineService],
})
export class StateMachineModule {}
