-- Create "users" table
CREATE TABLE "public"."users" ("id" bigint NOT NULL, "email" text NOT NULL, PRIMARY KEY ("id"));
