-- DropForeignKey
ALTER TABLE "Document" DROP CONSTRAINT "Document_userId_fkey";

-- DropTable
DROP TABLE "Document";

-- AlterTable
ALTER TABLE "User" DROP COLUMN "name";

-- DropEnum
DROP TYPE "DocumentStatus";
