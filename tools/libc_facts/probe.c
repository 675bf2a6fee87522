/* What the real process shows of libc: its /proc/self/maps lines, the addresses of the symbols
 * an exploit aims at (relative to libc's base), the thread's tcache pointer found through its
 * TLS offset, and the unsorted-bin leak. Run by probe.sh under each oracle root with ASLR off.
 * No stdio (its buffer would be a malloc): snprintf into a static buffer, write(2).
 * argv: errno's and tcache's offsets in libc's TLS block (from symbols.json). */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;
static char out[65536];
static size_t used;
static char maps[65536];

static void say(const char *name, long value) {
    used += snprintf(out + used, sizeof out - used, "%s %s0x%lx\n", name, value < 0 ? "-" : "",
                     value < 0 ? -(unsigned long)value : (unsigned long)value);
}

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    long errno_off = strtol(argv[1], 0, 0), tcache_off = strtol(argv[2], 0, 0);
    int fd = open("/proc/self/maps", O_RDONLY);
    ssize_t n, len = 0;
    while ((n = read(fd, maps + len, sizeof maps - 1 - len)) > 0) len += n;
    close(fd);
    maps[len] = 0;
    unsigned long base = 0;
    for (char *line = strtok(maps, "\n"); line; line = strtok(0, "\n")) {
        if (!strstr(line, "/libc.so.6") && !strstr(line, "/libc-2.")) continue;
        if (!base) base = strtoul(line, 0, 16);
        used += snprintf(out + used, sizeof out - used, "maps %s\n", line);
    }
    char *tp = __builtin_thread_pointer();
    char *tcache_var = (char *)&errno - errno_off + tcache_off;
    say("tp-base", (long)(tp - (char *)base));
    say("tcache_var-tp", (long)(tcache_var - tp));
    say("system", (long)((char *)system - (char *)base));
    say("execve", (long)((char *)execve - (char *)base));
    say("puts", (long)((char *)puts - (char *)base));
    say("printf", (long)((char *)printf - (char *)base));
    say("free", (long)((char *)free - (char *)base));
    say("malloc", (long)((char *)malloc - (char *)base));
    say("exit", (long)((char *)exit - (char *)base));
    say("environ", (long)((char *)&environ - (char *)base));
    say("_IO_2_1_stdin_", (long)((char *)stdin - (char *)base));
    say("_IO_2_1_stdout_", (long)((char *)stdout - (char *)base));
    say("_IO_2_1_stderr_", (long)((char *)stderr - (char *)base));
    size_t *p = malloc(0x500);
    void *guard = malloc(0x20);
    free(p);
    say("unsorted_fd", (long)(p[0] - base));
    say("unsorted_bk", (long)(p[1] - base));
    char *tcache = *(char **)tcache_var;
    if (tcache >= (char *)base && tcache < (char *)base + 0x400000)
        say("tcache_value-base", (long)(tcache - (char *)base)); /* 2.42+: a static dummy first */
    else
        say("tcache_value-first_chunk", (long)(tcache - (char *)p));
    (void)guard;
    write(1, out, used);
    return 0;
}
