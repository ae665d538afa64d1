import { MigrationInterface, QueryRunner } from "typeorm";

export class InitialSchema1764150000000 implements MigrationInterface {
    name = 'InitialSchema1764150000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TYPE "public"."user_role" AS ENUM('jobseeker', 'employer', 'admin')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."user_status" AS ENUM('active', 'banned')
        `);
        await queryRunner.query(`
            CREATE TABLE "users" (
                "user_id" SERIAL NOT NULL,
                "email" character varying(255) NOT NULL,
                "password" character varying(255) NOT NULL,
                "name" character varying(255) NOT NULL,
                "phonenumber" character varying(32) NOT NULL,
                "address" character varying(255) NOT NULL,
                "role" "public"."user_role" NOT NULL,
                "status" "public"."user_status" NOT NULL DEFAULT 'active',
                "image_link" character varying(2048),
                "created_at" TIMESTAMP(0) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(0) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"),
                CONSTRAINT "UQ_3e8a76e8712c22e796f60e63515" UNIQUE ("phonenumber"),
                CONSTRAINT "PK_96aac72f1574b88752e9fb00089" PRIMARY KEY ("user_id")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "auth_sessions" (
                "session_id" uuid NOT NULL,
                "user_id" integer NOT NULL,
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_f4665eb7bdf7003cecde7547798" PRIMARY KEY ("session_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "auth_sessions_user_idx" ON "auth_sessions" ("user_id")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."message_status" AS ENUM('hidden', 'unseen', 'seen')
        `);
        await queryRunner.query(`
            CREATE TABLE "messages" (
                "message_id" SERIAL NOT NULL,
                "detail" text NOT NULL,
                "status" "public"."message_status" NOT NULL DEFAULT 'unseen',
                "sender_id" integer NOT NULL,
                "receiver_id" integer NOT NULL,
                "created_at" TIMESTAMP(0) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(0) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_6187089f850b8deeca0232cfeba" PRIMARY KEY ("message_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "messages_receiver_status_idx" ON "messages" ("receiver_id", "status")
        `);
        await queryRunner.query(`
            CREATE INDEX "messages_receiver_sender_id_idx" ON "messages" ("receiver_id", "sender_id", "message_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "messages_sender_receiver_id_idx" ON "messages" ("sender_id", "receiver_id", "message_id")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."notification_status" AS ENUM('hidden', 'unseen', 'seen')
        `);
        await queryRunner.query(`
            CREATE TABLE "notifications" (
                "notification_id" SERIAL NOT NULL,
                "title" character varying(255) NOT NULL,
                "detail" text NOT NULL,
                "status" "public"."notification_status" NOT NULL DEFAULT 'unseen',
                "receiver_id" integer NOT NULL,
                "created_at" TIMESTAMP(0) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(0) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_eaedfe19f0f765d26afafa85956" PRIMARY KEY ("notification_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "notifications_receiver_status_idx" ON "notifications" ("receiver_id", "status")
        `);
        await queryRunner.query(`
            CREATE INDEX "notifications_receiver_id_idx" ON "notifications" ("receiver_id", "notification_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "refresh_tokens" (
                "token_hash" character(64) NOT NULL,
                "session_id" uuid NOT NULL,
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "used_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_a7838d2ba25be1342091b6695f1" PRIMARY KEY ("token_hash")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "refresh_tokens_session_idx" ON "refresh_tokens" ("session_id")
        `);
        await queryRunner.query(`
            ALTER TABLE "auth_sessions"
            ADD CONSTRAINT "FK_50ccaa6440288a06f0ba693ccc6" FOREIGN KEY ("user_id") REFERENCES "users"("user_id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "messages"
            ADD CONSTRAINT "FK_22133395bd13b970ccd0c34ab22" FOREIGN KEY ("sender_id") REFERENCES "users"("user_id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "messages"
            ADD CONSTRAINT "FK_b561864743d235f44e70addc1f5" FOREIGN KEY ("receiver_id") REFERENCES "users"("user_id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "notifications"
            ADD CONSTRAINT "FK_343c8ee2cd2f4036f2a3423989e" FOREIGN KEY ("receiver_id") REFERENCES "users"("user_id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "refresh_tokens"
            ADD CONSTRAINT "FK_3bf308fa93da3966f9e76fcfba4" FOREIGN KEY ("session_id") REFERENCES "auth_sessions"("session_id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "refresh_tokens" DROP CONSTRAINT "FK_3bf308fa93da3966f9e76fcfba4"
        `);
        await queryRunner.query(`
            ALTER TABLE "notifications" DROP CONSTRAINT "FK_343c8ee2cd2f4036f2a3423989e"
        `);
        await queryRunner.query(`
            ALTER TABLE "messages" DROP CONSTRAINT "FK_b561864743d235f44e70addc1f5"
        `);
        await queryRunner.query(`
            ALTER TABLE "messages" DROP CONSTRAINT "FK_22133395bd13b970ccd0c34ab22"
        `);
        await queryRunner.query(`
            ALTER TABLE "auth_sessions" DROP CONSTRAINT "FK_50ccaa6440288a06f0ba693ccc6"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."refresh_tokens_session_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "refresh_tokens"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."notifications_receiver_id_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."notifications_receiver_status_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "notifications"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."notification_status"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."messages_sender_receiver_id_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."messages_receiver_sender_id_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."messages_receiver_status_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "messages"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."message_status"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."auth_sessions_user_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "auth_sessions"
        `);
        await queryRunner.query(`
            DROP TABLE "users"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."user_status"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."user_role"
        `);
    }

}
