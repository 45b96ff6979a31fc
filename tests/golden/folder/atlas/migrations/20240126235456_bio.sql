-- atlas:txmode none
-- a directive joined to the statement is no directive (Atlas)
ALTER TABLE "public"."users" ADD COLUMN "bio" text NULL;
