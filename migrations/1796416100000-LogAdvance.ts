import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `event_log_advance(batch, notice, after, lim)`: a reader's sequencing and its read in one round trip. It numbers
 * what was committed (`event_log_sequence`), then returns up to `lim` events of the log after `after`, each row
 * with how many this sequencing added. A reader that was woken by a commit used to run the two one after the other.
 */
export class LogAdvance1796416100000 implements MigrationInterface {
    name = 'LogAdvance1796416100000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE FUNCTION "event_log_advance"("batch" integer, "notice" text, "after" bigint, "lim" integer)
            RETURNS TABLE ("event_id" bigint, "event_name" varchar, "recipient_ids" integer[], "payload" text,
                           "created_at" timestamptz, "added" integer)
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
              "sequenced" integer;
            BEGIN
              SELECT s."added" INTO "sequenced" FROM "event_log_sequence"("batch", "notice") AS s;
              RETURN QUERY
                SELECT e."event_id", e."event_name", e."recipient_ids", e."payload", e."created_at", "sequenced"
                  FROM "event_outbox" AS e
                 WHERE e."event_id" > "after"
                 ORDER BY e."event_id"
                 LIMIT "lim";
            END
            $$
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP FUNCTION "event_log_advance"(integer, text, bigint, integer)
        `);
    }

}
