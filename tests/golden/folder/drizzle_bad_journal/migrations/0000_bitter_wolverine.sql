CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"email" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_idx" ON "users" USING btree ("email");
