/* TLS certificate files: the self-signed ECDSA P-256 development certificate of DESIGN §5
 * (made with mbedtls's x509write API on first start, reused after), and an early check that
 * configured certificate files are readable, so the server fails with one clear line rather
 * than inside lws. */
#ifndef MINGSHI_CORE_CERT_H
#define MINGSHI_CORE_CERT_H

#include <stddef.h>

#include "core/err.h"

/* Ensures DIR/certs/cert.pem and DIR/certs/key.pem exist (creating a self-signed certificate
 * for localhost and 127.0.0.1 valid for two years if either is missing) and writes their paths
 * into cert_out/key_out (each of size cap). */
enum err cert_ensure_self_signed(const char *data_dir, char *cert_out, char *key_out, size_t cap,
				 struct error *e);

/* Parses the certificate chain and private key files; ERR_INVALID with a message naming the
 * file that is unreadable or not PEM/DER of the right kind. */
enum err cert_check_files(const char *cert_path, const char *key_path, struct error *e);

#endif
