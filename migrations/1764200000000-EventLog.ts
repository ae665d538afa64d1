import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Writers stage events in event_outbox_pending; event_log_sequence() moves committed ones into event_outbox and
 * numbers them there in the order it sees them, so event ids increase in commit order without writers waiting on
 * each other (see src/delivery/event-log.ts).
 */
export class EventLog1764200000000 implements MigrationInterface {
    name = 'EventLog1764200000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "event_outbox_pending" (
                "pending_id" BIGSERIAL NOT NULL,
                "event_name" character varying(64) NOT NULL,
                "recipient_ids" integer array NOT NULL,
                "payload" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_event_outbox_pending" PRIMARY KEY ("pending_id")
            )
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_event_outbox_unpublished"
        `);
        await queryRunner.query(`
            ALTER TABLE "event_outbox" DROP COLUMN "published_at"
        `);
        // The outside Pusher service is fed per partition under a lease; each starts before the first event
        // not yet pushed (4 partitions, the default of PUSHER_FEED_PARTITIONS; others are added at start).
        await queryRunner.query(`
            CREATE TABLE "event_feed_partitions" (
                "partition_no" integer NOT NULL,
                "owner" character varying(64),
                "lease_until" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "position" bigint NOT NULL,
                CONSTRAINT "PK_event_feed_partitions" PRIMARY KEY ("partition_no")
            )
        `);
        await queryRunner.query(`
            INSERT INTO "event_feed_partitions" ("partition_no", "position")
            SELECT g, coalesce((SELECT min("event_id") - 1 FROM "event_outbox"
                                 WHERE "pushed_at" IS NULL AND "dead_at" IS NULL),
                               (SELECT max("event_id") FROM "event_outbox"), 0)
              FROM generate_series(0, 3) AS g
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_event_outbox_unpushed"
        `);
        await queryRunner.query(`
            ALTER TABLE "event_outbox" DROP COLUMN "pushed_at"
        `);
        // One statement, so the turn it takes is never held across a client's round trips (a frozen process
        // would hold it for as long as it is frozen). Each statement of a volatile function takes a new snapshot:
        // once the advisory lock is ours, the next one sees everything the previous holder numbered.
        await queryRunner.query(`
            CREATE FUNCTION "event_log_sequence"("batch" integer) RETURNS TABLE ("head" bigint, "added" integer)
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
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP FUNCTION "event_log_sequence"(integer)
        `);
        await queryRunner.query(`
            ALTER TABLE "event_outbox" ADD "pushed_at" TIMESTAMP WITH TIME ZONE
        `);
        await queryRunner.query(`
            UPDATE "event_outbox" SET "pushed_at" = "created_at"
             WHERE "event_id" <= (SELECT min("position") FROM "event_feed_partitions")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_event_outbox_unpushed" ON "event_outbox" ("event_id")
            WHERE "pushed_at" IS NULL AND "dead_at" IS NULL
        `);
        await queryRunner.query(`
            DROP TABLE "event_feed_partitions"
        `);
        await queryRunner.query(`
            ALTER TABLE "event_outbox" ADD "published_at" TIMESTAMP WITH TIME ZONE
        `);
        await queryRunner.query(`
            UPDATE "event_outbox" SET "published_at" = "created_at"
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_event_outbox_unpublished" ON "event_outbox" ("event_id")
            WHERE "published_at" IS NULL
        `);
        await queryRunner.query(`
            DROP TABLE "event_outbox_pending"
        `);
    }

}
