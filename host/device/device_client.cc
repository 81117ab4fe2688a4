#include "host/device/device_client.h"

#include <algorithm>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <future>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "enum_names.h"
#include "google/protobuf/descriptor.h"
#include "host/device/host_time.h"
#include "rig/codec/frame_codec.h"
#include "rig/firmware/faults.h"
#include "rig/protocol/telemetry_columns.h"

namespace rollrig::host {
namespace {

using rollrig::v1::CommandAck;
using rollrig::v1::DeviceEvent;
using rollrig::v1::DeviceInfo;
using rollrig::v1::DeviceMessage;
using rollrig::v1::HostMessage;
using rollrig::v1::RigEvent;
using rollrig::v1::TelemetryBatch;

// The I/O thread reads into preallocated chunks; 64 x 16 KiB holds seconds of telemetry
// at 10 kHz, so a dispatcher hiccup never makes the host stop reading.
constexpr size_t kChunkBytes = 16 * 1024;
constexpr size_t kChunkCount = 64;
// How long one Read() may block: bounds how late the I/O thread sees a close request.
constexpr absl::Duration kReadTimeout = absl::Milliseconds(20);
// The dispatcher wakes at least this often to check deadlines, heartbeats and silence.
constexpr auto kDispatcherPeriod = std::chrono::milliseconds(5);
// When the dispatcher holds every chunk, the I/O thread waits this long and retries.
constexpr auto kNoFreeChunkWait = std::chrono::microseconds(500);
// Corrupt frames are reported as events at most this often (with counts in between).
constexpr int64_t kDecodeErrorEventIntervalNs = 1'000'000'000;
// The idle-gap rule (rig/codec/frame_codec.h): a partial frame pending this long with no
// frame completing is given up on, so the frames behind a header whose length was
// corrupted upwards are not held until kMaxPayload more bytes arrive. The device completes
// a frame at least every 10 ms (a telemetry batch) and even a maximum frame takes about
// 16 ms at full speed's ~1 MB/s, so 50 ms without one is a stall, not a frame in flight.
constexpr int64_t kStalledFrameNs = 50'000'000;

int64_t MonotonicNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t ToNanos(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

// What travels from the I/O thread to the dispatcher, in order: bytes, and the
// connection's beginning and end, so the dispatcher never mixes two connections.
enum class ChunkKind { kData, kOpened, kOpenFailed, kLost };

struct Chunk {
  ChunkKind kind = ChunkKind::kData;
  uint64_t connection = 0;  // which Open() this belongs to
  size_t size = 0;
  std::string error;  // kOpenFailed and kLost: why
  uint8_t data[kChunkBytes];
};

// The name of the command a HostMessage carries ("set_roller_speed").
std::string CommandName(const HostMessage& msg) {
  const auto* field = HostMessage::descriptor()->FindFieldByNumber(msg.body_case());
  return field != nullptr ? field->name() : "empty command";
}

// The command with its values ("set_roller_speed { rpm: 500 }"), for error messages.
std::string CommandText(const HostMessage& msg) {
  HostMessage body = msg;
  body.clear_command_id();
  return body.ShortDebugString();
}

absl::Status AckToStatus(const CommandAck& ack, const HostMessage& command) {
  using rollrig::v1::CommandResult;
  if (ack.result() == rollrig::v1::COMMAND_RESULT_OK) return absl::OkStatus();
  const std::string reason =
      ack.detail().empty() ? rollrig::v1::CommandResultDisplayName(ack.result()) : ack.detail();
  const std::string message = absl::StrCat("device refused ", CommandText(command), ": ", reason);
  switch (ack.result()) {
    case rollrig::v1::COMMAND_RESULT_OUT_OF_RANGE:
    case rollrig::v1::COMMAND_RESULT_BAD_REQUEST:
      return absl::InvalidArgumentError(message);
    case rollrig::v1::COMMAND_RESULT_FAULT_LATCHED:
    case rollrig::v1::COMMAND_RESULT_INTERLOCK_ACTIVE:
    case rollrig::v1::COMMAND_RESULT_BUSY:
    case rollrig::v1::COMMAND_RESULT_CONDITION_PERSISTS:
      return absl::FailedPreconditionError(message);
    case rollrig::v1::COMMAND_RESULT_UNSUPPORTED:
      return absl::UnimplementedError(message);
    default:
      return absl::UnknownError(message);
  }
}

const char* StateName(rollrig::v1::DeviceState state) {
  switch (state) {
    case rollrig::v1::DEVICE_STATE_IDLE:
      return "idle";
    case rollrig::v1::DEVICE_STATE_ACTIVE:
      return "active";
    case rollrig::v1::DEVICE_STATE_STOPPING:
      return "stopping";
    case rollrig::v1::DEVICE_STATE_FAULTED:
      return "faulted";
    default:
      return "unknown";
  }
}

// The display unit of DeviceEvent.value for each fault ("" = no value worth showing).
const char* FaultValueUnit(rollrig::v1::Fault fault) {
  switch (fault) {
    case rollrig::v1::FAULT_STALL:
      return "A";
    case rollrig::v1::FAULT_OVER_TEMPERATURE:
      return "°C";
    case rollrig::v1::FAULT_OVER_SPEED:
    case rollrig::v1::FAULT_ENCODER_LOSS:
      return "rpm";
    case rollrig::v1::FAULT_LOAD_CELL_SATURATION:
      return "N";
    case rollrig::v1::FAULT_HEAD_LIMIT:
      return "°";
    default:
      return "";
  }
}

std::string InterlockText(uint32_t interlocks) {
  std::vector<std::string> active;
  if (interlocks & (1u << rollrig::v1::INTERLOCK_ESTOP_BUTTON)) {
    active.push_back("e-stop button pressed");
  }
  if (interlocks & (1u << rollrig::v1::INTERLOCK_DOOR_OPEN)) active.push_back("guard door open");
  return active.empty() ? "clear" : absl::StrJoin(active, ", ");
}

// A readable one-line summary of a device event, e.g. "fault raised: stall (2.98 A)".
std::string DescribeDeviceEvent(const DeviceEvent& ev) {
  std::string text;
  switch (ev.kind()) {
    case rollrig::v1::DEVICE_EVENT_FAULT_RAISED: {
      text = absl::StrCat("fault raised: ",
                          firmware::FaultName(static_cast<firmware::Fault>(ev.fault())));
      const std::string unit = FaultValueUnit(ev.fault());
      if (!unit.empty()) absl::StrAppend(&text, absl::StrFormat(" (%.3g %s)", ev.value(), unit));
      break;
    }
    case rollrig::v1::DEVICE_EVENT_FAULTS_CLEARED:
      text = "faults cleared";
      break;
    case rollrig::v1::DEVICE_EVENT_STATE_CHANGED:
      text = absl::StrCat("state: ", StateName(ev.state()));
      break;
    case rollrig::v1::DEVICE_EVENT_INTERLOCK_CHANGED:
      text = absl::StrCat("interlocks: ", InterlockText(ev.interlocks()));
      break;
    case rollrig::v1::DEVICE_EVENT_BRIDGE_DISABLED:
      text = "motor bridge disabled";
      break;
    case rollrig::v1::DEVICE_EVENT_BOOTED:
      text = "device booted";
      break;
    case rollrig::v1::DEVICE_EVENT_PROGRAM_STARTED:
      text = absl::StrCat("program started at cycle ", ev.cycle());
      break;
    case rollrig::v1::DEVICE_EVENT_CYCLE_COMPLETED:
      text = absl::StrCat("cycle ", ev.cycle(), " completed");
      break;
    case rollrig::v1::DEVICE_EVENT_PROGRAM_PAUSED:
      text = absl::StrCat("program paused in cycle ", ev.cycle());
      break;
    case rollrig::v1::DEVICE_EVENT_PROGRAM_RESUMED:
      text = absl::StrCat("program resumed in cycle ", ev.cycle());
      break;
    case rollrig::v1::DEVICE_EVENT_PROGRAM_FINISHED:
      text = "program finished";
      break;
    case rollrig::v1::DEVICE_EVENT_PROGRAM_ABORTED:
      text = absl::StrCat("program aborted in cycle ", ev.cycle());
      break;
    default:
      text = absl::StrCat("device event ", static_cast<int>(ev.kind()));
      break;
  }
  // The device's own words add to the summary only where they carry more (what is still
  // latched, the firmware version, why a program ended); elsewhere they repeat it.
  const bool detail_adds = ev.kind() == rollrig::v1::DEVICE_EVENT_FAULTS_CLEARED ||
                           ev.kind() == rollrig::v1::DEVICE_EVENT_BOOTED ||
                           ev.kind() == rollrig::v1::DEVICE_EVENT_PROGRAM_ABORTED;
  if (detail_adds && !ev.detail().empty()) absl::StrAppend(&text, ": ", ev.detail());
  return text;
}

struct PendingCommand {
  int64_t deadline_ns = 0;
  HostMessage msg;
  std::function<void(absl::Status)> done;
};

struct QueuedCommand {
  HostMessage msg;
  std::function<void(absl::Status)> done;
};

}  // namespace

struct DeviceClient::Impl {
  Impl(DeviceClient* owner, std::unique_ptr<Transport> transport_in,
       DeviceClientOptions options_in);

  // ---- I/O thread ----
  void IoLoop();
  // Waits for a free chunk (the dispatcher returns them); null once stopping.
  Chunk* TakeFreeChunk();
  void Post(Chunk* chunk);

  // ---- dispatcher thread ----
  void DispatchLoop();
  void HandleChunk(Chunk& chunk, int64_t now);
  void HandleFrame(const uint8_t* payload, size_t size);
  void OnDeviceInfo(const DeviceInfo& info);
  // Another device, or the same one rebooted: forget its sequence and targets, and say so.
  void AnnounceNewDevice(const std::string& message);
  void OnAck(const CommandAck& ack);
  void OnTelemetry(const TelemetryBatch& batch);
  void OnDeviceEvent(const DeviceEvent& ev);
  // The first batch after a lost device came back: publishes RIG_EVENT_DEVICE_GAP and
  // returns the samples missed (by the counter when the same boot kept counting, else
  // estimated from the telemetry rate).
  uint64_t CloseDeviceGap(uint64_t first_seq, int64_t now_ns);
  void SendQueuedCommands(int64_t now);
  // Sends a requested e-stop now, ahead of everything else (cheap when none is pending).
  void SendPriorityEStop();
  // Why an e-stop cannot be delivered, and what stops the motors instead.
  std::string EStopUnreachable(const std::string& why) const;
  void CheckTimers(int64_t now);
  void PublishDecoderCounters(int64_t now);
  void AbandonStalledFrame(int64_t now);
  // `written_ns` (optional) gets the steady_clock time the frame went to Write().
  absl::Status Send(HostMessage& msg, int64_t* written_ns = nullptr);
  // Ends the session: reports the loss, fails pending commands; `close` asks the I/O
  // thread to close the transport (it already has when the transport failed).
  void DeviceLost(const std::string& reason, bool close);
  void FailPending(const absl::Status& status);
  void UpdateTargetsAfterAck(const HostMessage& msg);
  void PublishEvent(RigEvent e) { owner->events_.Publish(std::move(e)); }

  DeviceClient* const owner;
  const std::unique_ptr<Transport> transport;
  const DeviceClientOptions options;
  const std::string description;

  std::mutex lifecycle_mu;
  bool started = false;
  bool stopped = false;
  std::atomic<bool> stopping{false};
  std::thread io_thread;
  std::thread dispatcher_thread;

  // Chunks go I/O -> dispatcher through `filled` and come back through `free_chunks`;
  // both rings are single-producer/single-consumer and never full (they can hold
  // every chunk).
  std::vector<std::unique_ptr<Chunk>> chunk_storage;
  boost::lockfree::spsc_queue<Chunk*> filled{kChunkCount};
  boost::lockfree::spsc_queue<Chunk*> free_chunks{kChunkCount};
  // The connection the dispatcher wants closed (0 = none).
  std::atomic<uint64_t> close_request{0};

  // Wakes the dispatcher; also guards the outbox of commands from other threads.
  std::mutex wake_mu;
  std::condition_variable wake_cv;
  bool wake = false;
  bool accepting_commands = false;
  std::vector<QueuedCommand> outbox;
  // The e-stop's priority slot: every caller waiting for the next e-stop frame and when
  // the first of them asked; estop_pending lets the dispatcher skip the lock when empty.
  std::vector<std::function<void(absl::Status)>> estop_waiters;
  int64_t estop_requested_ns = 0;
  std::atomic<bool> estop_pending{false};
  std::atomic<uint32_t> next_command_id{1};
  mutable std::mutex estop_timing_mu;
  std::optional<EStopTiming> estop_timing;

  mutable std::mutex snapshot_mu;  // held only to copy in or out
  std::condition_variable connected_cv;
  DeviceSnapshot snapshot;

  // Dispatcher-only state.
  codec::FrameDecoder decoder;
  DeviceMessage rx_message;
  std::vector<firmware::TelemetrySample> unpacked;
  std::vector<Sample> samples;
  std::string tx_payload;
  std::vector<uint8_t> tx_frame;
  uint32_t tx_seq = 0;
  uint64_t connection = 0;      // the transport connection being served
  bool session_active = false;  // bytes of `connection` are wanted
  bool handshaken = false;      // DeviceInfo received on this connection
  bool ever_connected = false;
  uint32_t hello_command_id = 0;
  int64_t handshake_deadline_ns = 0;
  int64_t last_rx_ns = 0;
  int64_t next_heartbeat_ns = 0;
  bool have_boot_id = false;
  uint64_t boot_id = 0;
  bool have_expected_seq = false;
  uint64_t expected_seq = 0;
  // The serial of the device last handshaken with ("" = none yet).
  std::string serial;
  // A device gap: the session was lost after a handshake; set until the first telemetry
  // batch of a later session measures it (one gap however many sessions fail between).
  bool gap_open = false;
  int64_t last_sample_ns = 0;          // monotonic time of the last telemetry batch
  int64_t gap_since_ns = 0;            // last_sample_ns when the gap opened
  double gap_sample_rate_hz = 0;       // the telemetry rate before the gap
  bool gap_counter_continues = false;  // same boot and serial: the counter tells the gap
  double sample_rate_hz = 0;           // from the batches (sample_period_us) or DeviceInfo
  std::unordered_map<uint32_t, PendingCommand> pending;
  uint64_t unparsable_frames = 0;
  uint64_t reported_frame_errors = 0;
  int64_t last_decode_event_ns = std::numeric_limits<int64_t>::min() / 2;
  uint64_t published_frames_dropped = 0;
  uint64_t published_bytes_dropped = 0;
  // The idle-gap timer: when the decoder last held nothing or completed a frame.
  int64_t decoder_progress_ns = 0;
  uint64_t decoder_progress_frames = 0;
  uint64_t decoder_progress_connection = 0;
};

DeviceClient::Impl::Impl(DeviceClient* owner_in, std::unique_ptr<Transport> transport_in,
                         DeviceClientOptions options_in)
    : owner(owner_in),
      transport(std::move(transport_in)),
      options(std::move(options_in)),
      description(transport->Describe()) {
  chunk_storage.reserve(kChunkCount);
  for (size_t i = 0; i < kChunkCount; ++i) {
    chunk_storage.push_back(std::make_unique<Chunk>());
    free_chunks.push(chunk_storage.back().get());
  }
  samples.reserve(1024);
  unpacked.reserve(1024);
  snapshot.transport = description;
  snapshot.detail = "not started";
}

// ---------------------------------------------------------------------------------------
// I/O thread

Chunk* DeviceClient::Impl::TakeFreeChunk() {
  Chunk* chunk = nullptr;
  while (!free_chunks.pop(chunk)) {
    if (stopping.load(std::memory_order_acquire)) return nullptr;
    // Never drop: the device buffers while we wait for the dispatcher to catch up.
    std::this_thread::sleep_for(kNoFreeChunkWait);
  }
  return chunk;
}

void DeviceClient::Impl::Post(Chunk* chunk) {
  filled.push(chunk);  // cannot fail: the ring holds every chunk
  {
    std::lock_guard<std::mutex> lock(wake_mu);
    wake = true;
  }
  wake_cv.notify_one();
}

void DeviceClient::Impl::IoLoop() {
  uint64_t conn = 0;
  bool open = false;
  int64_t next_open_ns = 0;
  Chunk* chunk = nullptr;
  auto post_marker = [&](ChunkKind kind, std::string error) {
    if (chunk == nullptr) chunk = TakeFreeChunk();
    if (chunk == nullptr) return;
    chunk->kind = kind;
    chunk->connection = conn;
    chunk->size = 0;
    chunk->error = std::move(error);
    Post(chunk);
    chunk = nullptr;
  };
  const int64_t reconnect_ns = ToNanos(options.reconnect_period);

  while (!stopping.load(std::memory_order_acquire)) {
    if (!open) {
      if (MonotonicNanos() < next_open_ns) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      absl::Status status = transport->Open();
      if (stopping.load(std::memory_order_acquire)) break;
      ++conn;
      if (!status.ok()) {
        post_marker(ChunkKind::kOpenFailed, std::string(status.message()));
        next_open_ns = MonotonicNanos() + reconnect_ns;
        continue;
      }
      open = true;
      post_marker(ChunkKind::kOpened, "");
      continue;
    }
    if (close_request.load(std::memory_order_acquire) == conn) {
      transport->Close();
      open = false;
      next_open_ns = MonotonicNanos() + reconnect_ns;
      post_marker(ChunkKind::kLost, "closed by the client");
      continue;
    }
    if (chunk == nullptr) chunk = TakeFreeChunk();
    if (chunk == nullptr) break;
    absl::StatusOr<size_t> got = transport->Read(chunk->data, kChunkBytes, kReadTimeout);
    if (!got.ok()) {
      if (stopping.load(std::memory_order_acquire)) break;
      transport->Close();
      open = false;
      next_open_ns = MonotonicNanos() + reconnect_ns;
      post_marker(ChunkKind::kLost, std::string(got.status().message()));
      continue;
    }
    if (*got == 0) continue;
    chunk->kind = ChunkKind::kData;
    chunk->connection = conn;
    chunk->size = *got;
    Post(chunk);
    chunk = nullptr;
  }
  // A chunk still held here stays owned by chunk_storage; nothing more is read.
}

// ---------------------------------------------------------------------------------------
// Dispatcher thread

void DeviceClient::Impl::DispatchLoop() {
  for (;;) {
    const int64_t now = MonotonicNanos();
    Chunk* chunk = nullptr;
    size_t handled = 0;
    SendPriorityEStop();
    // Bounded, so timers still run when the device floods us.
    while (handled < kChunkCount && filled.pop(chunk)) {
      HandleChunk(*chunk, now);
      chunk->error.clear();
      free_chunks.push(chunk);
      ++handled;
      SendPriorityEStop();
    }
    const int64_t after = MonotonicNanos();
    SendQueuedCommands(after);
    CheckTimers(after);
    AbandonStalledFrame(after);
    PublishDecoderCounters(after);
    if (stopping.load(std::memory_order_acquire)) break;
    if (handled == kChunkCount) continue;
    std::unique_lock<std::mutex> lock(wake_mu);
    wake_cv.wait_for(lock, kDispatcherPeriod,
                     [&] { return wake || stopping.load(std::memory_order_acquire); });
    wake = false;
  }

  std::vector<QueuedCommand> unsent;
  std::vector<std::function<void(absl::Status)>> unsent_estops;
  {
    std::lock_guard<std::mutex> lock(wake_mu);
    accepting_commands = false;
    unsent.swap(outbox);
    unsent_estops.swap(estop_waiters);
    estop_pending.store(false, std::memory_order_relaxed);
  }
  const absl::Status stopped = absl::UnavailableError("device client stopped");
  for (auto& c : unsent) {
    if (c.done) c.done(stopped);
  }
  const absl::Status estop_stopped =
      absl::UnavailableError(EStopUnreachable("the device client stopped"));
  for (auto& done : unsent_estops) done(estop_stopped);
  FailPending(stopped);
}

void DeviceClient::Impl::HandleChunk(Chunk& chunk, int64_t now) {
  switch (chunk.kind) {
    case ChunkKind::kOpenFailed: {
      std::lock_guard<std::mutex> lock(snapshot_mu);
      snapshot.detail = chunk.error;
      return;
    }
    case ChunkKind::kOpened: {
      connection = chunk.connection;
      session_active = true;
      handshaken = false;
      decoder.Reset();
      last_rx_ns = now;
      handshake_deadline_ns = now + ToNanos(options.handshake_timeout);
      next_heartbeat_ns = now + ToNanos(options.heartbeat_period);
      {
        std::lock_guard<std::mutex> lock(snapshot_mu);
        snapshot.detail = absl::StrCat("handshaking with the device on ", description);
      }
      HostMessage hello;
      hello_command_id = next_command_id.fetch_add(1);
      if (hello_command_id == 0) hello_command_id = next_command_id.fetch_add(1);
      hello.set_command_id(hello_command_id);
      hello.mutable_hello()->set_protocol_version(rollrig::v1::PROTOCOL_VERSION_CURRENT);
      hello.mutable_hello()->set_host_name(options.host_name);
      hello.mutable_hello()->set_watchdog_ms(options.watchdog_ms);
      absl::Status status = Send(hello);
      if (!status.ok()) DeviceLost(std::string(status.message()), /*close=*/true);
      return;
    }
    case ChunkKind::kLost:
      if (chunk.connection == connection && session_active) {
        DeviceLost(chunk.error, /*close=*/false);
      }
      return;
    case ChunkKind::kData:
      break;
  }
  if (chunk.connection != connection || !session_active) return;  // a closed connection's
  last_rx_ns = now;
  const uint8_t* data = chunk.data;
  size_t left = chunk.size;
  while (left > 0 && session_active) {
    const size_t taken = decoder.Feed(data, left);
    data += taken;
    left -= taken;
    codec::Frame frame;
    bool any = false;
    while (session_active && decoder.Next(&frame)) {
      any = true;
      HandleFrame(frame.payload, frame.size);
    }
    if (taken == 0 && !any) break;  // cannot happen per the decoder's contract; never spin
  }
}

void DeviceClient::Impl::HandleFrame(const uint8_t* payload, size_t size) {
  if (!rx_message.ParseFromArray(payload, static_cast<int>(size))) {
    ++unparsable_frames;
    return;
  }
  switch (rx_message.body_case()) {
    case DeviceMessage::kDeviceInfo:
      OnDeviceInfo(rx_message.device_info());
      break;
    case DeviceMessage::kAck:
      OnAck(rx_message.ack());
      break;
    case DeviceMessage::kTelemetry:
      OnTelemetry(rx_message.telemetry());
      break;
    case DeviceMessage::kEvent:
      OnDeviceEvent(rx_message.event());
      break;
    default:
      ++unparsable_frames;
      break;
  }
}

void DeviceClient::Impl::AnnounceNewDevice(const std::string& message) {
  have_expected_seq = false;
  {
    std::lock_guard<std::mutex> lock(snapshot_mu);
    snapshot.roller_rpm_target = 0;
    snapshot.head_deg_target = 0;
    snapshot.preload_n_target = 0;
  }
  RigEvent e;
  e.set_kind(rollrig::v1::RIG_EVENT_DEVICE);
  e.mutable_device()->set_kind(rollrig::v1::DEVICE_EVENT_BOOTED);
  e.set_message(message);
  PublishEvent(std::move(e));
}

void DeviceClient::Impl::OnDeviceInfo(const DeviceInfo& info) {
  if (info.protocol_version() != rollrig::v1::PROTOCOL_VERSION_CURRENT) {
    DeviceLost(absl::StrFormat("the device on %s speaks protocol version %u; this host speaks "
                               "version %d (update the firmware or rigd)",
                               description, info.protocol_version(),
                               static_cast<int>(rollrig::v1::PROTOCOL_VERSION_CURRENT)),
               /*close=*/true);
    return;
  }
  const bool other_device = !serial.empty() && info.serial() != serial;
  const bool reset = have_boot_id && info.boot_id() != boot_id;
  if (other_device) {
    // Another device's counter says nothing about the samples the old one missed.
    AnnounceNewDevice(absl::StrCat("a different device is connected: serial ", info.serial(),
                                   " (was ", serial, ")"));
  } else if (reset) {
    // Counters restart with a new boot: the old expectation would count a false gap.
    AnnounceNewDevice(absl::StrFormat(
        "device reset (boot reason: %s): boot id changed from %016x to %016x",
        rollrig::v1::BootReasonDisplayName(info.boot_reason()), boot_id, info.boot_id()));
  }
  have_boot_id = true;
  boot_id = info.boot_id();
  serial = info.serial();
  if (info.capabilities().telemetry_hz() > 0 && sample_rate_hz <= 0) {
    sample_rate_hz = info.capabilities().telemetry_hz();
  }
  if (gap_open) gap_counter_continues = gap_counter_continues && !reset && !other_device;
  const bool now_connected = !handshaken;
  handshaken = true;
  if (now_connected) {
    // Published before the state turns CONNECTED, so whoever saw WaitConnected() return
    // also finds the event.
    RigEvent e;
    e.set_kind(rollrig::v1::RIG_EVENT_CONNECTED);
    e.set_message(absl::StrFormat("connected to %s %s %s (firmware %s) on %s", info.vendor(),
                                  info.model(), info.serial(), info.firmware_version(),
                                  description));
    PublishEvent(std::move(e));
    ever_connected = true;
  }
  {
    std::lock_guard<std::mutex> lock(snapshot_mu);
    snapshot.info = info;
    if (now_connected) {
      snapshot.connection = rollrig::v1::CONNECTION_STATE_CONNECTED;
      snapshot.detail.clear();
    }
  }
  if (now_connected) connected_cv.notify_all();
}

void DeviceClient::Impl::OnAck(const CommandAck& ack) {
  if (ack.command_id() == hello_command_id && hello_command_id != 0) {
    if (ack.result() != rollrig::v1::COMMAND_RESULT_OK) {
      DeviceLost(
          absl::StrCat("the device on ", description, " refused Hello: ",
                       ack.detail().empty() ? rollrig::v1::CommandResultDisplayName(ack.result())
                                            : ack.detail()),
          /*close=*/true);
    }
    return;
  }
  auto it = pending.find(ack.command_id());
  if (it == pending.end()) return;  // late: it already timed out
  PendingCommand command = std::move(it->second);
  pending.erase(it);
  absl::Status status = AckToStatus(ack, command.msg);
  if (status.ok()) UpdateTargetsAfterAck(command.msg);
  if (command.done) command.done(std::move(status));
}

void DeviceClient::Impl::UpdateTargetsAfterAck(const HostMessage& msg) {
  std::lock_guard<std::mutex> lock(snapshot_mu);
  switch (msg.body_case()) {
    case HostMessage::kSetRollerSpeed:
      snapshot.roller_rpm_target = msg.set_roller_speed().rpm();
      break;
    case HostMessage::kSetHeadAngle:
      snapshot.head_deg_target = msg.set_head_angle().deg();
      break;
    case HostMessage::kSetPreload:
      snapshot.preload_n_target = msg.set_preload().newtons();
      break;
    case HostMessage::kStop:
    case HostMessage::kEstop:
      snapshot.roller_rpm_target = 0;
      break;
    case HostMessage::kClearFaults:
      // Acknowledged means cleared: the device is idle with nothing latched (the next
      // batch says so too; this keeps a status read right after the ack from lagging).
      snapshot.faults = 0;
      snapshot.state = rollrig::v1::DEVICE_STATE_IDLE;
      // The firmware sets every target to the present measurement, so nothing moves.
      snapshot.roller_rpm_target = 0;
      if (snapshot.have_last) {
        snapshot.head_deg_target = snapshot.last.head_deg;
        snapshot.preload_n_target = snapshot.last.force_n;
      }
      break;
    default:
      break;
  }
}

void DeviceClient::Impl::OnTelemetry(const TelemetryBatch& batch) {
  unpacked.clear();
  if (!protocol::UnpackTelemetryBatch(batch, &unpacked).ok()) {
    ++unparsable_frames;
    return;
  }
  const size_t n = unpacked.size();
  const uint64_t first = batch.first_sample_seq();
  const int64_t now_ns = MonotonicNanos();
  if (batch.sample_period_us() > 0) sample_rate_hz = 1e6 / batch.sample_period_us();
  uint64_t lost = 0;
  // Batches ahead of the handshake wait: only DeviceInfo tells a reset or another device.
  const bool gap_waits = gap_open && !handshaken;
  if (gap_open) {
    if (handshaken) lost = CloseDeviceGap(first, now_ns);
  } else if (have_expected_seq && first > expected_seq) {
    lost = first - expected_seq;
    RigEvent e;
    e.set_kind(rollrig::v1::RIG_EVENT_TELEMETRY_GAP);
    e.set_gap_first_seq(expected_seq);
    e.set_gap_samples(lost);
    e.set_message(absl::StrFormat("telemetry gap: %u samples lost (seq %u to %u)", lost,
                                  expected_seq, first - 1));
    PublishEvent(std::move(e));
  }
  // A counter that goes back means a reset whose DeviceInfo we have not seen: restart.
  if (!gap_waits && (n > 0 || !have_expected_seq)) {
    expected_seq = first + n;
    have_expected_seq = true;
  }
  if (!gap_waits) last_sample_ns = now_ns;

  const int64_t received_ns = HostTimeNanos();
  samples.resize(n);
  for (size_t i = 0; i < n; ++i) {
    static_cast<firmware::TelemetrySample&>(samples[i]) = unpacked[i];
    samples[i].host_time_ns = received_ns;
  }
  owner->telemetry_.Publish(samples.data(), n);

  std::lock_guard<std::mutex> lock(snapshot_mu);
  snapshot.samples_received += n;
  snapshot.samples_lost += lost;
  if (n > 0) {
    snapshot.last = samples.back();
    snapshot.have_last = true;
  }
  snapshot.state = batch.state();
  snapshot.faults = batch.faults();
  snapshot.interlocks = batch.interlocks();
  snapshot.program_state = batch.program_state();
  snapshot.program_id = batch.program_id();
  if (n > 0) {
    snapshot.cycle = samples.back().cycle;
    snapshot.segment = samples.back().segment;
  }
}

uint64_t DeviceClient::Impl::CloseDeviceGap(uint64_t first_seq, int64_t now_ns) {
  gap_open = false;
  const int64_t gap_ns = std::max<int64_t>(0, now_ns - gap_since_ns);
  const double rate_hz = gap_sample_rate_hz > 0 ? gap_sample_rate_hz : sample_rate_hz;
  const bool by_counter = gap_counter_continues && have_expected_seq && first_seq >= expected_seq;
  uint64_t missing = 0;
  std::string how;
  if (by_counter) {
    missing = first_seq - expected_seq;
    how = missing == 0 ? "" : absl::StrFormat(" (seq %u to %u)", expected_seq, first_seq - 1);
  } else {
    // The time between the last sample before and the first after spans the missing
    // samples plus one period.
    const double periods = rate_hz > 0 ? static_cast<double>(gap_ns) * 1e-9 * rate_hz : 0;
    missing = periods > 1 ? static_cast<uint64_t>(std::llround(periods - 1)) : 0;
    how = absl::StrFormat(" (estimated from %.0f Hz telemetry: the device's counter %s)", rate_hz,
                          gap_counter_continues ? "went back" : "restarted or is another device's");
  }
  RigEvent e;
  e.set_kind(rollrig::v1::RIG_EVENT_DEVICE_GAP);
  e.set_gap_ns(gap_ns);
  e.set_gap_samples(missing);
  if (by_counter) e.set_gap_first_seq(expected_seq);
  e.set_message(absl::StrFormat("device gap: %s %s was gone for %.3f s, %u samples missing%s",
                                description, serial, static_cast<double>(gap_ns) * 1e-9, missing,
                                how));
  PublishEvent(std::move(e));
  return missing;
}

void DeviceClient::Impl::OnDeviceEvent(const DeviceEvent& ev) {
  {
    std::lock_guard<std::mutex> lock(snapshot_mu);
    snapshot.state = ev.state();
    snapshot.faults = ev.faults();
    snapshot.interlocks = ev.interlocks();
    // Any fault stops the roller; the jog is no longer in force.
    if (ev.kind() == rollrig::v1::DEVICE_EVENT_FAULT_RAISED) snapshot.roller_rpm_target = 0;
  }
  RigEvent e;
  e.set_kind(rollrig::v1::RIG_EVENT_DEVICE);
  *e.mutable_device() = ev;
  e.set_message(DescribeDeviceEvent(ev));
  PublishEvent(std::move(e));
  // The device rebooted under this session (its hardware watchdog, a brown-out) without
  // the link dropping: its setpoints, program and counters are gone, so the session is
  // too. Ending it takes the path of any lost device: a gap, a new handshake (which sets
  // the watchdog again), and a run following its on-disconnect policy.
  const bool rebooted = ev.kind() == rollrig::v1::DEVICE_EVENT_BOOTED && handshaken &&
                        have_boot_id && ev.boot_id() != 0 && ev.boot_id() != boot_id;
  if (rebooted) {
    DeviceLost(absl::StrCat("the device rebooted (boot reason: ",
                            rollrig::v1::BootReasonDisplayName(ev.boot_reason()), ")"),
               /*close=*/true);
  }
}

void DeviceClient::Impl::SendQueuedCommands(int64_t now) {
  std::vector<QueuedCommand> queued;
  {
    std::lock_guard<std::mutex> lock(wake_mu);
    if (outbox.empty()) return;
    queued.swap(outbox);
  }
  for (auto& c : queued) {
    SendPriorityEStop();
    if (!handshaken) {
      std::string detail;
      {
        std::lock_guard<std::mutex> lock(snapshot_mu);
        detail = snapshot.detail;
      }
      if (c.done) {
        c.done(absl::UnavailableError(absl::StrCat("not connected to the device on ", description,
                                                   detail.empty() ? "" : ": ", detail)));
      }
      continue;
    }
    absl::Status status = Send(c.msg);
    if (!status.ok()) {
      if (c.done) c.done(status);
      // A command too large for a frame is a bad request, not a lost device.
      if (!absl::IsInvalidArgument(status)) {
        DeviceLost(std::string(status.message()), /*close=*/true);
      }
      continue;
    }
    const uint32_t id = c.msg.command_id();
    pending[id] =
        PendingCommand{now + ToNanos(options.command_timeout), std::move(c.msg), std::move(c.done)};
  }
}

void DeviceClient::Impl::SendPriorityEStop() {
  if (!estop_pending.load(std::memory_order_acquire)) return;
  std::vector<std::function<void(absl::Status)>> waiters;
  int64_t requested_ns = 0;
  {
    std::lock_guard<std::mutex> lock(wake_mu);
    waiters.swap(estop_waiters);
    requested_ns = estop_requested_ns;
    estop_pending.store(false, std::memory_order_relaxed);
  }
  if (waiters.empty()) return;
  auto answer_all = [waiters = std::move(waiters)](const absl::Status& status) {
    for (const auto& done : waiters) done(status);
  };
  if (!handshaken) {
    std::string detail;
    {
      std::lock_guard<std::mutex> lock(snapshot_mu);
      detail = snapshot.detail;
    }
    answer_all(absl::UnavailableError(EStopUnreachable(
        absl::StrCat("no device connected on ", description, detail.empty() ? "" : ": ", detail))));
    return;
  }
  // No text travels to the device: the frame is the command id and an empty EStop.
  HostMessage msg;
  uint32_t id = next_command_id.fetch_add(1);
  if (id == 0) id = next_command_id.fetch_add(1);
  msg.set_command_id(id);
  msg.mutable_estop();
  int64_t written_ns = 0;
  absl::Status status = Send(msg, &written_ns);
  if (!status.ok()) {
    answer_all(absl::UnavailableError(EStopUnreachable(std::string(status.message()))));
    DeviceLost(std::string(status.message()), /*close=*/true);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(estop_timing_mu);
    estop_timing = EStopTiming{.requested_ns = requested_ns, .written_ns = written_ns};
  }
  pending[id] = PendingCommand{MonotonicNanos() + ToNanos(options.command_timeout), std::move(msg),
                               std::move(answer_all)};
}

std::string DeviceClient::Impl::EStopUnreachable(const std::string& why) const {
  const std::string watchdog =
      options.watchdog_ms > 0
          ? absl::StrCat("within ", options.watchdog_ms, " ms (its watchdog timeout)")
          : std::string("after its own watchdog timeout");
  return absl::StrCat("e-stop not delivered: ", why,
                      "; the device's watchdog stops the motors by itself ", watchdog,
                      " of rigd's last message");
}

absl::Status DeviceClient::Impl::Send(HostMessage& msg, int64_t* written_ns) {
  tx_payload.clear();
  if (!msg.SerializeToString(&tx_payload)) {
    return absl::InternalError(absl::StrCat("cannot serialize ", CommandName(msg)));
  }
  tx_frame.clear();
  if (!codec::AppendFrame(tx_seq, reinterpret_cast<const uint8_t*>(tx_payload.data()),
                          tx_payload.size(), &tx_frame)) {
    return absl::InvalidArgumentError(
        absl::StrCat(CommandName(msg), " is too large for one frame"));
  }
  ++tx_seq;
  if (written_ns != nullptr) *written_ns = MonotonicNanos();
  absl::Status status = transport->Write(tx_frame.data(), tx_frame.size());
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot send ", CommandName(msg), ": ", status.message()));
  }
  return absl::OkStatus();
}

void DeviceClient::Impl::CheckTimers(int64_t now) {
  if (session_active) {
    if (!handshaken && now >= handshake_deadline_ns) {
      DeviceLost(absl::StrCat("no answer to Hello from the device on ", description, " within ",
                              absl::FormatDuration(options.handshake_timeout)),
                 /*close=*/true);
    } else if (handshaken && now - last_rx_ns >= ToNanos(options.silence_timeout)) {
      DeviceLost(absl::StrCat("the device on ", description, " sent nothing for ",
                              absl::FormatDuration(options.silence_timeout)),
                 /*close=*/true);
    }
  }
  if (session_active && now >= next_heartbeat_ns) {
    SendPriorityEStop();
    HostMessage heartbeat;
    heartbeat.mutable_heartbeat()->set_host_time_ns(static_cast<uint64_t>(HostTimeNanos()));
    absl::Status status = Send(heartbeat);
    next_heartbeat_ns = now + ToNanos(options.heartbeat_period);
    if (!status.ok()) DeviceLost(std::string(status.message()), /*close=*/true);
  }
  for (auto it = pending.begin(); it != pending.end();) {
    if (now < it->second.deadline_ns) {
      ++it;
      continue;
    }
    PendingCommand command = std::move(it->second);
    it = pending.erase(it);
    if (command.done) {
      command.done(absl::DeadlineExceededError(
          absl::StrCat("the device did not acknowledge ", CommandName(command.msg), " within ",
                       absl::FormatDuration(options.command_timeout))));
    }
  }
}

void DeviceClient::Impl::PublishDecoderCounters(int64_t now) {
  const codec::DecoderStats& stats = decoder.stats();
  const uint64_t frame_errors =
      stats.crc_errors + stats.bad_headers + stats.abandoned_frames + unparsable_frames;
  if (frame_errors != published_frames_dropped || stats.bytes_dropped != published_bytes_dropped) {
    published_frames_dropped = frame_errors;
    published_bytes_dropped = stats.bytes_dropped;
    std::lock_guard<std::mutex> lock(snapshot_mu);
    snapshot.frames_dropped = frame_errors;
    snapshot.bytes_dropped = stats.bytes_dropped;
  }
  if (frame_errors > reported_frame_errors &&
      now - last_decode_event_ns >= kDecodeErrorEventIntervalNs) {
    RigEvent e;
    e.set_kind(rollrig::v1::RIG_EVENT_DECODE_ERROR);
    e.set_message(absl::StrFormat(
        "%u corrupt frame(s) dropped from the device on %s (%u in total, %u bytes skipped)",
        frame_errors - reported_frame_errors, description, frame_errors, stats.bytes_dropped));
    PublishEvent(std::move(e));
    reported_frame_errors = frame_errors;
    last_decode_event_ns = now;
  }
}

void DeviceClient::Impl::AbandonStalledFrame(int64_t now) {
  // Measured here, after the chunks at hand are decoded, so a slow pass over a backlog
  // never looks like a stall.
  const uint64_t frames = decoder.stats().frames;
  if (!session_active || decoder.buffered_bytes() == 0 || frames != decoder_progress_frames ||
      connection != decoder_progress_connection) {
    decoder_progress_ns = now;
    decoder_progress_frames = frames;
    decoder_progress_connection = connection;
    return;
  }
  if (now - decoder_progress_ns < kStalledFrameNs) return;
  decoder.AbandonPartialFrame();
  codec::Frame frame;
  while (session_active && decoder.Next(&frame)) HandleFrame(frame.payload, frame.size);
  decoder_progress_ns = now;
  decoder_progress_frames = decoder.stats().frames;
}

void DeviceClient::Impl::DeviceLost(const std::string& reason, bool close) {
  if (!session_active) return;
  session_active = false;
  const bool was_connected = handshaken;
  handshaken = false;
  if (close) close_request.store(connection, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(snapshot_mu);
    snapshot.connection = ever_connected ? rollrig::v1::CONNECTION_STATE_DISCONNECTED
                                         : rollrig::v1::CONNECTION_STATE_CONNECTING;
    snapshot.detail = reason;
  }
  FailPending(absl::UnavailableError(absl::StrCat("device lost: ", reason)));
  if (was_connected && !gap_open) {
    gap_open = true;
    gap_since_ns = last_sample_ns > 0 ? last_sample_ns : MonotonicNanos();
    gap_sample_rate_hz = sample_rate_hz;
    gap_counter_continues = have_expected_seq;
  }
  if (was_connected) {
    RigEvent e;
    e.set_kind(rollrig::v1::RIG_EVENT_DISCONNECTED);
    e.set_message(absl::StrCat("device lost: ", reason));
    PublishEvent(std::move(e));
  }
}

void DeviceClient::Impl::FailPending(const absl::Status& status) {
  std::unordered_map<uint32_t, PendingCommand> failed;
  failed.swap(pending);
  for (auto& [id, command] : failed) {
    if (command.done) command.done(status);
  }
}

// ---------------------------------------------------------------------------------------
// Public API

DeviceClient::DeviceClient(std::unique_ptr<Transport> transport, DeviceClientOptions options)
    : impl_(std::make_unique<Impl>(this, std::move(transport), std::move(options))) {}

DeviceClient::~DeviceClient() { Stop(); }

void DeviceClient::Start() {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mu);
  if (impl_->started || impl_->stopped) return;
  impl_->started = true;
  {
    std::lock_guard<std::mutex> snapshot_lock(impl_->snapshot_mu);
    impl_->snapshot.detail = absl::StrCat("opening ", impl_->description);
  }
  {
    std::lock_guard<std::mutex> wake_lock(impl_->wake_mu);
    impl_->accepting_commands = true;
  }
  impl_->dispatcher_thread = std::thread([this] { impl_->DispatchLoop(); });
  impl_->io_thread = std::thread([this] { impl_->IoLoop(); });
}

absl::Status DeviceClient::WaitConnected(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(impl_->snapshot_mu);
  const bool connected = impl_->connected_cv.wait_for(
      lock, absl::ToChronoNanoseconds(timeout),
      [&] { return impl_->snapshot.connection == rollrig::v1::CONNECTION_STATE_CONNECTED; });
  if (connected) return absl::OkStatus();
  const std::string& detail = impl_->snapshot.detail;
  return absl::UnavailableError(absl::StrCat("not connected to the device on ", impl_->description,
                                             detail.empty() ? "" : ": ", detail));
}

void DeviceClient::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->lifecycle_mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  impl_->stopping.store(true, std::memory_order_release);
  impl_->transport->Close();  // wakes a blocked Read()
  {
    std::lock_guard<std::mutex> lock(impl_->wake_mu);
    impl_->wake = true;
  }
  impl_->wake_cv.notify_all();
  if (impl_->io_thread.joinable()) impl_->io_thread.join();
  if (impl_->dispatcher_thread.joinable()) impl_->dispatcher_thread.join();
  impl_->transport->Close();  // in case the I/O thread opened it meanwhile
  std::lock_guard<std::mutex> lock(impl_->snapshot_mu);
  impl_->snapshot.connection = rollrig::v1::CONNECTION_STATE_DISCONNECTED;
  impl_->snapshot.detail = "device client stopped";
}

void DeviceClient::SendCommand(rollrig::v1::HostMessage msg,
                               std::function<void(absl::Status)> done) {
  uint32_t id = impl_->next_command_id.fetch_add(1);
  if (id == 0) id = impl_->next_command_id.fetch_add(1);  // 0 means "no ack wanted"
  msg.set_command_id(id);
  if (const size_t bytes = msg.ByteSizeLong(); bytes > codec::kMaxPayload) {
    // Refused here, before anything is sent: a bad request must never cost the link.
    if (done) {
      done(absl::InvalidArgumentError(absl::StrCat(CommandName(msg), " is ", bytes,
                                                   " bytes; one device frame carries at most ",
                                                   codec::kMaxPayload)));
    }
    return;
  }
  {
    std::lock_guard<std::mutex> lock(impl_->wake_mu);
    if (impl_->accepting_commands) {
      impl_->outbox.push_back(QueuedCommand{std::move(msg), std::move(done)});
      impl_->wake = true;
      done = nullptr;
    }
  }
  if (done) {
    // No dispatcher to run the callback: answer here.
    done(absl::UnavailableError(
        absl::StrCat("device client for ", impl_->description, " is not running")));
    return;
  }
  impl_->wake_cv.notify_one();
}

absl::Status DeviceClient::SendCommandAndWait(rollrig::v1::HostMessage msg) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> result = promise->get_future();
  SendCommand(std::move(msg), [promise](absl::Status status) { promise->set_value(status); });
  return result.get();
}

void DeviceClient::EStop(int64_t requested_ns, std::function<void(absl::Status)> done) {
  if (requested_ns == 0) requested_ns = MonotonicNanos();
  if (!done) done = [](absl::Status) {};
  {
    std::lock_guard<std::mutex> lock(impl_->wake_mu);
    if (impl_->accepting_commands) {
      if (impl_->estop_waiters.empty()) impl_->estop_requested_ns = requested_ns;
      impl_->estop_waiters.push_back(std::move(done));
      impl_->estop_pending.store(true, std::memory_order_release);
      impl_->wake = true;
      done = nullptr;
    }
  }
  if (done) {
    done(absl::UnavailableError(impl_->EStopUnreachable(
        absl::StrCat("the device client for ", impl_->description, " is not running"))));
    return;
  }
  impl_->wake_cv.notify_one();
}

std::optional<EStopTiming> DeviceClient::LastEStopTiming() const {
  std::lock_guard<std::mutex> lock(impl_->estop_timing_mu);
  return impl_->estop_timing;
}

DeviceSnapshot DeviceClient::Snapshot() const {
  std::lock_guard<std::mutex> lock(impl_->snapshot_mu);
  return impl_->snapshot;
}

}  // namespace rollrig::host
