-- AlterTable
ALTER TABLE "Document" ADD COLUMN "signedAt" TIMESTAMP(3);
