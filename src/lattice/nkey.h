/*
 * nkey.h - NATS nkeys: ed25519 identities in NATS's text form.
 *
 * A host is known on the lattice by its nkey: a public key such as
 * "NB3X...", 56 characters of base32 over a type prefix byte, the 32-byte
 * ed25519 public key and a CRC-16. Its seed ("SN...", 58 characters) is the
 * private half, as WASMCLOUD_HOST_SEED gives it. Signing (for JWTs) uses
 * libsodium.
 */
#ifndef WC_LATTICE_NKEY_H
#define WC_LATTICE_NKEY_H

#include "base/error.h"

#include <stddef.h>
#include <stdint.h>

/* The kinds of key, by their public prefix letter. */
typedef enum wc_nkey_kind {
    WC_NKEY_SERVER = 13 << 3,   /* 'N': hosts */
    WC_NKEY_ACCOUNT = 0,        /* 'A': issuers of component JWTs */
    WC_NKEY_USER = 20 << 3,     /* 'U' */
    WC_NKEY_MODULE = 12 << 3,   /* 'M': components (wascap "module" keys) */
    WC_NKEY_PROVIDER = 21 << 3, /* 'V': capability providers (wascap "service") */
    WC_NKEY_CURVE = 23 << 3     /* 'X': xkeys (curve25519) */
} wc_nkey_kind;

#define WC_NKEY_PUBLIC_LEN 56 /* characters, without the NUL */
#define WC_NKEY_SEED_LEN   58

typedef struct wc_nkey {
    wc_nkey_kind kind;
    uint8_t seed[32];
    uint8_t pk[32];
    uint8_t sk[64]; /* libsodium's secret key (seed ‖ public key) */
} wc_nkey;

/** A new random key of a kind. */
void wc_nkey_generate(wc_nkey *out, wc_nkey_kind kind);
/**
 * Decode a seed ("SN..."). Returns WC_EINVAL with a message saying what is
 * wrong (length, alphabet, checksum, not a seed) for anything else.
 */
int wc_nkey_from_seed(wc_nkey *out, const char *seed, wc_error *err);
/** The public key text of k into out (at least WC_NKEY_PUBLIC_LEN + 1 bytes). */
void wc_nkey_public(const wc_nkey *k, char *out);
/** The seed text of k into out (at least WC_NKEY_SEED_LEN + 1 bytes). */
void wc_nkey_seed(const wc_nkey *k, char *out);
/** Decode a public key; 0 and the raw key in pk, or WC_EINVAL. *kind gets its kind. */
int wc_nkey_decode_public(const char *text, wc_nkey_kind *kind, uint8_t pk[32], wc_error *err);
/** An ed25519 signature of data by k. */
void wc_nkey_sign(const wc_nkey *k, const void *data, size_t len, uint8_t sig[64]);
/** 1 if sig is a valid signature of data by the public key text. */
int wc_nkey_verify(const char *public_key, const void *data, size_t len, const uint8_t sig[64]);

#endif
