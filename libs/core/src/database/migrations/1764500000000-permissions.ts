import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Groups, their members, and per-resource grants (acl_entries). */
export class Permissions1764500000000 implements MigrationInterface {
  name = 'Permissions1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE groups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(128) NOT NULL,
        description varchar(1000),
        created_by uuid NOT NULL REFERENCES users (id),
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX groups_name_key ON groups (lower(name))`);

    await q.query(`
      CREATE TABLE group_members (
        group_id uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        added_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, user_id)
      )`);
    await q.query(`CREATE INDEX group_members_user_idx ON group_members (user_id, group_id)`);

    await q.query(`
      CREATE TABLE acl_entries (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        principal_type varchar(8) NOT NULL CHECK (principal_type IN ('user', 'group', 'public')),
        principal_id uuid,
        resource_type varchar(16) NOT NULL CHECK (resource_type IN ('agent')),
        resource_id varchar(64) NOT NULL,
        -- Every role includes VIEW, so every grant does.
        perm_bits integer NOT NULL CHECK (perm_bits BETWEEN 1 AND 31 AND perm_bits & 1 = 1),
        role_id varchar(32) NOT NULL,
        granted_by uuid REFERENCES users (id),
        granted_at timestamptz(3) NOT NULL DEFAULT now(),
        -- The resource's sort key, copied by triggers, so that "what can this principal see, newest
        -- first" is one ordered index range per principal instead of a scan of every agent.
        resource_updated_at timestamptz(3) NOT NULL,
        CHECK ((principal_type = 'public') = (principal_id IS NULL))
      )`);
    // One grant per principal and resource; also serves "who can access this resource".
    await q.query(`
      CREATE UNIQUE INDEX acl_entries_resource_principal_key
      ON acl_entries (resource_type, resource_id, principal_type, principal_id)
      INCLUDE (perm_bits) NULLS NOT DISTINCT`);
    // "What can this principal access", newest first: keyset pages per principal (VIEW is in
    // every grant). Lists that need another bit use the partial index of that bit, so a group
    // holding 100,000 viewer grants costs nothing to a list of agents one may USE.
    await q.query(`
      CREATE INDEX acl_entries_principal_idx
      ON acl_entries (principal_type, principal_id, resource_type, resource_updated_at DESC, resource_id DESC)
      INCLUDE (perm_bits)`);
    for (const [bit, name] of [
      [2, 'edit'],
      [4, 'delete'],
      [8, 'share'],
      [16, 'use'],
    ] as const) {
      await q.query(`
        CREATE INDEX acl_entries_principal_${name}_idx
        ON acl_entries (principal_type, principal_id, resource_type, resource_updated_at DESC, resource_id DESC)
        WHERE (perm_bits & ${bit}) <> 0`);
    }
    // The public principal has no id; its own ordered index serves its range.
    await q.query(`
      CREATE INDEX acl_entries_public_idx
      ON acl_entries (resource_type, resource_updated_at DESC, resource_id DESC)
      INCLUDE (perm_bits) WHERE principal_type = 'public'`);

    // A grant names an existing agent and carries its updated_at; an agent's change carries over.
    await q.query(`
      CREATE FUNCTION acl_set_resource_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        SELECT a.updated_at INTO NEW.resource_updated_at FROM agents a WHERE a.id = NEW.resource_id;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'agent % does not exist', NEW.resource_id USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER acl_entries_resource_updated_at BEFORE INSERT OR UPDATE OF resource_type, resource_id ON acl_entries
      FOR EACH ROW EXECUTE FUNCTION acl_set_resource_updated_at()`);
    await q.query(`
      CREATE FUNCTION acl_follow_agent_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE acl_entries SET resource_updated_at = NEW.updated_at
        WHERE resource_type = 'agent' AND resource_id = NEW.id;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER agents_updated_at_to_grants AFTER UPDATE OF updated_at ON agents
      FOR EACH ROW WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at)
      EXECUTE FUNCTION acl_follow_agent_updated_at()`);

    // Grants follow their resource and their group: removed in the same statement that removes them.
    await q.query(`
      CREATE FUNCTION acl_delete_agent_grants() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM acl_entries WHERE resource_type = 'agent' AND resource_id = OLD.id;
        RETURN OLD;
      END $$`);
    await q.query(`
      CREATE TRIGGER agents_delete_grants AFTER DELETE ON agents
      FOR EACH ROW EXECUTE FUNCTION acl_delete_agent_grants()`);
    await q.query(`
      CREATE FUNCTION acl_delete_group_grants() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM acl_entries WHERE principal_type = 'group' AND principal_id = OLD.id;
        RETURN OLD;
      END $$`);
    await q.query(`
      CREATE TRIGGER groups_delete_grants AFTER DELETE ON groups
      FOR EACH ROW EXECUTE FUNCTION acl_delete_group_grants()`);

    // Agents made before grants existed: their author owns them.
    await q.query(`
      INSERT INTO acl_entries (principal_type, principal_id, resource_type, resource_id, perm_bits, role_id, granted_by, granted_at)
      SELECT 'user', author, 'agent', id, 31, 'agent_owner', author, created_at FROM agents`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER agents_updated_at_to_grants ON agents`);
    await q.query(`DROP FUNCTION acl_follow_agent_updated_at()`);
    await q.query(`DROP TRIGGER groups_delete_grants ON groups`);
    await q.query(`DROP TRIGGER agents_delete_grants ON agents`);
    await q.query(`DROP FUNCTION acl_delete_group_grants()`);
    await q.query(`DROP FUNCTION acl_delete_agent_grants()`);
    await q.query(`DROP TABLE acl_entries`);
    await q.query(`DROP FUNCTION acl_set_resource_updated_at()`);
    await q.query(`DROP TABLE group_members`);
    await q.query(`DROP TABLE groups`);
  }
}
