export * from './agent-access.policy';
export * from './agent.entity';
export * from './agents.module';
export * from './agents.repository';
export * from './agents.service';
export * from './agent-permission.guard';
