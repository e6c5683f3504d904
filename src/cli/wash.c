/*
 * wash.c - the multi-call binary: main() and the command table.
 *
 * To add a command: write cli/<name>.c with cmd_<name>(), declare it in
 * cli/cli.h, and add a line to the table below.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

const wc_command wc_commands[] = {
    {"app", cmd_app, "Deploy and manage applications (OAM manifests) through wadm",
     "usage: wash app SUBCOMMAND [OPTIONS]\n"
     "\n"
     "  validate FILE.yaml     check a manifest here; errors give the path and line\n"
     "  deploy FILE.yaml       put the manifest (name and version from the file) and\n"
     "                         deploy it; relative file:// images resolve against the\n"
     "                         manifest's directory\n"
     "  list                   applications, their versions and status\n"
     "  status NAME            the deployment status\n"
     "  get NAME [--version V] the stored manifest (JSON)\n"
     "  versions NAME          stored versions and which is deployed\n"
     "  undeploy NAME          stop what the application runs\n"
     "  delete NAME [--version V]  delete one version, or all (undeploying)\n"
     "\n"
     "  --nats-url URL         NATS server (default nats://127.0.0.1:4222)\n"
     "  -x, --lattice NAME     lattice (default \"default\" or WASMCLOUD_LATTICE)\n"
     "  -o, --output FORMAT    table (default) or json\n"
     "  --timeout DURATION     how long to wait for wadm (default 5s)\n"},
    {"build", cmd_build, "Build a component project (C or JavaScript)",
     "usage: wash build [DIR]\n\n"
     "Builds the project in DIR (default .) into DIR/build/NAME.wasm: index.js with\n"
     "componentize-js, or the .c files with clang for wasm32-wasi, then jco embed\n"
     "(the WIT in DIR/wit) and jco new with the preview1 reactor adapter.\n"},
    {"call", cmd_call, "Invoke a component's function over wRPC",
     "usage: wash call ID FUNCTION [ARGS...] [OPTIONS]\n"
     "\n"
     "FUNCTION is instance.function (test:strings/api@0.1.0.echo) or a top-level\n"
     "function name. ARGS are WAVE values, one per parameter: 42, -1.5, 'c',\n"
     "\"text\", [1, 2], (1, \"a\"), {x: 1, y: 2}, some(3), none, ok(1), err(\"no\"),\n"
     "red, {read, write}. Their types come from the component: the image the\n"
     "lattice reports for ID when it is a local file, or --component FILE. The\n"
     "result prints as a WAVE value.\n"
     "\n"
     "wasi:http/incoming-handler.handle sends an HTTP request and prints the\n"
     "response body (exit status 1 unless it is 2xx; -o json: status, headers, body).\n"
     "\n"
     "  --nats-url URL             NATS server (default nats://127.0.0.1:4222)\n"
     "  -x, --lattice NAME         lattice (default \"default\" or WASMCLOUD_LATTICE)\n"
     "  -o, --output FORMAT        text (default) or json\n"
     "  --timeout DURATION         how long to wait for the result (default 10s)\n"
     "  --component FILE           read the function's types from this component\n"
     "  --http-method M            default GET\n"
     "  --http-path PATH           path and query (default /)\n"
     "  -H, --http-header 'N: V'   a request header (repeatable)\n"
     "  --http-body TEXT           the request body\n"
     "  --http-body-path FILE      the request body from a file\n"
     "  --http-content-type TYPE   a content-type header\n"
     "  --http-host HOST           authority host (default localhost)\n"
     "  --http-port PORT           authority port (default 8080)\n"
     "  --http-scheme S            http (default), https\n"},
    {"completions", cmd_completions, "Print shell completion for bash, zsh or fish",
     "usage: wash completions bash|zsh|fish\n\n"
     "Prints a completion script: commands, their flags, and live names (apps,\n"
     "component ids, host ids) from the lattice at $WASH_NATS_URL (default\n"
     "nats://127.0.0.1:4222). bash: source <(wash completions bash)\n"},
    {"config", cmd_ctl, "Put, get or delete named configuration",
     "usage: wash config put NAME KEY=VALUE... | get NAME | del NAME\n"
     "\n"
     "  --nats-url URL        NATS server (default nats://127.0.0.1:4222)\n"
     "  -x, --lattice NAME    lattice (default \"default\" or WASMCLOUD_LATTICE)\n"
     "  -o, --output FORMAT   table (default) or json\n"
     "  --timeout DURATION    how long to wait for answers (default 5s)\n"},
    {"dev", cmd_dev, "Build, deploy and redeploy a component project on every change",
     "usage: wash dev [DIR] [--nats-url URL]\n"
     "\n"
     "Builds DIR (default .), deploys DIR/wadm.yaml to the platform (starting one with\n"
     "'wash up --detached' if none answers), then rebuilds and redeploys whenever a\n"
     "source, WIT or wadm.yaml changes, until Ctrl-C. Each build is a new version;\n"
     "the component is updated in place.\n"},
    {"docs", cmd_docs, "Write the command reference (docs/cli/*.md)",
     "usage: wash docs [DIR] [--check]\n\n"
     "Writes DIR/README.md and DIR/COMMAND.md (default DIR docs/cli) from the command\n"
     "table; --check only compares and fails if they differ.\n"},
    {"down", cmd_down, "Stop what 'wash up' started",
     "usage: wash down [--state-dir DIR]\n"
     "\n"
     "Stops the platform 'wash up' started (from any terminal): asks it to stop,\n"
     "waits up to 20s, then kills whatever it started that is still running.\n"},
    {"get", cmd_ctl, "List hosts, inventories or links",
     "usage: wash get hosts | inventory [HOST] | links\n"
     "\n"
     "  --nats-url URL        NATS server (default nats://127.0.0.1:4222)\n"
     "  -x, --lattice NAME    lattice (default \"default\" or WASMCLOUD_LATTICE)\n"
     "  -o, --output FORMAT   table (default) or json\n"
     "  --timeout DURATION    how long to wait for answers (default 5s)\n"},
    {"host", cmd_host, "Run a lattice host (components and built-in providers over NATS)",
     "usage: wash host [OPTIONS]\n"
     "\n"
     "Joins a wasmCloud lattice over NATS (JetStream on) and runs components and the\n"
     "built-in providers it is asked to, until Ctrl-C or a host.stop request. Logs\n"
     "go to stderr. Environment: WASMCLOUD_LATTICE, WASMCLOUD_HOST_SEED,\n"
     "WASMCLOUD_JS_DOMAIN, WASMCLOUD_MAX_LINEAR_MEMORY, WASMCLOUD_MAX_EXECUTION_TIME_MS,\n"
     "WASMCLOUD_MAX_COMPONENT_SIZE, WASMCLOUD_MAX_COMPONENTS,\n"
     "WASMCLOUD_HEARTBEAT_INTERVAL, WASMCLOUD_LABEL_<key>=<value>; flags win.\n"
     "\n"
     "  --nats-url URL          NATS server for control and RPC (default\n"
     "                          nats://127.0.0.1:4222)\n"
     "  -x, --lattice NAME      lattice name (default \"default\")\n"
     "  --host-seed SEED        nkey seed (SN...) for the host identity\n"
     "  -l, --label KEY=VALUE   a host label (repeatable)\n"
     "  --js-domain DOMAIN      JetStream domain of the KV buckets\n"
     "  --max-linear-memory BYTES  per instance (default 256 MiB)\n"
     "  --max-execution-time DURATION  per invocation (default 10m)\n"
     "  --max-components N      components on this host (default 10000)\n"
     "  --heartbeat-interval DURATION  (default 30s)\n"
     "  --tier T                auto (default), baseline or optimized\n"},
    {"inspect", cmd_inspect, "Show a component's imports and exports",
     "usage: wash inspect COMPONENT.wasm\n\n"
     "Prints the imports and exports of a component as WIT-like text (or the\n"
     "imports and exports of a core module).\n"},
    {"label", cmd_ctl, "Set or remove a host label",
     "usage: wash label HOST KEY=VALUE | wash label HOST KEY --delete\n"
     "\n"
     "  --nats-url URL        NATS server (default nats://127.0.0.1:4222)\n"
     "  -x, --lattice NAME    lattice (default \"default\" or WASMCLOUD_LATTICE)\n"
     "  -o, --output FORMAT   table (default) or json\n"
     "  --timeout DURATION    how long to wait for answers (default 5s)\n"},
    {"link", cmd_ctl, "Put, delete or list links",
     "usage: wash link put SOURCE TARGET NAMESPACE PACKAGE --interface I [--interface I...]\n"
     "                      [--link-name N] [--source-config C] [--target-config C]\n"
     "       wash link del SOURCE NAMESPACE PACKAGE [--link-name N]\n"
     "       wash link get\n"
     "\n"
     "  --nats-url URL        NATS server (default nats://127.0.0.1:4222)\n"
     "  -x, --lattice NAME    lattice (default \"default\" or WASMCLOUD_LATTICE)\n"
     "  -o, --output FORMAT   table (default) or json\n"
     "  --timeout DURATION    how long to wait for answers (default 5s)\n"},
    {"new", cmd_new, "Create a component project from a template",
     "usage: wash new component NAME [--template c|js]\n\n"
     "Creates NAME/: an HTTP hello component (C or JavaScript, default js), its WIT\n"
     "with the WASI deps, and a wadm.yaml to deploy it.\n\n"
     "  -t, --template T   c or js\n"},
    {"run", cmd_run, "Run a command component (wasi:cli/run)",
     "usage: wash run [OPTIONS] COMPONENT [ARGS...]\n"
     "\n"
     "Runs a component that exports wasi:cli/run, with its arguments, the standard\n"
     "streams of wash, and its exit status. Options come before the component.\n"
     "\n"
     "  --env KEY=VALUE     set an environment variable (repeatable)\n"
     "  --dir HOST::GUEST   grant the host directory HOST as GUEST (repeatable);\n"
     "                      --dir DIR grants DIR under its own name\n"
     "  --timeout DURATION  stop the guest after this long (for example 30s)\n"
     "  --max-memory BYTES  linear memory limit per instance (default 256 MiB)\n"
     "  --tier T            auto (default), baseline or optimized\n"},
    {"scale", cmd_ctl, "Scale a component (max concurrent instances)",
     "usage: wash scale component ID --max N [--host-id H]\n"
     "\n"
     "  --nats-url URL        NATS server (default nats://127.0.0.1:4222)\n"
     "  -x, --lattice NAME    lattice (default \"default\" or WASMCLOUD_LATTICE)\n"
     "  -o, --output FORMAT   table (default) or json\n"
     "  --timeout DURATION    how long to wait for answers (default 5s)\n"},
    {"serve", cmd_serve, "Serve an HTTP component (wasi:http/proxy)",
     "usage: wash serve [OPTIONS] COMPONENT\n"
     "\n"
     "Serves a component that exports wasi:http/incoming-handler over HTTP/1.1, with\n"
     "a fresh instance for every request, until Ctrl-C.\n"
     "\n"
     "  --addr HOST:PORT    where to listen (default 127.0.0.1:8080; port 0 picks one)\n"
     "  --timeout DURATION  stop a request's guest after this long (for example 10s)\n"
     "  --workers N         requests handled at once (default: number of CPUs)\n"
     "  --env KEY=VALUE     environment of the component (repeatable)\n"
     "  --max-memory BYTES  linear memory limit per instance (default 256 MiB)\n"
     "  --tier T            auto (default), baseline or optimized\n"},
    {"spy", cmd_spy, "Watch the events about a component and the calls sent to it",
     "usage: wash spy ID [OPTIONS]\n"
     "\n"
     "Prints each lattice event that names ID (scaled, failed, linked, unlinked,\n"
     "started, stopped) and each wRPC invocation sent to it (caller, function,\n"
     "parameter bytes) as it happens. Calls a host makes to a component in its\n"
     "own process (its HTTP server, its messaging provider) do not cross NATS\n"
     "and are not shown.\n"
     "\n"
     "  --nats-url URL        NATS server (default nats://127.0.0.1:4222)\n"
     "  -x, --lattice NAME    lattice (default \"default\" or WASMCLOUD_LATTICE)\n"
     "  -o, --output FORMAT   text (default) or json (whole CloudEvents)\n"
     "  --count N             stop after N events\n"
     "  --timeout DURATION    stop after this long\n"},
    {"start", cmd_ctl, "Start a component or provider (auction unless --host-id)",
     "usage: wash start component REF ID [--max N] [--config NAME...] [--host-id H]\n"
     "       wash start provider REF ID [--config NAME...] [--host-id H]\n"
     "\n"
     "  --nats-url URL        NATS server (default nats://127.0.0.1:4222)\n"
     "  -x, --lattice NAME    lattice (default \"default\" or WASMCLOUD_LATTICE)\n"
     "  -o, --output FORMAT   table (default) or json\n"
     "  --timeout DURATION    how long to wait for answers (default 5s)\n"},
    {"stop", cmd_ctl, "Stop a component or provider",
     "usage: wash stop component|provider ID [--host-id H]\n"
     "\n"
     "  --nats-url URL        NATS server (default nats://127.0.0.1:4222)\n"
     "  -x, --lattice NAME    lattice (default \"default\" or WASMCLOUD_LATTICE)\n"
     "  -o, --output FORMAT   table (default) or json\n"
     "  --timeout DURATION    how long to wait for answers (default 5s)\n"},
    {"up", cmd_up, "Run a whole platform here: NATS, a host and wadm",
     "usage: wash up [OPTIONS]\n"
     "\n"
     "Starts nats-server with JetStream (its state in the state directory), then a\n"
     "host and wadm in this process, prints where everything is, and runs until\n"
     "Ctrl-C or 'wash down'.\n"
     "\n"
     "  --nats-url URL       use this NATS instead of starting one\n"
     "  --nats-port N        port for the NATS started here (default 4222)\n"
     "  -x, --lattice NAME   lattice name (default \"default\")\n"
     "  -d, --detached       return once everything answers (logs in the state dir)\n"
     "  --no-embed           run host and wadm as separate processes (also\n"
     "                       WASH_NO_EMBED=1)\n"
     "  --state-dir DIR      default $WASH_STATE_DIR, $XDG_STATE_HOME/wasmcloud-c or\n"
     "                       ~/.local/state/wasmcloud-c\n"},
    {"version", cmd_version, "Print the version of wash and its engine",
     "usage: wash version\n\nPrints the version of wash and of the components it was built "
     "with.\n"},
    {"wadm", cmd_wadm, "Run wadm: deploy applications from OAM manifests",
     "usage: wash wadm [OPTIONS]\n"
     "\n"
     "Serves the wadm API (wadm.api.{lattice}.model.*) and keeps the lattice running\n"
     "the deployed applications. Several may run on one lattice: one leads and\n"
     "reconciles, all answer the API. Environment: WADM_NATS_SERVER,\n"
     "WASMCLOUD_LATTICE, WADM_JETSTREAM_DOMAIN; flags win.\n"
     "\n"
     "  --nats-url URL        NATS server (default nats://127.0.0.1:4222)\n"
     "  -x, --lattice NAME    lattice name (default \"default\")\n"
     "  --js-domain DOMAIN    JetStream domain\n"
     "  --api-prefix PREFIX   API subject prefix (default wadm.api)\n"},
    {"wast", cmd_wast, "Run WebAssembly specification test scripts (.wast)",
     "usage: wash wast [--tier baseline|optimized] [--quiet] FILE.wast...\n"
     "\n"
     "Runs WebAssembly spec test scripts against the engine, as `wasmtime wast` does.\n"
     "Each failure is printed; the last line is \"N passed, N failed\". The exit\n"
     "status is 0 only if nothing failed.\n"
     "\n"
     "  --tier T      baseline (tcc, the default) or optimized (cc -O2)\n"
     "  --quiet       print only failures and the summary\n"
     "  --verbose     print every command as it runs\n"},
    /* Hidden: live names for the completion scripts. */
    {"__complete", cmd_complete, NULL, "usage: wash __complete apps|hosts|components|providers\n"},
    {NULL, NULL, NULL, NULL},
};

const wc_command *
wc_find_command(const char *name)
{
    for (const wc_command *c = wc_commands; c->name != NULL; c++) {
        if (strcmp(c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

static void
usage(FILE *out)
{
    fprintf(out, "usage: wash <command> [options]\n\n"
                 "wash is the command line of wasmCloud in C.\n\nCommands:\n");
    for (const wc_command *c = wc_commands; c->name != NULL; c++) {
        if (c->summary != NULL) { /* NULL: hidden */
            fprintf(out, "  %-12s %s\n", c->name, c->summary);
        }
    }
    fprintf(out, "\nRun 'wash <command> --help' for a command's options.\n");
}

int
main(int argc, char **argv)
{
    const wc_command *cmd;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc >= 3 && strcmp(argv[1], "help") == 0 && (cmd = wc_find_command(argv[2]))) {
            printf("%s", cmd->usage);
            return 0;
        }
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        return cmd_version(1, argv + 1);
    }
    cmd = wc_find_command(argv[1]);
    if (cmd == NULL) {
        fprintf(stderr, "wash: '%s' is not a wash command. See 'wash --help'.\n", argv[1]);
        return 2;
    }
    return cmd->fn(argc - 1, argv + 1);
}
