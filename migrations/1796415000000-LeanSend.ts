import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A message in one statement, and a sequencing that announces itself.
 *
 * `stage_events` is what a transaction's staged events and its unread-count check write at commit (it was the SQL of
 * `insertOutboxRows`); `send_message` inserts a message and stages its event and its receiver's counts with it, in
 * one statement and one implicit transaction instead of BEGIN, INSERT, the staging and COMMIT: four round trips
 * became one. The counts must be read after the insert's triggers moved them, which one WITH statement cannot do
 * (its triggers fire at its end), hence a function. The payload is built by the server (`legacyPayload`); only the
 * message id, drawn by the insert, goes between its two parts.
 *
 * `event_log_sequence(batch, notice)` sends the `NOTIFY` that wakes other instances itself when it added rows
 * (`notice` is the payload's prefix, NULL for none), instead of a statement of its own after each sequencing.
 */
export class LeanSend1796415000000 implements MigrationInterface {
    name = 'LeanSend1796415000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE FUNCTION "stage_events"("names" varchar[], "recipients" text[], "payloads" text[],
                                           "counts_of" integer[], "counts_name" varchar) RETURNS integer
            LANGUAGE sql VOLATILE AS $$
              WITH "announced" AS (
                UPDATE "unread_counts"
                   SET "announced_messages" = "unseen_messages",
                       "announced_conversations" = "unseen_conversations",
                       "announced_notifications" = "unseen_notifications"
                 WHERE "user_id" = ANY("counts_of")
                   AND ("unseen_messages", "unseen_conversations", "unseen_notifications")
                       IS DISTINCT FROM ("announced_messages", "announced_conversations", "announced_notifications")
                 RETURNING "user_id",
                           format('{"unseen_messages":%s,"unseen_conversations":%s,"unseen_notifications":%s}',
                                  "unseen_messages", "unseen_conversations", "unseen_notifications") AS "payload"),
              "staged" AS (
                SELECT 0 AS "part", "position", "name", "recipient_list"::int[] AS "recipient_ids", "payload"
                  FROM unnest("names", "recipients", "payloads") WITH ORDINALITY
                       AS "row"("name", "recipient_list", "payload", "position")
                UNION ALL
                SELECT 1, "user_id", "counts_name", ARRAY["user_id"], "payload" FROM "announced"),
              "inserted" AS (
                INSERT INTO "event_outbox_pending" ("event_name", "recipient_ids", "payload")
                SELECT "name", "recipient_ids", "payload" FROM "staged" ORDER BY "part", "position"
                RETURNING 1)
              SELECT count(*)::integer FROM "inserted"
            $$
        `);
        await queryRunner.query(`
            CREATE FUNCTION "send_message"("message_detail" text, "initial_status" "message_status",
                                           "sender" integer, "receiver" integer, "sent_at" timestamptz,
                                           "payload_head" text, "payload_tail" text,
                                           "created_name" varchar, "counts_name" varchar) RETURNS SETOF "messages"
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
              "message" "messages";
            BEGIN
              INSERT INTO "messages" ("detail", "status", "sender_id", "receiver_id", "created_at", "updated_at")
              VALUES ("message_detail", "initial_status", "sender", "receiver", "sent_at", "sent_at")
              RETURNING * INTO "message";
              PERFORM "stage_events"(ARRAY["created_name"], ARRAY['{' || "receiver" || '}'],
                                     ARRAY["payload_head" || "message"."message_id" || "payload_tail"],
                                     ARRAY["receiver"], "counts_name");
              RETURN NEXT "message";
            END
            $$
        `);
        await queryRunner.query(`
            DROP FUNCTION "event_log_sequence"(integer)
        `);
        await queryRunner.query(`
            CREATE FUNCTION "event_log_sequence"("batch" integer, "notice" text) RETURNS TABLE ("head" bigint, "added" integer)
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
              "newest" bigint;
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
                 WHERE "event_name" IN ('MessageCreated', 'MessageUpdated', 'NotificationCreated', 'NotificationUpdated')
                ON CONFLICT DO NOTHING)
              SELECT count(*)::integer INTO "added" FROM "logged";
              SELECT coalesce(max("event_id"), 0)::bigint INTO "newest" FROM "event_outbox";
              IF "added" > 0 AND "notice" IS NOT NULL THEN
                PERFORM pg_notify('event_log', "notice" || "newest");
              END IF;
              RETURN QUERY SELECT "newest", "added";
            END
            $$
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP FUNCTION "event_log_sequence"(integer, text)
        `);
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
                RETURNING *),
              "logged" AS (
                INSERT INTO "event_outbox" ("event_name", "recipient_ids", "payload", "created_at")
                SELECT "event_name", "recipient_ids", "payload", "created_at" FROM "moved" ORDER BY "pending_id"
                RETURNING "event_id", "event_name", "recipient_ids"),
              "indexed" AS (
                INSERT INTO "event_recipients" ("user_id", "event_id")
                SELECT DISTINCT r, "event_id" FROM "logged", unnest("recipient_ids") AS r
                 WHERE "event_name" IN ('MessageCreated', 'MessageUpdated', 'NotificationCreated', 'NotificationUpdated')
                ON CONFLICT DO NOTHING)
              SELECT count(*)::integer INTO "added" FROM "logged";
              RETURN QUERY SELECT coalesce(max("event_id"), 0)::bigint, "added" FROM "event_outbox";
            END
            $$
        `);
        await queryRunner.query(`
            DROP FUNCTION "send_message"(text, "message_status", integer, integer, timestamptz, text, text, varchar, varchar)
        `);
        await queryRunner.query(`
            DROP FUNCTION "stage_events"(varchar[], text[], text[], integer[], varchar)
        `);
    }

}
