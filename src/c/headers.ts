/**
 * What the libc and POSIX headers declare, for both ABIs: the predefined macros (`NULL`,
 * `assert`, `PROT_READ`, `M_MMAP_THRESHOLD`, `INT_MAX`, `PRIx64`, …), the typedef names
 * (`size_t`, `uint64_t`, `pthread_t`, `FILE`, …) and the prototypes of the library functions
 * the interpreter provides (`libc.ts`). They are available whether or not the program includes
 * the header, since the seed document's `#include` lines lost their names.
 *
 * Over 500 lines: one line per declared function and per macro, in the headers' groups; the
 * file is the headers' text, with nothing to share between its lines.
 *
 * @module
 */

import { defineFromText, type Macro } from "./preprocessor.ts";
import { type Abi, type CType, layoutStruct, type StructType } from "./types.ts";
import { SIGACTION_MACROS, signalTypes } from "./signal_types.ts";

/** The ten counters of `struct mallinfo` (int) and `struct mallinfo2` (size_t), in order. */
export const MALLINFO_FIELDS = [
  "arena",
  "ordblks",
  "smblks",
  "hblks",
  "hblkhd",
  "usmblks",
  "fsmblks",
  "uordblks",
  "fordblks",
  "keepcost",
] as const;

const tagCache = new Map<string, Map<string, StructType>>();

/**
 * Struct tags the headers define (one set per ABI): `struct _IO_FILE`, `struct mallinfo` and
 * `struct mallinfo2`, `<sys/stat.h>`'s `struct stat`, and `struct timeval`, `struct timespec`
 * and `struct timezone` (see {@link timeTags}).
 */
export function headerTags(abi: Abi): Map<string, StructType> {
  const have = tagCache.get(abi.arch);
  if (have) return have;
  const tags = new Map<string, StructType>();
  tagCache.set(abi.arch, tags);
  // glibc's struct _IO_FILE (libio/bits/types/struct_FILE.h), for programs that forge FILEs.
  const file: StructType = {
    k: "struct",
    union: false,
    tag: "_IO_FILE",
    fields: undefined,
    size: 0,
    align: 1,
  };
  const T = abi.types, P = abi.ptrSize;
  const charp: CType = { k: "ptr", to: T.char }, voidp: CType = { k: "ptr", to: T.void };
  const filep: CType = { k: "ptr", to: file };
  const bytes = (n: number): CType => ({ k: "array", of: T.char, n });
  layoutStruct(file, [
    { name: "_flags", type: T.int },
    ...[
      "read_ptr",
      "read_end",
      "read_base",
      "write_base",
      "write_ptr",
      "write_end",
      "buf_base",
      "buf_end",
      "save_base",
      "backup_base",
      "save_end",
    ].map((n) => ({
      name: `_IO_${n}`,
      type: charp,
    })),
    { name: "_markers", type: voidp },
    { name: "_chain", type: filep },
    { name: "_fileno", type: T.int },
    { name: "_flags2", type: T.int },
    { name: "_old_offset", type: T.long },
    { name: "_cur_column", type: T.ushort },
    { name: "_vtable_offset", type: T.schar },
    { name: "_shortbuf", type: bytes(1) },
    { name: "_lock", type: voidp },
    { name: "_offset", type: T.llong },
    { name: "_codecvt", type: voidp },
    { name: "_wide_data", type: voidp },
    { name: "_freeres_list", type: filep },
    { name: "_freeres_buf", type: voidp },
    { name: "__pad5", type: T.size },
    { name: "_mode", type: T.int },
    { name: "_unused2", type: bytes(15 * 4 - 4 * P - P) },
  ], abi);
  tags.set("_IO_FILE", file);
  for (const [tag, type] of [["mallinfo", abi.types.int], ["mallinfo2", abi.types.size]] as const) {
    const s: StructType = { k: "struct", union: false, tag, fields: undefined, size: 0, align: 1 };
    layoutStruct(s, MALLINFO_FIELDS.map((name) => ({ name, type })), abi);
    tags.set(tag, s);
  }
  timeTags(abi, tags);
  tags.set("sigaction", signalTypes(abi).sigaction);
  return tags;
}

/** A struct tag of the headers, laid out as the ABI lays out `fields`. */
function headerStruct(
  tags: Map<string, StructType>,
  tag: string,
  fields: { name: string; type: CType }[],
  abi: Abi,
): StructType {
  const s: StructType = { k: "struct", union: false, tag, fields: undefined, size: 0, align: 1 };
  layoutStruct(s, fields, abi);
  tags.set(tag, s);
  return s;
}

/**
 * `struct timeval` and `struct timespec` (a time_t, a long: 16 bytes on x86_64, 8 on i386),
 * `struct timezone` (two ints), and `struct stat` as glibc 2.31's headers declare it: the
 * kernel's on x86_64 (144 bytes), on i386 glibc's own with 32-bit ino, size and blocks, a 64-bit
 * dev_t and rdev each followed by a short of padding (88 bytes, aligned 4). Checked with
 * offsetof and sizeof in programs built -m64 and -m32: tests/fixtures/c/file_status/layouts.c.
 */
function timeTags(abi: Abi, tags: Map<string, StructType>): void {
  const T = abi.types, lp64 = abi.ptrSize === 8;
  const timeFields = (fraction: string) => [
    { name: "tv_sec", type: T.long },
    { name: fraction, type: T.long },
  ];
  headerStruct(tags, "timeval", timeFields("tv_usec"), abi);
  const timespec = headerStruct(tags, "timespec", timeFields("tv_nsec"), abi);
  headerStruct(tags, "timezone", [
    { name: "tz_minuteswest", type: T.int },
    { name: "tz_dsttime", type: T.int },
  ], abi);
  const dev = lp64 ? T.ulong : T.ullong;
  const times = ["st_atim", "st_mtim", "st_ctim"].map((name) => ({ name, type: timespec }));
  headerStruct(
    tags,
    "stat",
    lp64
      ? [
        { name: "st_dev", type: dev },
        { name: "st_ino", type: T.ulong },
        { name: "st_nlink", type: T.ulong },
        { name: "st_mode", type: T.uint },
        { name: "st_uid", type: T.uint },
        { name: "st_gid", type: T.uint },
        { name: "__pad0", type: T.int },
        { name: "st_rdev", type: dev },
        { name: "st_size", type: T.long },
        { name: "st_blksize", type: T.long },
        { name: "st_blocks", type: T.long },
        ...times,
        { name: "__glibc_reserved", type: { k: "array", of: T.long, n: 3 } },
      ]
      : [
        { name: "st_dev", type: dev },
        { name: "__pad1", type: T.ushort },
        { name: "st_ino", type: T.ulong },
        { name: "st_mode", type: T.uint },
        { name: "st_nlink", type: T.uint },
        { name: "st_uid", type: T.uint },
        { name: "st_gid", type: T.uint },
        { name: "st_rdev", type: dev },
        { name: "__pad2", type: T.ushort },
        { name: "st_size", type: T.long },
        { name: "st_blksize", type: T.long },
        { name: "st_blocks", type: T.long },
        ...times,
        { name: "__glibc_reserved4", type: T.ulong },
        { name: "__glibc_reserved5", type: T.ulong },
      ],
    abi,
  );
}

/** Prototypes of the library functions, in C. */
export const PROTOTYPES = `
int printf(const char *fmt, ...);
int fprintf(FILE *stream, const char *fmt, ...);
int dprintf(int fd, const char *fmt, ...);
int sprintf(char *s, const char *fmt, ...);
int snprintf(char *s, size_t n, const char *fmt, ...);
int puts(const char *s);
int putchar(int c);
int fputs(const char *s, FILE *stream);
int fputc(int c, FILE *stream);
int putc(int c, FILE *stream);
size_t fwrite(const void *p, size_t size, size_t n, FILE *stream);
int fflush(FILE *stream);
void setbuf(FILE *stream, char *buf);
int setvbuf(FILE *stream, char *buf, int mode, size_t size);
int getchar(void);
int getc(FILE *stream);
int fgetc(FILE *stream);
char *fgets(char *s, int n, FILE *stream);
char *gets(char *s);
ssize_t getline(char **lineptr, size_t *n, FILE *stream);
ssize_t getdelim(char **lineptr, size_t *n, int delim, FILE *stream);
size_t fread(void *p, size_t size, size_t n, FILE *stream);
int fscanf(FILE *stream, const char *fmt, ...);
int sscanf(const char *s, const char *fmt, ...);
int ungetc(int c, FILE *stream);
int feof(FILE *stream);
int ferror(FILE *stream);
void clearerr(FILE *stream);
ssize_t read(int fd, void *buf, size_t n);
ssize_t write(int fd, const void *buf, size_t n);
int open(const char *path, int flags, ...);
int close(int fd);
int unlink(const char *path);
int remove(const char *path);
long lseek(int fd, long offset, int whence);
int dup(int fd);
int dup2(int fd, int fd2);
int dup3(int fd, int fd2, int flags);
int fcntl(int fd, int cmd, ...);
int scanf(const char *fmt, ...);
void exit(int status);
void _exit(int status);
void _Exit(int status);
void abort(void);
int atexit(void (*fn)(void));
int on_exit(void (*fn)(int status, void *arg), void *arg);
int __cxa_atexit(void (*fn)(void *arg), void *arg, void *dso_handle);
int __cxa_thread_atexit_impl(void (*func)(void *obj), void *obj, void *dso_symbol);
unsigned long getauxval(unsigned long type);
int system(const char *command);
int execve(const char *path, char *const argv[], char *const envp[]);
int execv(const char *path, char *const argv[]);
int execl(const char *path, const char *arg, ...);
void __assert_fail(const char *expr, const char *file, unsigned int line, const char *func);
void *malloc(size_t size);
void free(void *p);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void *memalign(size_t alignment, size_t size);
int posix_memalign(void **p, size_t alignment, size_t size);
void *aligned_alloc(size_t alignment, size_t size);
void *valloc(size_t size);
void *pvalloc(size_t size);
size_t malloc_usable_size(void *p);
int mallopt(int param, int value);
int malloc_trim(size_t pad);
void malloc_stats(void);
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
char *strcpy(char *d, const char *s);
char *strncpy(char *d, const char *s, size_t n);
char *strcat(char *d, const char *s);
char *strncat(char *d, const char *s, size_t n);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *h, const char *n);
size_t strcspn(const char *s, const char *reject);
size_t strspn(const char *s, const char *accept);
char *strpbrk(const char *s, const char *accept);
char *strtok(char *s, const char *delim);
char *strtok_r(char *s, const char *delim, char **save);
char *strsep(char **s, const char *delim);
size_t strnlen(const char *s, size_t max);
int strcasecmp(const char *a, const char *b);
int strncasecmp(const char *a, const char *b, size_t n);
void *memmem(const void *h, size_t hn, const void *n, size_t nn);
void *memrchr(const void *s, int c, size_t n);
char *strchrnul(const char *s, int c);
char *stpcpy(char *d, const char *s);
void bzero(void *s, size_t n);
void explicit_bzero(void *s, size_t n);
char *strdup(const char *s);
char *strndup(const char *s, size_t n);
int atoi(const char *s);
long atol(const char *s);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
double strtod(const char *s, char **endptr);
double atof(const char *s);
long long atoll(const char *s);
void *reallocarray(void *p, size_t n, size_t size);
int abs(int x);
long labs(long x);
int getpid(void);
int getppid(void);
int fork(void);
int vfork(void);
int wait(int *status);
int waitpid(int pid, int *status, int options);
int gettid(void);
unsigned int sleep(unsigned int s);
unsigned int alarm(unsigned int seconds);
sighandler_t signal(int signum, sighandler_t handler);
int sigaction(int signum, const struct sigaction *act, struct sigaction *oldact);
int sigemptyset(sigset_t *set);
int sigfillset(sigset_t *set);
int sigaddset(sigset_t *set, int signum);
int sigdelset(sigset_t *set, int signum);
int sigismember(const sigset_t *set, int signum);
int usleep(unsigned int us);
int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int pthread_join(pthread_t t, void **ret);
int pthread_detach(pthread_t t);
int pthread_attr_init(pthread_attr_t *attr);
int pthread_attr_destroy(pthread_attr_t *attr);
int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size);
int pthread_attr_getstacksize(const pthread_attr_t *attr, size_t *size);
int pthread_attr_setguardsize(pthread_attr_t *attr, size_t size);
int pthread_attr_getguardsize(const pthread_attr_t *attr, size_t *size);
int pthread_attr_setdetachstate(pthread_attr_t *attr, int state);
int pthread_attr_getdetachstate(const pthread_attr_t *attr, int *state);
int pthread_attr_setstack(pthread_attr_t *attr, void *addr, size_t size);
int pthread_attr_getstack(const pthread_attr_t *attr, void **addr, size_t *size);
int pthread_attr_setstackaddr(pthread_attr_t *attr, void *addr);
int pthread_attr_getstackaddr(const pthread_attr_t *attr, void **addr);
int pthread_attr_setschedparam(pthread_attr_t *attr, const void *param);
int pthread_attr_getschedparam(const pthread_attr_t *attr, void *param);
int pthread_attr_setschedpolicy(pthread_attr_t *attr, int policy);
int pthread_attr_getschedpolicy(const pthread_attr_t *attr, int *policy);
int pthread_attr_setinheritsched(pthread_attr_t *attr, int inherit);
int pthread_attr_getinheritsched(const pthread_attr_t *attr, int *inherit);
int pthread_attr_setscope(pthread_attr_t *attr, int scope);
int pthread_attr_getscope(const pthread_attr_t *attr, int *scope);
int pthread_attr_setaffinity_np(pthread_attr_t *attr, size_t size, const void *cpuset);
int pthread_attr_getaffinity_np(const pthread_attr_t *attr, size_t size, void *cpuset);
int pthread_attr_setsigmask_np(pthread_attr_t *attr, const sigset_t *mask);
int pthread_attr_getsigmask_np(const pthread_attr_t *attr, sigset_t *mask);
int pthread_getattr_np(pthread_t t, pthread_attr_t *attr);
int pthread_getattr_default_np(pthread_attr_t *attr);
int pthread_setattr_default_np(const pthread_attr_t *attr);
void pthread_exit(void *ret);
pthread_t pthread_self(void);
void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
int munmap(void *addr, size_t len);
int mprotect(void *addr, size_t len, int prot);
int brk(void *addr);
void *sbrk(intptr_t increment);
int madvise(void *addr, size_t len, int advice);
long sysconf(int name);
int getpagesize(void);
int system(const char *command);
long syscall(long number, ...);
ssize_t getrandom(void *buf, size_t n, unsigned int flags);
void *alloca(size_t size);
int setjmp(jmp_buf env);
int _setjmp(jmp_buf env);
void longjmp(jmp_buf env, int value);
void _longjmp(jmp_buf env, int value);
int __builtin_clz(unsigned int x);
int __builtin_clzl(unsigned long x);
int __builtin_clzll(unsigned long long x);
int __builtin_ctz(unsigned int x);
int __builtin_ctzl(unsigned long x);
int __builtin_ctzll(unsigned long long x);
int __builtin_popcount(unsigned int x);
int __builtin_popcountl(unsigned long x);
int __builtin_popcountll(unsigned long long x);
int __builtin_parity(unsigned int x);
int __builtin_parityl(unsigned long x);
int __builtin_parityll(unsigned long long x);
int __builtin_ffs(int x);
int __builtin_ffsl(long x);
int __builtin_ffsll(long long x);
int __builtin_clrsb(int x);
int __builtin_clrsbl(long x);
int __builtin_clrsbll(long long x);
int ffs(int x);
int ffsl(long x);
int ffsll(long long x);
unsigned short __builtin_bswap16(unsigned short x);
unsigned int __builtin_bswap32(unsigned int x);
unsigned long long __builtin_bswap64(unsigned long long x);
void *__builtin_alloca(size_t size);
void *dlsym(void *handle, const char *symbol);
void *__builtin_return_address(unsigned int level);
void *__builtin_frame_address(unsigned int level);
long __builtin_expect(long x, long c);
void __builtin_trap(void);
void __builtin_unreachable(void);
int isatty(int fd);
int fileno(FILE *stream);
FILE *fopen(const char *path, const char *mode);
int fclose(FILE *stream);
FILE *freopen(const char *path, const char *mode, FILE *stream);
int fseek(FILE *stream, long offset, int whence);
long ftell(FILE *stream);
void rewind(FILE *stream);
int isprint(int c);
int isgraph(int c);
int iscntrl(int c);
int ispunct(int c);
int isblank(int c);
int isascii(int c);
int isdigit(int c);
int isalpha(int c);
int isalnum(int c);
int isspace(int c);
int isxdigit(int c);
int isupper(int c);
int islower(int c);
int toupper(int c);
int tolower(int c);
char *getenv(const char *name);
int clearenv(void);
int rand(void);
void srand(unsigned int seed);
long random(void);
void srandom(unsigned int seed);
long time(long *t);
int gettimeofday(struct timeval *tv, void *tz);
int clock_gettime(clockid_t clock, struct timespec *tp);
int stat(const char *path, struct stat *buf);
int lstat(const char *path, struct stat *buf);
int fstat(int fd, struct stat *buf);
int fstatat(int dirfd, const char *path, struct stat *buf, int flags);
void perror(const char *s);
char *strerror(int errnum);
struct mallinfo mallinfo(void);
struct mallinfo2 mallinfo2(void);
va_list __builtin_va_start(void);
void __builtin_va_copy(va_list *dst, va_list src);
int vprintf(const char *fmt, va_list ap);
int vfprintf(FILE *stream, const char *fmt, va_list ap);
int vsprintf(char *s, const char *fmt, va_list ap);
int vsnprintf(char *s, size_t n, const char *fmt, va_list ap);
`;

/** <signal.h>: Linux's signal numbers (x86_64 and i386 alike) and the special handlers. */
const SIGNAL_MACROS = [
  "SIGHUP 1",
  "SIGINT 2",
  "SIGQUIT 3",
  "SIGILL 4",
  "SIGTRAP 5",
  "SIGABRT 6",
  "SIGBUS 7",
  "SIGFPE 8",
  "SIGKILL 9",
  "SIGUSR1 10",
  "SIGSEGV 11",
  "SIGUSR2 12",
  "SIGPIPE 13",
  "SIGALRM 14",
  "SIGTERM 15",
  "SIGCHLD 17",
  "SIG_DFL ((sighandler_t) 0)",
  "SIG_IGN ((sighandler_t) 1)",
  "SIG_ERR ((sighandler_t) -1)",
];

/**
 * <fcntl.h> and <unistd.h>: open(2)'s and fstatat(2)'s flags, fcntl(2)'s F_DUPFD commands,
 * lseek(2)'s origins, the standard descriptors (x86_64 and i386 alike).
 */
const FILE_MACROS = [
  "O_RDONLY 0",
  "O_WRONLY 1",
  "O_RDWR 2",
  "O_CREAT 0100",
  "O_EXCL 0200",
  "O_TRUNC 01000",
  "O_APPEND 02000",
  "O_CLOEXEC 02000000",
  "F_DUPFD 0",
  "F_DUPFD_CLOEXEC 1030",
  "O_ACCMODE 3",
  "O_NOCTTY 0400",
  "O_NONBLOCK 04000",
  "O_NDELAY 04000",
  "O_DSYNC 010000",
  "O_SYNC 04010000",
  "O_DIRECTORY 0200000",
  "O_NOFOLLOW 0400000",
  "AT_FDCWD -100",
  "AT_SYMLINK_NOFOLLOW 0x100",
  "AT_REMOVEDIR 0x200",
  "AT_SYMLINK_FOLLOW 0x400",
  "AT_NO_AUTOMOUNT 0x800",
  "AT_EMPTY_PATH 0x1000",
  "SEEK_SET 0",
  "SEEK_CUR 1",
  "SEEK_END 2",
  "STDIN_FILENO 0",
  "STDOUT_FILENO 1",
  "STDERR_FILENO 2",
];

/**
 * <sys/stat.h>: st_mode's file types and permission bits, the S_IS* tests, the times' old names
 * (`st_mtime` is `st_mtim.tv_sec`); <time.h>'s clock ids; <sys/time.h>'s timeval arithmetic.
 */
const STAT_MACROS = [
  "S_IFMT 0170000",
  "S_IFSOCK 0140000",
  "S_IFLNK 0120000",
  "S_IFREG 0100000",
  "S_IFBLK 0060000",
  "S_IFDIR 0040000",
  "S_IFCHR 0020000",
  "S_IFIFO 0010000",
  "S_ISUID 04000",
  "S_ISGID 02000",
  "S_ISVTX 01000",
  "S_IRWXU 0700",
  "S_IRUSR 0400",
  "S_IWUSR 0200",
  "S_IXUSR 0100",
  "S_IREAD 0400",
  "S_IWRITE 0200",
  "S_IEXEC 0100",
  "S_IRWXG 070",
  "S_IRGRP 040",
  "S_IWGRP 020",
  "S_IXGRP 010",
  "S_IRWXO 07",
  "S_IROTH 04",
  "S_IWOTH 02",
  "S_IXOTH 01",
  "S_ISREG(m) (((m) & 0170000) == 0100000)",
  "S_ISDIR(m) (((m) & 0170000) == 0040000)",
  "S_ISCHR(m) (((m) & 0170000) == 0020000)",
  "S_ISBLK(m) (((m) & 0170000) == 0060000)",
  "S_ISFIFO(m) (((m) & 0170000) == 0010000)",
  "S_ISLNK(m) (((m) & 0170000) == 0120000)",
  "S_ISSOCK(m) (((m) & 0170000) == 0140000)",
  "st_atime st_atim.tv_sec",
  "st_mtime st_mtim.tv_sec",
  "st_ctime st_ctim.tv_sec",
  "CLOCK_REALTIME 0",
  "CLOCK_MONOTONIC 1",
  "CLOCK_PROCESS_CPUTIME_ID 2",
  "CLOCK_THREAD_CPUTIME_ID 3",
  "CLOCK_MONOTONIC_RAW 4",
  "CLOCK_REALTIME_COARSE 5",
  "CLOCK_MONOTONIC_COARSE 6",
  "CLOCK_BOOTTIME 7",
  "CLOCK_REALTIME_ALARM 8",
  "CLOCK_BOOTTIME_ALARM 9",
  "CLOCK_TAI 11",
  "timerisset(tvp) ((tvp)->tv_sec || (tvp)->tv_usec)",
  "timerclear(tvp) ((tvp)->tv_sec = (tvp)->tv_usec = 0)",
  "timercmp(a, b, CMP) (((a)->tv_sec == (b)->tv_sec) ? ((a)->tv_usec CMP (b)->tv_usec) : " +
  "((a)->tv_sec CMP (b)->tv_sec))",
];

/**
 * <unistd.h>'s sysconf names heap programs ask, and <sys/wait.h>'s: waitpid's options and glibc's
 * macros that read a wait status (bits/waitstatus.h).
 */
const PROCESS_MACROS = [
  "_SC_PAGESIZE 30",
  "_SC_PAGE_SIZE 30",
  "_SC_NPROCESSORS_ONLN 84",
  "WNOHANG 1",
  "WUNTRACED 2",
  "WCONTINUED 8",
  "WEXITSTATUS(status) (((status) & 0xff00) >> 8)",
  "WTERMSIG(status) ((status) & 0x7f)",
  "WSTOPSIG(status) WEXITSTATUS(status)",
  "WIFEXITED(status) (WTERMSIG(status) == 0)",
  "WIFSIGNALED(status) (((signed char) (((status) & 0x7f) + 1) >> 1) > 0)",
  "WIFSTOPPED(status) (((status) & 0xff) == 0x7f)",
  "WIFCONTINUED(status) ((status) == 0xffff)",
  "WCOREDUMP(status) ((status) & 0x80)",
];

/** <errno.h>: Linux's numbers for the errors a heap program meets (x86_64 and i386 alike). */
const ERRNO_MACROS = [
  "EPERM 1",
  "ENOENT 2",
  "EINTR 4",
  "EBADF 9",
  "ECHILD 10",
  "EAGAIN 11",
  "ENOMEM 12",
  "EACCES 13",
  "EFAULT 14",
  "EBUSY 16",
  "EEXIST 17",
  "ENOTDIR 20",
  "EISDIR 21",
  "EINVAL 22",
  "EMFILE 24",
  "ENOSPC 28",
  "ENAMETOOLONG 36",
  "EOVERFLOW 75",
];

/** <dlfcn.h>'s dlopen modes, <sys/random.h>'s getrandom flags, <sys/auxv.h>'s AT_BASE and AT_RANDOM. */
const DLFCN_MACROS = [
  "RTLD_LAZY 1",
  "RTLD_NOW 2",
  "RTLD_NOLOAD 4",
  "RTLD_GLOBAL 0x100",
  "RTLD_LOCAL 0",
  "RTLD_NODELETE 0x1000",
  "GRND_NONBLOCK 1",
  "GRND_RANDOM 2",
  "AT_BASE 7",
  "AT_RANDOM 25",
];

/** `<pthread.h>`'s and `<limits.h>`'s for thread attributes (2.31's constant PTHREAD_STACK_MIN). */
const PTHREAD_MACROS = [
  "PTHREAD_STACK_MIN 16384",
  "PTHREAD_CREATE_JOINABLE 0",
  "PTHREAD_CREATE_DETACHED 1",
];

/** Predefined macros of an ABI. */
export function predefinedMacros(abi: Abi): Map<string, Macro> {
  const lp64 = abi.ptrSize === 8;
  const long = lp64 ? "l" : "ll";
  const lines = [
    "NULL ((void*)0)",
    "EOF (-1)",
    "true 1",
    "false 0",
    "bool _Bool",
    "__bool_true_false_are_defined 1",
    "EXIT_SUCCESS 0",
    "EXIT_FAILURE 1",
    "assert(e) ((e) ? (void)0 : __assert_fail(#e, __FILE__, __LINE__, __func__))",
    "static_assert _Static_assert",
    "offsetof(t, m) __builtin_offsetof(t, m)",
    ...PTHREAD_MACROS,
    "PROT_NONE 0",
    "PROT_READ 1",
    "PROT_WRITE 2",
    "PROT_EXEC 4",
    "MAP_SHARED 1",
    "MAP_PRIVATE 2",
    "MAP_FIXED 0x10",
    "MAP_ANONYMOUS 0x20",
    "MAP_ANON 0x20",
    "MAP_NORESERVE 0x4000",
    "MAP_POPULATE 0x8000",
    "MAP_STACK 0x20000",
    "MAP_FIXED_NOREPLACE 0x100000",
    "MAP_FAILED ((void *) -1)",
    "MADV_NORMAL 0",
    "MADV_DONTNEED 4",
    "MADV_FREE 8",
    "M_MXFAST 1",
    "M_TRIM_THRESHOLD -1",
    "M_TOP_PAD -2",
    "M_MMAP_THRESHOLD -3",
    "M_MMAP_MAX -4",
    "M_CHECK_ACTION -5",
    "M_PERTURB -6",
    "M_ARENA_TEST -7",
    "M_ARENA_MAX -8",
    "_IOFBF 0",
    "_IOLBF 1",
    "_IONBF 2",
    "BUFSIZ 8192",
    ...ERRNO_MACROS,
    ...FILE_MACROS,
    ...STAT_MACROS,
    ...SIGNAL_MACROS,
    ...PROCESS_MACROS,
    ...SIGACTION_MACROS,
    "CHAR_BIT 8",
    "SCHAR_MIN (-128)",
    "SCHAR_MAX 127",
    "UCHAR_MAX 255",
    "CHAR_MIN (-128)",
    "CHAR_MAX 127",
    "SHRT_MIN (-32768)",
    "SHRT_MAX 32767",
    "USHRT_MAX 65535",
    "INT_MIN (-2147483647-1)",
    "INT_MAX 2147483647",
    "UINT_MAX 4294967295U",
    `LONG_MAX ${lp64 ? "9223372036854775807L" : "2147483647L"}`,
    `LONG_MIN (-LONG_MAX-1L)`,
    `ULONG_MAX ${lp64 ? "18446744073709551615UL" : "4294967295UL"}`,
    "LLONG_MAX 9223372036854775807LL",
    "LLONG_MIN (-LLONG_MAX-1LL)",
    "ULLONG_MAX 18446744073709551615ULL",
    `SIZE_MAX ${lp64 ? "18446744073709551615UL" : "4294967295U"}`,
    `SSIZE_MAX ${lp64 ? "9223372036854775807L" : "2147483647"}`,
    "INT8_MIN (-128)",
    "INT8_MAX 127",
    "UINT8_MAX 255",
    "INT16_MIN (-32768)",
    "INT16_MAX 32767",
    "UINT16_MAX 65535",
    "INT32_MIN (-2147483647-1)",
    "INT32_MAX 2147483647",
    "UINT32_MAX 4294967295U",
    `INT64_MAX 9223372036854775807${long.toUpperCase()}`,
    `INT64_MIN (-INT64_MAX-1)`,
    `UINT64_MAX 18446744073709551615U${long.toUpperCase()}`,
    `INTPTR_MAX ${lp64 ? "9223372036854775807L" : "2147483647"}`,
    `UINTPTR_MAX ${lp64 ? "18446744073709551615UL" : "4294967295U"}`,
    `PTRDIFF_MAX ${lp64 ? "9223372036854775807L" : "2147483647"}`,
    `INT64_C(c) c ## ${long.toUpperCase()}`,
    `UINT64_C(c) c ## U${long.toUpperCase()}`,
    `PRId64 "${long}d"`,
    `PRIi64 "${long}i"`,
    `PRIu64 "${long}u"`,
    `PRIx64 "${long}x"`,
    `PRIX64 "${long}X"`,
    `PRIo64 "${long}o"`,
    'PRId32 "d"',
    'PRIu32 "u"',
    'PRIx32 "x"',
    'PRIX32 "X"',
    `PRIdPTR "${lp64 ? "l" : ""}d"`,
    `PRIuPTR "${lp64 ? "l" : ""}u"`,
    `PRIxPTR "${lp64 ? "l" : ""}x"`,
    `PRIXPTR "${lp64 ? "l" : ""}X"`,
    `SYS_gettid ${lp64 ? 186 : 224}`,
    `SYS_exit ${lp64 ? 60 : 1}`,
    "RTLD_NEXT ((void *) -1l)",
    "RTLD_DEFAULT ((void *) 0)",
    ...DLFCN_MACROS,
    `SYS_exit_group ${lp64 ? 231 : 252}`,
    `SYS_getpid ${lp64 ? 39 : 20}`,
    `__NR_gettid ${lp64 ? 186 : 224}`,
    "__linux__ 1",
    "__linux 1",
    "linux 1",
    "__unix__ 1",
    "__GNUC__ 12",
    "__GNUC_MINOR__ 2",
    "__STDC__ 1",
    "__STDC_VERSION__ 201710L",
    "__STDC_HOSTED__ 1",
    "__CHAR_BIT__ 8",
    `__SIZEOF_POINTER__ ${abi.ptrSize}`,
    `__SIZEOF_LONG__ ${abi.ptrSize}`,
    `__SIZEOF_SIZE_T__ ${abi.ptrSize}`,
    "__SIZEOF_INT__ 4",
    "__SIZEOF_LONG_LONG__ 8",
    "__ORDER_LITTLE_ENDIAN__ 1234",
    "__BYTE_ORDER__ 1234",
    ...(lp64
      ? ["__x86_64__ 1", "__x86_64 1", "__amd64__ 1", "__LP64__ 1", "_LP64 1"]
      : ["__i386__ 1", "__i386 1", "i386 1", "__ILP32__ 1"]),
    "__restrict restrict",
    "__inline inline",
    "__volatile__",
    "__builtin_va_list void *",
    "va_start(ap, last) ((ap) = __builtin_va_start())",
    "va_end(ap) ((void)(ap))",
    "va_copy(d, s) __builtin_va_copy(&(d), s)",
    "likely(x) __builtin_expect(!!(x), 1)",
    "unlikely(x) __builtin_expect(!!(x), 0)",
  ];
  const out = new Map<string, Macro>();
  for (const l of lines) {
    const [name, m] = defineFromText(l);
    out.set(name, m);
  }
  return out;
}

/** Typedef names of the headers, and the opaque structs behind them. */
export function headerTypedefs(abi: Abi): Map<string, CType> {
  const T = abi.types;
  const lp64 = abi.ptrSize === 8;
  const opaque = (tag: string, size: number, align: number): StructType => ({
    k: "struct",
    union: false,
    tag,
    fields: [],
    size,
    align,
  });
  const i64 = lp64 ? T.long : T.llong, u64 = lp64 ? T.ulong : T.ullong;
  const file = headerTags(abi).get("_IO_FILE")!;
  const handler: CType = {
    k: "ptr",
    to: { k: "fn", ret: T.void, params: [T.int], variadic: false, unprototyped: false },
  };
  return new Map<string, CType>([
    ["size_t", T.size],
    ["ssize_t", T.ssize],
    ["ptrdiff_t", T.ssize],
    ["intptr_t", T.ssize],
    ["uintptr_t", T.size],
    ["int8_t", T.schar],
    ["uint8_t", T.uchar],
    ["int16_t", T.short],
    ["uint16_t", T.ushort],
    ["int32_t", T.int],
    ["uint32_t", T.uint],
    ["int64_t", i64],
    ["uint64_t", u64],
    ["intmax_t", i64],
    ["uintmax_t", u64],
    ["int_least8_t", T.schar],
    ["uint_least8_t", T.uchar],
    ["int_least16_t", T.short],
    ["uint_least16_t", T.ushort],
    ["int_least32_t", T.int],
    ["uint_least32_t", T.uint],
    ["int_least64_t", i64],
    ["uint_least64_t", u64],
    ["int_fast8_t", T.schar],
    ["uint_fast8_t", T.uchar],
    // <stdint.h>: the wider fast types are a long on x86_64, an int on i386
    ["int_fast16_t", T.ssize],
    ["uint_fast16_t", T.size],
    ["int_fast32_t", T.ssize],
    ["uint_fast32_t", T.size],
    ["int_fast64_t", i64],
    ["uint_fast64_t", u64],
    // <bits/types.h>: the names the other headers' types are made of
    ["__int8_t", T.schar],
    ["__uint8_t", T.uchar],
    ["__int16_t", T.short],
    ["__uint16_t", T.ushort],
    ["__int32_t", T.int],
    ["__uint32_t", T.uint],
    ["__int64_t", i64],
    ["__uint64_t", u64],
    ["__intmax_t", i64],
    ["__uintmax_t", u64],
    ["__u_char", T.uchar],
    ["__u_short", T.ushort],
    ["__u_int", T.uint],
    ["__u_long", T.ulong],
    ["__ssize_t", T.ssize],
    ["__off_t", T.long],
    ["__off64_t", i64],
    ["__pid_t", T.int],
    ["__uid_t", T.uint],
    ["__gid_t", T.uint],
    ["__mode_t", T.uint],
    ["__time_t", T.long],
    ["__clock_t", T.long],
    ["__useconds_t", T.uint],
    ["__suseconds_t", T.long],
    ["__key_t", T.int],
    ["__socklen_t", T.uint],
    ["u_int8_t", T.uchar],
    ["u_int16_t", T.ushort],
    ["u_int32_t", T.uint],
    ["u_int64_t", u64],
    ["u_char", T.uchar],
    ["u_short", T.ushort],
    ["u_int", T.uint],
    ["u_long", T.ulong],
    ["uint", T.uint],
    ["ulong", T.ulong],
    ["pid_t", T.int],
    ["uid_t", T.uint],
    ["gid_t", T.uint],
    ["mode_t", T.uint],
    ["off_t", T.long],
    ["off64_t", i64],
    ["time_t", T.long],
    ["clock_t", T.long],
    ["useconds_t", T.uint],
    ["suseconds_t", T.long],
    ["key_t", T.int],
    ["socklen_t", T.uint],
    // <sys/stat.h>'s field types: dev_t is 64 bits on both ABIs, nlink_t an int on i386
    ["dev_t", lp64 ? T.ulong : T.ullong],
    ["__dev_t", lp64 ? T.ulong : T.ullong],
    ["ino_t", T.ulong],
    ["__ino_t", T.ulong],
    ["nlink_t", lp64 ? T.ulong : T.uint],
    ["__nlink_t", lp64 ? T.ulong : T.uint],
    ["blksize_t", T.long],
    ["__blksize_t", T.long],
    ["blkcnt_t", T.long],
    ["__blkcnt_t", T.long],
    ["clockid_t", T.int],
    ["__clockid_t", T.int],
    ["sig_atomic_t", T.int],
    ["wint_t", T.uint],
    ["wchar_t", T.int],
    ["pthread_t", T.ulong],
    ["pthread_attr_t", opaque("pthread_attr_t", lp64 ? 56 : 36, abi.ptrSize)],
    ["pthread_mutex_t", opaque("pthread_mutex_t", lp64 ? 40 : 24, abi.ptrSize)],
    // <setjmp.h>: struct __jmp_buf_tag[1] — the registers (8 longs; 6 ints on i386), whether the
    // signal mask was saved, and the mask (a 1024-bit sigset_t)
    ["jmp_buf", { k: "array", of: opaque("__jmp_buf_tag", lp64 ? 200 : 156, abi.ptrSize), n: 1 }],
    ["FILE", file],
    ["_IO_FILE", file],
    ["va_list", { k: "ptr", to: T.void }],
    ["sighandler_t", handler],
    ["sigset_t", signalTypes(abi).sigset],
    ["__sigset_t", signalTypes(abi).sigset],
    ["siginfo_t", signalTypes(abi).siginfo],
    ["__sighandler_t", handler],
  ]);
}
