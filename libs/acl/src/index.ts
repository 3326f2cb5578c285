export * from './ability.factory';
export * from './acl-entry.entity';
export * from './acl.module';
export * from './acl.repository';
export * from './acl.service';
export * from './dto/sharing.dto';
export * from './group-ownership.rule';
export * from './permission-bits';
