/*
 * host.c - `wash host`: run a lattice host until Ctrl-C or host.stop.
 */
#include "cli/cli.h"

#include "base/log.h"
#include "host/host.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static wc_host *running;

/* Signals arrive on this thread only; it turns them into a stop request. */
static void *
signal_main(void *arg)
{
    sigset_t *set = arg;
    int sig;

    if (sigwait(set, &sig) == 0 && running != NULL) {
        WC_INFO("host", "%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        wc_host_request_stop(running);
    }
    return NULL;
}

int
cmd_host(int argc, char **argv)
{
    const char *tier = "auto", *nats_url = NULL, *lattice = NULL, *seed = NULL, *domain = NULL;
    uint64_t max_memory = 0, max_exec = 0, max_components = 0, heartbeat = 0, deadline;
    wc_strlist labels = {0};
    const wc_option opts[] = {
        {"nats-url", 0, WC_OPT_STRING, &nats_url},
        {"lattice", 'x', WC_OPT_STRING, &lattice},
        {"host-seed", 0, WC_OPT_STRING, &seed},
        {"label", 'l', WC_OPT_LIST, &labels},
        {"js-domain", 0, WC_OPT_STRING, &domain},
        {"max-linear-memory", 0, WC_OPT_UINT, &max_memory},
        {"max-execution-time", 0, WC_OPT_DURATION, &max_exec},
        {"max-components", 0, WC_OPT_UINT, &max_components},
        {"heartbeat-interval", 0, WC_OPT_DURATION, &heartbeat},
        {"tier", 0, WC_OPT_STRING, &tier},
        {NULL, 0, 0, NULL},
    };
    wc_host_config cfg;
    wc_host *h = NULL;
    wc_error err = WC_ERROR_INIT;
    sigset_t set;
    pthread_t sigthread;
    struct rlimit rl;
    int npos, rc;

    rc = wc_parse_options(wc_find_command("host"), opts, argc, argv, &npos);
    if (rc != 0) {
        free(labels.v);
        return rc > 0 ? 0 : 2;
    }
    if (npos != 0) {
        wc_cli_error("host", "unexpected argument %s (usage: wash host [OPTIONS])", argv[1]);
        free(labels.v);
        return 2;
    }
    if (wc_host_config_init(&cfg, &err) != 0) {
        wc_cli_error("host", "%s", err.msg);
        free(labels.v);
        return 2;
    }
    cfg.nats_url = nats_url != NULL ? nats_url : cfg.nats_url;
    cfg.lattice = lattice != NULL ? lattice : cfg.lattice;
    cfg.seed = seed != NULL ? seed : cfg.seed;
    cfg.js_domain = domain != NULL ? domain : cfg.js_domain;
    cfg.labels = labels.v;
    cfg.nlabels = labels.n;
    cfg.max_linear_memory = max_memory != 0 ? max_memory : cfg.max_linear_memory;
    cfg.max_execution_ns = max_exec != 0 ? max_exec : cfg.max_execution_ns;
    cfg.max_components = max_components != 0 ? (uint32_t)max_components : cfg.max_components;
    cfg.heartbeat_ns = heartbeat != 0 ? heartbeat : cfg.heartbeat_ns;
    cfg.tier = strcmp(tier, "baseline") == 0    ? WC_TIER_BASELINE
               : strcmp(tier, "optimized") == 0 ? WC_TIER_OPTIMIZED
                                                : WC_TIER_AUTO;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (wc_host_start(&cfg, &h, &err) != 0) {
        wc_cli_error("host", "%s", err.msg);
        free(labels.v);
        return 1;
    }
    running = h;
    pthread_create(&sigthread, NULL, signal_main, &set);
    pthread_detach(sigthread);
    fprintf(stderr, "Host %s (%s) running on lattice %s (Ctrl-C to stop)\n", wc_host_id(h),
            wc_host_friendly_name(h), cfg.lattice);
    deadline = wc_host_wait(h);
    wc_host_stop(h, deadline != 0 ? deadline : 10ull * 1000000000ull);
    running = NULL;
    free(labels.v);
    return 0;
}
