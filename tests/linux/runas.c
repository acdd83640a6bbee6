/* runas UID CMD [ARG]...: run CMD as an unprivileged user (the test system has no su setup). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <grp.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: runas UID CMD [ARG]...\n");
		return 2;
	}
	uid_t id = (uid_t)atoi(argv[1]);
	if (setgroups(0, NULL) || setgid(id) || setuid(id)) {
		perror("runas");
		return 2;
	}
	execv(argv[2], argv + 2);
	perror("runas: exec");
	return 127;
}
