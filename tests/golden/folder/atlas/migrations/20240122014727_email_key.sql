-- atlas:txmode none

-- Create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX CONCURRENTLY "users_email_key" ON "public"."users" ("email");
-- Modify "users" table
ALTER TABLE "public"."users" ADD COLUMN "name" text NULL;
