/*
 * test_lattice.c - nkeys (checked against a real nats-server's nkey
 * authentication), event ids and times, generated protocol types.
 */
#include "lattice/lattice.h"
#include "lattice/lattice_types.h"
#include "lattice/nkey.h"
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

TEST(nkey_seed_round_trip_sign_and_verify)
{
    wc_nkey k, back;
    wc_nkey_kind kind;
    char seed[WC_NKEY_SEED_LEN + 1], pub[WC_NKEY_PUBLIC_LEN + 1], pub2[WC_NKEY_PUBLIC_LEN + 1];
    uint8_t pk[32], sig[64];
    wc_error err = WC_ERROR_INIT;

    wc_nkey_generate(&k, WC_NKEY_SERVER);
    wc_nkey_seed(&k, seed);
    wc_nkey_public(&k, pub);
    CHECK_EQ_INT(strlen(seed), WC_NKEY_SEED_LEN);
    CHECK_EQ_INT(strlen(pub), WC_NKEY_PUBLIC_LEN);
    CHECK(strncmp(seed, "SN", 2) == 0);
    CHECK(pub[0] == 'N');
    CHECK_EQ_INT(wc_nkey_from_seed(&back, seed, &err), 0);
    wc_nkey_public(&back, pub2);
    CHECK_EQ_STR(pub, pub2);
    CHECK_EQ_INT(wc_nkey_decode_public(pub, &kind, pk, &err), 0);
    CHECK_EQ_INT(kind, WC_NKEY_SERVER);
    CHECK(memcmp(pk, k.pk, 32) == 0);
    wc_nkey_sign(&k, "nonce", 5, sig);
    CHECK(wc_nkey_verify(pub, "nonce", 5, sig));
    sig[3] ^= 1;
    CHECK(!wc_nkey_verify(pub, "nonce", 5, sig));
}

TEST(nkey_bad_seeds_are_refused_with_a_reason)
{
    wc_nkey k;
    char seed[WC_NKEY_SEED_LEN + 1];
    wc_error err = WC_ERROR_INIT;

    wc_nkey_generate(&k, WC_NKEY_SERVER);
    wc_nkey_seed(&k, seed);
    seed[10] = seed[10] == 'A' ? 'B' : 'A';
    CHECK_EQ_INT(wc_nkey_from_seed(&k, seed, &err), WC_EINVAL);
    CHECK(strstr(err.msg, "checksum") != NULL);
    wc_error_clear(&err);
    CHECK_EQ_INT(wc_nkey_from_seed(&k, "SNABC", &err), WC_EINVAL);
    CHECK(err.msg[0] != '\0');
    wc_error_clear(&err);
    CHECK_EQ_INT(
        wc_nkey_from_seed(&k, "not a seed at all, not base32 either!!!!!!!!!!!!!!!!!!!!!", &err),
        WC_EINVAL);
    CHECK(err.msg[0] != '\0');
}

static int
free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &len);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* nats-server accepts a user whose nkey we made, signing its nonce with libsodium. */
TEST(nkey_authenticates_with_nats_server)
{
    char dir[] = "/tmp/wc-nkey-XXXXXX", conf[300], seedfile[300], url[64], pub[60], seed[60];
    wc_nkey user;
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    natsStatus s = NATS_ERR;
    FILE *f;
    pid_t pid;
    int port = free_port();
    const char *server =
        access("/usr/sbin/nats-server", X_OK) == 0 ? "/usr/sbin/nats-server" : "nats-server";

    CHECK(mkdtemp(dir) != NULL);
    wc_nkey_generate(&user, WC_NKEY_USER);
    wc_nkey_public(&user, pub);
    wc_nkey_seed(&user, seed);
    CHECK(pub[0] == 'U' && strncmp(seed, "SU", 2) == 0);
    snprintf(conf, sizeof(conf), "%s/nats.conf", dir);
    snprintf(seedfile, sizeof(seedfile), "%s/user.nk", dir);
    f = fopen(conf, "w");
    fprintf(f, "listen: 127.0.0.1:%d\nauthorization { users = [ { nkey: %s } ] }\n", port, pub);
    fclose(f);
    f = fopen(seedfile, "w");
    fprintf(f, "%s\n", seed);
    fclose(f);
    if ((pid = fork()) == 0) {
        freopen("/dev/null", "w", stderr);
        execlp(server, server, "-c", conf, (char *)NULL);
        _exit(127);
    }
    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", port);
    natsOptions_Create(&o);
    natsOptions_SetURL(o, url);
    natsOptions_SetNKeyFromSeed(o, pub, seedfile);
    for (int i = 0; i < 100 && s != NATS_OK; i++) {
        s = natsConnection_Connect(&nc, o);
        if (s == NATS_NO_SERVER) {
            usleep(50000);
        } else if (s != NATS_OK) {
            break;
        }
    }
    CHECK_EQ_STR(natsStatus_GetText(s), natsStatus_GetText(NATS_OK));
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(conf);
    unlink(seedfile);
    rmdir(dir);
}

TEST(event_ids_and_times_have_their_formats)
{
    char a[37], b[37], t[32], name[64];

    wc_lattice_uuid(a);
    wc_lattice_uuid(b);
    CHECK_EQ_INT(strlen(a), 36);
    CHECK(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
    CHECK(strcmp(a, b) != 0);
    CHECK(strncmp(a, b, 8) <= 0); /* time-ordered prefix (ULID) */
    wc_lattice_time(t);
    CHECK_EQ_INT(strlen(t), 27); /* 2025-01-02T03:04:05.123456Z */
    CHECK(t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[26] == 'Z');
    wc_lattice_friendly_name("NABC", name, sizeof(name));
    CHECK(strchr(name, '-') != NULL);
}

TEST(decoding_names_the_bad_field)
{
    wc_arena a;
    wc_error err = WC_ERROR_INIT;
    wc_lt_scale_component_command cmd;
    wc_lt_link link;
    json_t *j;

    wc_arena_init(&a, 1024);
    j = json_loads("{\"component_id\":\"x\",\"count\":-1}", 0, NULL);
    CHECK_EQ_INT(wc_lt_scale_component_command_decode(j, &cmd, &a, &err), WC_EINVAL);
    CHECK(strstr(err.msg, "count") != NULL);
    json_decref(j);
    wc_error_clear(&err);
    /* "max_instances" is not the wire name of the count: it is ignored (count 0). */
    j = json_loads("{\"component_id\":\"x\",\"max_instances\":3}", 0, NULL);
    CHECK_EQ_INT(wc_lt_scale_component_command_decode(j, &cmd, &a, &err), 0);
    CHECK_EQ_INT(cmd.count, 0);
    json_decref(j);
    j = json_loads("{\"source_id\":\"a\",\"target\":\"b\",\"wit_namespace\":\"wasi\","
                   "\"wit_package\":\"http\",\"interfaces\":[\"x\", 5]}",
                   0, NULL);
    CHECK_EQ_INT(wc_lt_link_decode(j, &link, &a, &err), WC_EINVAL);
    CHECK(strstr(err.msg, "interfaces") != NULL);
    json_decref(j);
    wc_error_clear(&err);
    j = json_loads("{\"source_id\":\"a\",\"target\":\"b\",\"wit_namespace\":\"wasi\","
                   "\"wit_package\":\"http\",\"interfaces\":[\"x\"]}",
                   0, NULL);
    CHECK_EQ_INT(wc_lt_link_decode(j, &link, &a, &err), 0);
    CHECK_EQ_STR(link.name, "default");
    CHECK_EQ_INT(link.source_config.n, 0);
    json_decref(j);
    wc_arena_release(&a);
}

TEST_MAIN(TEST_ENTRY(nkey_seed_round_trip_sign_and_verify),
          TEST_ENTRY(nkey_bad_seeds_are_refused_with_a_reason),
          TEST_ENTRY(nkey_authenticates_with_nats_server),
          TEST_ENTRY(event_ids_and_times_have_their_formats),
          TEST_ENTRY(decoding_names_the_bad_field))
