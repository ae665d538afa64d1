import { MigrationInterface, QueryRunner } from "typeorm";

export class UnreadCountersByDelta1796413348927 implements MigrationInterface {
    name = 'UnreadCountersByDelta1796413348927'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "unseen_pairs" (
                "receiver_id" integer NOT NULL,
                "sender_id" integer NOT NULL,
                "unseen" integer NOT NULL DEFAULT '0',
                CONSTRAINT "PK_6dc3555080b17894c0c377ca55c" PRIMARY KEY ("receiver_id", "sender_id")
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "unread_counts"
            ADD "announced_messages" integer NOT NULL DEFAULT '0'
        `);
        await queryRunner.query(`
            ALTER TABLE "unread_counts"
            ADD "announced_conversations" integer NOT NULL DEFAULT '0'
        `);
        await queryRunner.query(`
            ALTER TABLE "unread_counts"
            ADD "announced_notifications" integer NOT NULL DEFAULT '0'
        `);
        await queryRunner.query(`
            ALTER TABLE "unread_counts"
            ALTER COLUMN "unseen_messages"
            SET DEFAULT '0'
        `);
        await queryRunner.query(`
            ALTER TABLE "unread_counts"
            ALTER COLUMN "unseen_conversations"
            SET DEFAULT '0'
        `);
        await queryRunner.query(`
            ALTER TABLE "unread_counts"
            ALTER COLUMN "unseen_notifications"
            SET DEFAULT '0'
        `);
        // From here to the commit no message or notification changes, so the counts below and the triggers that
        // keep them meet with nothing in between.
        await queryRunner.query(`
            LOCK TABLE "messages", "notifications" IN SHARE MODE
        `);
        // The counts held until now were the last announced ones; the current ones are counted from the rows.
        await queryRunner.query(`
            UPDATE "unread_counts"
               SET "announced_messages" = "unseen_messages",
                   "announced_conversations" = "unseen_conversations",
                   "announced_notifications" = "unseen_notifications",
                   "unseen_messages" = 0, "unseen_conversations" = 0, "unseen_notifications" = 0
        `);
        await queryRunner.query(`
            INSERT INTO "unseen_pairs" ("receiver_id", "sender_id", "unseen")
            SELECT "receiver_id", "sender_id", count(*) FROM "messages" WHERE "status" = 'unseen'
             GROUP BY "receiver_id", "sender_id"
        `);
        await queryRunner.query(`
            INSERT INTO "unread_counts" ("user_id", "unseen_messages", "unseen_conversations", "unseen_notifications")
            SELECT "user_id", sum("messages"), sum("conversations"), sum("notifications")
              FROM (SELECT "receiver_id" AS "user_id", "unseen" AS "messages", 1 AS "conversations", 0 AS "notifications"
                      FROM "unseen_pairs"
                    UNION ALL
                    SELECT "receiver_id", 0, 0, 1 FROM "notifications" WHERE "status" = 'unseen') AS "unseen"
             WHERE EXISTS (SELECT 1 FROM "users" u WHERE u."user_id" = "unseen"."user_id")
             GROUP BY "user_id"
            ON CONFLICT ("user_id") DO UPDATE
               SET "unseen_messages" = EXCLUDED."unseen_messages",
                   "unseen_conversations" = EXCLUDED."unseen_conversations",
                   "unseen_notifications" = EXCLUDED."unseen_notifications"
        `);
        // Each statement's changed rows, summed per pair and per user: one upsert per pair and per user touched,
        // whatever the user's inbox holds. Rows are locked in id order, so two statements touching the same users
        // (a notification to many receivers) never wait on each other crosswise. Users deleted in the same
        // statement (a cascade) have no counts left to keep.
        await queryRunner.query(`
            CREATE FUNCTION "apply_unseen_message_deltas"(receivers int[], senders int[], deltas int[])
            RETURNS void LANGUAGE sql AS $$
              WITH d AS (
                SELECT r AS receiver_id, s AS sender_id, sum(x)::int AS delta
                  FROM unnest(receivers, senders, deltas) AS t(r, s, x)
                 GROUP BY r, s HAVING sum(x) <> 0),
              pairs AS (
                INSERT INTO unseen_pairs AS p (receiver_id, sender_id, unseen)
                SELECT receiver_id, sender_id, delta FROM d ORDER BY receiver_id, sender_id
                ON CONFLICT (receiver_id, sender_id) DO UPDATE SET unseen = p.unseen + EXCLUDED.unseen
                RETURNING p.receiver_id, p.sender_id, p.unseen),
              per_user AS (
                SELECT pairs.receiver_id AS user_id, sum(d.delta)::int AS messages,
                       sum((pairs.unseen > 0)::int - (pairs.unseen - d.delta > 0)::int)::int AS conversations
                  FROM pairs JOIN d USING (receiver_id, sender_id)
                 GROUP BY pairs.receiver_id)
              INSERT INTO unread_counts AS c (user_id, unseen_messages, unseen_conversations)
              SELECT user_id, messages, conversations FROM per_user
               WHERE (messages, conversations) <> (0, 0)
                 AND EXISTS (SELECT 1 FROM users u WHERE u.user_id = per_user.user_id)
               ORDER BY user_id
              ON CONFLICT (user_id) DO UPDATE
                 SET unseen_messages = c.unseen_messages + EXCLUDED.unseen_messages,
                     unseen_conversations = c.unseen_conversations + EXCLUDED.unseen_conversations
            $$
        `);
        await queryRunner.query(`
            CREATE FUNCTION "apply_unseen_notification_deltas"(receivers int[], deltas int[])
            RETURNS void LANGUAGE sql AS $$
              INSERT INTO unread_counts AS c (user_id, unseen_notifications)
              SELECT r, sum(x)::int FROM unnest(receivers, deltas) AS t(r, x)
               WHERE EXISTS (SELECT 1 FROM users u WHERE u.user_id = t.r)
               GROUP BY r HAVING sum(x) <> 0
               ORDER BY r
              ON CONFLICT (user_id) DO UPDATE
                 SET unseen_notifications = c.unseen_notifications + EXCLUDED.unseen_notifications
            $$
        `);
        // Statement-level, with transition tables: a bulk change of 20,000 rows is one call, not 20,000.
        await queryRunner.query(`
            CREATE FUNCTION "unread_counts_from_messages"() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'INSERT' THEN
                PERFORM apply_unseen_message_deltas(array_agg(receiver_id), array_agg(sender_id), array_agg(1))
                   FROM new_rows WHERE status = 'unseen';
              ELSIF TG_OP = 'DELETE' THEN
                PERFORM apply_unseen_message_deltas(array_agg(receiver_id), array_agg(sender_id), array_agg(-1))
                   FROM old_rows WHERE status = 'unseen';
              ELSE
                PERFORM apply_unseen_message_deltas(array_agg(receiver_id), array_agg(sender_id), array_agg(delta))
                   FROM (SELECT receiver_id, sender_id, 1 AS delta FROM new_rows WHERE status = 'unseen'
                         UNION ALL
                         SELECT receiver_id, sender_id, -1 FROM old_rows WHERE status = 'unseen') AS changes;
              END IF;
              RETURN NULL;
            END
            $$
        `);
        await queryRunner.query(`
            CREATE FUNCTION "unread_counts_from_notifications"() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'INSERT' THEN
                PERFORM apply_unseen_notification_deltas(array_agg(receiver_id), array_agg(1))
                   FROM new_rows WHERE status = 'unseen';
              ELSIF TG_OP = 'DELETE' THEN
                PERFORM apply_unseen_notification_deltas(array_agg(receiver_id), array_agg(-1))
                   FROM old_rows WHERE status = 'unseen';
              ELSE
                PERFORM apply_unseen_notification_deltas(array_agg(receiver_id), array_agg(delta))
                   FROM (SELECT receiver_id, 1 AS delta FROM new_rows WHERE status = 'unseen'
                         UNION ALL
                         SELECT receiver_id, -1 FROM old_rows WHERE status = 'unseen') AS changes;
              END IF;
              RETURN NULL;
            END
            $$
        `);
        for (const table of ['messages', 'notifications']) {
            await queryRunner.query(`
                CREATE TRIGGER "${table}_unread_counts_insert" AFTER INSERT ON "${table}"
                REFERENCING NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION "unread_counts_from_${table}"()
            `);
            await queryRunner.query(`
                CREATE TRIGGER "${table}_unread_counts_update" AFTER UPDATE ON "${table}"
                REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION "unread_counts_from_${table}"()
            `);
            await queryRunner.query(`
                CREATE TRIGGER "${table}_unread_counts_delete" AFTER DELETE ON "${table}"
                REFERENCING OLD TABLE AS old_rows
                FOR EACH STATEMENT EXECUTE FUNCTION "unread_counts_from_${table}"()
            `);
        }
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        for (const table of ['messages', 'notifications']) {
            for (const op of ['insert', 'update', 'delete']) {
                await queryRunner.query(`
                    DROP TRIGGER "${table}_unread_counts_${op}" ON "${table}"
                `);
            }
        }
        await queryRunner.query(`
            DROP FUNCTION "unread_counts_from_notifications"(), "unread_counts_from_messages"(),
                          "apply_unseen_notification_deltas"(int[], int[]),
                          "apply_unseen_message_deltas"(int[], int[], int[])
        `);
        // Back to what the table held before: the counts last announced.
        await queryRunner.query(`
            UPDATE "unread_counts"
               SET "unseen_messages" = "announced_messages",
                   "unseen_conversations" = "announced_conversations",
                   "unseen_notifications" = "announced_notifications"
        `);
        await queryRunner.query(`
            ALTER TABLE "unread_counts"
            ALTER COLUMN "unseen_notifications" DROP DEFAULT
        `);
        await queryRunner.query(`
            ALTER TABLE "unread_counts"
            ALTER COLUMN "unseen_conversations" DROP DEFAULT
        `);
        await queryRunner.query(`
            ALTER TABLE "unread_counts"
            ALTER COLUMN "unseen_messages" DROP DEFAULT
        `);
        await queryRunner.query(`
            ALTER TABLE "unread_counts" DROP COLUMN "announced_notifications"
        `);
        await queryRunner.query(`
            ALTER TABLE "unread_counts" DROP COLUMN "announced_conversations"
        `);
        await queryRunner.query(`
            ALTER TABLE "unread_counts" DROP COLUMN "announced_messages"
        `);
        await queryRunner.query(`
            DROP TABLE "unseen_pairs"
        `);
    }

}
