import { MigrationInterface, QueryRunner } from "typeorm";

export class EventOutbox1764160000000 implements MigrationInterface {
    name = 'EventOutbox1764160000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "event_outbox" (
                "event_id" BIGSERIAL NOT NULL,
                "event_name" character varying(64) NOT NULL,
                "recipient_ids" integer array NOT NULL,
                "payload" text NOT NULL,
                "published_at" TIMESTAMP WITH TIME ZONE,
                "attempts" integer NOT NULL DEFAULT '0',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_49f1fea2eed3482bfa93e4e2777" PRIMARY KEY ("event_id")
            )
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP TABLE "event_outbox"
        `);
    }

}
