/*
 * sigs.c - engine-wide function signatures and their trampolines.
 *
 * Every distinct signature gets a small integer id, shared by all modules
 * and host functions in the process; call_indirect compares these ids. Each
 * signature also gets two pieces of generated code, compiled with tcc the
 * first time they are needed and kept for the life of the process:
 *   - a call trampoline, so the host can call any typed Wasm function with a
 *     vector of values (wc_func_call);
 *   - a host adapter, a typed C function that packs its arguments into a
 *     vector and calls a host callback, so a host function can sit in an
 *     import slot or a table exactly like a Wasm function.
 */
#include "engine/internal.h"

#include "base/strbuf.h"
#include "base/xalloc.h"

#include <libtcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK      1024
#define MAX_CHUNKS 4096

static struct {
    pthread_mutex_t mu;
    wc_map ids; /* key -> id + 1 */
    _Atomic(wc_sig *) chunks[MAX_CHUNKS];
    uint32_t n;
} reg = {.mu = PTHREAD_MUTEX_INITIALIZER};

static pthread_mutex_t compile_mu = PTHREAD_MUTEX_INITIALIZER;
/* The compiled trampolines live as long as the process; keeping their tcc
 * states reachable says so (and keeps leak checkers quiet). */
static struct TCCState **states;
static size_t nstates;

const wc_sig *
wc__sig_get(uint32_t id)
{
    return &atomic_load_explicit(&reg.chunks[id / CHUNK], memory_order_acquire)[id % CHUNK];
}

uint32_t
wc__sig_intern(const uint8_t *params, uint32_t np, const uint8_t *results, uint32_t nr)
{
    wc_strbuf key = WC_STRBUF_INIT;
    uint32_t id;
    void *v;

    wc_strbuf_add(&key, params, np);
    wc_strbuf_addch(&key, ':');
    wc_strbuf_add(&key, results, nr);
    pthread_mutex_lock(&reg.mu);
    if ((v = wc_map_get(&reg.ids, key.buf)) != NULL) {
        id = (uint32_t)((uintptr_t)v - 1);
    } else {
        wc_sig *chunk, *s;
        uint8_t *types;

        id = reg.n++;
        if (id / CHUNK >= MAX_CHUNKS) {
            WC_BUG("more than %d distinct function signatures", CHUNK * MAX_CHUNKS);
        }
        chunk = atomic_load(&reg.chunks[id / CHUNK]);
        if (chunk == NULL) {
            chunk = wc_xcalloc(CHUNK, sizeof(*chunk));
            atomic_store_explicit(&reg.chunks[id / CHUNK], chunk, memory_order_release);
        }
        s = &chunk[id % CHUNK];
        types = wc_xmalloc(np + nr + 1);
        memcpy(types, params, np);
        memcpy(types + np, results, nr);
        s->type.nparams = np;
        s->type.nresults = nr;
        s->type.params = types;
        s->type.results = types + np;
        wc_map_put(&reg.ids, key.buf, (void *)(uintptr_t)(id + 1));
    }
    pthread_mutex_unlock(&reg.mu);
    wc_strbuf_release(&key);
    return id;
}

int
wc__sig_prepare(const uint32_t *ids, size_t n, wc_error *err)
{
    wc_strbuf head = WC_STRBUF_INIT, body = WC_STRBUF_INIT;
    uint32_t *todo = NULL;
    size_t ntodo = 0;
    struct TCCState *s = NULL;
    int rc = 0;

    pthread_mutex_lock(&compile_mu);
    for (size_t i = 0; i < n; i++) {
        const wc_sig *sig = wc__sig_get(ids[i]);
        int dup = 0;

        for (size_t k = 0; k < ntodo && !dup; k++) {
            dup = todo[k] == ids[i];
        }
        if (sig->call == NULL && !dup) {
            todo = wc_xrealloc(todo, (ntodo + 1) * sizeof(*todo));
            todo[ntodo++] = ids[i];
        }
    }
    if (ntodo == 0) {
        goto out;
    }
    wc_strbuf_adds(&head, wc_prelude_text);
    wc_strbuf_adds(&body, "const wcrt_api *wcrt_rt;\n");
    for (size_t i = 0; i < ntodo; i++) {
        char name[32];
        const wc_sig *sig = wc__sig_get(todo[i]);
        wc_ftype t = {sig->type.nparams, sig->type.nresults, (uint8_t *)sig->type.params,
                      (uint8_t *)sig->type.results};

        snprintf(name, sizeof(name), "s%u", todo[i]);
        wc_translate_signature(&body, name, &t);
    }
    if ((rc = wc__tcc_compile(head.buf, &body, 1, &s, err)) != 0) {
        goto out;
    }
    *(const wcrt_api **)tcc_get_symbol(s, "wcrt_rt") = &wc__api;
    for (size_t i = 0; i < ntodo; i++) {
        char name[48];
        wc_sig *sig = (wc_sig *)wc__sig_get(todo[i]);

        snprintf(name, sizeof(name), "s%u_host", todo[i]);
        sig->host = (void (*)(void))tcc_get_symbol(s, name);
        snprintf(name, sizeof(name), "s%u_call", todo[i]);
        /* Publish call last: a non-NULL call means both are ready. */
        atomic_thread_fence(memory_order_release);
        sig->call = (wc_call_tramp)tcc_get_symbol(s, name);
    }
    states = wc_xrealloc(states, (nstates + 1) * sizeof(*states));
    states[nstates++] = s;
out:
    pthread_mutex_unlock(&compile_mu);
    free(todo);
    wc_strbuf_release(&head);
    wc_strbuf_release(&body);
    return rc;
}
