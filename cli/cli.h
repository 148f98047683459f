/* cli.h - what the roster command's files share. */
#ifndef ROSTER_CLI_H
#define ROSTER_CLI_H

#include "roster.h"

#include <jansson.h>
#include <stdio.h>

/* Exit codes: the contract with scripts. */
enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2 };

struct cli {
	const char *config_path; /* --config, else $ROSTER_CONFIG, else default */
	bool json;               /* --json */
	struct roster_config *cfg;
	struct roster_db *db;
	bool walks;              /* the command's walks: see struct command */
};

struct command {
	const char *noun, *verb;
	int (*run)(struct cli *c, int argc, char **argv);
	const char *usage;   /* options after "roster NOUN VERB" */
	const char *summary;
	bool writes;         /* needs root; opens the database to create it */
	bool walks;          /* reads all or most records: maps the database
			      * (ROSTER_OPEN_MAP); the others read and commit
			      * through pread/pwrite, which is faster for a few
			      * records */
};

extern const struct command user_commands[], role_commands[], invite_commands[], admin_commands[],
	api_commands[], log_commands[], doctor_commands[], db_commands[];

/* history.c: the events of subject (NULL: all) that pass f, printed as a
 * list or, with --json, an array of {time, actor, action, subject, changes}. */
struct history_filter {
	const char *actor;
	int64_t since;  /* seconds; 0: from the start */
	unsigned limit; /* the newest N; 0: all */
};
int history_print(struct cli *c, const char *subject, const struct history_filter *f);

/* main.c */
int cli_open(struct cli *c, bool writes) __attribute__((warn_unused_result));
int cli_fail(struct cli *c, int r);      /* prints the db's reason, returns 1 */
/* Ends the command's transaction: r < 0 says why and aborts; otherwise
 * commits and tells nscd.  The exit code. */
int cli_finish(struct cli *c, int r);
/* Before a command that mails writes anything: the template and the mail
 * command must be usable (roster_mail_check); 0 or the exit code. */
int cli_mail_check(struct cli *c, const char *template_path);
int cli_usage(const struct command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_nscd_invalidate(void);
/* getopt_long for the commands: no messages of its own, and a value given
 * as a word of its own may not start with '-' (--opt=-x may).  Returns the
 * option, -1 at the end, or '?' with the reason in cli_opt_error(). */
struct option;
int cli_getopt(int argc, char **argv, const struct option *opts);
const char *cli_opt_error(void);

/* output.c */
struct table;
struct table *table_new(int ncols, ...);
void table_row(struct table *t, ...);
void table_print(struct table *t, FILE *f);
/* A table printed as it streams: widths from a first pass, then the lines. */
void table_widths(int *w, int ncols, const char *const *cells);
void table_line(const int *w, int ncols, const char *const *cells, FILE *f);
void json_print(json_t *j); /* and decrefs it */
json_t *json_str_or_null(const char *s);
json_t *json_time(int64_t t);
json_t *json_date(int64_t days);
json_t *json_strv(char *const *v);
void print_field(const char *label, const char *value);

/* prompt.c: a password from a terminal, asked twice, or from stdin */
int password_from_stdin(char *out, size_t outlen) __attribute__((warn_unused_result));
int password_prompt_twice(char *out, size_t outlen, bool allow_empty) __attribute__((warn_unused_result));
/* Says why a password could not be read or generated (-E2BIG, -EILSEQ for a
 * NUL byte, -EKEYREJECTED for two different entries); returns 1. */
int password_read_failed(int r);

#endif
