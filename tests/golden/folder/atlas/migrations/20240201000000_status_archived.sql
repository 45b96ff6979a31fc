-- atlas:txmode none

ALTER TYPE "public"."status" ADD VALUE IF NOT EXISTS 'archived';
