/*
 * Runs a semaphore script against the real kernel, for the tests in test/kernel and
 * test/reliability.
 *
 * Reads one command a line on stdin and prints one result line for each: the call's return
 * value, or the errno name when it failed. The test runs it under `unshare --ipc`, so the whole
 * script sees a fresh IPC namespace whose first id is 0, like a fresh svsem registry.
 *
 *   semget KEY NSEMS FLAGS     FLAGS octal (01000 IPC_CREAT, 02000 IPC_EXCL, low 9 bits mode)
 *   semop ID N:OP[:FLAGS]...   FLAGS of n (IPC_NOWAIT) and u (SEM_UNDO)
 *   semtimedop ID N:OP[:FLAGS]...        the same with a zero timeout: EAGAIN, never a sleep
 *   getval|getpid|getncnt|getzcnt ID N
 *   setval ID N V    getall ID    setall ID V...    rmid ID    stat ID    info    seminfo
 *   set ID UID GID MODE        IPC_SET (MODE octal)
 *   semstat INDEX    semstatany INDEX     SEM_STAT and SEM_STAT_ANY: the id, then as stat
 *   as UID GID                 later calls of this process use these effective ids (and no
 *                              supplementary groups)
 *   proc P                     later calls are made by process P (0..3; 0 at the start)
 *   exit                       the current process exits (see below)
 *   nsems ID                   the size of the set, read as root: not a call of the script,
 *                              but a question a test may ask between calls; it changes nothing
 *
 * The calls are made by child processes, each with its own SEM_UNDO adjustments and its own
 * credentials; a process starts as root when it makes its first call. `exit` ends the current
 * one, so the kernel applies its adjustments; a later call for the same P starts a new process.
 *
 * An ID of `$` is the id the last successful semget returned, in whichever process. Times and
 * pids differ between runs, so stat prints otime and getpid prints "0" or "set". A call still
 * blocked after two seconds is interrupted by SIGALRM and prints EINTR; the scripts are meant
 * never to block.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORDS 600
#define MAX_LINE 8192
#define PROCS 4
#define SEMMSL_MAX 32000

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

static int last_semid = -1;

static const char *errno_name(int e)
{
	static char other[16];

	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case E2BIG: return "E2BIG";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case EFBIG: return "EFBIG";
	case ERANGE: return "ERANGE";
	case EIDRM: return "EIDRM";
	}
	snprintf(other, sizeof(other), "E%d", e);
	return other;
}

/* Prints the result of a call that returns -1 on failure, else a number worth printing. */
static void print_result(long ret)
{
	if (ret == -1)
		printf("%s\n", errno_name(errno));
	else
		printf("%ld\n", ret);
}

static long number(const char *word)
{
	return strtol(word, NULL, 0);
}

static int semid_of(const char *word)
{
	return strcmp(word, "$") == 0 ? last_semid : (int)number(word);
}

static void do_semget(char **w)
{
	int ret = semget((key_t)strtoll(w[1], NULL, 0), (int)number(w[2]),
			 (int)strtol(w[3], NULL, 8));

	if (ret >= 0)
		last_semid = ret;
	print_result(ret);
}

/* Parses N:OP[:FLAGS]; returns 0, or -1 for a malformed word. */
static int parse_sembuf(const char *word, struct sembuf *sop)
{
	char flags[8] = "";
	int num, op;

	if (sscanf(word, "%d:%d:%7s", &num, &op, flags) < 2)
		return -1;
	sop->sem_num = (unsigned short)num;
	sop->sem_op = (short)op;
	sop->sem_flg = (strchr(flags, 'n') ? IPC_NOWAIT : 0) |
		       (strchr(flags, 'u') ? SEM_UNDO : 0);
	return 0;
}

/* semop, or semtimedop with a zero timeout (which gives up at once instead of sleeping). */
static void do_semop(char **w, int nwords, int zero_timeout)
{
	static const struct timespec zero = { 0, 0 };
	struct sembuf sops[MAX_WORDS];
	int nsops = nwords - 2;
	int ret;

	for (int i = 0; i < nsops; i++) {
		if (parse_sembuf(w[i + 2], &sops[i]) < 0) {
			printf("bad op %s\n", w[i + 2]);
			return;
		}
	}
	alarm(2);
	ret = semtimedop(semid_of(w[1]), sops, nsops, zero_timeout ? &zero : NULL);
	alarm(0);
	print_result(ret);
}

static void do_getall(char **w)
{
	static unsigned short values[SEMMSL_MAX];
	struct semid_ds ds;
	union semun arg = { .array = values };
	int semid = semid_of(w[1]);

	if (semctl(semid, 0, GETALL, arg) < 0) {
		print_result(-1);
		return;
	}
	arg.buf = &ds;
	if (semctl(semid, 0, IPC_STAT, arg) < 0) {
		print_result(-1);
		return;
	}
	for (unsigned long i = 0; i < ds.sem_nsems; i++)
		printf(i ? " %u" : "%u", values[i]);
	printf("\n");
}

static void do_setall(char **w, int nwords)
{
	static unsigned short values[SEMMSL_MAX];
	union semun arg = { .array = values };

	memset(values, 0, sizeof(values));
	for (int i = 2; i < nwords; i++)
		values[i - 2] = (unsigned short)number(w[i]);
	print_result(semctl(semid_of(w[1]), 0, SETALL, arg));
}

static void print_stat(const struct semid_ds *ds)
{
	printf("key=%d uid=%u gid=%u cuid=%u cgid=%u mode=%04o seq=%u nsems=%lu otime=%s\n",
	       ds->sem_perm.__key, ds->sem_perm.uid, ds->sem_perm.gid, ds->sem_perm.cuid,
	       ds->sem_perm.cgid, ds->sem_perm.mode, ds->sem_perm.__seq, ds->sem_nsems,
	       ds->sem_otime ? "set" : "0");
}

static void do_stat(char **w)
{
	struct semid_ds ds;
	union semun arg = { .buf = &ds };

	if (semctl(semid_of(w[1]), 0, IPC_STAT, arg) < 0) {
		print_result(-1);
		return;
	}
	print_stat(&ds);
}

/* SEM_STAT and SEM_STAT_ANY take an index and return the set's full id. */
static void do_semstat(int cmd, char **w)
{
	struct semid_ds ds;
	union semun arg = { .buf = &ds };
	int semid = semctl((int)number(w[1]), 0, cmd, arg);

	if (semid < 0) {
		print_result(-1);
		return;
	}
	printf("id=%d ", semid);
	print_stat(&ds);
}

static void do_ipcset(char **w)
{
	struct semid_ds ds = { 0 };
	union semun arg = { .buf = &ds };

	ds.sem_perm.uid = (uid_t)number(w[2]);
	ds.sem_perm.gid = (gid_t)number(w[3]);
	ds.sem_perm.mode = (unsigned short)strtol(w[4], NULL, 8);
	print_result(semctl(semid_of(w[1]), 0, IPC_SET, arg));
}

static void do_info(int cmd)
{
	struct seminfo si;
	union semun arg = { .__buf = &si };
	int highest = semctl(0, 0, cmd, arg);

	if (highest < 0) {
		print_result(-1);
		return;
	}
	printf("highest=%d semmap=%d semmni=%d semmns=%d semmnu=%d semmsl=%d semopm=%d "
	       "semume=%d semusz=%d semvmx=%d semaem=%d\n",
	       highest, si.semmap, si.semmni, si.semmns, si.semmnu, si.semmsl, si.semopm,
	       si.semume, si.semusz, si.semvmx, si.semaem);
}

/* GETVAL and friends: semctl(ID, N, cmd); getpid only says whether a pid was recorded. */
static void do_get(int cmd, char **w)
{
	int ret = semctl(semid_of(w[1]), (int)number(w[2]), cmd);

	if (cmd == GETPID && ret > 0)
		printf("set\n");
	else
		print_result(ret);
}

static void do_setval(char **w)
{
	union semun arg = { .val = (int)number(w[3]) };

	print_result(semctl(semid_of(w[1]), (int)number(w[2]), SETVAL, arg));
}

/* Becomes root again first: the saved set-user-id stays 0, so this works from any uid. */
static int become(uid_t uid, gid_t gid)
{
	return seteuid(0) < 0 || setegid(gid) < 0 || seteuid(uid) < 0 ? -1 : 0;
}

static void do_as(char **w)
{
	print_result(become((uid_t)number(w[1]), (gid_t)number(w[2])));
}

/* The size of a set, asked by the parent, which stays root. */
static void do_nsems(char **w)
{
	struct semid_ds ds;
	union semun arg = { .buf = &ds };

	if (semctl(semid_of(w[1]), 0, IPC_STAT, arg) < 0)
		print_result(-1);
	else
		printf("%lu\n", ds.sem_nsems);
}

static int split(char *line, char **w)
{
	int n = 0;

	for (char *t = strtok(line, " \t\n"); t && n < MAX_WORDS; t = strtok(NULL, " \t\n"))
		w[n++] = t;
	return n;
}

/* Checks the word count of a command: returns 1 when it has exactly `want` words, or at least
 * `want` when `at_least` is set. */
static int arity(int n, int want, int at_least)
{
	return at_least ? n >= want : n == want;
}

static void run(char **w, int n)
{
	const char *c = w[0];

	if (!strcmp(c, "semget") && arity(n, 4, 0)) do_semget(w);
	else if (!strcmp(c, "semop") && arity(n, 3, 1)) do_semop(w, n, 0);
	else if (!strcmp(c, "semtimedop") && arity(n, 3, 1)) do_semop(w, n, 1);
	else if (!strcmp(c, "getval") && arity(n, 3, 0)) do_get(GETVAL, w);
	else if (!strcmp(c, "getpid") && arity(n, 3, 0)) do_get(GETPID, w);
	else if (!strcmp(c, "getncnt") && arity(n, 3, 0)) do_get(GETNCNT, w);
	else if (!strcmp(c, "getzcnt") && arity(n, 3, 0)) do_get(GETZCNT, w);
	else if (!strcmp(c, "setval") && arity(n, 4, 0)) do_setval(w);
	else if (!strcmp(c, "getall") && arity(n, 2, 0)) do_getall(w);
	else if (!strcmp(c, "setall") && arity(n, 3, 1)) do_setall(w, n);
	else if (!strcmp(c, "rmid") && arity(n, 2, 0))
		print_result(semctl(semid_of(w[1]), 0, IPC_RMID));
	else if (!strcmp(c, "stat") && arity(n, 2, 0)) do_stat(w);
	else if (!strcmp(c, "info") && arity(n, 1, 0)) do_info(IPC_INFO);
	else if (!strcmp(c, "seminfo") && arity(n, 1, 0)) do_info(SEM_INFO);
	else if (!strcmp(c, "set") && arity(n, 5, 0)) do_ipcset(w);
	else if (!strcmp(c, "semstat") && arity(n, 2, 0)) do_semstat(SEM_STAT, w);
	else if (!strcmp(c, "semstatany") && arity(n, 2, 0)) do_semstat(SEM_STAT_ANY, w);
	else if (!strcmp(c, "as") && arity(n, 3, 0)) do_as(w);
	else printf("bad command %s (%d words)\n", c, n);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A process making the calls: commands go in through `to`, one result line comes back. */
struct proc {
	pid_t pid;
	FILE *to;
	FILE *from;
};

static struct proc procs[PROCS];

/* A child's life: one command a line from `in`, one result line each on stdout, until `exit`
 * or the end of its input. */
static void serve(int in)
{
	FILE *commands = fdopen(in, "r");
	char line[MAX_LINE];
	char *w[MAX_WORDS];

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (commands && fgets(line, sizeof(line), commands)) {
		int n = split(line, w);

		if (n == 1 && !strcmp(w[0], "exit"))
			break;
		if (n > 0)
			run(w, n);
		else
			printf("bad command (empty)\n");
	}
	fflush(stdout);
	_exit(0);
}

static int start(struct proc *p)
{
	int down[2], up[2];

	if (pipe(down) < 0 || pipe(up) < 0)
		return -1;
	fflush(stdout);
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		/* Only this child's own ends stay open, so that every pipe sees its end of file. */
		for (int i = 0; i < PROCS; i++) {
			if (procs[i].to) {
				close(fileno(procs[i].to));
				close(fileno(procs[i].from));
			}
		}
		close(down[1]);
		close(up[0]);
		if (dup2(up[1], STDOUT_FILENO) < 0)
			_exit(1);
		close(up[1]);
		serve(down[0]);
	}
	close(down[0]);
	close(up[1]);
	p->to = fdopen(down[1], "w");
	p->from = fdopen(up[0], "r");
	setvbuf(p->to, NULL, _IOLBF, 0);
	return p->to && p->from ? 0 : -1;
}

/* Ends a process and waits for it, so the kernel has applied its adjustments; 0 if it was fine. */
static int finish(struct proc *p)
{
	int status;

	if (!p->to)
		return 0;
	fputs("exit\n", p->to);
	fclose(p->to);
	fclose(p->from);
	p->to = p->from = NULL;
	if (waitpid(p->pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return 0;
}

/* Has process `p` make the call on `line` and prints what it answered. */
static int delegate(struct proc *p, const char *line, const char *cmd)
{
	char answer[MAX_LINE];

	if (!p->to && start(p) < 0)
		return -1;
	fputs(line, p->to);
	if (!fgets(answer, sizeof(answer), p->from))
		return -1;
	fputs(answer, stdout);
	if (!strcmp(cmd, "semget") && answer[0] >= '0' && answer[0] <= '9')
		last_semid = atoi(answer);
	return 0;
}

/* The line with `$` replaced by the id it stands for. */
static void substitute(char **w, int n, char *out)
{
	char id[16];

	snprintf(id, sizeof(id), "%d", last_semid);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		strcat(out, i ? " " : "");
		strcat(out, strcmp(w[i], "$") ? w[i] : id);
	}
	strcat(out, "\n");
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	static char line[MAX_LINE], call[MAX_LINE + 64];
	char *w[MAX_WORDS];
	int current = 0;

	sigaction(SIGALRM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (setgroups(0, NULL) < 0) {
		perror("setgroups");
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		int n = split(line, w);
		int failed = 0;

		if (n == 0)
			continue;
		substitute(w, n, call);
		if (n == 2 && !strcmp(w[0], "proc") && atoi(w[1]) >= 0 && atoi(w[1]) < PROCS) {
			current = atoi(w[1]);
			printf("0\n");
		} else if (n == 1 && !strcmp(w[0], "exit")) {
			failed = finish(&procs[current]);
			printf("0\n");
		} else if (n == 2 && !strcmp(w[0], "nsems")) {
			do_nsems(w);
		} else {
			failed = delegate(&procs[current], call, w[0]);
		}
		if (failed) {
			fprintf(stderr, "process %d failed at: %s", current, call);
			return 1;
		}
	}
	for (int i = 0; i < PROCS; i++) {
		if (finish(&procs[i]) < 0)
			return 1;
	}
	return 0;
}
