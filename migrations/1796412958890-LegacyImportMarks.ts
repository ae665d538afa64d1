import { MigrationInterface, QueryRunner } from "typeorm";

export class LegacyImportMarks1796412958890 implements MigrationInterface {
    name = 'LegacyImportMarks1796412958890'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "legacy_import_marks" (
                "table_name" character varying(64) NOT NULL,
                "last_id" bigint NOT NULL,
                "last_updated_at" character varying(32),
                "imported_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_fb813571be0a3f27f34d7d8c106" PRIMARY KEY ("table_name")
            )
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP TABLE "legacy_import_marks"
        `);
    }

}
