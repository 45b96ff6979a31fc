CREATE TABLE "identities" (
"id" TEXT PRIMARY KEY,
"traits" TEXT NOT NULL,
"created_at" DATETIME NOT NULL
);
