/* The job runner: background calls (a revocation) on threads of their own, so
 * the screen never freezes while a gateway answers. The runner owns every
 * thread it starts: a job the user stopped waiting for keeps running and is
 * collected later, and jobs_free joins whatever still runs before the screens
 * exit, so no result (and no audit row) is lost. Only the screens' thread
 * calls these functions. */
#ifndef TG_SCREENS_JOBS_H
#define TG_SCREENS_JOBS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct job_result {
    int failed;         /* how many parts failed, 0 when all went well */
    char message[800];  /* for the status bar */
};

/* Runs on the job's thread. `cancel` becomes 1 when the user asks it to stop
 * early (it may finish its current call); out is the job's own until it returns. */
typedef void (*job_fn)(void *arg, atomic_int *cancel, struct job_result *out);

struct jobs;
struct job;

struct jobs *jobs_new(void);

/* Starts run(arg) on a thread; the runner frees arg with free_arg (may be
 * NULL) once the job is collected. NULL when the thread could not start (arg
 * is then freed already). */
struct job *jobs_start(struct jobs *jobs, job_fn run, void *arg, void (*free_arg)(void *));

bool jobs_done(const struct job *job);
size_t jobs_running(const struct jobs *jobs);
void jobs_cancel_all(struct jobs *jobs);

/* Waits for the job, copies its result and frees it. */
void jobs_collect(struct jobs *jobs, struct job *job, struct job_result *out);
/* Collects one finished job, if any: true and out filled. */
bool jobs_collect_finished(struct jobs *jobs, struct job_result *out);

/* The result as one line for the status bar: sanitised, "FAILED: " first
 * when a part failed. */
void jobs_result_text(const struct job_result *result, char *buf, size_t len);

/* Joins every job still running, then frees the runner. */
void jobs_free(struct jobs *jobs);

#endif
