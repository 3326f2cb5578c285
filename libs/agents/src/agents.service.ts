import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuthUser } from '@agents/auth';
import {
  AGENT_ID_PATTERN,
  AppConfig,
  ConflictError,
  DatabaseService,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  ValidationFailedError,
  decodeCursor,
  encodeCursor,
  newAgentId,
  toPage,
  type FieldProblem,
  type Page,
  type PageQueryDto,
} from '@agents/core';
import {
  VersionsRepository,
  applyPatch,
  changedFields,
  takeSnapshot,
  type AgentEdge,
  type AgentSnapshot,
  type AgentSupportContact,
} from '@agents/versions';
import { AclService, PermissionBits } from '@agents/acl';
import { AgentAccessPolicy, type AgentAction } from './agent-access.policy';
import { AgentConfigValidator } from './agent-config.validator';
import { AgentFileOwnership } from './agent-file-ownership';
import { AgentEntity } from './agent.entity';
import { toAgentResponse, toAgentView, toVersionResponse } from './agent.mapper';
import { AgentsRepository } from './agents.repository';
import type {
  AgentCategoryDto,
  AgentResponseDto,
  AgentVersionResponseDto,
  AgentViewDto,
} from './dto/agent-response.dto';
import type { CreateAgentDto } from './dto/create-agent.dto';
import type { ListAgentsQueryDto } from './dto/list-agents-query.dto';
import type { RevertAgentDto } from './dto/revert-agent.dto';
import type { UpdateAgentDto } from './dto/update-agent.dto';
import { decodeVersionCursor, encodeVersionCursor } from './version-cursor';

export const DEFAULT_AGENT_NAME = 'New Agent';
export const DEFAULT_CATEGORY = 'general';
/** Categories are free text: a catalogue lists at most this many, the most used first. */
export const MAX_LISTED_CATEGORIES = 200;
const COPY_SUFFIX = ' (copy)';

@Injectable()
export class AgentsService {
  constructor(
    private readonly db: DatabaseService,
    private readonly agents: AgentsRepository,
    private readonly versions: VersionsRepository,
    private readonly access: AgentAccessPolicy,
    private readonly acl: AclService,
    private readonly validator: AgentConfigValidator,
    private readonly config: AppConfig,
    private readonly fileOwnership: AgentFileOwnership,
  ) {}

  async create(user: AuthUser, dto: CreateAgentDto): Promise<AgentResponseDto> {
    const problems: FieldProblem[] = [];
    const provider = this.validator.checkProviderAndModel(dto.provider, dto.model, problems);
    problems.push(...(await this.validator.toolProblems(dto.tools)));
    const model_parameters = this.validator.mergeModelParameters(dto, {}, problems);
    this.validator.checkModelParameters(provider, model_parameters, problems, dto);
    problems.push(...(await this.fileOwnership.problems(user, plain(dto.tool_resources))));
    this.validator.throwIfAny(problems);
    assertMayPromote(user, false, dto.is_promoted);
    const snapshot: AgentSnapshot = {
      name: dto.name ?? DEFAULT_AGENT_NAME,
      description: dto.description ?? null,
      instructions: dto.instructions ?? null,
      provider,
      model: dto.model,
      model_parameters,
      tools: dto.tools ?? [],
      tool_resources: plain(dto.tool_resources) ?? {},
      avatar: plain(dto.avatar) ?? null,
      category: dto.category ?? DEFAULT_CATEGORY,
      conversation_starters: dto.conversation_starters ?? [],
      artifacts: dto.artifacts ?? '',
      recursion_limit: dto.recursion_limit ?? null,
      support_contact: plain<AgentSupportContact>(dto.support_contact) ?? null,
      edges: plain<AgentEdge[]>(dto.edges) ?? [],
      end_after_tools: dto.end_after_tools ?? false,
      hide_sequential_outputs: dto.hide_sequential_outputs ?? false,
      is_promoted: dto.is_promoted ?? false,
    };
    return toAgentResponse(await this.insertNew(user, snapshot));
  }

  /**
   * One agent (needs VIEW): in full to a caller who holds EDIT on it, as its catalogue card to one
   * who may only see or use it (docs/http-api.md § Agents).
   */
  async get(user: AuthUser, id: string): Promise<AgentViewDto> {
    const { agent, bits } = await this.loadWithBits(user, id, 'view');
    const publicIds = await this.acl.publicIds('Agent', [agent.id]);
    return toAgentView(agent, {
      isPublic: publicIds.has(agent.id),
      canEdit: (bits & PermissionBits.EDIT) !== 0,
      viewerId: user.id,
    });
  }

  /** The full configuration (needs EDIT): what an agent builder loads. */
  async expanded(user: AuthUser, id: string): Promise<AgentResponseDto> {
    return this.withPublicFlag(await this.load(user, id, 'edit'));
  }

  /**
   * The categories of the agents the caller can see, with their counts, plus `general` (where new
   * agents go) even when empty; sorted by value.
   */
  async categories(user: AuthUser): Promise<AgentCategoryDto[]> {
    const counts = await this.agents.categoryCounts(
      { id: user.id, isAdmin: user.role === 'ADMIN' },
      MAX_LISTED_CATEGORIES,
    );
    if (!counts.some((c) => c.value === DEFAULT_CATEGORY)) counts.push({ value: DEFAULT_CATEGORY, count: 0 });
    return counts
      .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .map(({ value, count }) => ({ value, label: categoryLabel(value), count }));
  }

  /** One page of the agents the caller can see, each in full or as its card, as `get` decides. */
  async list(user: AuthUser, query: ListAgentsQueryDto): Promise<Page<AgentViewDto>> {
    const rows = await this.agents.pageVisibleTo(
      { id: user.id, isAdmin: user.role === 'ADMIN' },
      {
        limit: query.limit,
        requiredBits: query.requiredPermission ?? PermissionBits.VIEW,
        after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
        search: query.search,
        category: query.category,
        promoted: query.promoted,
      },
    );
    const publicIds = await this.acl.publicIds(
      'Agent',
      rows.slice(0, query.limit).map((r) => r.agent.id),
    );
    return toPage(
      rows,
      query.limit,
      ({ agent, canEdit }) => toAgentView(agent, { isPublic: publicIds.has(agent.id), canEdit, viewerId: user.id }),
      ({ agent }) => agent.id,
      ({ agent }) => encodeCursor({ at: agent.updatedAt, id: agent.id }),
    );
  }

  /**
   * Applies a partial update. A change bumps the version and appends it to the history in the same
   * transaction; an update that changes nothing returns the agent as it is. `expectedVersion`
   * (from If-Match) makes the update conditional.
   */
  async update(user: AuthUser, id: string, dto: UpdateAgentDto, expectedVersion?: number): Promise<AgentResponseDto> {
    this.assertWellFormed(id);
    // Before the row lock: checking an MCP tool may wait on its server.
    const toolProblems = await this.validator.toolProblems(dto.tools);
    const agent = await this.db.transaction(async (m) => {
      const current = await this.lockForChange(m, user, id, 'edit', expectedVersion);
      const problems: FieldProblem[] = [];
      const provider =
        dto.provider !== undefined || dto.model !== undefined
          ? this.validator.checkProviderAndModel(dto.provider ?? current.provider, dto.model ?? current.model, problems)
          : undefined;
      problems.push(...toolProblems);
      const touchesParameters =
        dto.model_parameters !== undefined || dto.temperature !== undefined || dto.top_p !== undefined;
      const model_parameters = touchesParameters
        ? this.validator.mergeModelParameters(dto, current.model_parameters, problems)
        : undefined;
      // A new provider must take the parameters the agent keeps, and new parameters the provider it keeps.
      if (provider !== undefined || model_parameters !== undefined) {
        this.validator.checkModelParameters(
          provider ?? current.provider,
          model_parameters ?? current.model_parameters,
          problems,
          dto,
        );
      }
      problems.push(...(await this.fileOwnership.problems(user, plain(dto.tool_resources), current.tool_resources, m)));
      this.validator.throwIfAny(problems);
      assertMayPromote(user, current.is_promoted, dto.is_promoted);
      const next = applyPatch(takeSnapshot(current), {
        name: dto.name,
        description: dto.description,
        instructions: dto.instructions,
        provider,
        model: dto.model,
        model_parameters,
        tools: dto.tools,
        tool_resources: plain(dto.tool_resources),
        avatar: dto.avatar === null ? null : plain(dto.avatar),
        category: dto.category,
        conversation_starters: dto.conversation_starters,
        artifacts: dto.artifacts,
        recursion_limit: dto.recursion_limit,
        support_contact: dto.support_contact === null ? null : plain(dto.support_contact),
        edges: plain(dto.edges),
        end_after_tools: dto.end_after_tools,
        hide_sequential_outputs: dto.hide_sequential_outputs,
        is_promoted: dto.is_promoted,
      });
      return this.commitVersion(m, user, current, next);
    });
    return this.withPublicFlag(agent);
  }

  async revert(user: AuthUser, id: string, dto: RevertAgentDto, expectedVersion?: number): Promise<AgentResponseDto> {
    const target = targetVersion(dto);
    this.assertWellFormed(id);
    const agent = await this.db.transaction(async (m) => {
      const current = await this.lockForChange(m, user, id, 'edit', expectedVersion);
      const row = await this.versions.find(id, target, m);
      if (!row) throw new NotFoundError(`Version ${target} of agent ${id} does not exist`);
      const next = takeSnapshot(row.snapshot);
      // Promotion is an ADMIN's call: an editor's revert restores the configuration and leaves the
      // promotion as it is now, so reverting cannot re-promote what an ADMIN withdrew (or the reverse).
      if (user.role !== 'ADMIN') next.is_promoted = current.is_promoted;
      return this.commitVersion(m, user, current, next);
    });
    return this.withPublicFlag(agent);
  }

  async listVersions(user: AuthUser, id: string, query: PageQueryDto): Promise<Page<AgentVersionResponseDto>> {
    await this.load(user, id, 'edit');
    const before = query.cursor === undefined ? undefined : decodeVersionCursor(query.cursor);
    const rows = await this.versions.listNewestFirst(id, query.limit + 1, before);
    return toPage(
      rows,
      query.limit,
      toVersionResponse,
      (v) => String(v.version),
      (v) => encodeVersionCursor(v.version),
    );
  }

  /**
   * Copies the agent for the caller. The copy carries the source's file ids (tool_resources) only
   * when the caller is its author or an owner (SHARE): files are the data of whoever attached them,
   * and until files have owners of their own, holding VIEW (or EDIT) on an agent is no licence to
   * reuse its files in an agent of one's own.
   */
  async duplicate(user: AuthUser, id: string): Promise<AgentResponseDto> {
    const { agent: source, bits } = await this.loadWithBits(user, id, 'view');
    const snapshot = takeSnapshot(source);
    snapshot.name = source.name.slice(0, 256 - COPY_SUFFIX.length) + COPY_SUFFIX;
    // A copy is a new catalogue entry: whether to feature it is an ADMIN's decision, made afresh.
    snapshot.is_promoted = false;
    if (source.author !== user.id && (bits & PermissionBits.SHARE) === 0) {
      snapshot.tool_resources = withoutFileIds(snapshot.tool_resources);
    }
    return toAgentResponse(await this.insertNew(user, snapshot));
  }

  async delete(user: AuthUser, id: string): Promise<void> {
    this.assertWellFormed(id);
    await this.db.transaction(async (m) => {
      await this.lockForChange(m, user, id, 'delete');
      await this.agents.delete(m, id);
    });
  }

  private async insertNew(user: AuthUser, snapshot: AgentSnapshot): Promise<AgentEntity> {
    const now = new Date();
    const agent = Object.assign(new AgentEntity(), snapshot, {
      id: newAgentId(),
      author: user.id,
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    await this.db.transaction(async (m) => {
      // Counted under a lock on the user, in the creating transaction: concurrent creations cannot overshoot.
      const max = this.config.maxAgentsPerUser;
      if ((await this.agents.countAuthoredLocking(m, user.id)) >= max) {
        throw new ConflictError(`You have created ${max} agents, the most one user may have; delete one first`);
      }
      await this.agents.insert(m, agent);
      await this.versions.append(m, { agentId: agent.id, version: 1, snapshot, createdBy: user.id, createdAt: now });
      await this.acl.grantOwner(m, user, { type: 'Agent', id: agent.id });
    });
    return agent;
  }

  private async withPublicFlag(agent: AgentEntity): Promise<AgentResponseDto> {
    const publicIds = await this.acl.publicIds('Agent', [agent.id]);
    return toAgentResponse(agent, publicIds.has(agent.id));
  }

  /** Records `next` as a new version unless it equals the current state. Runs inside the lock. */
  private async commitVersion(
    m: EntityManager,
    user: AuthUser,
    current: AgentEntity,
    next: AgentSnapshot,
  ): Promise<AgentEntity> {
    if (changedFields(takeSnapshot(current), next).length === 0) return current;
    // Versions are numbered 1, 2, … and never dropped, so the current number is the count; the
    // agent's row lock makes this check exact. Refused rather than pruned: history stays complete.
    const max = this.config.maxVersionsPerAgent;
    if (current.version >= max) {
      throw new ConflictError(
        `This agent has ${max} versions, the most one agent keeps; duplicate it and change the copy`,
      );
    }
    const now = new Date();
    const updated = Object.assign(new AgentEntity(), current, takeSnapshot(next), {
      version: current.version + 1,
      updatedAt: now,
    });
    await this.agents.save(m, updated);
    await this.versions.append(m, {
      agentId: updated.id,
      version: updated.version,
      snapshot: takeSnapshot(next),
      createdBy: user.id,
      createdAt: now,
    });
    return updated;
  }

  private async load(user: AuthUser, id: string, action: AgentAction): Promise<AgentEntity> {
    return (await this.loadWithBits(user, id, action)).agent;
  }

  /** The agent and the caller's permission bits on it, after checking `action`. */
  private async loadWithBits(
    user: AuthUser,
    id: string,
    action: AgentAction,
  ): Promise<{ agent: AgentEntity; bits: number }> {
    this.assertWellFormed(id);
    const agent = await this.agents.findById(id);
    if (!agent) throw notFound(id);
    const bits = await this.access.assertCan(user, agent.id, action);
    return { agent, bits };
  }

  /** Locks the agent row for the rest of `m`'s transaction after checking `action`; 404 when gone. */
  async lockForChange(
    m: EntityManager,
    user: AuthUser,
    id: string,
    action: AgentAction,
    expectedVersion?: number,
  ): Promise<AgentEntity> {
    const agent = await this.agents.findByIdForUpdate(m, id);
    if (!agent) throw notFound(id);
    await this.access.assertCan(user, agent.id, action, m);
    if (expectedVersion !== undefined && expectedVersion !== agent.version) {
      throw new PreconditionFailedError(
        `The agent is at version ${agent.version}, not ${expectedVersion}; reload it and apply your change again`,
      );
    }
    return agent;
  }

  private assertWellFormed(id: string): void {
    if (!AGENT_ID_PATTERN.test(id)) throw notFound(id);
  }
}

/**
 * Promotion features an agent in everyone's catalogue, so only an ADMIN may change it (LibreChat
 * keeps it to admins too). Sending the value the agent already has changes nothing and is allowed,
 * so a client that echoes the whole agent back still saves.
 */
function assertMayPromote(user: AuthUser, current: boolean, requested: boolean | undefined): void {
  if (requested === undefined || requested === current || user.role === 'ADMIN') return;
  throw new ForbiddenError(
    requested
      ? 'Only an administrator may promote an agent (is_promoted)'
      : "Only an administrator may withdraw an agent's promotion (is_promoted)",
  );
}

/** A category's value made readable: `customer_support` → `Customer support`. */
export function categoryLabel(value: string): string {
  const words = value.replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`Agent ${id.slice(0, 64)} not found`);
}

/** The version a revert asks for: exactly one of `version` and `version_index`. */
export function targetVersion(dto: RevertAgentDto): number {
  if ((dto.version === undefined) === (dto.version_index === undefined)) {
    throw new ValidationFailedError([{ field: 'version', message: 'give exactly one of version and version_index' }]);
  }
  return dto.version ?? dto.version_index! + 1;
}

/** Tool resources with every `file_ids` list taken out; a resource left with nothing is dropped. */
function withoutFileIds(toolResources: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [tool, resource] of Object.entries(toolResources)) {
    if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) continue;
    const rest = Object.fromEntries(Object.entries(resource).filter(([key]) => key !== 'file_ids'));
    if (Object.keys(rest).length > 0) kept[tool] = rest;
  }
  return kept;
}

/** A validated DTO instance as plain JSON data (no class prototypes, no undefined keys). */
function plain<R>(value: object | undefined | null): R | undefined {
  return value === undefined || value === null ? undefined : (JSON.parse(JSON.stringify(value)) as R);
}
