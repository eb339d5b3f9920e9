import { Module } from '@nestjs/common';
import { ApprovalModule } from '@lib/approval';
import { GrantsModule } from '@lib/grants';
import { SweeperService } from './sweeper.service';

/** The worker's periodic duties. The worker app runs it; `npm start` runs it beside the API. */
@Module({
  imports: [ApprovalModule, GrantsModule],
  providers: [SweeperService],
  exports: [SweeperService],
})
export class SweeperModule {}
