/* hotloop.c — the demo's perf step: a JIT'd program that spends its time in mandel_row. */
#include <stdio.h>

int mandel_point(double cr, double ci)
{
	double zr = 0, zi = 0;
	int n = 0;
	while (n < 500 && zr * zr + zi * zi < 4.0) {
		double t = zr * zr - zi * zi + cr; /* the hot line */
		zi = 2 * zr * zi + ci;
		zr = t;
		n++;
	}
	return n;
}

int mandel_row(int y, int w, int h)
{
	int sum = 0;
	for (int x = 0; x < w; x++)
		sum += mandel_point(-2.0 + 3.0 * x / w, -1.5 + 3.0 * y / h);
	return sum;
}

int main(void)
{
	long total = 0;
	for (int y = 0; y < 400; y++)
		total += mandel_row(y, 600, 400);
	printf("hotloop: %ld iterations\n", total);
	return 0;
}
