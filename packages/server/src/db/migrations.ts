import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely'

/* Migrations are append-only: a released migration is never edited, a change gets a new one. */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('username', 'text', (column) => column.unique())
        .addColumn('first_name', 'text')
        .addColumn('last_name', 'text')
        .addColumn('external_id', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('banned', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('primary_email_address_id', 'text')
        .addColumn('primary_phone_number_id', 'text')
        .addColumn('public_metadata', 'text', (column) => column.notNull())
        .addColumn('private_metadata', 'text', (column) => column.notNull())
        .addColumn('unsafe_metadata', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .addColumn('last_sign_in_at', 'bigint')
        .execute()
      await db.schema.createIndex('users_created_at').on('users').column('created_at').execute()

      await db.schema
        .createTable('user_identifiers')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('user_id', 'text', (column) => column.notNull().references('users.id').onDelete('cascade'))
        .addColumn('type', 'text', (column) => column.notNull())
        .addColumn('value', 'text', (column) => column.notNull())
        .addColumn('verified', 'integer', (column) => column.notNull())
        .addColumn('verification_strategy', 'text')
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addUniqueConstraint('user_identifiers_type_value', ['type', 'value'])
        .execute()
      await db.schema.createIndex('user_identifiers_user_id').on('user_identifiers').column('user_id').execute()

      await db.schema
        .createTable('agents')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('name', 'text', (column) => column.notNull().unique())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .execute()

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('actor_agent_id', 'text')
        .addColumn('actor_name', 'text')
        .addColumn('actor_agent_task_id', 'text')
        .addColumn('permissions', 'text', (column) => column.notNull())
        .addColumn('azp', 'text', (column) => column.notNull())
        .addColumn('refresh_token_hash', 'text', (column) => column.unique())
        .addColumn('expires_at', 'bigint', (column) => column.notNull())
        .addColumn('last_active_at', 'bigint', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute()
      await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute()

      await db.schema
        .createTable('agent_tasks')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('agent_id', 'text', (column) => column.notNull().references('agents.id'))
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('ticket_hash', 'text', (column) => column.notNull().unique())
        .addColumn('permissions', 'text', (column) => column.notNull())
        .addColumn('task_description', 'text', (column) => column.notNull())
        .addColumn('redirect_url', 'text', (column) => column.notNull())
        .addColumn('session_max_duration_seconds', 'integer', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('session_id', 'text')
        .addColumn('expires_at', 'bigint', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .addColumn('accepted_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute()
      await db.schema.createIndex('agent_tasks_user_id').on('agent_tasks').column('user_id').execute()
      await db.schema.createIndex('agent_tasks_agent_id').on('agent_tasks').column('agent_id').execute()

      await db.schema
        .createTable('handoff_codes')
        .addColumn('code_hash', 'text', (column) => column.primaryKey())
        .addColumn('session_id', 'text', (column) => column.notNull())
        .addColumn('origin', 'text', (column) => column.notNull())
        .addColumn('expires_at', 'bigint', (column) => column.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .execute()

      await db.schema
        .createTable('secret_keys')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('key_hash', 'text', (column) => column.notNull().unique())
        .addColumn('hint', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute()

      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (column) => column.primaryKey())
        .addColumn('public_jwk', 'text', (column) => column.notNull())
        .addColumn('private_key_encrypted', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('activates_at', 'bigint', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('retired_at', 'bigint')
        .execute()

      await db.schema
        .createTable('audit_events')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('actor_type', 'text', (column) => column.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('user_id', 'text')
        .addColumn('session_id', 'text')
        .addColumn('agent_task_id', 'text')
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('details', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .execute()
      await db.schema.createIndex('audit_events_created_at').on('audit_events').column('created_at').execute()
    },
  },
}

const provider: MigrationProvider = {
  async getMigrations() {
    return migrations
  },
}

/** Applies every pending migration; throws with the failing migration's name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the migrator works on any schema
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'behalf_migrations', migrationLockTableName: 'behalf_migrations_lock' })
  const { error, results } = await migrator.migrateToLatest()

  const failed = results?.find((result) => result.status === 'Error')
  if (error) {
    const where = failed ? `migration ${failed.migrationName} failed` : 'migrations failed'
    throw new Error(`Database ${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName)
}
