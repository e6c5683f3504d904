/*
 * wadm.c - `wash wadm`: run the declarative deployment server until Ctrl-C.
 */
#include "cli/cli.h"

#include "base/log.h"
#include "wadm/wadm.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
cmd_wadm(int argc, char **argv)
{
    const char *nats_url = NULL, *lattice = NULL, *domain = NULL, *prefix = NULL;
    const wc_option opts[] = {
        {"nats-url", 0, WC_OPT_STRING, &nats_url},
        {"lattice", 'x', WC_OPT_STRING, &lattice},
        {"js-domain", 0, WC_OPT_STRING, &domain},
        {"api-prefix", 0, WC_OPT_STRING, &prefix},
        {NULL, 0, 0, NULL},
    };
    wadm_server_config cfg;
    wadm *w = NULL;
    wc_error err = WC_ERROR_INIT;
    sigset_t set;
    int npos, rc, sig;

    rc = wc_parse_options(wc_find_command("wadm"), opts, argc, argv, &npos);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    if (npos != 0) {
        wc_cli_error("wadm", "unexpected argument %s (usage: wash wadm [OPTIONS])", argv[1]);
        return 2;
    }
    wadm_server_config_init(&cfg);
    if (getenv("WADM_NATS_SERVER") != NULL && nats_url == NULL) {
        nats_url = getenv("WADM_NATS_SERVER");
    }
    if (getenv("WASMCLOUD_LATTICE") != NULL && lattice == NULL) {
        lattice = getenv("WASMCLOUD_LATTICE");
    }
    if (getenv("WADM_JETSTREAM_DOMAIN") != NULL && domain == NULL) {
        domain = getenv("WADM_JETSTREAM_DOMAIN");
    }
    cfg.nats_url = nats_url != NULL ? nats_url : cfg.nats_url;
    cfg.lattice = lattice != NULL ? lattice : cfg.lattice;
    cfg.js_domain = domain;
    cfg.api_prefix = prefix != NULL ? prefix : cfg.api_prefix;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (wadm_start(&cfg, &w, &err) != 0) {
        wc_cli_error("wadm", "%s", err.msg);
        return 1;
    }
    fprintf(stderr, "wadm %s serving lattice %s on %s (Ctrl-C to stop)\n", wadm_id(w), cfg.lattice,
            cfg.nats_url);
    sigwait(&set, &sig);
    WC_INFO("wadm", "%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    wadm_stop(w);
    return 0;
}
