/* Development certificate and certificate checks; see cert.h. */
#include "core/cert.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/crypto.h"
#include "core/log.h"

#define VALID_DAYS 730

static int rng(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	return crypto_random(out, len) == 0 ? 0 : MBEDTLS_ERR_ERROR_GENERIC_ERROR;
}

/* Writes data to path atomically (temp file + rename) with the given mode. */
static int write_file(const char *path, const unsigned char *data, size_t len, mode_t mode)
{
	char tmp[4096];
	int fd;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	if (n != (ssize_t)len || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

static void validity(char nb[16], char na[16])
{
	time_t now = time(NULL), from = now - 86400, to = now + (time_t)VALID_DAYS * 86400;
	struct tm tm;

	gmtime_r(&from, &tm);
	strftime(nb, 16, "%Y%m%d%H%M%S", &tm);
	gmtime_r(&to, &tm);
	strftime(na, 16, "%Y%m%d%H%M%S", &tm);
}

/* Fills the certificate fields; the key signs its own certificate. */
static int crt_setup(mbedtls_x509write_cert *crt, mbedtls_pk_context *key)
{
	static unsigned char ip[4] = { 127, 0, 0, 1 };
	static unsigned char dns[] = "localhost";
	mbedtls_x509_san_list san_ip = { .node = { .type = MBEDTLS_X509_SAN_IP_ADDRESS },
					 .next = NULL };
	mbedtls_x509_san_list san_dns = { .node = { .type = MBEDTLS_X509_SAN_DNS_NAME },
					  .next = &san_ip };
	unsigned char serial[16];
	char nb[16], na[16];
	int rc;

	san_ip.node.san.unstructured_name = (mbedtls_x509_buf){ .p = ip, .len = sizeof(ip) };
	san_dns.node.san.unstructured_name = (mbedtls_x509_buf){ .p = dns, .len = sizeof(dns) - 1 };
	if (crypto_random(serial, sizeof(serial)) != 0)
		return -1;
	serial[0] &= 0x7f; /* positive INTEGER */
	validity(nb, na);
	mbedtls_x509write_crt_set_version(crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(crt, key);
	mbedtls_x509write_crt_set_issuer_key(crt, key);
	rc = mbedtls_x509write_crt_set_subject_name(crt, "CN=localhost,O=mingshi development");
	rc = rc ? rc
		: mbedtls_x509write_crt_set_issuer_name(crt, "CN=localhost,O=mingshi development");
	rc = rc ? rc : mbedtls_x509write_crt_set_serial_raw(crt, serial, sizeof(serial));
	rc = rc ? rc : mbedtls_x509write_crt_set_validity(crt, nb, na);
	rc = rc ? rc : mbedtls_x509write_crt_set_basic_constraints(crt, 0, -1);
	rc = rc ? rc : mbedtls_x509write_crt_set_key_usage(crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
	rc = rc ? rc : mbedtls_x509write_crt_set_subject_key_identifier(crt);
	rc = rc ? rc : mbedtls_x509write_crt_set_subject_alternative_name(crt, &san_dns);
	return rc;
}

static enum err generate(const char *cert_path, const char *key_path, struct error *e)
{
	unsigned char pem[4096];
	mbedtls_x509write_cert crt;
	mbedtls_pk_context key;
	enum err r = ERR_INTERNAL;
	int rc;

	mbedtls_pk_init(&key);
	mbedtls_x509write_crt_init(&crt);
	rc = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	rc = rc ? rc : mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key), rng, NULL);
	rc = rc ? rc : crt_setup(&crt, &key);
	rc = rc ? rc : mbedtls_pk_write_key_pem(&key, pem, sizeof(pem));
	if (rc != 0 || write_file(key_path, pem, strlen((char *)pem), 0600) != 0) {
		error_set(e, ERR_UNAVAILABLE, NULL, "cannot write the TLS key %s (%s)", key_path,
			  rc ? "mbedtls error" : strerror(errno));
		goto out;
	}
	rc = mbedtls_x509write_crt_pem(&crt, pem, sizeof(pem), rng, NULL);
	if (rc != 0 || write_file(cert_path, pem, strlen((char *)pem), 0644) != 0) {
		error_set(e, ERR_UNAVAILABLE, NULL, "cannot write the TLS certificate %s (%s)",
			  cert_path, rc ? "mbedtls error" : strerror(errno));
		goto out;
	}
	log_info("tls: made a self-signed ECDSA P-256 certificate for localhost, 127.0.0.1: %s",
		 cert_path);
	r = ERR_OK;
out:
	mbedtls_platform_zeroize(pem, sizeof(pem));
	mbedtls_x509write_crt_free(&crt);
	mbedtls_pk_free(&key);
	return r;
}

enum err cert_ensure_self_signed(const char *data_dir, char *cert_out, char *key_out, size_t cap,
				 struct error *e)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/certs", data_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return error_set(e, ERR_UNAVAILABLE, NULL, "cannot create %s: %s", dir,
				 strerror(errno));
	snprintf(cert_out, cap, "%s/cert.pem", dir);
	snprintf(key_out, cap, "%s/key.pem", dir);
	if (access(cert_out, R_OK) == 0 && access(key_out, R_OK) == 0)
		return cert_check_files(cert_out, key_out, e);
	return generate(cert_out, key_out, e);
}

enum err cert_check_files(const char *cert_path, const char *key_path, struct error *e)
{
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	enum err r = ERR_OK;

	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&key);
	if (access(cert_path, R_OK) != 0)
		r = error_set(e, ERR_INVALID, "cert", "cannot read the certificate %s: %s",
			      cert_path, strerror(errno));
	else if (mbedtls_x509_crt_parse_file(&crt, cert_path) != 0)
		r = error_set(e, ERR_INVALID, "cert", "%s is not a PEM or DER certificate",
			      cert_path);
	else if (access(key_path, R_OK) != 0)
		r = error_set(e, ERR_INVALID, "key", "cannot read the private key %s: %s", key_path,
			      strerror(errno));
	else if (mbedtls_pk_parse_keyfile(&key, key_path, NULL, rng, NULL) != 0)
		r = error_set(e, ERR_INVALID, "key", "%s is not an unencrypted private key",
			      key_path);
	else if (mbedtls_pk_check_pair(&crt.pk, &key, rng, NULL) != 0)
		r = error_set(e, ERR_INVALID, "key", "%s does not match the certificate %s",
			      key_path, cert_path);
	mbedtls_pk_free(&key);
	mbedtls_x509_crt_free(&crt);
	return r;
}
