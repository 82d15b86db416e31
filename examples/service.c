/* service.c — the demo's debug-link step: a JIT'd "service" that handles a request and stays up until
 * told to stop (the file named by $DEMO_STOP), so the link can be queried while it lives. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int handle_request(int n)
{
	return n * n + 1;
}

int main(void)
{
	printf("service: handle_request at %p answered %d\n", (void *)handle_request, handle_request(6));
	fflush(stdout);
	const char *stop = getenv("DEMO_STOP");
	for (int i = 0; stop && i < 3000 && access(stop, F_OK) != 0; i++)
		usleep(10000);
	return 0;
}
