import { MigrationInterface, QueryRunner } from "typeorm";

export class EventReplay1764180000000 implements MigrationInterface {
    name = 'EventReplay1764180000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE INDEX "IDX_event_outbox_recipients" ON "event_outbox" USING GIN ("recipient_ids")
        `);
        await queryRunner.query(`
            CREATE TABLE "event_retention_marks" (
                "user_id" integer NOT NULL,
                "pruned_through" bigint NOT NULL,
                CONSTRAINT "PK_event_retention_marks" PRIMARY KEY ("user_id")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "unread_counts" (
                "user_id" integer NOT NULL,
                "unseen_messages" integer NOT NULL,
                "unseen_conversations" integer NOT NULL,
                "unseen_notifications" integer NOT NULL,
                CONSTRAINT "PK_unread_counts" PRIMARY KEY ("user_id")
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "unread_counts"
            ADD CONSTRAINT "FK_40a5ad7940b51f0be2b19ab5422" FOREIGN KEY ("user_id") REFERENCES "users"("user_id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        // The counts users already have, so the first change announces only what it moved.
        await queryRunner.query(`
            INSERT INTO "unread_counts" ("user_id", "unseen_messages", "unseen_conversations", "unseen_notifications")
            SELECT u.user_id,
                   (SELECT count(*) FROM messages m WHERE m.receiver_id = u.user_id AND m.status = 'unseen'),
                   (SELECT count(DISTINCT m.sender_id) FROM messages m WHERE m.receiver_id = u.user_id AND m.status = 'unseen'),
                   (SELECT count(*) FROM notifications n WHERE n.receiver_id = u.user_id AND n.status = 'unseen')
              FROM users u
             WHERE EXISTS (SELECT 1 FROM messages m WHERE m.receiver_id = u.user_id AND m.status = 'unseen')
                OR EXISTS (SELECT 1 FROM notifications n WHERE n.receiver_id = u.user_id AND n.status = 'unseen')
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP TABLE "unread_counts"
        `);
        await queryRunner.query(`
            DROP TABLE "event_retention_marks"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_event_outbox_recipients"
        `);
    }

}
