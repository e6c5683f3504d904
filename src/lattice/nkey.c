/*
 * nkey.c - nkeys: base32 text with a type prefix and a CRC-16, over ed25519.
 *
 * The format (github.com/nats-io/nkeys): a public key is base32 (RFC 4648,
 * no padding) of [prefix byte][32-byte key][CRC-16/XMODEM, little endian].
 * A seed packs the seed prefix ('S') and the key's own prefix into two
 * bytes: [18<<3 | prefix>>5][(prefix & 31)<<3][32-byte seed][CRC].
 */
#include "lattice/nkey.h"

#include <sodium.h>
#include <string.h>

#define PREFIX_SEED (18 << 3)

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static uint16_t
crc16(const uint8_t *p, size_t n)
{
    uint16_t crc = 0;

    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++) {
            crc = crc & 0x8000 ? (uint16_t)(crc << 1 ^ 0x1021) : (uint16_t)(crc << 1);
        }
    }
    return crc;
}

static void
b32_encode(const uint8_t *p, size_t n, char *out)
{
    uint32_t acc = 0;
    int bits = 0;

    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | p[i];
        bits += 8;
        while (bits >= 5) {
            *out++ = b32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0) {
        *out++ = b32[(acc << (5 - bits)) & 31];
    }
    *out = '\0';
}

/* Decode text into out (max bytes); returns the byte count or -1. */
static int
b32_decode(const char *text, uint8_t *out, size_t max)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;

    for (const char *c = text; *c != '\0'; c++) {
        const char *at = strchr(b32, *c);

        if (at == NULL || *c == '\0') {
            return -1;
        }
        acc = acc << 5 | (uint32_t)(at - b32);
        bits += 5;
        if (bits >= 8) {
            if (n == max) {
                return -1;
            }
            out[n++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    return (int)n;
}

static void
set_keys(wc_nkey *k)
{
    crypto_sign_seed_keypair(k->pk, k->sk, k->seed);
}

void
wc_nkey_generate(wc_nkey *out, wc_nkey_kind kind)
{
    memset(out, 0, sizeof(*out));
    out->kind = kind;
    randombytes_buf(out->seed, sizeof(out->seed));
    set_keys(out);
}

int
wc_nkey_from_seed(wc_nkey *out, const char *seed, wc_error *err)
{
    uint8_t raw[64];
    int n;
    uint16_t crc;

    if (strlen(seed) != WC_NKEY_SEED_LEN) {
        return wc_error_set(err, WC_EINVAL, "an nkey seed has %d characters, this has %zu",
                            WC_NKEY_SEED_LEN, strlen(seed));
    }
    if ((n = b32_decode(seed, raw, sizeof(raw))) != 36) {
        return wc_error_set(err, WC_EINVAL, "an nkey seed is base32 (A-Z, 2-7)");
    }
    crc = (uint16_t)(raw[34] | raw[35] << 8);
    if (crc16(raw, 34) != crc) {
        return wc_error_set(err, WC_EINVAL, "the nkey seed's checksum does not match (a typo?)");
    }
    if ((raw[0] & 0xf8) != PREFIX_SEED) {
        return wc_error_set(err, WC_EINVAL, "not an nkey seed (seeds start with 'S')");
    }
    memset(out, 0, sizeof(*out));
    out->kind = (wc_nkey_kind)((raw[0] & 7) << 5 | (raw[1] & 0xf8) >> 3);
    memcpy(out->seed, raw + 2, 32);
    set_keys(out);
    sodium_memzero(raw, sizeof(raw));
    return 0;
}

void
wc_nkey_public(const wc_nkey *k, char *out)
{
    uint8_t raw[35];
    uint16_t crc;

    raw[0] = (uint8_t)k->kind;
    memcpy(raw + 1, k->pk, 32);
    crc = crc16(raw, 33);
    raw[33] = (uint8_t)crc;
    raw[34] = (uint8_t)(crc >> 8);
    b32_encode(raw, sizeof(raw), out);
}

void
wc_nkey_seed(const wc_nkey *k, char *out)
{
    uint8_t raw[36];
    uint16_t crc;

    raw[0] = (uint8_t)(PREFIX_SEED | (unsigned)k->kind >> 5);
    raw[1] = (uint8_t)(((unsigned)k->kind & 31) << 3);
    memcpy(raw + 2, k->seed, 32);
    crc = crc16(raw, 34);
    raw[34] = (uint8_t)crc;
    raw[35] = (uint8_t)(crc >> 8);
    b32_encode(raw, sizeof(raw), out);
    sodium_memzero(raw, sizeof(raw));
}

int
wc_nkey_decode_public(const char *text, wc_nkey_kind *kind, uint8_t pk[32], wc_error *err)
{
    uint8_t raw[40];

    if (strlen(text) != WC_NKEY_PUBLIC_LEN || b32_decode(text, raw, sizeof(raw)) != 35) {
        return wc_error_set(err, WC_EINVAL, "\"%s\" is not an nkey public key", text);
    }
    if (crc16(raw, 33) != (uint16_t)(raw[33] | raw[34] << 8)) {
        return wc_error_set(err, WC_EINVAL, "the checksum of nkey \"%s\" does not match", text);
    }
    if (kind != NULL) {
        *kind = (wc_nkey_kind)raw[0];
    }
    memcpy(pk, raw + 1, 32);
    return 0;
}

void
wc_nkey_sign(const wc_nkey *k, const void *data, size_t len, uint8_t sig[64])
{
    crypto_sign_detached(sig, NULL, data, len, k->sk);
}

int
wc_nkey_verify(const char *public_key, const void *data, size_t len, const uint8_t sig[64])
{
    uint8_t pk[32];

    if (wc_nkey_decode_public(public_key, NULL, pk, NULL) != 0) {
        return 0;
    }
    return crypto_sign_verify_detached(sig, data, len, pk) == 0;
}
