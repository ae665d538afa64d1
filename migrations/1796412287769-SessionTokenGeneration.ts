import { MigrationInterface, QueryRunner } from "typeorm";

export class SessionTokenGeneration1796412287769 implements MigrationInterface {
    name = 'SessionTokenGeneration1796412287769'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "auth_sessions"
            ADD "token_generation" integer NOT NULL DEFAULT '0'
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "auth_sessions" DROP COLUMN "token_generation"
        `);
    }

}
