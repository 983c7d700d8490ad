/* Private to core/store (see store_int.h): the log-id index. A log id is
 * found in log_ids (keyed by a hash of the id) up to a watermark, and past it
 * in the "tail", the ids of the newest requests held in memory; commits merge
 * the tail into log_ids when it holds enough (see merge_due in logids.c). The
 * store also hands out request ids itself, from IDS_USED. */
#ifndef TG_STORE_LOGIDS_H
#define TG_STORE_LOGIDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_int.h"
#include "store/syncstate.h"

/* The SQL function tg_id_hash(text): the key of log_ids. */
void store_sql_id_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv);

int store_log_ids_init(struct tg_store *store, bool index_directly);
void store_log_ids_free(struct tg_store *store);
int store_prepare_log_ids(struct tg_store *store, char *err, size_t errlen);

/* In the batch, under the write lock: catches the tail up with what other
 * writers (or this one) stored since it last looked, from the marks just read;
 * all of it again after a prune. A bulk store indexes it at once. */
int store_log_ids_ready(struct tg_store *store, const struct store_marks *m, bool pruned, char *err,
                        size_t errlen);

/* 1 when a request with this log id is stored (or added in the open batch),
 * 0 when not, -1 on error. */
int store_known_log_id(struct tg_store *store, const char *log_id, char *err, size_t errlen);

/* The id the next request takes. */
int64_t store_next_request_id(const struct tg_store *store);
/* A request was inserted with store_next_request_id(): its log id joins the
 * tail (a bulk store's joins the batch's run, indexed at the commit). */
int store_log_ids_add(struct tg_store *store, const char *log_id, int64_t id, char *err, size_t errlen);

/* In the batch about to commit: saves IDS_USED, indexes a bulk batch's run
 * and merges the tail when due.
 * *merged tells store_log_ids_committed what to forget. */
int store_log_ids_before_commit(struct tg_store *store, bool *merged, char *err, size_t errlen);
void store_log_ids_committed(struct tg_store *store, bool merged);
/* The batch rolled back: the ids of its requests are gone; read the tail again. */
void store_log_ids_forget(struct tg_store *store);

#endif
