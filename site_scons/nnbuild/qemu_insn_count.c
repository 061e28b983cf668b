/*
 * qemu_insn_count: a QEMU TCG plugin counting guest instructions, in the whole
 * program and inside one function (with everything it calls), e.g. <model>_invoke.
 *
 *   qemu-<arch> -plugin file=libqemu_insn_count.so,enter=0xADDR[,mark=0xADDR],outfile=PATH FIRMWARE ...
 *
 * enter= is the address of the function's first instruction. A call always ends a
 * translation block (TB), so the TB executed just before the function's first TB ends
 * with the call, and the function has returned when a TB starts just past that call
 * instruction. This needs no register access (which API version 1 lacks), no symbol of
 * the caller, and counts nested calls. "Just past" is within CALL_BYTES: qemu 7.2
 * reports instruction sizes as 0 on some guests (LoongArch), and no TB can start inside
 * the call instruction anyway.
 *
 * mark= (profile=1 builds) is the address of nn_profile_node, which the function calls
 * before each operator and after the last: the instructions inside the function are then
 * also split at those calls, into "bucket B N" lines (B = 0 before the first call, B = k + 1
 * after the k-th), summed over the calls of the function; the mark's own instructions are
 * in no bucket.
 *
 * Counts are per TB executed (n instructions each), which is exact unless a TB
 * exits early on a guest fault; the firmware does not fault. At exit the plugin
 * writes "instructions T", "inside I" and "calls C" lines to outfile, leaving the
 * firmware's stdout and stderr alone.
 *
 * Debian's qemu 7.2 ships neither qemu-plugin.h nor any plugin, so the few
 * declarations used are restated here from QEMU 7.2's include/qemu/qemu-plugin.h
 * (plugin API version 1); qemu exports these functions to the plugins it loads.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- from include/qemu/qemu-plugin.h (QEMU 7.2, QEMU_PLUGIN_VERSION 1) ---- */
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
#define QEMU_PLUGIN_VERSION 1
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t; /* only passed through here */
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
/* ---- end of the QEMU declarations ---- */

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* Longer than any direct call of the guests measured (4 bytes on LoongArch, RISC-V, AArch64,
 * Thumb; 5 on x86-64): the next TB to start that close past a call is its return. */
#define CALL_BYTES 8

struct block {
    uint64_t start, last; /* addresses of the first and the last instruction */
    uint64_t insns;
};

static uint64_t enter, mark;
static const char *outfile;
/* The firmware runs on one vCPU (one thread), so plain variables suffice. */
static bool inside, in_mark;
static uint64_t call_site, mark_site, previous_last;
static uint64_t total, inside_insns, calls;
static uint64_t *buckets;
static size_t bucket, n_buckets;

/* Whether b starts just past the call instruction ending at `site`: the callee returned. */
static bool returned(const struct block *b, uint64_t site)
{
    return b->start > site && b->start <= site + CALL_BYTES;
}

static void add_to_bucket(uint64_t insns)
{
    if (bucket >= n_buckets) {
        size_t n = bucket * 2 + 16;
        uint64_t *grown = realloc(buckets, n * sizeof *buckets);
        if (grown == NULL) {
            abort();
        }
        memset(grown + n_buckets, 0, (n - n_buckets) * sizeof *grown);
        buckets = grown;
        n_buckets = n;
    }
    buckets[bucket] += insns;
}

static void block_exec(unsigned int vcpu, void *udata)
{
    const struct block *b = udata;
    if (inside && returned(b, call_site)) {
        inside = false;
    } else if (!inside && b->start == enter) {
        inside = true;
        call_site = previous_last;
        bucket = 0;
        ++calls;
    }
    if (inside && mark) {
        if (in_mark && returned(b, mark_site)) {
            in_mark = false;
        } else if (!in_mark && b->start == mark) {
            in_mark = true;
            mark_site = previous_last;
            ++bucket;
        }
    }
    total += b->insns;
    if (inside) {
        inside_insns += b->insns;
        if (mark && !in_mark) {
            add_to_bucket(b->insns);
        }
    }
    previous_last = b->last;
}

static void block_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    /* One per translation, alive as long as qemu may run the TB: never freed. */
    struct block *b = malloc(sizeof *b);
    size_t n = qemu_plugin_tb_n_insns(tb);
    b->start = qemu_plugin_tb_vaddr(tb);
    b->last = qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, n - 1));
    b->insns = n;
    qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
    FILE *f = fopen(outfile, "w");
    if (f == NULL) {
        perror(outfile);
        return;
    }
    fprintf(f, "instructions %llu\ninside %llu\ncalls %llu\n", (unsigned long long)total,
            (unsigned long long)inside_insns, (unsigned long long)calls);
    for (size_t i = 0; i < n_buckets; ++i) {
        if (buckets[i]) {
            fprintf(f, "bucket %zu %llu\n", i, (unsigned long long)buckets[i]);
        }
    }
    fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    for (int i = 0; i < argc; ++i) {
        if (strncmp(argv[i], "enter=", 6) == 0) {
            enter = strtoull(argv[i] + 6, NULL, 0);
        } else if (strncmp(argv[i], "mark=", 5) == 0) {
            mark = strtoull(argv[i] + 5, NULL, 0);
        } else if (strncmp(argv[i], "outfile=", 8) == 0) {
            outfile = argv[i] + 8;
        } else {
            fprintf(stderr, "qemu_insn_count: unknown argument '%s' (enter=ADDR, mark=ADDR, outfile=PATH)\n", argv[i]);
            return -1;
        }
    }
    if (enter == 0 || outfile == NULL) {
        fprintf(stderr, "qemu_insn_count: enter=ADDR and outfile=PATH are required\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_translated);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
