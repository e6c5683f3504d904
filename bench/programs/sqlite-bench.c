/*
 * sqlite-bench.c - a self-contained SQLite workload (no stdin, no files).
 *
 * usage: sqlite-bench [rows]        (default 10000)
 *
 * Opens an in-memory database, creates a table, inserts `rows` pseudo-random
 * rows with a prepared statement in one transaction, builds an index and
 * runs a handful of queries (aggregate, GROUP BY, ORDER BY, LIKE, self-join).
 * Prints one line per query and a final checksum; deterministic, so the
 * output is the same under every runtime (and natively).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"

static unsigned rng_state = 0x2545F491u;

static unsigned rng(void) {
    unsigned x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static unsigned checksum = 2166136261u;

static void mix(const char *s) {
    for (; *s; s++) checksum = (checksum ^ (unsigned char)*s) * 16777619u;
}

static int die(sqlite3 *db, const char *what) {
    fprintf(stderr, "sqlite-bench: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite-bench: %s: %s\n", sql, err ? err : "?");
        exit(1);
    }
}

/* Runs a query, prints "label: col|col|..." for each row (at most 5 rows are
 * printed, all rows go into the checksum). */
static void query(sqlite3 *db, const char *label, const char *sql) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die(db, sql);
    int rows = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char line[512];
        size_t len = 0;
        line[0] = 0;
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *v = sqlite3_column_text(st, i);
            int n = snprintf(line + len, sizeof line - len, "%s%s", i ? "|" : "",
                             v ? (const char *)v : "NULL");
            if (n < 0 || (size_t)n >= sizeof line - len) break;
            len += (size_t)n;
        }
        mix(line);
        if (rows++ < 5) printf("%s: %s\n", label, line);
    }
    if (rc != SQLITE_DONE) die(db, sql);
    sqlite3_finalize(st);
}

int main(int argc, char **argv) {
    int rows = argc > 1 ? atoi(argv[1]) : 10000;
    if (rows < 1) rows = 1;
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) die(db, "open");
    printf("sqlite %s, %d rows\n", sqlite3_libversion(), rows);

    exec(db, "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
             " category INTEGER NOT NULL, price REAL NOT NULL, qty INTEGER NOT NULL)");
    exec(db, "BEGIN");
    sqlite3_stmt *ins;
    if (sqlite3_prepare_v2(db, "INSERT INTO item(name, category, price, qty) VALUES(?,?,?,?)", -1,
                           &ins, NULL) != SQLITE_OK)
        die(db, "prepare insert");
    static const char *const words[] = {"alpha", "bravo", "charlie", "delta", "echo",
                                        "foxtrot", "golf", "hotel", "india", "juliet"};
    for (int i = 0; i < rows; i++) {
        char name[64];
        unsigned r = rng();
        snprintf(name, sizeof name, "%s-%s-%u", words[r % 10], words[(r >> 8) % 10],
                 (r >> 16) % 1000);
        sqlite3_bind_text(ins, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(ins, 2, (int)(rng() % 50));
        sqlite3_bind_double(ins, 3, (double)(rng() % 100000) / 100.0);
        sqlite3_bind_int(ins, 4, (int)(rng() % 1000));
        if (sqlite3_step(ins) != SQLITE_DONE) die(db, "insert");
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    exec(db, "COMMIT");
    exec(db, "CREATE INDEX item_category ON item(category, price)");

    query(db, "count", "SELECT count(*), sum(qty), printf('%.2f', sum(price * qty)) FROM item");
    query(db, "by-category",
          "SELECT category, count(*), printf('%.2f', avg(price)), max(qty) FROM item"
          " GROUP BY category ORDER BY sum(qty) DESC, category");
    query(db, "top", "SELECT id, name, price FROM item ORDER BY price DESC, id LIMIT 10");
    query(db, "like", "SELECT count(*) FROM item WHERE name LIKE '%echo%' AND qty > 500");
    query(db, "range",
          "SELECT count(*), printf('%.2f', sum(price)) FROM item"
          " WHERE category = 7 AND price BETWEEN 100 AND 600");
    query(db, "join",
          "SELECT a.category, count(*) FROM item a JOIN item b"
          " ON a.category = b.category AND b.id = a.id + 1 GROUP BY a.category"
          " ORDER BY 2 DESC, 1 LIMIT 5");
    exec(db, "UPDATE item SET qty = qty + 1 WHERE category % 3 = 0");
    exec(db, "DELETE FROM item WHERE price < 50");
    query(db, "after-update", "SELECT count(*), sum(qty) FROM item");

    sqlite3_close(db);
    printf("checksum=%u\n", checksum);
    return 0;
}
