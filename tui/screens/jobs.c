#include "screens/jobs.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/sanitize.h"

struct job {
    pthread_t thread;
    job_fn run;
    void *arg;
    void (*free_arg)(void *);
    atomic_int cancel;
    /* set by the job's thread after its last write to result: a reader that
     * sees done == 1 sees the whole result (sequentially consistent atomics) */
    atomic_int done;
    struct job_result result;
    struct job *next;
};

struct jobs {
    struct job *list;
};

static void *job_main(void *arg)
{
    struct job *job = arg;
    job->run(job->arg, &job->cancel, &job->result);
    atomic_store(&job->done, 1);
    return NULL;
}

struct jobs *jobs_new(void)
{
    return calloc(1, sizeof(struct jobs));
}

struct job *jobs_start(struct jobs *jobs, job_fn run, void *arg, void (*free_arg)(void *))
{
    struct job *job = calloc(1, sizeof *job);
    if (!job) {
        if (free_arg)
            free_arg(arg);
        return NULL;
    }
    job->run = run;
    job->arg = arg;
    job->free_arg = free_arg;
    if (pthread_create(&job->thread, NULL, job_main, job) != 0) {
        if (free_arg)
            free_arg(arg);
        free(job);
        return NULL;
    }
    job->next = jobs->list;
    jobs->list = job;
    return job;
}

bool jobs_done(const struct job *job)
{
    return atomic_load(&job->done) != 0;
}

size_t jobs_running(const struct jobs *jobs)
{
    size_t n = 0;
    for (const struct job *j = jobs->list; j; j = j->next)
        n += !jobs_done(j);
    return n;
}

void jobs_cancel_all(struct jobs *jobs)
{
    for (struct job *j = jobs->list; j; j = j->next)
        atomic_store(&j->cancel, 1);
}

void jobs_collect(struct jobs *jobs, struct job *job, struct job_result *out)
{
    pthread_join(job->thread, NULL);
    if (out)
        *out = job->result;
    for (struct job **p = &jobs->list; *p; p = &(*p)->next) {
        if (*p == job) {
            *p = job->next;
            break;
        }
    }
    if (job->free_arg)
        job->free_arg(job->arg);
    free(job);
}

bool jobs_collect_finished(struct jobs *jobs, struct job_result *out)
{
    for (struct job *j = jobs->list; j; j = j->next) {
        if (jobs_done(j)) {
            jobs_collect(jobs, j, out);
            return true;
        }
    }
    return false;
}

void jobs_free(struct jobs *jobs)
{
    if (!jobs)
        return;
    while (jobs->list)
        jobs_collect(jobs, jobs->list, NULL);
    free(jobs);
}

void jobs_result_text(const struct job_result *result, char *buf, size_t len)
{
    char clean[900];
    tg_sanitize(result->message, clean, sizeof clean);
    snprintf(buf, len, "%s%s", result->failed ? "FAILED: " : "", clean);
}
