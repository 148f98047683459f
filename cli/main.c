/* main.c - the roster command: global options, dispatch, error edges.
 *
 * This is the one place that turns library errors into messages and exit
 * codes: 0 done, 1 refused or failed, 2 usage.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct command *const tables[] = { user_commands, role_commands, invite_commands,
						 admin_commands, api_commands, log_commands, db_commands,
						 doctor_commands };

/* "roster: MESSAGE" and a newline.  Messages quote what they refuse, and
 * what they refuse may be anything: control characters and bytes that are
 * not UTF-8 are shown as \xNN (a newline as \n), so that a message stays one
 * line and cannot drive the terminal, and it is cut to 512 bytes around
 * its middle (roster_vformat). */
static void vmessage(const char *fmt, va_list ap)
{
	char msg[513];

	roster_vformat(msg, sizeof(msg), fmt, ap);
	fputs("roster: ", stderr);
	for (size_t i = 0; msg[i];) {
		unsigned char ch = (unsigned char)msg[i];
		size_t k = roster_utf8_len(msg + i);

		if (k > 1 || (k == 1 && ch >= 0x20 && ch != 0x7f)) {
			fwrite(msg + i, 1, k, stderr);
			i += k;
		} else {
			if (ch == '\n')
				fputs("\\n", stderr);
			else
				fprintf(stderr, "\\x%02x", ch);
			i++;
		}
	}
	fputc('\n', stderr);
}

int cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	return EXIT_REFUSED;
}

int cli_usage(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	fprintf(stderr, "usage: roster %s%s%s %s\n", cmd->noun, *cmd->verb ? " " : "", cmd->verb, cmd->usage);
	return EXIT_USAGE;
}

static char opt_error[160];

const char *cli_opt_error(void)
{
	return opt_error;
}

static const struct option *opt_by_val(const struct option *opts, int val)
{
	for (; opts->name; opts++)
		if (opts->val == val)
			return opts;
	return NULL;
}

/* Why getopt_long() returned '?', in words.  getopt_long says too little:
 * optopt is 0 for an unknown or ambiguous long option, the option's value
 * for one with a value too many or too few, the letter for an unknown
 * short option (which may sit inside a cluster, argv[optind] not yet
 * passed). */
static void explain(int argc, char **argv, const struct option *opts)
{
	const char *word = optind > 0 ? argv[optind - 1] : "";
	size_t len = strcspn(word, "=");
	const struct option *o = NULL;
	unsigned prefixes = 0;

	if (strncmp(word, "--", 2) == 0) {
		for (const struct option *k = opts; k->name; k++) {
			if (strlen(k->name) == len - 2 && strncmp(k->name, word + 2, len - 2) == 0) {
				o = k;
				break;
			}
			if (strncmp(k->name, word + 2, len - 2) == 0 && prefixes++ == 0)
				o = k;
		}
		if (!o || (prefixes > 1 && strlen(o->name) != len - 2)) {
			snprintf(opt_error, sizeof(opt_error), "%s option %.*s",
				 o ? "ambiguous" : "unknown", (int)len, word);
			return;
		}
		if (word[len] == '=' && o->has_arg == no_argument) {
			snprintf(opt_error, sizeof(opt_error), "--%s takes no value", o->name);
			return;
		}
		if (!word[len] && o->has_arg == required_argument && optind >= argc) {
			snprintf(opt_error, sizeof(opt_error), "--%s needs a value", o->name);
			return;
		}
	}
	if (optopt > ' ' && optopt < 0x7f)
		snprintf(opt_error, sizeof(opt_error), "unknown option -%c", optopt);
	else
		snprintf(opt_error, sizeof(opt_error), "unknown option %.40s", word);
}

int cli_getopt(int argc, char **argv, const struct option *opts)
{
	int opt;

	opterr = 0;
	opt = getopt_long(argc, argv, "", opts, NULL);
	if (opt == '?') {
		explain(argc, argv, opts);
		return '?';
	}
	/* The value as a word of its own (not --opt=VALUE) that looks like an
	 * option: "--first --last Smith" forgot the first name. */
	if (opt != -1 && optarg && optarg == argv[optind - 1] && optarg[0] == '-') {
		const struct option *o = opt_by_val(opts, opt);
		const char *name = o ? o->name : "";

		snprintf(opt_error, sizeof(opt_error),
			 "--%s needs a value ('%.40s' looks like an option; write --%s=%.40s if it is meant)",
			 name, optarg, name, optarg);
		return '?';
	}
	return opt;
}

int cli_fail(struct cli *c, int r)
{
	const char *why = c->db ? roster_db_error(c->db) : "";

	return cli_error("%s", *why ? why : strerror(-r));
}

int cli_open(struct cli *c, bool writes)
{
	int r;

	if (writes && geteuid() != 0)
		return cli_error("this command changes accounts: run it as root");
	r = roster_db_open(c->cfg, (writes ? ROSTER_OPEN_CREATE : 0) | (c->walks ? ROSTER_OPEN_MAP : 0),
			   &c->db);
	if (r < 0)
		return cli_fail(c, r);
	return 0;
}

int cli_mail_check(struct cli *c, const char *template_path)
{
	char err[256];

	if (roster_mail_check(c->cfg, template_path, err, sizeof(err)) < 0)
		return cli_error("%s; nothing was changed", err);
	return 0;
}

int cli_finish(struct cli *c, int r)
{
	int e;

	if (r < 0) {
		e = cli_fail(c, r);
		roster_txn_abort(c->db);
		return e;
	}
	r = roster_txn_commit(c->db);
	if (r < 0)
		return cli_fail(c, r);
	cli_nscd_invalidate();
	return EXIT_OK;
}

/* nscd would otherwise answer from its cache for up to its positive TTL. */
void cli_nscd_invalidate(void)
{
	static const char *const dbs[] = { "passwd", "group" };
	struct stat st;

	if (stat("/var/run/nscd/socket", &st) < 0 || access("/usr/sbin/nscd", X_OK) < 0)
		return;
	for (size_t i = 0; i < 2; i++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			execl("/usr/sbin/nscd", "nscd", "-i", dbs[i], (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, &status, 0);
	}
}

static void print_help(FILE *f)
{
	fprintf(f, "usage: roster [--json] [--config FILE] COMMAND ...\n\n"
		   "Manages the accounts that roster serves to NSS and PAM.\n\ncommands:\n");
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct command *c = tables[t]; c->noun; c++)
			fprintf(f, "  %-6s %-8s %s\n", c->noun, c->verb, c->summary);
	fprintf(f, "\nglobal options (before or after the command):\n"
		   "  --json          machine-readable output\n"
		   "  --config FILE   configuration file (default: $ROSTER_CONFIG or %s)\n"
		   "  --help          this text; 'roster NOUN VERB --help' for one command\n"
		   "  --version       the version\n",
		roster_config_default_path());
}

static void print_command_help(const struct command *cmd)
{
	printf("usage: roster %s%s%s %s\n\n%s\n", cmd->noun, *cmd->verb ? " " : "", cmd->verb, cmd->usage,
	       cmd->summary);
}

/* Takes --json and --config out of argv wherever they stand, before the
 * command's own options are parsed.  "--" ends the scan. */
static int take_globals(struct cli *c, int *argc, char **argv)
{
	int o = 1;

	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[o++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--json") == 0)
			c->json = true;
		else if (strcmp(argv[i], "--config") == 0 || strncmp(argv[i], "--config=", 9) == 0) {
			/* "--config --json" forgot the file; --config=-x means it */
			if (argv[i][8] == '=')
				c->config_path = argv[i] + 9;
			else if (i + 1 < *argc && argv[i + 1][0] != '-')
				c->config_path = argv[++i];
			else
				c->config_path = "";
			if (!*c->config_path) {
				fprintf(stderr, "roster: --config needs a file name\n");
				return -1;
			}
		} else
			argv[o++] = argv[i];
	}
	argv[o] = NULL;
	*argc = o;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	const struct command *cmd = NULL;
	int r, shift;

	/* Files we create hold accounts: nothing for group or others by default. */
	umask(022);
	if (take_globals(&c, &argc, argv) < 0)
		return EXIT_USAGE;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		print_help(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("roster %s\n", ROSTER_VERSION);
		return EXIT_OK;
	}
	for (size_t t = 0; !cmd && t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct command *k = tables[t]; k->noun; k++) {
			if (strcmp(k->noun, argv[1]) != 0)
				continue;
			/* "roster log --user x": a noun that is its own command */
			if (!*k->verb || (argc > 2 && strcmp(k->verb, argv[2]) == 0)) {
				cmd = k;
				break;
			}
		}
	if (!cmd) {
		bool noun = false;

		for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
			noun = noun || strcmp(tables[t][0].noun, argv[1]) == 0;
		if (noun) {
			fprintf(stderr, "roster: %s needs one of these commands:\n", argv[1]);
			for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
				for (const struct command *k = tables[t]; k->noun; k++)
					if (strcmp(k->noun, argv[1]) == 0)
						fprintf(stderr, "  roster %s %s %s\n", k->noun, k->verb, k->usage);
			return EXIT_USAGE;
		}
		cli_error("unknown command '%s'; see roster --help", argv[1]);
		return EXIT_USAGE;
	}
	/* The command sees argv from its verb (or verb-less noun) on, so getopt
	 * starts after it. */
	shift = *cmd->verb ? 2 : 1;
	for (int i = shift + 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			print_command_help(cmd);
			return EXIT_OK;
		}
	/* tdb would honour this and skip fsync on the accounts database. */
	unsetenv("TDB_NO_FSYNC");
	r = roster_config_load(c.config_path, &c.cfg);
	if (r < 0)
		return cli_error("cannot load the configuration: %s",
				 *roster_config_error() ? roster_config_error() : strerror(-r));
	c.walks = cmd->walks;
	r = cmd->run(&c, argc - shift, argv + shift);
	roster_db_close(c.db);
	roster_config_free(c.cfg);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "roster: cannot write the output: %s\n", strerror(errno));
		return EXIT_REFUSED;
	}
	return r;
}
