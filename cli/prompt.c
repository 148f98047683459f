/* prompt.c - reading a password without it ever touching argv.
 *
 * MUST: the terminal's echo is restored on every path; buffers holding a
 * password are wiped by the caller with roster_wipe().
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Reads one line from fd into out (without the newline).  -E2BIG when the
 * line does not fit, -EILSEQ when it holds a NUL byte: a truncated password
 * would be a different password. */
static int read_line(int fd, char *out, size_t outlen)
{
	size_t n = 0;
	char ch;

	for (;;) {
		ssize_t k = read(fd, &ch, 1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0 || ch == '\n')
			break;
		if (n + 1 >= outlen || ch == '\0') {
			int r = ch == '\0' ? -EILSEQ : -E2BIG;

			/* drain the rest of the line so nothing is left for a shell */
			while ((k = read(fd, &ch, 1)) > 0 && ch != '\n')
				;
			ch = 0;
			roster_wipe(out, outlen);
			return r;
		}
		out[n++] = ch;
	}
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	ch = 0;
	return 0;
}

int password_from_stdin(char *out, size_t outlen)
{
	return read_line(STDIN_FILENO, out, outlen);
}

int password_read_failed(int r)
{
	if (r == -E2BIG)
		return cli_error("the password is longer than %d bytes", ROSTER_PASSWORD_MAX);
	if (r == -EILSEQ)
		return cli_error("the password contains a NUL byte");
	if (r == -EKEYREJECTED)
		return cli_error("the two passwords differ; nothing was changed");
	return cli_error("cannot read the password: %s", strerror(-r));
}

static int ask(int fd, const char *prompt, char *out, size_t outlen)
{
	struct termios old, noecho;
	sigset_t stop, saved;
	int r;

	if (tcgetattr(fd, &old) < 0)
		return -errno;
	/* Ctrl-C, Ctrl-Z or a TERM while echo is off wait until the terminal
	 * is restored; then they act as usual. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGTSTP);
	sigaddset(&stop, SIGQUIT);
	sigprocmask(SIG_BLOCK, &stop, &saved);
	noecho = old;
	noecho.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
	noecho.c_lflag |= ICANON;
	/* Echo off (dropping anything typed ahead) before the prompt shows:
	 * what is typed after it must be neither echoed nor flushed. */
	if (tcsetattr(fd, TCSAFLUSH, &noecho) < 0) {
		r = -errno;
		sigprocmask(SIG_SETMASK, &saved, NULL);
		return r;
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		r = -errno;
		tcsetattr(fd, TCSADRAIN, &old);
		sigprocmask(SIG_SETMASK, &saved, NULL);
		return r;
	}
	r = read_line(fd, out, outlen);
	tcsetattr(fd, TCSADRAIN, &old);
	if (write(fd, "\n", 1) < 0 && r == 0)
		r = -errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return r;
}

int password_prompt_twice(char *out, size_t outlen, bool allow_empty)
{
	char again[ROSTER_PASSWORD_MAX + 2];
	int fd = STDIN_FILENO, r;

	r = ask(fd, allow_empty ? "New password (empty for none): " : "New password: ", out, outlen);
	if (r == 0 && !*out && allow_empty)
		return 0;
	if (r == 0)
		r = ask(fd, "Retype new password: ", again, sizeof(again));
	if (r == 0 && strcmp(out, again) != 0)
		r = -EKEYREJECTED;
	roster_wipe(again, sizeof(again));
	if (r < 0)
		roster_wipe(out, outlen);
	return r;
}
