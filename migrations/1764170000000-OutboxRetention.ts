import { MigrationInterface, QueryRunner } from "typeorm";

export class OutboxRetention1764170000000 implements MigrationInterface {
    name = 'OutboxRetention1764170000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "event_outbox"
            ADD "pushed_at" TIMESTAMP WITH TIME ZONE
        `);
        await queryRunner.query(`
            ALTER TABLE "event_outbox"
            ADD "dead_at" TIMESTAMP WITH TIME ZONE
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_event_outbox_unpublished" ON "event_outbox" ("event_id")
            WHERE "published_at" IS NULL
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_event_outbox_unpushed" ON "event_outbox" ("event_id")
            WHERE "pushed_at" IS NULL AND "dead_at" IS NULL
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."IDX_event_outbox_unpushed"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_event_outbox_unpublished"
        `);
        await queryRunner.query(`
            ALTER TABLE "event_outbox" DROP COLUMN "dead_at"
        `);
        await queryRunner.query(`
            ALTER TABLE "event_outbox" DROP COLUMN "pushed_at"
        `);
    }

}
