/* hash.c - SHA-256 (and other tools' SHA-384, MD5) in lower-case hex
 * (see hash.h for why not EVP). */
/* SHA256_Init and friends are kept for compatibility in OpenSSL 3 */
#define OPENSSL_API_COMPAT 0x10100000L

#include <openssl/md5.h>

#include "hash.h"

static void
to_hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void
hash_sha384_hex(const void *data, size_t len, char out[HASH384_HEX])
{
	unsigned char d[SHA384_DIGEST_LENGTH];

	SHA384(data, len, d);
	to_hex(d, sizeof(d), out);
}

void
hash_md5_hex(const void *data, size_t len, char out[HASHMD5_HEX])
{
	unsigned char d[MD5_DIGEST_LENGTH];

	MD5(data, len, d);
	to_hex(d, sizeof(d), out);
}

void
hash_init(struct hash *h)
{
	SHA256_Init(&h->ctx);
}

void
hash_update(struct hash *h, const void *data, size_t len)
{
	SHA256_Update(&h->ctx, data, len);
}

void
hash_final_hex(struct hash *h, char out[HASH_HEX])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256_Final(md, &h->ctx);
	to_hex(md, sizeof(md), out);
}

void
hash_hex(const void *data, size_t len, char out[HASH_HEX])
{
	struct hash h;

	hash_init(&h);
	hash_update(&h, data, len);
	hash_final_hex(&h, out);
}

void
hash_hex_unpadded(const void *data, size_t len, char out[HASH_HEX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char d[SHA256_DIGEST_LENGTH];
	size_t n = 0;

	SHA256(data, len, d);
	for (size_t i = 0; i < sizeof(d); i++) {
		if (d[i] >> 4)
			out[n++] = digits[d[i] >> 4];
		out[n++] = digits[d[i] & 15];
	}
	out[n] = '\0';
}
