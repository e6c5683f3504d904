/*
 * runtime.c - what running guests need: memories, tables, traps, deadlines.
 *
 * Traps. Every top-level call into a guest goes through wc__call(), which
 * sets a jmp_buf on a per-thread chain. A trap raised by generated code
 * (RT->trap) longjmps to it. Faults become traps too: linear memories are
 * 8 GiB reservations (4 GiB of addressable space plus 4 GiB for offsets)
 * whose unused part is PROT_NONE, so an out-of-bounds access faults inside
 * a known region; running off the end of the thread's stack faults inside
 * its guard. The SIGSEGV handler runs on an alternate stack, recognises
 * both, and longjmps. Any other fault is not ours and is re-raised.
 *
 * Deadlines. A watchdog thread scans the threads that are running guests
 * and sends an overdue one a signal. If the thread is in guest code the
 * handler traps at once; if it is in host code (a host function, or a
 * runtime helper that allocates) the trap is taken on return to the guest.
 * A call cut off this way poisons its store: the guest may have been
 * stopped half-way through an update, so its instances are never reused.
 */
#include "engine/internal.h"

#include "base/duration.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* ---- per-thread state ---- */

typedef struct jmpctx {
    jmp_buf jb;
    struct jmpctx *prev;
} jmpctx;

typedef struct wslot {
    _Atomic uint64_t deadline; /* monotonic ns; 0 = none */
    pthread_t thread;
    struct wslot *next;
} wslot;

typedef struct tstate {
    int ready;
    uintptr_t stack_lo, stack_hi;
    void *altstack;
    jmpctx *jmp;
    volatile sig_atomic_t in_guest;
    volatile sig_atomic_t deadline_hit;
    uint64_t call_deadline; /* of the outermost call; 0 = none */
    int trap_code;
    char host_msg[WC_ERROR_MSG_MAX];
    wslot *slot;
} tstate;

static __thread tstate ts;

static int deadline_signal;

/* Host code must keep this much stack: below it a host call traps instead. */
#define HOST_STACK_RESERVE (256 * 1024)
/* Faults this far below the stack's lowest address count as exhaustion. */
#define STACK_FAULT_WINDOW (2u << 20)
#define ALTSTACK_SIZE      (64 * 1024)

/* ---- memory reservations ---- */

/* A slot reserves 8 GiB + 64 KiB: base + u32 address + u32 offset + access size. */
#define SLOT_BYTES     ((8ull << 30) + (64ull << 10))
#define REGION_SLOTS   32
#define MAX_REGIONS    256
#define FREE_SLOTS_MAX 64

static struct {
    pthread_mutex_t mu;
    _Atomic(uint8_t *) regions[MAX_REGIONS];
    _Atomic int nregions;
    uint8_t **free_slots; /* stack of reusable slots */
    size_t nfree, capfree;
    size_t next_in_region; /* slots handed out from the newest region */
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .next_in_region = REGION_SLOTS};

static int
in_memory_region(uintptr_t a)
{
    int n = atomic_load(&pool.nregions);

    for (int i = 0; i < n; i++) {
        uintptr_t lo = (uintptr_t)atomic_load(&pool.regions[i]);

        if (a >= lo && a < lo + REGION_SLOTS * SLOT_BYTES) {
            return 1;
        }
    }
    return 0;
}

static uint8_t *
slot_acquire(wc_error *err)
{
    uint8_t *s = NULL;

    pthread_mutex_lock(&pool.mu);
    if (pool.nfree > 0) {
        s = pool.free_slots[--pool.nfree];
    } else {
        int n = atomic_load(&pool.nregions);

        if (pool.next_in_region == REGION_SLOTS) {
            void *r;

            if (n == MAX_REGIONS) {
                pthread_mutex_unlock(&pool.mu);
                wc_error_set(err, WC_ELIMIT, "too many linear memories (%d)",
                             MAX_REGIONS * REGION_SLOTS);
                return NULL;
            }
            r = mmap(NULL, REGION_SLOTS * SLOT_BYTES, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (r == MAP_FAILED) {
                pthread_mutex_unlock(&pool.mu);
                wc_error_set(err, -errno, "cannot reserve address space for linear memory: %s",
                             strerror(errno));
                return NULL;
            }
            atomic_store(&pool.regions[n], (uint8_t *)r);
            atomic_store(&pool.nregions, n + 1);
            pool.next_in_region = 0;
            n++;
        }
        s = atomic_load(&pool.regions[n - 1]) + pool.next_in_region++ * SLOT_BYTES;
    }
    pthread_mutex_unlock(&pool.mu);
    return s;
}

static void
slot_release(uint8_t *s, uint64_t used_bytes)
{
    /* One fresh anonymous PROT_NONE mapping drops the pages (image or not)
     * and makes them inaccessible: the next user sees zeros. */
    if (used_bytes != 0) {
        mmap(s, used_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
             0);
    }
    pthread_mutex_lock(&pool.mu);
    if (pool.nfree == pool.capfree) {
        pool.capfree = wc_grow_size(pool.capfree, pool.nfree + 1);
        pool.free_slots = wc_xrealloc(pool.free_slots, pool.capfree * sizeof(*pool.free_slots));
    }
    pool.free_slots[pool.nfree++] = s;
    pthread_mutex_unlock(&pool.mu);
}

int
wc__memory_init(wc_memory *mem, uint64_t min_pages, uint64_t max_pages, wc_error *err)
{
    uint8_t *s;

    if (min_pages > max_pages) {
        return wc_error_set(err, WC_ELIMIT,
                            "memory of %llu pages exceeds the limit of %llu pages (%llu MiB)",
                            (unsigned long long)min_pages, (unsigned long long)max_pages,
                            (unsigned long long)(max_pages * WC_PAGE_SIZE >> 20));
    }
    if ((s = slot_acquire(err)) == NULL) {
        return err ? err->code : WC_ENOMEM;
    }
    if (min_pages != 0 && mprotect(s, min_pages * WC_PAGE_SIZE, PROT_READ | PROT_WRITE) != 0) {
        int e = errno;

        slot_release(s, 0);
        return wc_error_set(err, -e, "cannot commit %llu pages of linear memory: %s",
                            (unsigned long long)min_pages, strerror(e));
    }
    mem->slot = s;
    mem->m.base = s;
    mem->m.pages = min_pages;
    mem->min_pages = min_pages;
    mem->m.max_pages = max_pages;
    return 0;
}

void
wc__memory_release(wc_memory *mem)
{
    if (mem != NULL && mem->slot != NULL) {
        uint64_t used = mem->m.pages * WC_PAGE_SIZE;

        slot_release(mem->slot, used > mem->image_bytes ? used : mem->image_bytes);
        mem->slot = NULL;
    }
}

/*
 * Recycling a memory. The cheap way to put a memory back as it started is
 * madvise(MADV_DONTNEED): the image (or zeros) shows through again. But in a
 * threaded process every madvise flushes the TLBs of all CPUs by IPI, and the
 * next instance takes a page fault on each page it touches again; with a
 * JavaScript engine that was most of a request's time. So instead we ask
 * /proc/self/pagemap which pages this memory has its own copy of (present
 * and not the file's page, or swapped out: everything the guest wrote, and
 * possibly a shared zero page it read) and copy the image (or zeros) back
 * over just those pages. They stay resident and writable for the next
 * instance. If pagemap cannot be read, or more than RESET_COPY_MAX bytes were
 * written, madvise does it.
 */
#define RESET_COPY_MAX (32u << 20)
#define PM_PRESENT     (1ull << 63)
#define PM_SWAPPED     (1ull << 62)
#define PM_FILE        (1ull << 61)

static int pagemap_fd = -1;
static pthread_once_t pagemap_once = PTHREAD_ONCE_INIT;

static void
pagemap_open(void)
{
    pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
}

static int
page_is_zero(const uint8_t *p, size_t n)
{
    const uint64_t *w = (const uint64_t *)p;

    for (size_t i = 0; i < n / 8; i++) {
        if (w[i] != 0) {
            return 0;
        }
    }
    return 1;
}

/* Restore pages [first, first+n) of mem from its image (or zeros). */
static void
restore_pages(wc_memory *mem, uint64_t first, uint64_t n, size_t page)
{
    uint8_t *base = mem->m.base;
    uint64_t off = first * page, end = (first + n) * page;

    if (off < mem->image_bytes) {
        uint64_t stop = end < mem->image_bytes ? end : mem->image_bytes;

        memcpy(base + off, mem->image_view + off, stop - off);
        off = stop;
    }
    for (; off < end; off += page) {
        if (!page_is_zero(base + off, page)) {
            memset(base + off, 0, page);
        }
    }
}

/* Copy back what was written below bytes; 0, or -1 to ask for madvise. */
static int
restore_written(wc_memory *mem, uint64_t bytes)
{
    static size_t page;
    uint64_t entries[512];
    uint64_t npages, copied = 0, run_start = 0, run_len = 0;
    uintptr_t first;

    pthread_once(&pagemap_once, pagemap_open);
    if (pagemap_fd < 0 || (mem->image_bytes != 0 && mem->image_view == NULL)) {
        return -1;
    }
    if (page == 0) {
        page = (size_t)sysconf(_SC_PAGESIZE);
    }
    first = (uintptr_t)mem->m.base / page;
    npages = bytes / page;
    for (uint64_t i = 0; i < npages;) {
        uint64_t want = npages - i < 512 ? npages - i : 512;
        ssize_t got = pread(pagemap_fd, entries, want * 8, (off_t)((first + i) * 8));

        if (got <= 0 || got % 8 != 0) {
            return -1;
        }
        for (uint64_t k = 0; k < (uint64_t)got / 8; k++, i++) {
            uint64_t e = entries[k];
            int written = ((e & PM_PRESENT) && !(e & PM_FILE)) || (e & PM_SWAPPED);

            if (written && run_len > 0 && run_start + run_len == i) {
                run_len++;
            } else if (written) {
                if (run_len > 0) {
                    restore_pages(mem, run_start, run_len, page);
                }
                run_start = i;
                run_len = 1;
            }
            if (written && (copied += page) > RESET_COPY_MAX) {
                return -1;
            }
        }
    }
    if (run_len > 0) {
        restore_pages(mem, run_start, run_len, page);
    }
    return 0;
}

void
wc__memory_reset(wc_memory *mem)
{
    uint64_t min = mem->min_pages * WC_PAGE_SIZE, used = mem->m.pages * WC_PAGE_SIZE;

    if (used > min) {
        mmap(mem->m.base + min, used - min, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    }
    mem->m.pages = mem->min_pages;
    /* On a private file mapping MADV_DONTNEED drops our copies and the image
     * shows through again; on anonymous memory the pages read as zero. */
    if (min != 0 && restore_written(mem, min) != 0) {
        madvise(mem->m.base, min, MADV_DONTNEED);
    }
}

int
wc__memory_map_image(wc_memory *mem, int fd, const uint8_t *view, uint64_t bytes, wc_error *err)
{
    if (bytes == 0) {
        return 0;
    }
    if (mmap(mem->m.base, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) ==
        MAP_FAILED) {
        return wc_error_set(err, -errno, "cannot map the memory image: %s", strerror(errno));
    }
    mem->image_bytes = bytes;
    mem->image_view = view;
    return 0;
}

static uint32_t
memory_grow_obj(wcrt_memory *m, uint64_t delta)
{
    uint64_t old = m->pages;

    if (delta == 0) {
        return (uint32_t)old;
    }
    if (delta > m->max_pages || old + delta > m->max_pages) {
        return UINT32_MAX;
    }
    if (mprotect(m->base + old * WC_PAGE_SIZE, delta * WC_PAGE_SIZE, PROT_READ | PROT_WRITE) != 0) {
        return UINT32_MAX;
    }
    m->pages = old + delta;
    return (uint32_t)old;
}

int64_t
wc_memory_grow(wc_memory *mem, uint64_t delta)
{
    uint32_t r = memory_grow_obj(&mem->m, delta);

    return r == UINT32_MAX ? -1 : (int64_t)r;
}

/* ---- tables ---- */

int
wc__table_init(wc_table *t, uint8_t elem, uint32_t min, uint32_t max, void *init, wc_error *err)
{
    if (min > max) {
        return wc_error_set(err, WC_ELIMIT, "table of %u elements exceeds the limit of %u", min,
                            max);
    }
    t->t.elem_type = elem;
    t->t.size = min;
    t->t.max = max;
    t->t.elems = wc_xmalloc(((size_t)min + 1) * sizeof(void *));
    for (uint32_t i = 0; i < min; i++) {
        t->t.elems[i] = init;
    }
    return 0;
}

void
wc__table_release(wc_table *t)
{
    if (t != NULL) {
        free(t->t.elems);
        t->t.elems = NULL;
    }
}

/* ---- traps ---- */

static const char *const trap_messages[WCRT_TRAP_COUNT] = {
    [WCRT_TRAP_NONE] = "no trap",
    [WCRT_TRAP_UNREACHABLE] = "unreachable",
    [WCRT_TRAP_MEMORY_OOB] = "out of bounds memory access",
    [WCRT_TRAP_TABLE_OOB] = "out of bounds table access",
    [WCRT_TRAP_DIV_ZERO] = "integer divide by zero",
    [WCRT_TRAP_INT_OVERFLOW] = "integer overflow",
    [WCRT_TRAP_INVALID_CONVERSION] = "invalid conversion to integer",
    [WCRT_TRAP_UNDEFINED_ELEMENT] = "undefined element",
    [WCRT_TRAP_UNINITIALIZED_ELEMENT] = "uninitialized element",
    [WCRT_TRAP_INDIRECT_TYPE] = "indirect call type mismatch",
    [WCRT_TRAP_EXHAUSTION] = "call stack exhausted",
    [WCRT_TRAP_DEADLINE] = "deadline exceeded",
    [WCRT_TRAP_HOST] = "host function failed",
};

__attribute__((noreturn)) static void
rt_trap(int code)
{
    if (ts.jmp == NULL) {
        WC_BUG("guest trap (%s) outside of a call", trap_messages[code]);
    }
    longjmp(ts.jmp->jb, code);
}

/* Take a deadline that arrived while the thread was in host code. */
static void
check_deadline(void)
{
    if (ts.deadline_hit) {
        rt_trap(WCRT_TRAP_DEADLINE);
    }
}

static void
fault_handler(int sig, siginfo_t *si, void *uctx)
{
    uintptr_t a = (uintptr_t)si->si_addr;
    int code = 0;
    sigset_t set;

    (void)uctx;
    if (ts.jmp != NULL && ts.in_guest) {
        if (in_memory_region(a)) {
            code = WCRT_TRAP_MEMORY_OOB;
        } else if (a < ts.stack_lo + 4096 && a + STACK_FAULT_WINDOW >= ts.stack_lo) {
            code = WCRT_TRAP_EXHAUSTION;
        }
    }
    if (code == 0) {
        /* Not a guest fault: restore the default action and let it happen again. */
        signal(sig, SIG_DFL);
        return;
    }
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    longjmp(ts.jmp->jb, code);
}

static void
deadline_handler(int sig, siginfo_t *si, void *uctx)
{
    sigset_t set;

    (void)si;
    (void)uctx;
    if (ts.jmp == NULL || ts.call_deadline == 0 || wc_now_ns() < ts.call_deadline) {
        return; /* late: the call it was meant for is over */
    }
    ts.deadline_hit = 1;
    if (!ts.in_guest) {
        return; /* taken by check_deadline() on the way back to the guest */
    }
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    longjmp(ts.jmp->jb, WCRT_TRAP_DEADLINE);
}

static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

static void
install_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);

    deadline_signal = SIGRTMIN + 4;
    sa.sa_sigaction = deadline_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(deadline_signal, &sa, NULL);
}

static void
thread_init(void)
{
    pthread_attr_t attr;
    stack_t ss;
    void *addr;
    size_t size;

    pthread_once(&handlers_once, install_handlers);
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
            ts.stack_lo = (uintptr_t)addr;
            ts.stack_hi = (uintptr_t)addr + size;
        }
        pthread_attr_destroy(&attr);
    }
    ts.altstack =
        mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ts.altstack != MAP_FAILED) {
        ss.ss_sp = ts.altstack;
        ss.ss_size = ALTSTACK_SIZE;
        ss.ss_flags = 0;
        sigaltstack(&ss, NULL);
    }
    ts.ready = 1;
}

/* ---- the watchdog ---- */

static struct {
    pthread_mutex_t mu;
    wslot *slots;
    int started;
} wd = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void *
watchdog(void *arg)
{
    struct timespec tick = {0, 2 * 1000 * 1000};

    (void)arg;
    for (;;) {
        uint64_t now;
        wslot *s;

        nanosleep(&tick, NULL);
        now = wc_now_ns();
        pthread_mutex_lock(&wd.mu);
        for (s = wd.slots; s != NULL; s = s->next) {
            uint64_t d = atomic_load(&s->deadline);

            if (d != 0 && now >= d &&
                atomic_compare_exchange_strong(&s->deadline, &d, (uint64_t)0)) {
                pthread_kill(s->thread, deadline_signal);
            }
        }
        pthread_mutex_unlock(&wd.mu);
    }
    return NULL;
}

static void
arm_deadline(uint64_t ns)
{
    if (ts.slot == NULL) {
        pthread_t t;

        ts.slot = wc_xcalloc(1, sizeof(*ts.slot));
        ts.slot->thread = pthread_self();
        pthread_mutex_lock(&wd.mu);
        ts.slot->next = wd.slots;
        wd.slots = ts.slot;
        if (!wd.started && pthread_create(&t, NULL, watchdog, NULL) == 0) {
            pthread_detach(t);
            wd.started = 1;
        }
        pthread_mutex_unlock(&wd.mu);
    }
    atomic_store(&ts.slot->deadline, wc_now_ns() + ns);
}

static void
disarm_deadline(void)
{
    if (ts.slot != NULL) {
        atomic_store(&ts.slot->deadline, (uint64_t)0);
    }
}

/* ---- services for generated code ---- */

static wc_instance *
instance_of(wcrt_inst *inst)
{
    return (wc_instance *)inst->rt;
}

static u32
rt_memory_grow(wcrt_inst *inst, u32 delta)
{
    return memory_grow_obj(inst->memory0, delta);
}

static void
check_range(uint64_t start, uint64_t n, uint64_t size, int code)
{
    if (start + n > size) {
        rt_trap(code);
    }
}

static void
rt_memory_fill(wcrt_inst *inst, u32 dst, u32 val, u32 n)
{
    check_range(dst, n, inst->memory0->pages * WC_PAGE_SIZE, WCRT_TRAP_MEMORY_OOB);
    memset(inst->mem0 + dst, (int)val, n);
}

static void
rt_memory_copy(wcrt_inst *inst, u32 dst, u32 src, u32 n)
{
    uint64_t size = inst->memory0->pages * WC_PAGE_SIZE;

    check_range(dst, n, size, WCRT_TRAP_MEMORY_OOB);
    check_range(src, n, size, WCRT_TRAP_MEMORY_OOB);
    memmove(inst->mem0 + dst, inst->mem0 + src, n);
}

static void
rt_memory_init(wcrt_inst *inst, u32 seg, u32 dst, u32 src, u32 n)
{
    wc_instance *wi = instance_of(inst);
    const wc_dataseg *d = &wi->module->info->datas[seg];
    uint32_t len = wi->data_dropped[seg] ? 0 : d->len;

    check_range(src, n, len, WCRT_TRAP_MEMORY_OOB);
    check_range(dst, n, inst->memory0->pages * WC_PAGE_SIZE, WCRT_TRAP_MEMORY_OOB);
    if (n != 0) {
        memcpy(inst->mem0 + dst, d->bytes + src, n);
    }
}

static void
rt_data_drop(wcrt_inst *inst, u32 seg)
{
    instance_of(inst)->data_dropped[seg] = 1;
}

static u32
rt_table_grow(wcrt_inst *inst, u32 table, void *init, u32 delta)
{
    wcrt_table *t = inst->tables[table];
    uint32_t old = t->size;
    int saved = ts.in_guest;
    void **elems;

    if (delta == 0) {
        return old;
    }
    if (delta > t->max || old > t->max - delta) {
        return UINT32_MAX;
    }
    /* realloc may take the allocator's lock: no asynchronous trap in here. */
    ts.in_guest = 0;
    elems = realloc(t->elems, ((size_t)old + delta + 1) * sizeof(void *));
    ts.in_guest = saved;
    if (elems == NULL) {
        check_deadline();
        return UINT32_MAX;
    }
    for (uint32_t i = 0; i < delta; i++) {
        elems[old + i] = init;
    }
    t->elems = elems;
    t->size = old + delta;
    check_deadline();
    return old;
}

static void
rt_table_fill(wcrt_inst *inst, u32 table, u32 dst, void *val, u32 n)
{
    wcrt_table *t = inst->tables[table];

    check_range(dst, n, t->size, WCRT_TRAP_TABLE_OOB);
    for (uint32_t i = 0; i < n; i++) {
        t->elems[dst + i] = val;
    }
}

static void
rt_table_copy(wcrt_inst *inst, u32 dt, u32 st, u32 dst, u32 src, u32 n)
{
    wcrt_table *d = inst->tables[dt], *s = inst->tables[st];

    check_range(dst, n, d->size, WCRT_TRAP_TABLE_OOB);
    check_range(src, n, s->size, WCRT_TRAP_TABLE_OOB);
    memmove(d->elems + dst, s->elems + src, (size_t)n * sizeof(void *));
}

static void *
elem_ref(wc_instance *wi, const wc_constexpr *ce)
{
    return wc__const_eval(wi, ce).ref;
}

static void
rt_table_init(wcrt_inst *inst, u32 table, u32 seg, u32 dst, u32 src, u32 n)
{
    wc_instance *wi = instance_of(inst);
    const wc_elemseg *e = &wi->module->info->elems[seg];
    uint32_t len = wi->elem_dropped[seg] ? 0 : e->count;
    wcrt_table *t = inst->tables[table];

    check_range(src, n, len, WCRT_TRAP_TABLE_OOB);
    check_range(dst, n, t->size, WCRT_TRAP_TABLE_OOB);
    for (uint32_t i = 0; i < n; i++) {
        t->elems[dst + i] = elem_ref(wi, &e->items[src + i]);
    }
}

static void
rt_elem_drop(wcrt_inst *inst, u32 seg)
{
    instance_of(inst)->elem_dropped[seg] = 1;
}

static f32
rt_nearestf(f32 x)
{
    return nearbyintf(x);
}

static f64
rt_nearest(f64 x)
{
    return nearbyint(x);
}

static f32
rt_u64_to_f32(u64 x)
{
    return (f32)x;
}

static f64
rt_u64_to_f64(u64 x)
{
    return (f64)x;
}

static void
rt_host_call(void *ctx, const wcrt_val *args, wcrt_val *results)
{
    wc_hostfunc *hf = ctx;
    wc_error err = WC_ERROR_INIT;
    char here;
    int saved = ts.in_guest, rc;

    if ((uintptr_t)&here < ts.stack_lo + HOST_STACK_RESERVE) {
        rt_trap(WCRT_TRAP_EXHAUSTION);
    }
    ts.in_guest = 0;
    rc = hf->cb(hf->data, (const wc_val *)args, (wc_val *)results, &err);
    ts.in_guest = saved;
    check_deadline();
    if (rc != 0) {
        snprintf(ts.host_msg, sizeof(ts.host_msg), "%s",
                 err.code ? err.msg : "host function failed");
        rt_trap(WCRT_TRAP_HOST);
    }
}

const wcrt_api wc__api = {
    .trap = rt_trap,
    .memory_grow = rt_memory_grow,
    .memory_fill = rt_memory_fill,
    .memory_copy = rt_memory_copy,
    .memory_init = rt_memory_init,
    .data_drop = rt_data_drop,
    .table_grow = rt_table_grow,
    .table_fill = rt_table_fill,
    .table_copy = rt_table_copy,
    .table_init = rt_table_init,
    .elem_drop = rt_elem_drop,
    .nearestf = rt_nearestf,
    .nearest = rt_nearest,
    .sqrtf = sqrtf,
    .sqrt = sqrt,
    .ceilf = ceilf,
    .ceil = ceil,
    .floorf = floorf,
    .floor = floor,
    .truncf = truncf,
    .trunc = trunc,
    .u64_to_f32 = rt_u64_to_f32,
    .u64_to_f64 = rt_u64_to_f64,
    .host_call = rt_host_call,
};

/* ---- instantiation helpers ---- */

wcrt_val
wc__const_eval(wc_instance *wi, const wc_constexpr *ce)
{
    const wc_modinfo *m = wi->module->info;
    wcrt_val v;

    memset(&v, 0, sizeof(v));
    switch (ce->op) {
    case CE_I32: v.i32 = ce->u.i32; break;
    case CE_I64: v.i64 = ce->u.i64; break;
    case CE_F32: memcpy(&v.f32, &ce->u.f32bits, 4); break;
    case CE_F64: memcpy(&v.f64, &ce->u.f64bits, 8); break;
    case CE_REF_NULL: v.ref = NULL; break;
    case CE_REF_FUNC:
        if (ce->u.index < m->nfunc_imports) {
            v.ref = wi->rt->imports[ce->u.index];
        } else {
            v.ref = &wi->rt->funcs[m->escape_index[ce->u.index]];
        }
        break;
    case CE_GLOBAL_GET: v = *wi->rt->gimports[ce->u.index]; break;
    }
    return v;
}

/* Active element then data segments, in order, as table.init / memory.init
 * followed by a drop; declarative element segments are dropped. Runs under
 * wc__call's trap handling via a trampoline-free path: bounds are checked
 * here, so the only trap is the one we raise. */
int
wc__init_segments(wc_instance *wi, int data_done, wc_error *err)
{
    const wc_modinfo *m = wi->module->info;

    for (uint32_t i = 0; i < m->nelems; i++) {
        const wc_elemseg *e = &m->elems[i];

        if (e->mode == SEG_ACTIVE) {
            uint32_t off = wc__const_eval(wi, &e->offset).i32;
            wcrt_table *t = wi->rt->tables[e->table];

            if ((uint64_t)off + e->count > t->size) {
                return wc_error_set(err, WC_ETRAP, "trap: %s (element segment %u)",
                                    trap_messages[WCRT_TRAP_TABLE_OOB], i);
            }
            if (e->slots != NULL) { /* all ref.func: precomputed (decode.c) */
                void **dst = t->elems + off;
                wcrt_func *funcs = wi->rt->funcs, **imports = wi->rt->imports;

                for (uint32_t k = 0; k < e->count; k++) {
                    uint32_t x = e->slots[k];

                    dst[k] = x & ELEM_IMPORT ? (void *)imports[x & ~ELEM_IMPORT] : &funcs[x];
                }
            } else {
                for (uint32_t k = 0; k < e->count; k++) {
                    t->elems[off + k] = elem_ref(wi, &e->items[k]);
                }
            }
        }
        if (e->mode != SEG_PASSIVE) {
            wi->elem_dropped[i] = 1;
        }
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wc_dataseg *d = &m->datas[i];

        if (d->mode == SEG_ACTIVE && data_done) {
            wi->data_dropped[i] = 1;
        } else if (d->mode == SEG_ACTIVE) {
            uint32_t off = wc__const_eval(wi, &d->offset).i32;
            wcrt_memory *mem = wi->rt->memory0;

            if ((uint64_t)off + d->len > mem->pages * WC_PAGE_SIZE) {
                return wc_error_set(err, WC_ETRAP, "trap: %s (data segment %u)",
                                    trap_messages[WCRT_TRAP_MEMORY_OOB], i);
            }
            if (d->len != 0) {
                memcpy(mem->base + off, d->bytes, d->len);
            }
            wi->data_dropped[i] = 1;
        }
    }
    return 0;
}

/* ---- calls ---- */

int
wc_call_interrupted(void)
{
    return ts.deadline_hit;
}

int
wc__call(wc_store *store, wc_func *f, const wcrt_val *args, wcrt_val *results, wc_error *err)
{
    volatile int outermost;
    jmpctx ctx;
    int saved_in_guest, code;

    if (!ts.ready) {
        thread_init();
    }
    if (store->poisoned) {
        return wc_error_set(err, WC_ETRAP,
                            "store is unusable: an earlier call was stopped by its deadline");
    }
    if (f->flags == WC_FUNC_HOST && ts.jmp == NULL) {
        /* Host to host: no guest involved. */
        wc_hostfunc *hf = (wc_hostfunc *)f;

        return hf->cb(hf->data, (const wc_val *)args, (wc_val *)results, err) == 0
                   ? 0
                   : wc_error_set(err, WC_ETRAP, "trap: %s", "host function failed");
    }
    outermost = ts.jmp == NULL;
    saved_in_guest = ts.in_guest;
    ctx.prev = ts.jmp;
    if (outermost) {
        ts.deadline_hit = 0;
        ts.call_deadline = 0;
        if (store->deadline_ns != 0) {
            ts.call_deadline = wc_now_ns() + store->deadline_ns;
            arm_deadline(store->deadline_ns);
        }
    }
    code = setjmp(ctx.jb);
    if (code == 0) {
        const wc_sig *sig = wc__sig_get(f->type_id);

        ts.jmp = &ctx;
        if (f->flags == WC_FUNC_HOST) {
            /* Reentrant host call from a host function: go through the adapter path. */
            rt_host_call(f->ctx, args, results);
        } else {
            ts.in_guest = 1;
            sig->call(f->fn, f->ctx, args, results);
        }
    }
    ts.jmp = ctx.prev;
    ts.in_guest = saved_in_guest;
    if (outermost) {
        disarm_deadline();
        ts.call_deadline = 0;
    }
    if (code == 0) {
        return 0;
    }
    if (code == WCRT_TRAP_DEADLINE) {
        /* Nested calls leave deadline_hit set so the outer frames trap too. */
        store->poisoned = 1;
        if (outermost) {
            ts.deadline_hit = 0;
        }
    }
    if (code == WCRT_TRAP_HOST) {
        return wc_error_set(err, WC_ETRAP, "trap: %s", ts.host_msg);
    }
    return wc_error_set(err, WC_ETRAP, "trap: %s",
                        code > 0 && code < WCRT_TRAP_COUNT ? trap_messages[code] : "unknown trap");
}
