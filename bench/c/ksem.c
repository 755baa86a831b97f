/*
 * The benchmark's measuring tool and its kernel reference, compiled by bench/run.mjs at bench time.
 *
 *   ksem run CMD [ARG...]     runs CMD and prints "WALL_US MAXRSS_KB CPU_US STATUS" from
 *                             clock_gettime and wait4; stdin is inherited, stdout a pipe that
 *                             ksem reads to the end (as `$(svsem ...)` in a script), stderr
 *                             /dev/null
 *   ksem ipcs SETS            creates SETS one-semaphore sets, then does `run ipcs -s`
 *   ksem op                   creates one set, then times one exec of `ksem semop ID` as `run`
 *   ksem semop ID             one semop(ID, 0:+1): the kernel's own single invocation
 *   ksem loop N               N semops alternating 0:+1 and 0:-1; prints "ELAPSED_US"
 *   ksem wake N               N hand-offs: a child blocks on 0:-1, the parent does 0:+1; prints
 *                             one line per wake, the microseconds from the parent's semop
 *                             returning to wait4 reporting the child's exit
 *   ksem contend PROCS PAIRS  PROCS children each do PAIRS P/V pairs (SEM_UNDO) on one count-1
 *                             semaphore around a read-modify-write of a shared counter; prints
 *                             "ELAPSED_US COUNTER MAXWAIT_US AVGWAIT_US"
 *
 * Every set is IPC_PRIVATE and is removed before exit; bench/run.mjs runs the subcommands that
 * create sets under `unshare --ipc` where it can, so they never touch the machine's own sets.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static int new_set(int value)
{
	union semun arg = { .val = value };
	int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);

	if (id < 0 || semctl(id, 0, SETVAL, arg) < 0)
		die("semget");
	return id;
}

static void remove_set(int id)
{
	semctl(id, 0, IPC_RMID);
}

static void semop1(int id, int delta, int flags)
{
	struct sembuf op = { .sem_num = 0, .sem_op = delta, .sem_flg = flags };

	while (semop(id, &op, 1) < 0)
		if (errno != EINTR)
			die("semop");
}

/* fork, exec, wait4: the figures every start-up row compares. */
static int run(char **argv)
{
	struct rusage ru;
	char sink[4096];
	int out[2], status;
	long long start = now_us();

	if (pipe(out) < 0)
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(out[1], 1);
		dup2(null, 2);
		close(out[0]);
		close(out[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	while (read(out[0], sink, sizeof(sink)) > 0)
		;
	close(out[0]);
	if (wait4(pid, &status, 0, &ru) < 0)
		die("wait4");
	long long wall = now_us() - start;
	long long cpu = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec +
			ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
	printf("%lld %ld %lld %d\n", wall, ru.ru_maxrss, cpu,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

static int ipcs_with(int sets)
{
	int *ids = calloc(sets, sizeof(int));
	char *argv[] = { "ipcs", "-s", NULL };

	for (int i = 0; i < sets; i++)
		ids[i] = new_set(0);
	run(argv);
	for (int i = 0; i < sets; i++)
		remove_set(ids[i]);
	return 0;
}

static int op_once(void)
{
	int id = new_set(0);
	char idtext[16];
	char *argv[] = { "/proc/self/exe", "semop", idtext, NULL };

	snprintf(idtext, sizeof(idtext), "%d", id);
	run(argv);
	remove_set(id);
	return 0;
}

static int loop(long n)
{
	int id = new_set(0);
	long long start = now_us();

	for (long i = 0; i < n; i++)
		semop1(id, i % 2 == 0 ? 1 : -1, 0);
	printf("%lld\n", now_us() - start);
	remove_set(id);
	return 0;
}

static void wait_for_sleeper(int id)
{
	while (semctl(id, 0, GETNCNT) < 1)
		usleep(200);
}

static int wake(int n)
{
	int id = new_set(0);

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			semop1(id, -1, 0);
			_exit(0);
		}
		wait_for_sleeper(id);
		semop1(id, 1, 0);
		long long posted = now_us();
		waitpid(pid, NULL, 0);
		printf("%lld\n", now_us() - posted);
	}
	remove_set(id);
	return 0;
}

/* One contender: PAIRS P/V pairs, the counter read and written back in between. */
static void contender(int id, int fd, int pairs, long long *waits)
{
	long long max = 0, sum = 0;

	for (int i = 0; i < pairs; i++) {
		long long asked = now_us();
		long counter = 0;

		semop1(id, -1, SEM_UNDO);
		long long waited = now_us() - asked;
		max = waited > max ? waited : max;
		sum += waited;
		if (pread(fd, &counter, sizeof(counter), 0) < 0)
			die("pread");
		counter++;
		if (pwrite(fd, &counter, sizeof(counter), 0) < 0)
			die("pwrite");
		semop1(id, 1, SEM_UNDO);
	}
	waits[0] = max;
	waits[1] = sum;
}

static int contend(int procs, int pairs)
{
	int id = new_set(1);
	FILE *file = tmpfile();
	int fd = file ? fileno(file) : -1;
	long long *waits = mmap(NULL, 2 * procs * sizeof(long long), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long long start = now_us(), max = 0, sum = 0;
	long counter = 0;

	if (fd < 0 || waits == MAP_FAILED)
		die("setup");
	if (pwrite(fd, &counter, sizeof(counter), 0) < 0)
		die("pwrite");
	for (int p = 0; p < procs; p++) {
		if (fork() == 0) {
			contender(id, fd, pairs, waits + 2 * p);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	long long elapsed = now_us() - start;
	for (int p = 0; p < procs; p++) {
		max = waits[2 * p] > max ? waits[2 * p] : max;
		sum += waits[2 * p + 1];
	}
	if (pread(fd, &counter, sizeof(counter), 0) < 0)
		die("pread");
	printf("%lld %ld %lld %lld\n", elapsed, counter, max, sum / ((long long)procs * pairs));
	remove_set(id);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "run") == 0 && argc > 2)
		return run(argv + 2);
	if (strcmp(cmd, "ipcs") == 0 && argc == 3)
		return ipcs_with(atoi(argv[2]));
	if (strcmp(cmd, "op") == 0 && argc == 2)
		return op_once();
	if (strcmp(cmd, "semop") == 0 && argc == 3) {
		semop1(atoi(argv[2]), 1, 0);
		return 0;
	}
	if (strcmp(cmd, "loop") == 0 && argc == 3)
		return loop(atol(argv[2]));
	if (strcmp(cmd, "wake") == 0 && argc == 3)
		return wake(atoi(argv[2]));
	if (strcmp(cmd, "contend") == 0 && argc == 4)
		return contend(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: ksem run CMD... | ipcs SETS | op | semop ID | loop N | wake N | "
		"contend PROCS PAIRS\n");
	return 64;
}
