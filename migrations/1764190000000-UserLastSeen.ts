import { MigrationInterface, QueryRunner } from "typeorm";

export class UserLastSeen1764190000000 implements MigrationInterface {
    name = 'UserLastSeen1764190000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "users"
            ADD "last_seen_at" TIMESTAMP(3) WITH TIME ZONE
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "users" DROP COLUMN "last_seen_at"
        `);
    }

}
