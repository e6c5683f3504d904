/*
 * {{name}}.c - an HTTP component in C: answers "Hello from {{name}}" and
 * echoes the request path. Built by `wash build` (clang for wasm32-wasi,
 * then the WIT in wit/ embedded and the preview1 adapter added by jco).
 *
 * The canonical ABI bindings are written by hand: each import is a
 * function of the wasi:http interfaces, as named in wit/deps/http.
 */
#include <stdint.h>
#include <stdio.h>
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
IMPORT(TYPES, "[method]incoming-request.path-with-query")
void request_path(int32_t self, void *ret);
IMPORT(TYPES, "[resource-drop]incoming-request") void drop_request(int32_t self);
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

typedef struct {
    uint8_t tag;
    int32_t val;
} result_handle; /* result<own<T>>: tag, then the handle */

typedef struct {
    uint8_t tag;
    const char *ptr;
    uint32_t len;
} option_string; /* option<string>: tag, then (ptr, len) */

__attribute__((export_name("wasi:http/incoming-handler@0.2.3#handle"))) void
handle(int32_t request, int32_t outparam)
{
    option_string path = {0};
    result_handle r;
    uint32_t ret[8];
    int32_t headers, response, body, stream;
    char text[512];
    int n;

    request_path(request, &path);
    n = snprintf(text, sizeof(text), "Hello from {{name}} (path %.*s)\n",
                 path.tag ? (int)path.len : 1, path.tag ? path.ptr : "/");
    drop_request(request);
    headers = fields_new();
    fields_append(headers, "content-type", 12, "text/plain", 10, ret);
    response = response_new(headers);
    response_body(response, &r);
    body = r.val;
    outparam_set(outparam, 0, response, 0, 0, 0, 0, 0, 0);
    body_write(body, &r);
    stream = r.val;
    stream_write(stream, text, (uint32_t)n, ret);
    drop_stream(stream);
    body_finish(body, 0, 0, ret);
}
