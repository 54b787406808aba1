/*
 * mosaic_dds_shim: already-serialized CDR samples over Cyclone DDS 0.10.
 *
 * Cyclone checks every sample against the topic descriptor idlc generates for its type, so a process
 * that already holds CDR bytes (Mosaic keeps messages serialized up to the node) cannot use the stable
 * dds_* API alone. This file gives Cyclone a "sertype" whose samples are nothing but those bytes,
 * encapsulation header included, the way rmw_cyclonedds and zenoh's ROS 2 bridge do it, and exposes
 * five functions over it. Participants, QoS, readers, writers and waitsets are P/Invoked from libddsc
 * directly (Mosaic.Transport.Dds/Native.cs).
 *
 * The ddsi_* interfaces below are Cyclone internals that change between minor versions (0.11 did);
 * this file is compiled against the installed headers at build time and is the only place that
 * depends on them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dds/dds.h>
#include <dds/ddsi/ddsi_serdata.h>
#include <dds/ddsi/ddsi_sertype.h>
#include <dds/ddsi/q_radmin.h>

#define SHIM_EXPORT __attribute__((visibility("default")))

/* A sample: its CDR bytes, zero-padded to a multiple of 4 because Cyclone may read up to there. */
struct cdr_serdata {
  struct ddsi_serdata c;
  uint32_t size;
  unsigned char bytes[];
};

static const unsigned char cdr_le_header[4] = { 0x00, 0x01, 0x00, 0x00 };

static struct cdr_serdata *cdr_alloc(const struct ddsi_sertype *type, enum ddsi_serdata_kind kind, size_t size)
{
  if (size > UINT32_MAX - 4u)
    return NULL;
  size_t padded = (size + 3u) & ~(size_t)3u;
  struct cdr_serdata *d = malloc(sizeof(*d) + padded);
  if (d == NULL)
    return NULL;
  ddsi_serdata_init(&d->c, type, kind);
  /* ROS types have no key: every sample belongs to the one instance of its topic. */
  d->c.hash = type->serdata_basehash;
  d->size = (uint32_t)size;
  memset(d->bytes + size, 0, padded - size);
  return d;
}

static bool cdr_eqkey(const struct ddsi_serdata *a, const struct ddsi_serdata *b)
{
  (void)a; (void)b;
  return true;
}

static uint32_t cdr_get_size(const struct ddsi_serdata *d)
{
  return ((const struct cdr_serdata *)d)->size;
}

static void cdr_free(struct ddsi_serdata *d)
{
  free(d);
}

/* Large samples arrive as a chain of fragments, possibly overlapping; copy each byte once. */
static struct ddsi_serdata *cdr_from_ser(const struct ddsi_sertype *type, enum ddsi_serdata_kind kind,
                                         const struct nn_rdata *fragchain, size_t size)
{
  struct cdr_serdata *d = cdr_alloc(type, kind, size);
  if (d == NULL)
    return NULL;
  size_t have = 0;
  for (const struct nn_rdata *f = fragchain; f != NULL && have < size; f = f->nextfrag) {
    if (f->min > have) {
      free(d);
      return NULL;
    }
    size_t end = f->maxp1 < size ? f->maxp1 : size;
    if (end > have) {
      const unsigned char *payload = NN_RMSG_PAYLOADOFF(f->rmsg, NN_RDATA_PAYLOAD_OFF(f));
      memcpy(d->bytes + have, payload + (have - f->min), end - have);
      have = end;
    }
  }
  if (have != size) {
    free(d);
    return NULL;
  }
  return &d->c;
}

static struct ddsi_serdata *cdr_from_ser_iov(const struct ddsi_sertype *type, enum ddsi_serdata_kind kind,
                                             ddsrt_msg_iovlen_t niov, const ddsrt_iovec_t *iov, size_t size)
{
  struct cdr_serdata *d = cdr_alloc(type, kind, size);
  if (d == NULL)
    return NULL;
  size_t have = 0;
  for (ddsrt_msg_iovlen_t i = 0; i < niov && have < size; i++) {
    size_t n = iov[i].iov_len < size - have ? iov[i].iov_len : size - have;
    memcpy(d->bytes + have, iov[i].iov_base, n);
    have += n;
  }
  if (have != size) {
    free(d);
    return NULL;
  }
  return &d->c;
}

/* Key-only samples of a keyless type carry no fields: just the encapsulation header. */
static struct ddsi_serdata *cdr_key_only(const struct ddsi_sertype *type)
{
  struct cdr_serdata *d = cdr_alloc(type, SDK_KEY, sizeof(cdr_le_header));
  if (d != NULL)
    memcpy(d->bytes, cdr_le_header, sizeof(cdr_le_header));
  return d != NULL ? &d->c : NULL;
}

static struct ddsi_serdata *cdr_from_keyhash(const struct ddsi_sertype *type, const struct ddsi_keyhash *keyhash)
{
  (void)keyhash;
  return cdr_key_only(type);
}

/* Samples only ever enter as bytes (mosaic_dds_write); dds_write on these topics is refused. */
static struct ddsi_serdata *cdr_from_sample(const struct ddsi_sertype *type, enum ddsi_serdata_kind kind, const void *sample)
{
  (void)type; (void)kind; (void)sample;
  return NULL;
}

static void cdr_to_ser(const struct ddsi_serdata *d, size_t off, size_t sz, void *buf)
{
  memcpy(buf, ((const struct cdr_serdata *)d)->bytes + off, sz);
}

static struct ddsi_serdata *cdr_to_ser_ref(const struct ddsi_serdata *d, size_t off, size_t sz, ddsrt_iovec_t *ref)
{
  ref->iov_base = (void *)(((const struct cdr_serdata *)d)->bytes + off);
  ref->iov_len = (ddsrt_iov_len_t)sz;
  return ddsi_serdata_ref(d);
}

static void cdr_to_ser_unref(struct ddsi_serdata *d, const ddsrt_iovec_t *ref)
{
  (void)ref;
  ddsi_serdata_unref(d);
}

/* Samples only ever leave as bytes (mosaic_dds_take); dds_read/dds_take on these topics get nothing. */
static bool cdr_to_sample(const struct ddsi_serdata *d, void *sample, void **bufptr, void *buflim)
{
  (void)d; (void)sample; (void)bufptr; (void)buflim;
  return false;
}

static struct ddsi_serdata *cdr_to_untyped(const struct ddsi_serdata *d)
{
  struct ddsi_serdata *u = cdr_key_only(d->type);
  if (u != NULL)
    u->type = NULL;
  return u;
}

static bool cdr_untyped_to_sample(const struct ddsi_sertype *type, const struct ddsi_serdata *d, void *sample,
                                  void **bufptr, void *buflim)
{
  (void)type; (void)d; (void)sample; (void)bufptr; (void)buflim;
  return true;
}

static size_t cdr_print(const struct ddsi_sertype *type, const struct ddsi_serdata *d, char *buf, size_t size)
{
  (void)type;
  return (size_t)snprintf(buf, size, "(%u bytes of CDR)", (unsigned)cdr_get_size(d));
}

static void cdr_get_keyhash(const struct ddsi_serdata *d, struct ddsi_keyhash *buf, bool force_md5)
{
  (void)d; (void)force_md5;
  memset(buf, 0, sizeof(*buf));
}

static const struct ddsi_serdata_ops cdr_serdata_ops = {
  .eqkey = cdr_eqkey,
  .get_size = cdr_get_size,
  .from_ser = cdr_from_ser,
  .from_ser_iov = cdr_from_ser_iov,
  .from_keyhash = cdr_from_keyhash,
  .from_sample = cdr_from_sample,
  .to_ser = cdr_to_ser,
  .to_ser_ref = cdr_to_ser_ref,
  .to_ser_unref = cdr_to_ser_unref,
  .to_sample = cdr_to_sample,
  .to_untyped = cdr_to_untyped,
  .untyped_to_sample = cdr_untyped_to_sample,
  .free = cdr_free,
  .print = cdr_print,
  .get_keyhash = cdr_get_keyhash,
};

static void cdr_type_free(struct ddsi_sertype *t)
{
  ddsi_sertype_fini(t);
  free(t);
}

/* Application-side samples never exist for these types, so the sample-array operations are empty. */
static void cdr_type_zero_samples(const struct ddsi_sertype *t, void *samples, size_t count)
{
  (void)t; (void)samples; (void)count;
}

static void cdr_type_realloc_samples(void **ptrs, const struct ddsi_sertype *t, void *old, size_t oldcount, size_t count)
{
  (void)t; (void)old; (void)oldcount;
  for (size_t i = 0; i < count; i++)
    ptrs[i] = NULL;
}

static void cdr_type_free_samples(const struct ddsi_sertype *t, void **ptrs, size_t count, dds_free_op_t op)
{
  (void)t; (void)ptrs; (void)count; (void)op;
}

/* Cyclone has already compared the type names and operations; nothing else distinguishes two of these. */
static bool cdr_type_equal(const struct ddsi_sertype *a, const struct ddsi_sertype *b)
{
  (void)a; (void)b;
  return true;
}

static uint32_t cdr_type_hash(const struct ddsi_sertype *t)
{
  (void)t;
  return 0;
}

static const struct ddsi_sertype_ops cdr_sertype_ops = {
  .version = ddsi_sertype_v0,
  .arg = NULL,
  .free = cdr_type_free,
  .zero_samples = cdr_type_zero_samples,
  .realloc_samples = cdr_type_realloc_samples,
  .free_samples = cdr_type_free_samples,
  .equal = cdr_type_equal,
  .hash = cdr_type_hash,
};

/*
 * Creates (or finds) the topic `topic_name` of DDS type `type_name` carrying raw CDR. On success returns the
 * topic and stores in *sertype the type to pass to mosaic_dds_write; on failure returns Cyclone's error code.
 */
SHIM_EXPORT dds_entity_t mosaic_dds_create_topic(dds_entity_t participant, const char *topic_name, const char *type_name,
                                                 const dds_qos_t *qos, const struct ddsi_sertype **sertype)
{
  struct ddsi_sertype *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return DDS_RETCODE_OUT_OF_RESOURCES;
  ddsi_sertype_init_flags(t, type_name, &cdr_sertype_ops, &cdr_serdata_ops, DDSI_SERTYPE_FLAG_TOPICKIND_NO_KEY);
  dds_entity_t topic = dds_create_topic_sertype(participant, topic_name, &t, qos, NULL, NULL);
  if (topic < 0) {
    cdr_type_free(t);
    return topic;
  }
  *sertype = t;
  return topic;
}

/* Publishes `size` bytes of CDR (encapsulation header included) on `writer`, whose topic has type `sertype`. */
SHIM_EXPORT dds_return_t mosaic_dds_write(dds_entity_t writer, const struct ddsi_sertype *sertype, const void *bytes, uint32_t size)
{
  if (size < sizeof(cdr_le_header))
    return DDS_RETCODE_BAD_PARAMETER;
  ddsrt_iovec_t iov = { .iov_base = (void *)bytes, .iov_len = (ddsrt_iov_len_t)size };
  struct ddsi_serdata *d = ddsi_serdata_from_ser_iov(sertype, SDK_DATA, 1, &iov, size);
  if (d == NULL)
    return DDS_RETCODE_OUT_OF_RESOURCES;
  return dds_writecdr(writer, d); /* takes the reference */
}

/*
 * Takes the next sample with data from `reader`, skipping the data-less notifications (a writer going away).
 * Returns 1 and a sample that must be released with mosaic_dds_release, 0 when nothing is waiting, or an error code.
 */
SHIM_EXPORT dds_return_t mosaic_dds_take(dds_entity_t reader, struct ddsi_serdata **sample, uint32_t *size, int64_t *source_timestamp)
{
  for (;;) {
    struct ddsi_serdata *d = NULL;
    dds_sample_info_t info;
    dds_return_t n = dds_takecdr(reader, &d, 1, &info, DDS_ANY_STATE);
    if (n <= 0)
      return n;
    if (info.valid_data) {
      *sample = d;
      *size = ddsi_serdata_size(d);
      *source_timestamp = info.source_timestamp;
      return 1;
    }
    ddsi_serdata_unref(d);
  }
}

/* Copies a taken sample's `size` bytes (as reported by mosaic_dds_take) into `destination`. */
SHIM_EXPORT void mosaic_dds_copy(const struct ddsi_serdata *sample, void *destination, uint32_t size)
{
  ddsi_serdata_to_ser(sample, 0, size, destination);
}

/* Releases a sample returned by mosaic_dds_take. */
SHIM_EXPORT void mosaic_dds_release(struct ddsi_serdata *sample)
{
  ddsi_serdata_unref(sample);
}
