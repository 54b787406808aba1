/*
 * An independent ROS 2 peer for Mosaic's DDS interop tests: plain Cyclone DDS with serializers that idlc
 * generated from ros_messages.idl, so none of Mosaic's CDR code is involved on this side. It speaks ROS
 * naming (rt/ topics, <pkg>::msg::dds_::<Name>_ types) and reads ROS_DOMAIN_ID as ROS 2 does.
 *
 *   peer receive POSE_TOPIC TF_TOPIC COUNT   print COUNT PoseWithCovarianceStamped/TFMessage samples, one line each
 *   peer publish IMAGE_TOPIC INFO_TOPIC ODOM_TOPIC   publish one Image, CameraInfo and Odometry with known fields
 *   peer echo IN_TOPIC OUT_TOPIC              take one Image and publish it again, re-serialized
 *   peer cloud TOPIC                          take one latched PointCloud2 (joining after it was written) and print it
 *
 * Lines printed: "ready" once the endpoints exist, then "pose ..."/"tf ..." with every field (%.17g).
 * Exit status 0 on success, 1 on a timeout or DDS error, 2 on bad arguments.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dds/dds.h>
#include "ros_messages.h"

#define TIMEOUT DDS_SECS(30)

static void fail(const char *what, dds_return_t rc)
{
  fprintf(stderr, "peer: %s: %s\n", what, dds_strretcode(rc));
  exit(1);
}

static dds_entity_t check(dds_entity_t e, const char *what)
{
  if (e < 0)
    fail(what, e);
  return e;
}

static dds_qos_t *ros_qos(bool reliable, bool transient_local, int32_t depth)
{
  dds_qos_t *q = dds_create_qos();
  dds_qset_reliability(q, reliable ? DDS_RELIABILITY_RELIABLE : DDS_RELIABILITY_BEST_EFFORT, DDS_MSECS(100));
  dds_qset_durability(q, transient_local ? DDS_DURABILITY_TRANSIENT_LOCAL : DDS_DURABILITY_VOLATILE);
  dds_qset_history(q, DDS_HISTORY_KEEP_LAST, depth);
  return q;
}

static dds_entity_t participant(void)
{
  const char *env = getenv("ROS_DOMAIN_ID");
  dds_domainid_t domain = env != NULL && *env != '\0' ? (dds_domainid_t)strtoul(env, NULL, 10) : 0;
  return check(dds_create_participant(domain, NULL, NULL), "create participant");
}

static dds_entity_t endpoint(dds_entity_t pp, const dds_topic_descriptor_t *desc, const char *topic, bool writer,
                             dds_qos_t *qos)
{
  char name[256];
  snprintf(name, sizeof(name), "rt%s", topic);
  dds_entity_t t = check(dds_create_topic(pp, desc, name, NULL, NULL), "create topic");
  dds_entity_t e = writer ? dds_create_writer(pp, t, qos, NULL) : dds_create_reader(pp, t, qos, NULL);
  dds_delete_qos(qos);
  return check(e, writer ? "create writer" : "create reader");
}

static void wait_for_reader(dds_entity_t writer)
{
  dds_publication_matched_status_t st;
  for (dds_time_t end = dds_time() + TIMEOUT; dds_time() < end; dds_sleepfor(DDS_MSECS(10))) {
    check(dds_get_publication_matched_status(writer, &st), "match status");
    if (st.current_count > 0)
      return;
  }
  fail("no subscriber matched", DDS_RETCODE_TIMEOUT);
}

static void print_header(const std_msgs_msg_dds__Header_ *h)
{
  printf(" %" PRId32 " %" PRIu32 " %s", h->stamp.sec, h->stamp.nanosec, h->frame_id);
}

static void print_doubles(const double *v, int n)
{
  for (int i = 0; i < n; i++)
    printf(" %.17g", v[i]);
}

static void print_pose(const geometry_msgs_msg_dds__Pose_ *p)
{
  printf(" %.17g %.17g %.17g %.17g %.17g %.17g %.17g", p->position.x, p->position.y, p->position.z,
         p->orientation.x, p->orientation.y, p->orientation.z, p->orientation.w);
}

static int receive(const char *pose_topic, const char *tf_topic, int count)
{
  dds_entity_t pp = participant();
  dds_entity_t pose_reader = endpoint(pp, &geometry_msgs_msg_dds__PoseWithCovarianceStamped__desc, pose_topic, false,
                                      ros_qos(true, true, 1));
  dds_entity_t tf_reader = endpoint(pp, &tf2_msgs_msg_dds__TFMessage__desc, tf_topic, false, ros_qos(true, false, 100));
  dds_entity_t ws = check(dds_create_waitset(pp), "create waitset");
  check(dds_waitset_attach(ws, check(dds_create_readcondition(pose_reader, DDS_ANY_STATE), "condition"), 0), "attach");
  check(dds_waitset_attach(ws, check(dds_create_readcondition(tf_reader, DDS_ANY_STATE), "condition"), 1), "attach");
  printf("ready\n");
  fflush(stdout);

  int received = 0;
  dds_time_t end = dds_time() + TIMEOUT;
  while (received < count) {
    if (dds_time() >= end)
      fail("samples did not arrive", DDS_RETCODE_TIMEOUT);
    dds_waitset_wait(ws, NULL, 0, DDS_MSECS(100));
    void *samples[1] = { NULL };
    dds_sample_info_t info;
    while (received < count && dds_take(pose_reader, samples, &info, 1, 1) > 0) {
      if (info.valid_data) {
        const geometry_msgs_msg_dds__PoseWithCovarianceStamped_ *m = samples[0];
        printf("pose");
        print_header(&m->header);
        print_pose(&m->pose.pose);
        print_doubles(m->pose.covariance, 36);
        printf("\n");
        received++;
      }
      dds_return_loan(pose_reader, samples, 1);
      samples[0] = NULL;
    }
    while (received < count && dds_take(tf_reader, samples, &info, 1, 1) > 0) {
      if (info.valid_data) {
        const tf2_msgs_msg_dds__TFMessage_ *m = samples[0];
        printf("tf %" PRIu32, m->transforms._length);
        for (uint32_t i = 0; i < m->transforms._length; i++) {
          const geometry_msgs_msg_dds__TransformStamped_ *t = &m->transforms._buffer[i];
          print_header(&t->header);
          printf(" %s %.17g %.17g %.17g %.17g %.17g %.17g %.17g", t->child_frame_id, t->transform.translation.x,
                 t->transform.translation.y, t->transform.translation.z, t->transform.rotation.x,
                 t->transform.rotation.y, t->transform.rotation.z, t->transform.rotation.w);
        }
        printf("\n");
        received++;
      }
      dds_return_loan(tf_reader, samples, 1);
      samples[0] = NULL;
    }
    fflush(stdout);
  }
  dds_delete(pp);
  return 0;
}

/* Known contents the .NET side checks field by field: a 64x48 rgb8 image whose byte i is (i * 7 + 3) % 256,
   a rational_polynomial camera and an odometry message with distinct values in every field. */
static int publish(const char *image_topic, const char *info_topic, const char *odom_topic)
{
  dds_entity_t pp = participant();
  dds_entity_t image_writer = endpoint(pp, &sensor_msgs_msg_dds__Image__desc, image_topic, true, ros_qos(true, false, 5));
  dds_entity_t info_writer = endpoint(pp, &sensor_msgs_msg_dds__CameraInfo__desc, info_topic, true, ros_qos(true, false, 5));
  dds_entity_t odom_writer = endpoint(pp, &nav_msgs_msg_dds__Odometry__desc, odom_topic, true, ros_qos(true, false, 10));
  printf("ready\n");
  fflush(stdout);
  wait_for_reader(image_writer);
  wait_for_reader(info_writer);
  wait_for_reader(odom_writer);

  static uint8_t pixels[64 * 48 * 3];
  for (uint32_t i = 0; i < sizeof(pixels); i++)
    pixels[i] = (uint8_t)((i * 7u + 3u) % 256u);
  sensor_msgs_msg_dds__Image_ image = {
    .header = { .stamp = { .sec = 1700000000, .nanosec = 123456789 }, .frame_id = "camera_optical" },
    .height = 48, .width = 64, .encoding = "rgb8", .is_bigendian = 0, .step = 64 * 3,
    .data = { ._maximum = sizeof(pixels), ._length = sizeof(pixels), ._buffer = pixels, ._release = false },
  };
  double d[8] = { 0.1, -0.2, 0.001, -0.002, 0.05, 0.01, -0.01, 0.002 };
  sensor_msgs_msg_dds__CameraInfo_ info = {
    .header = { .stamp = { .sec = 1700000000, .nanosec = 123456789 }, .frame_id = "camera_optical" },
    .height = 480, .width = 640, .distortion_model = "rational_polynomial",
    .d = { ._maximum = 8, ._length = 8, ._buffer = d, ._release = false },
    .k = { 525.5, 0, 319.5, 0, 526.25, 239.5, 0, 0, 1 },
    .r = { 1, 0, 0, 0, 1, 0, 0, 0, 1 },
    .p = { 525.5, 0, 319.5, 0, 0, 526.25, 239.5, 0, 0, 0, 1, 0 },
    .binning_x = 1, .binning_y = 2,
    .roi = { .x_offset = 3, .y_offset = 4, .height = 5, .width = 6, .do_rectify = true },
  };
  nav_msgs_msg_dds__Odometry_ odom = {
    .header = { .stamp = { .sec = 1700000001, .nanosec = 5 }, .frame_id = "odom" },
    .child_frame_id = "base_link",
    .pose = { .pose = { .position = { 1.5, -2.25, 0.125 }, .orientation = { 0.1, 0.2, 0.3, 0.9273618495495704 } } },
    .twist = { .twist = { .linear = { 0.5, 0.0, 0.0 }, .angular = { 0.0, 0.0, -0.25 } } },
  };
  for (int i = 0; i < 36; i++) {
    odom.pose.covariance[i] = i * 0.5;
    odom.twist.covariance[i] = -i * 0.25;
  }

  check(dds_write(info_writer, &info), "write camera_info");
  check(dds_write(odom_writer, &odom), "write odometry");
  check(dds_write(image_writer, &image), "write image");
  check(dds_wait_for_acks(info_writer, TIMEOUT), "acks");
  check(dds_wait_for_acks(odom_writer, TIMEOUT), "acks");
  check(dds_wait_for_acks(image_writer, TIMEOUT), "acks");
  dds_delete(pp);
  return 0;
}

/* The next valid sample of reader, on loan (give it back with dds_return_loan); fails with what after TIMEOUT. */
static void *take_one(dds_entity_t reader, const char *what)
{
  void *samples[1] = { NULL };
  dds_sample_info_t info;
  for (dds_time_t end = dds_time() + TIMEOUT;; dds_sleepfor(DDS_MSECS(5))) {
    if (dds_time() >= end)
      fail(what, DDS_RETCODE_TIMEOUT);
    if (dds_take(reader, samples, &info, 1, 1) > 0) {
      if (info.valid_data)
        return samples[0];
      dds_return_loan(reader, samples, 1);
      samples[0] = NULL;
    }
  }
}

static int echo(const char *in_topic, const char *out_topic)
{
  dds_entity_t pp = participant();
  dds_entity_t reader = endpoint(pp, &sensor_msgs_msg_dds__Image__desc, in_topic, false, ros_qos(true, false, 1));
  dds_entity_t writer = endpoint(pp, &sensor_msgs_msg_dds__Image__desc, out_topic, true, ros_qos(true, false, 1));
  printf("ready\n");
  fflush(stdout);
  wait_for_reader(writer);

  void *samples[1] = { take_one(reader, "no image arrived") };
  const sensor_msgs_msg_dds__Image_ *image = samples[0];
  printf("echo %" PRIu32 " %" PRIu32 " %s %" PRIu32 "\n", image->width, image->height, image->encoding, image->data._length);
  fflush(stdout);
  check(dds_write(writer, image), "write image");
  check(dds_wait_for_acks(writer, TIMEOUT), "acks");
  dds_return_loan(reader, samples, 1);
  dds_delete(pp);
  return 0;
}

/* The fields of one latched PointCloud2 and an FNV-1a hash of its data, so the .NET side can compare every byte. */
static int cloud(const char *topic)
{
  dds_entity_t pp = participant();
  dds_entity_t reader = endpoint(pp, &sensor_msgs_msg_dds__PointCloud2__desc, topic, false, ros_qos(true, true, 1));
  printf("ready\n");
  fflush(stdout);
  void *samples[1] = { take_one(reader, "no point cloud arrived") };
  const sensor_msgs_msg_dds__PointCloud2_ *c = samples[0];
  uint64_t hash = 14695981039346656037ull;
  for (uint32_t i = 0; i < c->data._length; i++)
    hash = (hash ^ c->data._buffer[i]) * 1099511628211ull;
  printf("cloud");
  print_header(&c->header);
  printf(" %" PRIu32 " %" PRIu32 " %d %" PRIu32 " %" PRIu32 " %d %" PRIu32 " %016" PRIx64 " %" PRIu32, c->height, c->width,
         c->is_bigendian, c->point_step, c->row_step, c->is_dense, c->data._length, hash, c->fields._length);
  for (uint32_t i = 0; i < c->fields._length; i++) {
    const sensor_msgs_msg_dds__PointField_ *f = &c->fields._buffer[i];
    printf(" %s %" PRIu32 " %u %" PRIu32, f->name, f->offset, (unsigned)f->datatype, f->count);
  }
  printf("\n");
  fflush(stdout);
  dds_return_loan(reader, samples, 1);
  dds_delete(pp);
  return 0;
}

int main(int argc, char **argv)
{
  if (argc == 5 && strcmp(argv[1], "receive") == 0)
    return receive(argv[2], argv[3], atoi(argv[4]));
  if (argc == 5 && strcmp(argv[1], "publish") == 0)
    return publish(argv[2], argv[3], argv[4]);
  if (argc == 4 && strcmp(argv[1], "echo") == 0)
    return echo(argv[2], argv[3]);
  if (argc == 3 && strcmp(argv[1], "cloud") == 0)
    return cloud(argv[2]);
  fprintf(stderr, "usage: peer receive POSE_TOPIC TF_TOPIC COUNT | publish IMAGE INFO ODOM | echo IN OUT | cloud TOPIC\n");
  return 2;
}
