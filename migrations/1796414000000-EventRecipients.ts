import { MigrationInterface, QueryRunner } from "typeorm";

const REPLAYABLE = `('MessageCreated', 'MessageUpdated', 'NotificationCreated', 'NotificationUpdated')`;

/**
 * A user's replayable events found by (user_id, event_id) in order: a catch-up reads what it returns, however many
 * other users' events the log holds. The sequencer writes a row per recipient as it numbers each event.
 */
export class EventRecipients1796414000000 implements MigrationInterface {
    name = 'EventRecipients1796414000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "event_recipients" (
                "user_id" integer NOT NULL,
                "event_id" bigint NOT NULL,
                CONSTRAINT "PK_event_recipients" PRIMARY KEY ("user_id", "event_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_event_recipients_event" ON "event_recipients" ("event_id")
        `);
        await queryRunner.query(`
            ALTER TABLE "event_recipients" ADD CONSTRAINT "FK_event_recipients_event" FOREIGN KEY ("event_id")
            REFERENCES "event_outbox"("event_id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        // The GIN index on recipient_ids served catch-ups by walking every user's events after a position.
        await queryRunner.query(`
            DROP INDEX "public"."IDX_event_outbox_recipients"
        `);
        await queryRunner.query(`
            INSERT INTO "event_recipients" ("user_id", "event_id")
            SELECT DISTINCT r, "event_id" FROM "event_outbox", unnest("recipient_ids") AS r
             WHERE "event_name" IN ${REPLAYABLE}
        `);
        await queryRunner.query(`
            CREATE OR REPLACE FUNCTION "event_log_sequence"("batch" integer) RETURNS TABLE ("head" bigint, "added" integer)
            LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
              IF NOT EXISTS (SELECT 1 FROM "event_outbox_pending") THEN
                RETURN QUERY SELECT coalesce(max("event_id"), 0)::bigint, 0 FROM "event_outbox";
                RETURN;
              END IF;
              PERFORM pg_advisory_xact_lock(721400004);
              WITH "moved" AS (
                DELETE FROM "event_outbox_pending"
                 WHERE "pending_id" IN (SELECT "pending_id" FROM "event_outbox_pending"
                                         ORDER BY "pending_id" LIMIT "batch")
                RETURNING *),
              "logged" AS (
                INSERT INTO "event_outbox" ("event_name", "recipient_ids", "payload", "created_at")
                SELECT "event_name", "recipient_ids", "payload", "created_at" FROM "moved" ORDER BY "pending_id"
                RETURNING "event_id", "event_name", "recipient_ids"),
              "indexed" AS (
                INSERT INTO "event_recipients" ("user_id", "event_id")
                SELECT DISTINCT r, "event_id" FROM "logged", unnest("recipient_ids") AS r
                 WHERE "event_name" IN ${REPLAYABLE}
                ON CONFLICT DO NOTHING)
              SELECT count(*)::integer INTO "added" FROM "logged";
              RETURN QUERY SELECT coalesce(max("event_id"), 0)::bigint, "added" FROM "event_outbox";
            END
            $$
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE OR REPLACE FUNCTION "event_log_sequence"("batch" integer) RETURNS TABLE ("head" bigint, "added" integer)
            LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
              IF NOT EXISTS (SELECT 1 FROM "event_outbox_pending") THEN
                RETURN QUERY SELECT coalesce(max("event_id"), 0)::bigint, 0 FROM "event_outbox";
                RETURN;
              END IF;
              PERFORM pg_advisory_xact_lock(721400004);
              WITH "moved" AS (
                DELETE FROM "event_outbox_pending"
                 WHERE "pending_id" IN (SELECT "pending_id" FROM "event_outbox_pending"
                                         ORDER BY "pending_id" LIMIT "batch")
                RETURNING *)
              INSERT INTO "event_outbox" ("event_name", "recipient_ids", "payload", "created_at")
              SELECT "event_name", "recipient_ids", "payload", "created_at" FROM "moved" ORDER BY "pending_id";
              GET DIAGNOSTICS "added" = ROW_COUNT;
              RETURN QUERY SELECT coalesce(max("event_id"), 0)::bigint, "added" FROM "event_outbox";
            END
            $$
        `);
        await queryRunner.query(`
            DROP TABLE "event_recipients"
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_event_outbox_recipients" ON "event_outbox" USING GIN ("recipient_ids")
        `);
    }

}
