import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Instances feeding the outside Pusher service announce themselves with a heartbeat, so they can share the
 * partitions fairly and a new one with another partition count is refused while they run.
 */
export class FeedInstances1796416000000 implements MigrationInterface {
    name = 'FeedInstances1796416000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "event_feed_instances" (
                "instance_id" character varying(64) NOT NULL,
                "partitions" integer NOT NULL,
                "started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "alive_until" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_event_feed_instances" PRIMARY KEY ("instance_id")
            )
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP TABLE "event_feed_instances"
        `);
    }
}
