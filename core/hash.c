/* hash.c - SHA-256 in lower-case hex (see hash.h for why not EVP). */
/* SHA256_Init and friends are kept for compatibility in OpenSSL 3 */
#define OPENSSL_API_COMPAT 0x10100000L

#include "hash.h"

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
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256_Final(md, &h->ctx);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
}

void
hash_hex(const void *data, size_t len, char out[HASH_HEX])
{
	struct hash h;

	hash_init(&h);
	hash_update(&h, data, len);
	hash_final_hex(&h, out);
}
