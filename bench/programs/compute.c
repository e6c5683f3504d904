/*
 * compute.c - a freestanding CPU benchmark for the engine.
 *
 * Exports `unsigned run(unsigned n)`: n rounds of a mix of five realistic
 * kernels, returning a checksum of all their results:
 *
 *   - n-body simulation (the Computer Language Benchmarks Game system of the
 *     sun and the four gas giants; double arithmetic including sqrt),
 *   - fannkuch-redux over the permutations of 8 elements,
 *   - SHA-256 of a 32 KiB buffer,
 *   - quicksort of 8192 pseudo-random 32-bit integers,
 *   - a 48x48 integer matrix multiply.
 *
 * No libc: no headers, no malloc, only static buffers. The same file is
 * compiled to wasm32 (clang --target=wasm32 -nostdlib) and natively (cc)
 * and must give the same checksum on both; see README.md.
 */

typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned char u8;
typedef __SIZE_TYPE__ size_t;

/* clang may turn struct copies and loops into calls to these. */
#if defined(__wasm__)
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);

void *memcpy(void *dst, const void *src, size_t n) {
    u8 *d = (u8 *)dst;
    const u8 *s = (const u8 *)src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    u8 *d = (u8 *)dst;
    while (n--) *d++ = (u8)c;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    u8 *d = (u8 *)dst;
    const u8 *s = (const u8 *)src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        d += n;
        s += n;
        while (n--) *--d = *--s;
    }
    return dst;
}
#define EXPORT __attribute__((export_name("run")))
#else
#define EXPORT
#endif

static u32 mix(u32 h, u32 x) {
    h ^= x;
    h *= 0x9E3779B1u;
    return (h << 13) | (h >> 19);
}

static u32 mix_double(u32 h, double d) {
    union {
        double d;
        u64 u;
    } v;
    v.d = d;
    h = mix(h, (u32)v.u);
    return mix(h, (u32)(v.u >> 32));
}

static u32 rng_state;

static u32 rng(void) { /* xorshift32 */
    u32 x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

/* ---------------------------------------------------------------- n-body */

#define NBODIES 5
#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24

struct body {
    double x, y, z, vx, vy, vz, mass;
};

static struct body bodies[NBODIES];

static void nbody_init(void) {
    static const double init[NBODIES][7] = {
        {0, 0, 0, 0, 0, 0, SOLAR_MASS},
        {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
         1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
         -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS},
        {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
         -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
         2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS},
        {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
         2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
         -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS},
        {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
         2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
         -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS},
    };
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < NBODIES; i++) {
        struct body *b = &bodies[i];
        b->x = init[i][0];
        b->y = init[i][1];
        b->z = init[i][2];
        b->vx = init[i][3];
        b->vy = init[i][4];
        b->vz = init[i][5];
        b->mass = init[i][6];
        px += b->vx * b->mass;
        py += b->vy * b->mass;
        pz += b->vz * b->mass;
    }
    bodies[0].vx = -px / SOLAR_MASS;
    bodies[0].vy = -py / SOLAR_MASS;
    bodies[0].vz = -pz / SOLAR_MASS;
}

static void nbody_advance(double dt) {
    for (int i = 0; i < NBODIES; i++) {
        struct body *a = &bodies[i];
        for (int j = i + 1; j < NBODIES; j++) {
            struct body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * __builtin_sqrt(d2));
            a->vx -= dx * b->mass * mag;
            a->vy -= dy * b->mass * mag;
            a->vz -= dz * b->mass * mag;
            b->vx += dx * a->mass * mag;
            b->vy += dy * a->mass * mag;
            b->vz += dz * a->mass * mag;
        }
    }
    for (int i = 0; i < NBODIES; i++) {
        struct body *b = &bodies[i];
        b->x += dt * b->vx;
        b->y += dt * b->vy;
        b->z += dt * b->vz;
    }
}

static double nbody_energy(void) {
    double e = 0;
    for (int i = 0; i < NBODIES; i++) {
        struct body *a = &bodies[i];
        e += 0.5 * a->mass * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
        for (int j = i + 1; j < NBODIES; j++) {
            struct body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            e -= a->mass * b->mass / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

/* One round continues the same simulation, so the work is independent of
 * the round number but the state (and so the checksum) keeps evolving. */
__attribute__((noinline)) static u32 kernel_nbody(u32 h) {
    for (int s = 0; s < 4000; s++) nbody_advance(0.01);
    return mix_double(h, nbody_energy());
}

/* -------------------------------------------------------- fannkuch-redux */

#define FK_N 8

__attribute__((noinline)) static u32 kernel_fannkuch(u32 h, u32 round) {
    int perm[FK_N], perm1[FK_N], count[FK_N];
    int checksum = 0, maxflips = 0, permcount = 0;
    /* Start from a rotation that depends on the round: same amount of
     * work, different order of visiting. */
    for (int i = 0; i < FK_N; i++) perm1[i] = (int)((i + round) % FK_N);
    int r = FK_N;
    for (;;) {
        while (r != 1) {
            count[r - 1] = r;
            r--;
        }
        for (int i = 0; i < FK_N; i++) perm[i] = perm1[i];
        int flips = 0;
        int k;
        while ((k = perm[0]) != 0) {
            int k2 = (k + 1) >> 1;
            for (int i = 0; i < k2; i++) {
                int t = perm[i];
                perm[i] = perm[k - i];
                perm[k - i] = t;
            }
            flips++;
        }
        if (flips > maxflips) maxflips = flips;
        checksum += (permcount % 2 == 0) ? flips : -flips;
        for (;;) {
            if (r == FK_N) {
                h = mix(h, (u32)checksum);
                return mix(h, (u32)maxflips);
            }
            int perm0 = perm1[0];
            for (int i = 0; i < r; i++) perm1[i] = perm1[i + 1];
            perm1[r] = perm0;
            count[r]--;
            if (count[r] > 0) break;
            r++;
        }
        permcount++;
    }
}

/* ---------------------------------------------------------------- SHA-256 */

#define SHA_BUF (32 * 1024)

static u8 sha_buf[SHA_BUF];

static const u32 sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(u32 st[8], const u8 *p) {
    u32 w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (u32)p[4 * i] << 24 | (u32)p[4 * i + 1] << 16 | (u32)p[4 * i + 2] << 8 |
               (u32)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        u32 s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        u32 s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    u32 a = st[0], b = st[1], c = st[2], d = st[3];
    u32 e = st[4], f = st[5], g = st[6], hh = st[7];
    for (int i = 0; i < 64; i++) {
        u32 t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
        u32 t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
    st[5] += f;
    st[6] += g;
    st[7] += hh;
}

/* SHA-256 of len bytes (len a multiple of 64), with the standard padding. */
static void sha256(const u8 *msg, u32 len, u32 out[8]) {
    u32 st[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (u32 off = 0; off < len; off += 64) sha256_block(st, msg + off);
    u8 pad[64];
    for (int i = 0; i < 64; i++) pad[i] = 0;
    pad[0] = 0x80;
    u64 bits = (u64)len * 8;
    for (int i = 0; i < 8; i++) pad[63 - i] = (u8)(bits >> (8 * i));
    sha256_block(st, pad);
    for (int i = 0; i < 8; i++) out[i] = st[i];
}

__attribute__((noinline)) static u32 kernel_sha256(u32 h) {
    for (u32 i = 0; i < SHA_BUF; i += 4) {
        u32 r = rng();
        sha_buf[i] = (u8)r;
        sha_buf[i + 1] = (u8)(r >> 8);
        sha_buf[i + 2] = (u8)(r >> 16);
        sha_buf[i + 3] = (u8)(r >> 24);
    }
    u32 d[8];
    sha256(sha_buf, SHA_BUF, d);
    for (int i = 0; i < 8; i++) h = mix(h, d[i]);
    return h;
}

/* -------------------------------------------------------------- quicksort */

#define SORT_N 8192

static u32 sort_buf[SORT_N];

static void quicksort(u32 *a, int lo, int hi) {
    while (lo < hi) {
        if (hi - lo < 16) { /* insertion sort for small ranges */
            for (int i = lo + 1; i <= hi; i++) {
                u32 v = a[i];
                int j = i - 1;
                while (j >= lo && a[j] > v) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = v;
            }
            return;
        }
        /* median of three */
        int mid = lo + (hi - lo) / 2;
        u32 x = a[lo], y = a[mid], z = a[hi];
        u32 pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                u32 t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        /* recurse into the smaller half, loop on the larger */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

__attribute__((noinline)) static u32 kernel_sort(u32 h) {
    for (int i = 0; i < SORT_N; i++) sort_buf[i] = rng();
    quicksort(sort_buf, 0, SORT_N - 1);
    u32 ok = 1;
    for (int i = 1; i < SORT_N; i++) ok &= sort_buf[i - 1] <= sort_buf[i];
    h = mix(h, ok);
    for (int i = 0; i < SORT_N; i += 97) h = mix(h, sort_buf[i]);
    return h;
}

/* --------------------------------------------------------- matrix multiply */

#define MAT_N 48

static u32 mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];

__attribute__((noinline)) static u32 kernel_matmul(u32 h) {
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            mat_a[i][j] = rng() & 0xffff;
            mat_b[i][j] = rng() & 0xffff;
        }
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            u32 s = 0;
            for (int k = 0; k < MAT_N; k++) s += mat_a[i][k] * mat_b[k][j];
            mat_c[i][j] = s;
        }
    for (int i = 0; i < MAT_N; i++) h = mix(h, mat_c[i][(i * 7) % MAT_N]);
    return h;
}

/* ------------------------------------------------------------------- run */

EXPORT unsigned run(unsigned n) {
    u32 h = 0x811c9dc5u;
    rng_state = 0x12345678u;
    nbody_init();
    h = mix_double(h, nbody_energy());
    for (u32 round = 0; round < n; round++) {
        h = kernel_nbody(h);
        h = kernel_fannkuch(h, round);
        h = kernel_sha256(h);
        h = kernel_sort(h);
        h = kernel_matmul(h);
        h = mix(h, round);
    }
    return h;
}
