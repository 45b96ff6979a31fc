/*
 * hash.h - SHA-256 for checksums, plan hashes and the audit chain.
 *
 * OpenSSL's SHA-256 through its low-level interface: the same code as EVP's,
 * without loading a provider.  In OpenSSL 3 the first EVP digest fetch
 * initialises the default provider and its algorithm tables, about 2 MB of
 * resident memory in every process for one hash function; that matters for a
 * daemon that idles on every application host (measured: VmRSS 2.8 MB ->
 * 5.0 MB with EVP_Digest, -> 3.1 MB with SHA256_Update).  No allocation.
 */
#ifndef MIGRATE_HASH_H
#define MIGRATE_HASH_H

#include <stddef.h>

#include <openssl/sha.h>

#define HASH_HEX	65	/* 64 hex digits and a NUL */

struct hash {
	SHA256_CTX	ctx;
};

void	hash_init(struct hash *);
void	hash_update(struct hash *, const void *, size_t);
void	hash_final_hex(struct hash *, char out[HASH_HEX]);
/* One shot: out = lower-case hex SHA-256 of data. */
void	hash_hex(const void *data, size_t len, char out[HASH_HEX]);
/* Other tools' checksums of a file, lower-case hex: SQLx's SHA-384,
 * postgrator's MD5. */
#define HASH384_HEX	97
#define HASHMD5_HEX	33
void	hash_sha384_hex(const void *data, size_t len, char out[HASH384_HEX]);
void	hash_md5_hex(const void *data, size_t len, char out[HASHMD5_HEX]);
/* SHA-256 with each byte in hex without zero padding ("{:x}"): the form
 * an old Prisma engine recorded (prisma-engines issue 1887). */
void	hash_hex_unpadded(const void *data, size_t len, char out[HASH_HEX]);

#endif
