import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '@agents/auth';
import { AbilityFactory } from './ability.factory';
import { AclEntryEntity } from './acl-entry.entity';
import { AclRepository } from './acl.repository';
import { AclService } from './acl.service';
import { GroupOwnershipRule } from './group-ownership.rule';
import { PrincipalsController } from './principals.controller';

@Module({
  imports: [TypeOrmModule.forFeature([AclEntryEntity]), AuthModule],
  controllers: [PrincipalsController],
  providers: [AclRepository, AclService, AbilityFactory, GroupOwnershipRule],
  exports: [AclRepository, AclService, AbilityFactory],
})
export class AclModule {}
