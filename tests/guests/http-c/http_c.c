/*
 * http_c.c - wasi:http/proxy components in plain C, with the canonical ABI
 * bindings written by hand (there is no wit-bindgen on Debian).
 *
 *   -DMODE_HELLO  answers "Hello from C\n" (the benchmark's C guest)
 *   -DMODE_PATHS  chooses by path: "/trap" writes part of a response and traps,
 *                 "/trap-early" traps before responding, "/spin" loops
 *                 forever, anything else is the hello answer
 *   -DMODE_MISSING calls an import no host provides (test:c-http/nowhere)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TYPES             "wasi:http/types@0.2.3"
#define STREAMS           "wasi:io/streams@0.2.3"
#define IMPORT(mod, name) __attribute__((import_module(mod), import_name(name)))

IMPORT(TYPES, "[constructor]fields") int32_t fields_new(void);
IMPORT(TYPES, "[method]fields.append")
void fields_append(int32_t self, const char *name, uint32_t nlen, const char *value, uint32_t vlen,
                   void *ret);
IMPORT(TYPES, "[constructor]outgoing-response") int32_t response_new(int32_t headers);
IMPORT(TYPES, "[method]outgoing-response.body") void response_body(int32_t self, void *ret);
IMPORT(TYPES, "[static]response-outparam.set")
void outparam_set(int32_t param, int32_t disc, int32_t p1, int32_t p2, int64_t p3, int32_t p4,
                  int32_t p5, int32_t p6, int32_t p7);
IMPORT(TYPES, "[method]outgoing-body.write") void body_write(int32_t self, void *ret);
IMPORT(TYPES, "[static]outgoing-body.finish")
void body_finish(int32_t self, int32_t has_trailers, int32_t trailers, void *ret);
IMPORT(TYPES, "[resource-drop]incoming-request") void drop_request(int32_t self);
IMPORT(TYPES, "[method]incoming-request.path-with-query")
void request_path(int32_t self, void *ret);
#if defined(MODE_MISSING)
IMPORT("test:c-http/nowhere", "hello") void nowhere_hello(void);
#endif
IMPORT(STREAMS, "[method]output-stream.blocking-write-and-flush")
void stream_write(int32_t self, const void *data, uint32_t len, void *ret);
IMPORT(STREAMS, "[resource-drop]output-stream") void drop_stream(int32_t self);

__attribute__((export_name("cabi_realloc"))) void *
cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size)
{
    (void)old_size;
    (void)align;
    return realloc(old, new_size ? new_size : 1);
}

/* A result<own<T>> as written through a return pointer: tag, then the handle. */
typedef struct {
    uint8_t tag;
    int32_t val;
} result_handle;

static void
write_all(int32_t stream, const char *s, size_t len)
{
    uint32_t ret[3];

    stream_write(stream, s, (uint32_t)len, ret);
}

/* option<string> through a return pointer: tag, then (ptr, len). */
typedef struct {
    uint8_t tag;
    const char *ptr;
    uint32_t len;
} option_string;

static int
path_is(const option_string *p, const char *s)
{
    return p->tag == 1 && p->len == strlen(s) && memcmp(p->ptr, s, p->len) == 0;
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.3#handle"))) void
handle(int32_t request, int32_t outparam)
{
    int32_t headers, response, body, stream;
    option_string path = {0};
    result_handle r;
    uint32_t ret[8];

#if defined(MODE_PATHS)
    request_path(request, &path);
    if (path_is(&path, "/trap-early")) {
        __builtin_trap();
    }
    if (path_is(&path, "/spin")) {
        for (volatile int i = 0;; i++) {
        }
    }
#elif defined(MODE_MISSING)
    nowhere_hello();
#endif
    (void)path;
    (void)path_is;
#if !defined(MODE_HELLO)
    /* The hello guest leaves the request to the instance's end: jco 1.11.1's
     * transpiled code (jco serve, the benchmark's comparison) throws
     * "unreachable resource trampoline" on this drop. */
    drop_request(request);
#endif
    headers = fields_new();
    fields_append(headers, "content-type", 12, "text/plain", 10, ret);
    response = response_new(headers);
    response_body(response, &r);
    body = r.val;
    outparam_set(outparam, 0, response, 0, 0, 0, 0, 0, 0);
    body_write(body, &r);
    stream = r.val;
#if defined(MODE_PATHS)
    if (path_is(&path, "/trap")) {
        write_all(stream, "partial ", 8);
        __builtin_trap();
    }
#endif
    write_all(stream, "Hello from C\n", 13);
    drop_stream(stream);
    body_finish(body, 0, 0, ret);
}
