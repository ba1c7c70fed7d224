/* mbedtls AES-GCM as we build it: mk/patches/mbedtls-3.6-gcm-aesni-bulk.patch sends whole
 * blocks through an AES-NI + PCLMULQDQ path of our own, four blocks at a time. Every TLS
 * record the server sends or receives goes through it, so it is held to OpenSSL's answers
 * and to mbedtls's own block-at-a-time code (mbedtls's own GCM, AES and cipher suites run
 * against the same build in `make test`: tests/run.sh). */
#include "testutil.h"

#include <mbedtls/aes.h>
#include <mbedtls/gcm.h>
#include <mbedtls/sha256.h>

#define MAX_LEN 2100

struct vec {
	unsigned key_len, pt_len, aad_len;
	const char *ct_sha256, *tag;
};

/* From OpenSSL (Node's crypto): key 00 01 02…, IV a0 a1 … ab, AAD (13i + 5) mod 256,
 * plaintext (7i + 3) mod 256. */
static const struct vec openssl_vectors[] = {
	{ 16, 1000, 13, "b0371aa0014c0d00539d24ecf1e46d6ae74bdebdfbdfcb2136b0461f0486fbda",
	  "0ac556fe051674823bce128b4406ec94" },
	{ 32, 333, 13, "6ee098096f17fd60f3c5c685efc4ac22cfa0b62ec71ff03bb2a6ae378bce708b",
	  "e6fe5021a87d985663dd5a2ac29297e7" },
	{ 16, 64, 0, "881f042605b942a7bdfef7fbfa55c387de24c820c516c5fce1c86551615f9fb6",
	  "aa6a45bc0190cced14c7ef88032a911d" },
};

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void seal(const unsigned char *key, unsigned key_len, const unsigned char *iv, size_t iv_len,
		 const unsigned char *aad, size_t aad_len, const unsigned char *pt, size_t len,
		 unsigned char *ct, unsigned char tag[16])
{
	mbedtls_gcm_context g;

	mbedtls_gcm_init(&g);
	assert_int_equal(mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, key_len * 8), 0);
	assert_int_equal(mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, len, iv, iv_len, aad,
						   aad_len, pt, ct, 16, tag),
			 0);
	mbedtls_gcm_free(&g);
}

/* The same operation fed one byte per update: every byte takes mbedtls's own path. */
static void crypt_bytewise(int mode, const unsigned char *key, unsigned key_len,
			   const unsigned char *iv, size_t iv_len, const unsigned char *aad,
			   size_t aad_len, const unsigned char *in, size_t len, unsigned char *out,
			   unsigned char tag[16])
{
	mbedtls_gcm_context g;
	size_t olen;

	mbedtls_gcm_init(&g);
	assert_int_equal(mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, key_len * 8), 0);
	assert_int_equal(mbedtls_gcm_starts(&g, mode, iv, iv_len), 0);
	assert_int_equal(mbedtls_gcm_update_ad(&g, aad, aad_len), 0);
	for (size_t i = 0; i < len; i++) {
		assert_int_equal(mbedtls_gcm_update(&g, in + i, 1, out + i, 1, &olen), 0);
		assert_int_equal(olen, 1);
	}
	assert_int_equal(mbedtls_gcm_finish(&g, NULL, 0, &olen, tag, 16), 0);
	mbedtls_gcm_free(&g);
}

static void matches_openssl(void **state)
{
	unsigned char key[32], iv[12], aad[16], pt[MAX_LEN], ct[MAX_LEN], back[MAX_LEN];
	unsigned char tag[16], digest[32];
	char got[65];

	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	for (size_t i = 0; i < sizeof(iv); i++)
		iv[i] = (unsigned char)(0xa0 + i);
	for (size_t i = 0; i < sizeof(aad); i++)
		aad[i] = (unsigned char)(i * 13 + 5);
	for (size_t i = 0; i < MAX_LEN; i++)
		pt[i] = (unsigned char)(i * 7 + 3);
	for (size_t v = 0; v < sizeof(openssl_vectors) / sizeof(openssl_vectors[0]); v++) {
		const struct vec *e = &openssl_vectors[v];
		mbedtls_gcm_context g;

		seal(key, e->key_len, iv, sizeof(iv), aad, e->aad_len, pt, e->pt_len, ct, tag);
		assert_int_equal(mbedtls_sha256(ct, e->pt_len, digest, 0), 0);
		hex(digest, 32, got);
		assert_string_equal(got, e->ct_sha256);
		hex(tag, 16, got);
		assert_string_equal(got, e->tag);

		mbedtls_gcm_init(&g);
		assert_int_equal(mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, e->key_len * 8),
				 0);
		assert_int_equal(mbedtls_gcm_auth_decrypt(&g, e->pt_len, iv, sizeof(iv), aad,
							  e->aad_len, tag, 16, ct, back),
				 0);
		assert_memory_equal(back, pt, e->pt_len);
		ct[e->pt_len / 2] ^= 1; /* one flipped bit anywhere fails the tag */
		assert_int_equal(mbedtls_gcm_auth_decrypt(&g, e->pt_len, iv, sizeof(iv), aad,
							  e->aad_len, tag, 16, ct, back),
				 MBEDTLS_ERR_GCM_AUTH_FAILED);
		mbedtls_gcm_free(&g);
	}
}

static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Every length to 600 bytes and random ones beyond, random keys (all three sizes), IVs of 12
 * and 16 bytes (the latter start the counter anywhere), AAD of 0–40 bytes: the whole-message
 * call and the byte-at-a-time one agree on ciphertext, plaintext and tag. */
static void agrees_with_blockwise(void **state)
{
	static unsigned char pt[MAX_LEN], ct[MAX_LEN], ct2[MAX_LEN], back[MAX_LEN];
	static const unsigned key_lens[] = { 16, 24, 32 };
	unsigned char key[32], iv[16], aad[40], tag[16], tag2[16];
	uint32_t s = 0x9e3779b9;

	(void)state;
	for (unsigned n = 0; n < 700; n++) {
		size_t len = n <= 600 ? n : 601 + next_rand(&s) % (MAX_LEN - 601);
		unsigned key_len = key_lens[n % 3];
		size_t iv_len = n % 2 ? 16 : 12, aad_len = next_rand(&s) % 41;

		for (size_t i = 0; i < sizeof(key); i++)
			key[i] = (unsigned char)next_rand(&s);
		for (size_t i = 0; i < sizeof(iv); i++)
			iv[i] = (unsigned char)next_rand(&s);
		for (size_t i = 0; i < aad_len; i++)
			aad[i] = (unsigned char)next_rand(&s);
		for (size_t i = 0; i < len; i++)
			pt[i] = (unsigned char)next_rand(&s);

		seal(key, key_len, iv, iv_len, aad, aad_len, pt, len, ct, tag);
		crypt_bytewise(MBEDTLS_GCM_ENCRYPT, key, key_len, iv, iv_len, aad, aad_len, pt, len,
			       ct2, tag2);
		assert_memory_equal(ct, ct2, len);
		assert_memory_equal(tag, tag2, 16);
		crypt_bytewise(MBEDTLS_GCM_DECRYPT, key, key_len, iv, iv_len, aad, aad_len, ct, len,
			       back, tag2);
		assert_memory_equal(back, pt, len);
		assert_memory_equal(tag, tag2, 16);
	}
}

/* TLS encrypts and decrypts records in place, and mbedtls allows output to start before
 * input; updates may also split a message at any byte. */
static void in_place_and_split(void **state)
{
	static unsigned char pt[MAX_LEN], ct[MAX_LEN], buf[MAX_LEN + 32];
	unsigned char key[16] = { 7 }, iv[12] = { 9 }, tag[16], tag2[16];
	mbedtls_gcm_context g;
	size_t olen, done;

	(void)state;
	for (size_t i = 0; i < MAX_LEN; i++)
		pt[i] = (unsigned char)(i * 31);
	seal(key, 16, iv, 12, NULL, 0, pt, 1500, ct, tag);

	memcpy(buf, pt, 1500);
	seal(key, 16, iv, 12, NULL, 0, buf, 1500, buf, tag2);
	assert_memory_equal(buf, ct, 1500);
	assert_memory_equal(tag2, tag, 16);

	memcpy(buf + 24, pt, 1500); /* output 24 bytes before input */
	seal(key, 16, iv, 12, NULL, 0, buf + 24, 1500, buf, tag2);
	assert_memory_equal(buf, ct, 1500);
	assert_memory_equal(tag2, tag, 16);

	mbedtls_gcm_init(&g);
	assert_int_equal(mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, 128), 0);
	assert_int_equal(mbedtls_gcm_starts(&g, MBEDTLS_GCM_ENCRYPT, iv, 12), 0);
	for (done = 0; done < 1500;) {
		size_t step = 1500 - done < 77 ? 1500 - done : 77; /* 77: never block-aligned */
		assert_int_equal(mbedtls_gcm_update(&g, pt + done, step, buf + done, step, &olen),
				 0);
		done += step;
	}
	assert_int_equal(mbedtls_gcm_finish(&g, NULL, 0, &olen, tag2, 16), 0);
	mbedtls_gcm_free(&g);
	assert_memory_equal(buf, ct, 1500);
	assert_memory_equal(tag2, tag, 16);
}

/* The patch's internal entry points (library/aesni.h, not installed) and mbedtls's own
 * one-block GHASH multiply, which the reference below is built from. */
void mbedtls_aesni_gcm_mult(unsigned char c[16], const unsigned char a[16],
			    const unsigned char b[16]);
void mbedtls_aesni_gcm_blocks(const mbedtls_aes_context *aes, int decrypt, unsigned char y[16],
			      unsigned char x[16], const unsigned char h[16],
			      const unsigned char *input, unsigned char *output, size_t nblocks);
int mbedtls_aesni_has_support(unsigned int what);
#define AESNI_AES 0x02000000u	/* MBEDTLS_AESNI_AES */
#define AESNI_CLMUL 0x00000002u /* MBEDTLS_AESNI_CLMUL */

/* GCM's counter mode and GHASH one block at a time, from mbedtls's AES and multiply: the
 * counter's low 32 bits (big-endian) step and wrap, X = (X + C) * H. */
static void reference_blocks(const mbedtls_aes_context *aes, int decrypt, unsigned char y[16],
			     unsigned char x[16], const unsigned char h[16],
			     const unsigned char *in, unsigned char *out, size_t n)
{
	unsigned char ks[16], c[16];

	for (size_t i = 0; i < n; i++, in += 16, out += 16) {
		for (int b = 15; b >= 12 && ++y[b] == 0; b--)
			;
		assert_int_equal(mbedtls_aes_crypt_ecb((mbedtls_aes_context *)aes,
						       MBEDTLS_AES_ENCRYPT, y, ks),
				 0);
		for (int b = 0; b < 16; b++) {
			c[b] = decrypt ? in[b] : (unsigned char)(in[b] ^ ks[b]);
			out[b] = (unsigned char)(in[b] ^ ks[b]);
			x[b] ^= c[b];
		}
		memcpy(c, x, 16);
		mbedtls_aesni_gcm_mult(x, c, h);
	}
}

/* The bulk path against the reference, all key sizes, both directions, counters that wrap
 * inside a four-block step: output, counter and GHASH state equal. The block counts cover
 * every way a call splits into four-block steps and single blocks (0-3 left over, with no
 * step, one, and many). gcm.c takes the path only where the CPU has AES-NI and PCLMULQDQ;
 * elsewhere there is nothing to test (and calling it would fault). */
static void bulk_matches_reference(void **state)
{
	static const size_t counts[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 63, 64, 65, 66, 130 };
	static const unsigned key_lens[] = { 16, 24, 32 };
	static unsigned char in[130 * 16], want[130 * 16], got[130 * 16];
	unsigned char key[32], zero[16] = { 0 }, h[16];
	unsigned char y0[16], x0[16], y1[16], x1[16], y2[16], x2[16]; /* start, reference, ours */
	const size_t ncounts = sizeof(counts) / sizeof(counts[0]);
	uint32_t s = 0x2545f491;

	(void)state;
	if (!mbedtls_aesni_has_support(AESNI_AES | AESNI_CLMUL)) {
		print_message(
			"      (no AES-NI + PCLMULQDQ on this CPU: mbedtls's own code runs)\n");
		skip();
	}
	for (size_t t = 0; t < 3 * 2 * ncounts; t++) {
		size_t n = counts[t % ncounts];
		int decrypt = (int)(t / ncounts) % 2;
		mbedtls_aes_context aes;

		for (size_t i = 0; i < sizeof(key); i++)
			key[i] = (unsigned char)next_rand(&s);
		mbedtls_aes_init(&aes);
		assert_int_equal(mbedtls_aes_setkey_enc(&aes, key, key_lens[t % 3] * 8), 0);
		assert_int_equal(mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, zero, h), 0);
		for (size_t i = 0; i < 16; i++) {
			y0[i] = (unsigned char)next_rand(&s);
			x0[i] = (unsigned char)next_rand(&s);
		}
		/* the middle third of the cases (every count, both directions) starts 2 short of
		 * the wrap: it wraps inside the first step */
		if ((t / (2 * ncounts)) % 3 == 1)
			memset(y0 + 12, 0xff, 4), y0[15] = 0xfd;
		for (size_t i = 0; i < n * 16; i++)
			in[i] = (unsigned char)next_rand(&s);

		memcpy(y1, y0, 16), memcpy(x1, x0, 16);
		reference_blocks(&aes, decrypt, y1, x1, h, in, want, n);

		memcpy(y2, y0, 16), memcpy(x2, x0, 16);
		mbedtls_aesni_gcm_blocks(&aes, decrypt, y2, x2, h, in, got, n);
		assert_memory_equal(got, want, n * 16);
		assert_memory_equal(y2, y1, 16);
		assert_memory_equal(x2, x1, 16);

		memcpy(got, in, n * 16); /* in place */
		memcpy(y2, y0, 16), memcpy(x2, x0, 16);
		mbedtls_aesni_gcm_blocks(&aes, decrypt, y2, x2, h, got, got, n);
		assert_memory_equal(got, want, n * 16);
		assert_memory_equal(x2, x1, 16);
		mbedtls_aes_free(&aes);
	}
}

/* mbedtls's own known-answer tests (NIST vectors, AES-128/192/256, in one part and in
 * several). */
static void mbedtls_self_test(void **state)
{
	(void)state;
	assert_int_equal(mbedtls_gcm_self_test(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("gcm-1.1 AES-128/256-GCM ciphertext and tag equal OpenSSL's; a flipped bit fails",
		     matches_openssl),
		TEST("gcm-1.2 whole messages agree with byte-at-a-time updates, 0-2100 bytes",
		     agrees_with_blockwise),
		TEST("gcm-1.3 in place, output before input, and updates split off the block",
		     in_place_and_split),
		TEST("gcm-1.4 mbedtls's own GCM self-test (NIST vectors)", mbedtls_self_test),
		TEST("gcm-1.5 the 4-block path equals one-block CTR + GHASH, wrapping counters",
		     bulk_matches_reference),
	};
	return cmocka_run_group_tests_name("gcm", tests, NULL, NULL);
}
