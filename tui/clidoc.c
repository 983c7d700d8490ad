#include "clidoc.h"

#include <string.h>

static const char summary_line[] = "watch an AI gateway's spend and request logs from the terminal";

/* Options that name a file (completed with paths), and the windows --since
 * and --until take; other values come from the usage text. */
static const char *const path_options[] = {"db", "pricing", "token-file", "output", "cacert"};
static const char window_values[] = "today yesterday week last-week month last-month 24h 7d 30d now";

/* The values to offer after --NAME of command c, into buf as words separated
 * by spaces: "FILE" for a path, the words of "--NAME a|b|c" in its usage text
 * (what --help shows), the windows for --since / --until. 0 when none. */
static int values_of(const struct command_entry *c, const char *name, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof path_options / sizeof path_options[0]; i++) {
        if (strcmp(path_options[i], name) == 0)
            return snprintf(buf, len, "FILE"), 1;
    }
    if (strcmp(name, "since") == 0 || strcmp(name, "until") == 0)
        return snprintf(buf, len, "%s", window_values), 1;
    char pattern[80];
    snprintf(pattern, sizeof pattern, "--%s ", name);
    for (const char *at = strstr(c->usage, pattern); at; at = strstr(at + 1, pattern)) {
        const char *v = at + strlen(pattern);
        size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-|");
        if (!memchr(v, '|', n) || n + 1 > len)
            continue;
        for (size_t k = 0; k < n; k++)
            buf[k] = v[k] == '|' ? ' ' : v[k];
        buf[n] = '\0';
        return 1;
    }
    return 0;
}

static const struct option *const *sets_of(const struct command_entry *c, size_t *n)
{
    *n = 0;
    while (*n < CLI_OPTION_SETS && c->options[*n])
        (*n)++;
    return c->options;
}

/* Calls fn for each option of a command once (a subcommand's tables may repeat
 * the common ones). */
static void each_option(const struct command_entry *c, void (*fn)(const struct option *o, void *ctx), void *ctx)
{
    size_t n;
    const struct option *const *sets = sets_of(c, &n);
    for (size_t s = 0; s < n; s++) {
        for (const struct option *o = sets[s]; o->name; o++) {
            bool seen = false;
            for (size_t t = 0; t < s && !seen; t++) {
                for (const struct option *p = sets[t]; p->name && !seen; p++)
                    seen = strcmp(p->name, o->name) == 0;
            }
            if (!seen)
                fn(o, ctx);
        }
    }
}

void clidoc_help(FILE *out, const struct clidoc_table *t)
{
    fprintf(out, "usage: tollgate [--db PATH] [--pricing FILE] [--utc] COMMAND [ARGS]\n"
                 "       tollgate --help | --version | --help-man | COMMAND --help\n"
                 "\n"
                 "Watch an AI gateway's request logs: spend per developer, key and model.\n"
                 "\n"
                 "Commands:\n");
    for (size_t i = 0; i < t->count; i++)
        fprintf(out, "  %-10s %s\n", t->commands[i]->name, t->commands[i]->summary);
    fprintf(out, "\n"
                 "Every command takes, before or after its name, --db PATH (default:\n"
                 "$TOLLGATE_DB, else $XDG_DATA_HOME/tollgate/tollgate.db, created mode 0600),\n"
                 "--pricing FILE (LiteLLM-format prices overriding the built-in table and\n"
                 "$XDG_CONFIG_HOME/tollgate/pricing.json) and --utc (today, week and month\n"
                 "in UTC rather than the local time zone). `man tollgate` has it all.\n");
}

/* --- man page ------------------------------------------------------------ */

/* One line of text for roff: backslashes and hyphens escaped, and a line
 * that would start with a control character guarded. */
static void roff_line(FILE *out, const char *s, size_t len)
{
    if (len && (s[0] == '.' || s[0] == '\''))
        fputs("\\&", out);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\')
            fputs("\\e", out);
        else if (s[i] == '-')
            fputs("\\-", out);
        else
            fputc(s[i], out);
    }
    fputc('\n', out);
}

static void roff_text(FILE *out, const char *text)
{
    while (*text) {
        size_t len = strcspn(text, "\n");
        roff_line(out, text, len);
        text += len + (text[len] == '\n');
    }
}

/* ", --by developer|key|model|day|hour" in the list of a command's options. */
struct man_list {
    FILE *out;
    const struct command_entry *cmd;
    bool first;
};

static void man_option(const struct option *o, void *ctx)
{
    struct man_list *list = ctx;
    FILE *out = list->out;
    fputs(list->first ? "\\fB\\-\\-" : ",\n\\fB\\-\\-", out);
    list->first = false;
    for (const char *p = o->name; *p; p++)
        fputs(*p == '-' ? "\\-" : (char[]){*p, '\0'}, out);
    fputs("\\fR", out);
    if (o->has_arg != required_argument)
        return;
    char hint[200];
    if (!values_of(list->cmd, o->name, hint, sizeof hint)) {
        fputs(" \\fIVALUE\\fR", out);
        return;
    }
    if (strcmp(hint, "FILE") == 0) {
        fputs(" \\fIPATH\\fR", out);
        return;
    }
    fputs(" \\fI", out);
    for (const char *p = hint; *p; p++)
        fputs(*p == ' ' ? "|" : *p == '-' ? "\\-" : (char[]){*p, '\0'}, out);
    fputs("\\fR", out);
}

static void man_command(FILE *out, const struct command_entry *c)
{
    fprintf(out, ".SS %s\n", c->name);
    roff_text(out, c->summary);
    fputs(".PP\n.nf\n", out);
    roff_text(out, c->usage);
    fputs(".fi\n.PP\nOptions:\n", out);
    struct man_list list = {out, c, true};
    each_option(c, man_option, &list);
    fputs(".\n", out);
}

void clidoc_man_page(FILE *out, const struct clidoc_table *t)
{
    fprintf(out, ".\\\" generated by `tollgate --help-man` from the command table: do not edit\n"
                 ".TH TOLLGATE 1 \"\" \"tollgate %s\" \"User Commands\"\n"
                 ".SH NAME\ntollgate \\- %s\n"
                 ".SH SYNOPSIS\n"
                 ".B tollgate\n"
                 "[\\fB\\-\\-db\\fR \\fIPATH\\fR] [\\fB\\-\\-pricing\\fR \\fIFILE\\fR] [\\fB\\-\\-utc\\fR] "
                 "\\fICOMMAND\\fR [\\fIARGS\\fR]\n"
                 ".br\n.B tollgate\n\\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR | \\fICOMMAND\\fR \\fB\\-\\-help\\fR\n"
                 ".SH DESCRIPTION\n"
                 "tollgate keeps an AI gateway's request logs (Respan, LiteLLM) in a local SQLite\n"
                 "store and answers spend questions: per developer, key and model, what each\n"
                 "request cost and what it sent and got back. With no command it opens the\n"
                 "screens.\n"
                 ".SH COMMANDS\n",
            t->version, summary_line);
    for (size_t i = 0; i < t->count; i++)
        man_command(out, t->commands[i]);
    fputs(".SH COMMON OPTIONS\n"
          "Accepted by every command, before or after its name.\n"
          ".TP\n\\fB\\-\\-db\\fR \\fIPATH\\fR\n"
          "the store; default \\fB$TOLLGATE_DB\\fR, else \\fB$XDG_DATA_HOME/tollgate/tollgate.db\\fR\n"
          "(created mode 0600 in a 0700 directory: it holds prompts and responses)\n"
          ".TP\n\\fB\\-\\-pricing\\fR \\fIFILE\\fR\n"
          "LiteLLM\\-format prices overriding the built\\-in table and\n"
          "\\fB$XDG_CONFIG_HOME/tollgate/pricing.json\\fR\n"
          ".TP\n\\fB\\-\\-utc\\fR\n"
          "today, week, month and dates without a zone in UTC, not the local time zone\n"
          ".SH TIME WINDOWS\n"
          "\\fB\\-\\-since\\fR and \\fB\\-\\-until\\fR take a duration back from now (90m, 24h, 7d, 2w),\n"
          "\\fBnow\\fR, a date (2026\\-11\\-01) or a time (2026\\-11\\-01T10:00, with Z or +02:00 for a zone),\n"
          "or a period: \\fBtoday\\fR, \\fByesterday\\fR, \\fBweek\\fR (from Monday), \\fBlast\\-week\\fR,\n"
          "\\fBmonth\\fR, \\fBlast\\-month\\fR. Periods and times without a zone are in the local time zone\n"
          "(\\fBTZ\\fR) unless \\fB\\-\\-utc\\fR. A period given to \\fB\\-\\-since\\fR alone also ends the\n"
          "window where the period ends; given to \\fB\\-\\-until\\fR, the window ends where it begins.\n"
          ".SH ENVIRONMENT\n"
          ".TP\n\\fBTOLLGATE_DB\\fR\nthe store when \\fB\\-\\-db\\fR is not given\n"
          ".TP\n\\fBRESPAN_API_KEY\\fR, \\fBRESPAN_BASE_URL\\fR\nthe Respan gateway (sync, keys, revoke)\n"
          ".TP\n\\fBLITELLM_MASTER_KEY\\fR, \\fBLITELLM_BASE_URL\\fR\na LiteLLM proxy instead\n"
          ".TP\n\\fBTOLLGATE_INGEST_TOKEN\\fR\na bearer token the collector requires\n"
          ".TP\n\\fBNO_COLOR\\fR\nno colour on the screens\n"
          ".TP\n\\fBTZ\\fR\nthe local time zone of today, week and month\n"
          ".TP\n\\fBCOLUMNS\\fR\nthe width of tables when the output is not a terminal (else no limit)\n"
          ".SH FILES\n"
          ".TP\n\\fB$XDG_CONFIG_HOME/tollgate/config\\fR\nthe gateway's settings (refused unless only you can read it)\n"
          ".TP\n\\fB$XDG_CONFIG_HOME/tollgate/pricing.json\\fR\nprices of your own\n"
          ".SH EXIT STATUS\n"
          "0 done; 1 done, but some input was rejected or a name is unknown; 2 failed or misused.\n"
          ".SH SEE ALSO\n"
          "The README of tollgate: the screens, the collector, sync, redaction and the store.\n",
          out);
}

/* --- completion ---------------------------------------------------------- */

static void word_list_option(const struct option *o, void *ctx)
{
    fprintf(ctx, " --%s", o->name);
}

/* How a shell offers a value: a format with one %s for the words, and what
 * it does for a path. */
struct shell_values {
    FILE *out;
    const struct command_entry *cmd;
    const char *words_fmt;
    const char *files;
};

static void value_case(const struct option *o, void *ctx)
{
    const struct shell_values *sv = ctx;
    char values[200];
    if (o->has_arg != required_argument || !values_of(sv->cmd, o->name, values, sizeof values))
        return;
    fprintf(sv->out, "                --%s) ", o->name);
    if (strcmp(values, "FILE") == 0)
        fputs(sv->files, sv->out);
    else
        fprintf(sv->out, sv->words_fmt, values);
    fputs(" ;;\n", sv->out);
}

/* One branch of `case $cmd`: the values after its options, then its options. */
static void command_case(FILE *out, const struct command_entry *c, const char *words_fmt, const char *files,
                         const char *opts_open, const char *opts_close)
{
    struct shell_values sv = {out, c, words_fmt, files};
    fprintf(out, "        %s)\n            case $prev in\n", c->name);
    each_option(c, value_case, &sv);
    fprintf(out, "            esac\n            opts=%s", opts_open);
    each_option(c, word_list_option, out);
    fprintf(out, "%s ;;\n", opts_close);
}

static void bash_completion(FILE *out, const struct clidoc_table *t)
{
    fputs("# bash completion for tollgate, made by `tollgate completion bash` from its command table\n"
          "_tollgate() {\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd='' i\n"
          "    local commands='",
          out);
    for (size_t i = 0; i < t->count; i++)
        fprintf(out, "%s%s", i ? " " : "", t->commands[i]->name);
    fputs("'\n"
          "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
          "        case \" $commands \" in *\" ${COMP_WORDS[i]} \"*) cmd=${COMP_WORDS[i]}; break ;; esac\n"
          "    done\n",
          out);
    fputs("    local opts\n    case $cmd in\n", out);
    fputs("        '')\n"
          "            case $prev in --db|--pricing) COMPREPLY=($(compgen -f -- \"$cur\")); return ;; esac\n"
          "            opts='--db --pricing --utc --help --version --help-man'\n"
          "            if [[ $cur != -* ]]; then COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\")); return; fi ;;\n",
          out);
    for (size_t i = 0; i < t->count; i++)
        command_case(out, t->commands[i], "COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return",
                     "COMPREPLY=($(compgen -f -- \"$cur\")); return", "'", "'");
    fputs("    esac\n"
          "    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")); fi\n"
          "}\n"
          "complete -o default -F _tollgate tollgate\n",
          out);
}

static void zsh_completion(FILE *out, const struct clidoc_table *t)
{
    fputs("#compdef tollgate\n"
          "# zsh completion for tollgate, made by `tollgate completion zsh` from its command table\n"
          "_tollgate() {\n"
          "  local -a commands names\n"
          "  local cmd='' prev=${words[CURRENT-1]} i\n"
          "  commands=(\n",
          out);
    for (size_t i = 0; i < t->count; i++) {
        fprintf(out, "    '%s:", t->commands[i]->name);
        for (const char *p = t->commands[i]->summary; *p; p++)
            fputs(*p == '\'' ? "'\\''" : *p == ':' ? "\\:" : (char[]){*p, '\0'}, out);
        fputs("'\n", out);
    }
    fputs("  )\n"
          "  names=(${commands%%:*})\n"
          "  for ((i = 2; i < CURRENT; i++)); do\n"
          "    if (( ${names[(Ie)${words[i]}]} )); then cmd=${words[i]}; break; fi\n"
          "  done\n",
          out);
    fputs("  local -a opts\n    case $cmd in\n", out);
    fputs("        '')\n"
          "            case $prev in --db|--pricing) _files; return ;; esac\n"
          "            opts=(--db --pricing --utc --help --version --help-man)\n"
          "            if [[ $PREFIX != -* ]]; then _describe 'command' commands; return; fi ;;\n",
          out);
    for (size_t i = 0; i < t->count; i++)
        command_case(out, t->commands[i], "compadd -- %s; return", "_files; return", "(", ")");
    fputs("    esac\n"
          "  if [[ $PREFIX == -* ]]; then compadd -- $opts; else _files; fi\n"
          "}\n"
          "_tollgate \"$@\"\n",
          out);
}

int clidoc_completion(FILE *out, const char *shell, const struct clidoc_table *t)
{
    if (strcmp(shell, "bash") == 0)
        bash_completion(out, t);
    else if (strcmp(shell, "zsh") == 0)
        zsh_completion(out, t);
    else
        return -1;
    return 0;
}
