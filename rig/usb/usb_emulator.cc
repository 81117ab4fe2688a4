#include "rig/usb/usb_emulator.h"

#include <fcntl.h>
#include <linux/usb/ch9.h>
#include <linux/usbdevice_fs.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <umockdev.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rig/usb/umockdev_preload.h"
#include "rig/usb/usb_descriptors.h"

namespace rollrig::usb {
namespace {

constexpr int kBusNumber = 1;
constexpr char kSysfsPath[] = "/devices/pci0000:00/0000:00:14.0/usb1/1-1";
constexpr auto kFrame = std::chrono::milliseconds(1);
constexpr size_t kSetupSize = 8;
// The device-side transmit buffer the reader fills ahead of the host's IN transfers.
constexpr size_t kDeviceTxBuffer = 4096;
// What GET_CAPABILITIES reports: one URB per bulk transfer of any size, and URBs stay
// reapable after a disconnect.
constexpr uint32_t kCapabilities =
    USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT;

using Clock = std::chrono::steady_clock;

struct DataUnref {
  void operator()(UMockdevIoctlData* d) const {
    if (d != nullptr) umockdev_ioctl_data_unref(d);
  }
};
using DataRef = std::unique_ptr<UMockdevIoctlData, DataUnref>;

struct ClientState;

// One submitted URB, from SUBMITURB until it is reaped or its handle closes. The
// resolved client memory is only written inside the reap handler: umockdev flushes it to
// the client when that ioctl completes.
struct Urb {
  ClientState* client = nullptr;
  DataRef urb;     // the struct usbdevfs_urb, resolved
  DataRef buffer;  // its buffer, resolved (null when buffer_length is 0)
  unsigned long client_address = 0;
  uint8_t type = 0;
  uint8_t endpoint = 0;
  int buffer_length = 0;
  std::vector<uint8_t> out_data;  // bulk OUT payload, copied at submit
  std::vector<uint8_t> in_data;   // IN bytes to hand back (control: after the setup)
  size_t progress = 0;            // bulk bytes moved so far
  bool last_packet_full = false;  // IN: the last packet moved was a full one
  int status = 0;
  int actual_length = 0;
};

// One device plug: its number, node and wake-up FIFO. Handles opened on it keep it
// alive after an unplug (their ioctls then fail with ENODEV).
struct Generation {
  int device_number = 0;
  std::string node;  // /dev/bus/usb/001/DDD
  int fifo_fd = -1;
  bool plugged = false;
  int handles = 0;
  int reapable = 0;         // done URBs not yet reaped, over all handles
  bool fifo_ready = false;  // the FIFO is drained: pollers see POLLOUT
};

struct ClientState {
  UMockdevIoctlClient* client = nullptr;  // weak: the weak ref notifies its end
  std::shared_ptr<Generation> generation;
  bool claimed = false;
  std::deque<std::shared_ptr<Urb>> in_flight;
  std::deque<std::shared_ptr<Urb>> done;
};

}  // namespace

struct UsbEmulator::Impl {
  sim::DevicePipe* device = nullptr;
  UsbEmulatorOptions options;
  UMockdevTestbed* testbed = nullptr;
  UMockdevIoctlBase* handler = nullptr;
  std::string root_dir;

  std::mutex plug_mu;  // serialises Plug/Unplug (testbed calls happen outside mu)

  mutable std::mutex mu;
  std::condition_variable pump_wake;
  bool stopping = false;
  // A plug discards the device's queued output for the new host; the reader must not be
  // inside a read then, or it could not tell the old host's bytes from the new one's.
  bool reader_reading = false;
  bool reader_paused = false;
  std::condition_variable reader_idle;
  std::shared_ptr<Generation> current;                   // null while unplugged
  std::vector<std::shared_ptr<Generation>> generations;  // with open handles
  std::map<UMockdevIoctlClient*, std::unique_ptr<ClientState>> clients;
  ClientState* claimant = nullptr;
  int next_device_number = 2;
  uint64_t epoch = 0;  // bumps on every plug and unplug: stale device bytes are dropped
  std::deque<std::shared_ptr<Urb>> out_queue;  // bulk OUT in submission order
  std::deque<std::shared_ptr<Urb>> in_queue;   // bulk IN in submission order
  std::vector<uint8_t> staged;                 // device bytes read, not yet in an URB
  int64_t frame_index = -1;
  int frame_packets = 0;
  Clock::time_point t0 = Clock::now();
  UsbEmulatorStats stats;
  std::thread pump;
  std::thread reader;

  // ---- wake-ups ----------------------------------------------------------------------
  // libusb polls the usbfs fd for POLLOUT to learn of reapable URBs. The node is a FIFO
  // of one page: one byte in it means "nothing to reap" (not writable), empty means
  // "reap now". Level-triggered, so a waiter never misses a completion.
  static void UpdateFifo(Generation& g) {
    if (g.fifo_fd < 0) return;
    const bool want_ready = g.reapable > 0;
    if (want_ready == g.fifo_ready) return;
    if (want_ready) {
      uint8_t sink[64];
      while (read(g.fifo_fd, sink, sizeof sink) > 0) {
      }
    } else {
      const uint8_t one = 1;
      if (write(g.fifo_fd, &one, 1) != 1) {
        // A full pipe is "not ready" already.
      }
    }
    g.fifo_ready = want_ready;
  }

  void Finish(const std::shared_ptr<Urb>& urb, int status) {
    urb->status = status;
    ClientState* c = urb->client;
    auto& q = c->in_flight;
    q.erase(std::remove(q.begin(), q.end(), urb), q.end());
    c->done.push_back(urb);
    ++c->generation->reapable;
    UpdateFifo(*c->generation);
  }

  static void RemoveFrom(std::deque<std::shared_ptr<Urb>>& q, const std::shared_ptr<Urb>& urb) {
    q.erase(std::remove(q.begin(), q.end(), urb), q.end());
  }

  // ---- ioctl handling (umockdev's worker thread) ---------------------------------------
  static gboolean OnIoctl(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer self) {
    static_cast<Impl*>(self)->HandleIoctl(client);
    return TRUE;
  }

  static void OnClientGone(gpointer self, GObject* client) {
    static_cast<Impl*>(self)->ForgetClient(reinterpret_cast<UMockdevIoctlClient*>(client));
  }

  ClientState* ClientFor(UMockdevIoctlClient* client) {
    auto it = clients.find(client);
    if (it != clients.end()) return it->second.get();
    auto state = std::make_unique<ClientState>();
    state->client = client;
    const std::string node = umockdev_ioctl_client_get_devnode(client);
    for (const auto& g : generations) {
      if (g->node == node) state->generation = g;
    }
    if (state->generation == nullptr) {  // a node of an unknown plug: treat as gone
      state->generation = std::make_shared<Generation>();
      state->generation->node = node;
    }
    ++state->generation->handles;
    g_object_weak_ref(G_OBJECT(client), &Impl::OnClientGone, this);
    ClientState* raw = state.get();
    clients.emplace(client, std::move(state));
    RefreshCounts();
    return raw;
  }

  void ForgetClient(UMockdevIoctlClient* client) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = clients.find(client);
    if (it == clients.end()) return;
    ClientState* c = it->second.get();
    for (const auto& urb : c->in_flight) {
      RemoveFrom(out_queue, urb);
      RemoveFrom(in_queue, urb);
    }
    c->generation->reapable -= static_cast<int>(c->done.size());
    UpdateFifo(*c->generation);
    if (claimant == c) claimant = nullptr;
    std::shared_ptr<Generation> g = c->generation;
    --g->handles;
    clients.erase(it);
    if (!g->plugged && g->handles == 0) CloseGeneration(g);
    RefreshCounts();
  }

  void CloseGeneration(const std::shared_ptr<Generation>& g) {
    if (g->fifo_fd >= 0) close(g->fifo_fd);
    g->fifo_fd = -1;
    generations.erase(std::remove(generations.begin(), generations.end(), g), generations.end());
  }

  void RefreshCounts() {
    stats.claimants = claimant != nullptr ? 1 : 0;
    int open = 0;
    for (const auto& [unused, c] : clients) {
      if (c->generation == current && current != nullptr) ++open;
    }
    stats.open_handles = open;
  }

  // Reads the ioctl's pointer argument as a T; false when the client memory is unreadable.
  template <typename T>
  static bool ReadArg(UMockdevIoctlClient* client, T* out) {
    UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);
    GError* error = nullptr;
    UMockdevIoctlData* data = umockdev_ioctl_data_resolve(arg, 0, sizeof(T), &error);
    if (data == nullptr) {
      if (error != nullptr) g_error_free(error);
      return false;
    }
    std::memcpy(out, data->data, sizeof(T));
    umockdev_ioctl_data_unref(data);
    return true;
  }

  void HandleIoctl(UMockdevIoctlClient* client) {
    const unsigned long request = umockdev_ioctl_client_get_request(client);
    std::unique_lock<std::mutex> lock(mu);
    ClientState* c = ClientFor(client);
    const bool gone = !c->generation->plugged;
    const auto fail = [&](int error) { umockdev_ioctl_client_complete(client, -1, error); };
    const auto ok = [&](long result = 0) { umockdev_ioctl_client_complete(client, result, 0); };

    if (request == USBDEVFS_REAPURBNDELAY || request == USBDEVFS_REAPURB) {
      return Reap(client, c, gone);
    }
    if (gone) return fail(ENODEV);
    switch (request) {
      case USBDEVFS_GET_CAPABILITIES: {
        UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);
        GError* error = nullptr;
        UMockdevIoctlData* data = umockdev_ioctl_data_resolve(arg, 0, sizeof(uint32_t), &error);
        if (data == nullptr) {
          if (error != nullptr) g_error_free(error);
          return fail(EFAULT);
        }
        std::memcpy(data->data, &kCapabilities, sizeof kCapabilities);
        umockdev_ioctl_data_unref(data);
        return ok();
      }
      case USBDEVFS_GETDRIVER:
        return fail(ENODATA);  // no kernel driver is bound to the vendor interface
      case USBDEVFS_GET_SPEED:
        return ok(USB_SPEED_FULL);
      case USBDEVFS_CONNECTINFO: {
        UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);
        GError* error = nullptr;
        UMockdevIoctlData* data =
            umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_connectinfo), &error);
        if (data == nullptr) {
          if (error != nullptr) g_error_free(error);
          return fail(EFAULT);
        }
        usbdevfs_connectinfo info{};
        info.devnum = static_cast<unsigned>(c->generation->device_number);
        info.slow = 0;
        std::memcpy(data->data, &info, sizeof info);
        umockdev_ioctl_data_unref(data);
        return ok();
      }
      case USBDEVFS_CLAIMINTERFACE: {
        unsigned int iface = 0;
        if (!ReadArg(client, &iface)) return fail(EFAULT);
        return Complete(client, Claim(c, iface));
      }
      case USBDEVFS_DISCONNECT_CLAIM: {
        usbdevfs_disconnect_claim claim{};
        if (!ReadArg(client, &claim)) return fail(EFAULT);
        return Complete(client, Claim(c, claim.interface));
      }
      case USBDEVFS_RELEASEINTERFACE: {
        unsigned int iface = 0;
        if (!ReadArg(client, &iface)) return fail(EFAULT);
        if (iface != kInterfaceNumber || claimant != c) return fail(EINVAL);
        claimant = nullptr;
        RefreshCounts();
        return ok();
      }
      case USBDEVFS_SETINTERFACE: {
        usbdevfs_setinterface set{};
        if (!ReadArg(client, &set)) return fail(EFAULT);
        if (set.interface != kInterfaceNumber) return fail(ENOENT);
        if (set.altsetting != 0) return fail(EINVAL);
        return ok();
      }
      case USBDEVFS_SETCONFIGURATION: {
        int value = 0;
        if (!ReadArg(client, &value)) return fail(EFAULT);
        if (value != kConfigurationValue && value != 0 && value != -1) return fail(EINVAL);
        if (claimant != nullptr && claimant != c) return fail(EBUSY);
        return ok();
      }
      case USBDEVFS_CLEAR_HALT:
      case USBDEVFS_RESETEP: {
        unsigned int endpoint = 0;
        if (!ReadArg(client, &endpoint)) return fail(EFAULT);
        if (endpoint != kBulkOutEndpoint && endpoint != kBulkInEndpoint && endpoint != 0) {
          return fail(ENOENT);
        }
        return ok();
      }
      case USBDEVFS_RESET:
        ++stats.host_resets;
        return ok();
      case USBDEVFS_SUBMITURB:
        return Submit(client, c);
      case USBDEVFS_DISCARDURB: {
        UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);
        unsigned long address = 0;
        std::memcpy(&address, arg->data, sizeof address);
        for (const auto& urb : c->in_flight) {
          if (urb->client_address != address) continue;
          std::shared_ptr<Urb> keep = urb;
          RemoveFrom(out_queue, keep);
          RemoveFrom(in_queue, keep);
          // Bytes already moved stay moved, as on a real bus.
          keep->actual_length = static_cast<int>(keep->progress);
          Finish(keep, -ENOENT);
          ++stats.urbs_discarded;
          return ok();
        }
        return fail(EINVAL);
      }
      default:
        return fail(ENOTTY);
    }
  }

  static void Complete(UMockdevIoctlClient* client, int error) {
    umockdev_ioctl_client_complete(client, error == 0 ? 0 : -1, error);
  }

  int Claim(ClientState* c, unsigned int iface) {
    if (iface != kInterfaceNumber) return ENOENT;
    if (claimant != nullptr && claimant != c) return EBUSY;
    claimant = c;
    RefreshCounts();
    return 0;
  }

  void Reap(UMockdevIoctlClient* client, ClientState* c, bool gone) {
    if (c->done.empty()) {
      umockdev_ioctl_client_complete(client, -1, gone ? ENODEV : EAGAIN);
      return;
    }
    std::shared_ptr<Urb> urb = c->done.front();
    UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);
    GError* error = nullptr;
    UMockdevIoctlData* slot = umockdev_ioctl_data_resolve(arg, 0, sizeof(void*), &error);
    if (slot == nullptr) {
      if (error != nullptr) g_error_free(error);
      umockdev_ioctl_client_complete(client, -1, EFAULT);
      return;
    }
    c->done.pop_front();
    --c->generation->reapable;
    UpdateFifo(*c->generation);
    auto* u = reinterpret_cast<usbdevfs_urb*>(urb->urb->data);
    u->status = urb->status;
    u->actual_length = urb->actual_length;
    if (!urb->in_data.empty() && urb->buffer != nullptr) {
      const size_t offset = urb->type == USBDEVFS_URB_TYPE_CONTROL ? kSetupSize : 0;
      const size_t room = static_cast<size_t>(urb->buffer->data_len) - offset;
      std::memcpy(urb->buffer->data + offset, urb->in_data.data(),
                  std::min(room, urb->in_data.size()));
    }
    umockdev_ioctl_data_set_ptr(slot, 0, urb->urb.get());
    umockdev_ioctl_data_unref(slot);
    ++stats.urbs_reaped;
    umockdev_ioctl_client_complete(client, 0, 0);
  }

  void Submit(UMockdevIoctlClient* client, ClientState* c) {
    UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);
    GError* error = nullptr;
    DataRef urb_data(umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_urb), &error));
    if (urb_data == nullptr) {
      if (error != nullptr) g_error_free(error);
      return Complete(client, EFAULT);
    }
    const auto* u = reinterpret_cast<const usbdevfs_urb*>(urb_data->data);
    auto urb = std::make_shared<Urb>();
    urb->client = c;
    urb->client_address = urb_data->client_addr;
    urb->type = u->type;
    urb->endpoint = u->endpoint;
    urb->buffer_length = u->buffer_length;
    if (u->buffer_length < 0) return Complete(client, EINVAL);
    const bool control = u->type == USBDEVFS_URB_TYPE_CONTROL && u->endpoint == 0;
    const bool bulk = u->type == USBDEVFS_URB_TYPE_BULK &&
                      (u->endpoint == kBulkOutEndpoint || u->endpoint == kBulkInEndpoint);
    if (!control && !bulk) return Complete(client, ENOENT);
    if (control && u->buffer_length < static_cast<int>(kSetupSize)) return Complete(client, EINVAL);
    if (bulk) {
      // usbfs claims the interface implicitly on first use, unless another holds it.
      if (claimant != nullptr && claimant != c) return Complete(client, EBUSY);
      if (claimant == nullptr) {
        claimant = c;
        RefreshCounts();
      }
    }
    if (u->buffer_length > 0) {
      urb->buffer.reset(umockdev_ioctl_data_resolve(urb_data.get(), offsetof(usbdevfs_urb, buffer),
                                                    static_cast<size_t>(u->buffer_length), &error));
      if (urb->buffer == nullptr) {
        if (error != nullptr) g_error_free(error);
        return Complete(client, EFAULT);
      }
    }
    urb->urb = std::move(urb_data);
    c->in_flight.push_back(urb);
    if (control) {
      ++stats.control_urbs;
      int status = AnswerControl(urb.get());
      Finish(urb, status);
    } else if (urb->endpoint == kBulkOutEndpoint) {
      ++stats.bulk_out_urbs;
      if (urb->buffer != nullptr) {
        urb->out_data.assign(urb->buffer->data, urb->buffer->data + urb->buffer->data_len);
      }
      out_queue.push_back(urb);
      pump_wake.notify_all();
    } else {
      ++stats.bulk_in_urbs;
      in_queue.push_back(urb);
      pump_wake.notify_all();
    }
    Complete(client, 0);
  }

  // Answers a control transfer; its URB status (0, or -EPIPE for a stall).
  int AnswerControl(Urb* urb) {
    const uint8_t* setup = urb->buffer->data;
    const uint8_t request_type = setup[0];
    const uint8_t request = setup[1];
    const uint16_t value = static_cast<uint16_t>(setup[2] | (setup[3] << 8));
    const uint16_t length = static_cast<uint16_t>(setup[6] | (setup[7] << 8));
    const size_t room = std::min<size_t>(length, urb->buffer_length - kSetupSize);
    std::vector<uint8_t> reply;
    constexpr uint8_t kIn = 0x80;
    if (request_type == kIn && request == USB_REQ_GET_DESCRIPTOR) {
      const uint8_t type = value >> 8;
      const uint8_t index = value & 0xff;
      if (type == kDescriptorTypeDevice && index == 0) {
        const auto d =
            BuildDeviceDescriptor(options.identity.vendor_id, options.identity.product_id);
        reply.assign(d.begin(), d.end());
      } else if (type == kDescriptorTypeConfiguration && index == 0) {
        const auto d = BuildConfigurationDescriptor();
        reply.assign(d.begin(), d.end());
      } else if (type == kDescriptorTypeString && index == 0) {
        const auto d = BuildLanguageIdDescriptor();
        reply.assign(d.begin(), d.end());
      } else if (type == kDescriptorTypeString) {
        const std::string* text = nullptr;
        if (index == kManufacturerStringIndex) text = &options.identity.manufacturer;
        if (index == kProductStringIndex) text = &options.identity.product;
        if (index == kSerialStringIndex) text = &options.identity.serial;
        if (text == nullptr) return -EPIPE;
        uint8_t d[kMaxStringDescriptorSize];
        const size_t n = BuildStringDescriptor(text->data(), text->size(), d, sizeof d);
        reply.assign(d, d + n);
      } else {
        return -EPIPE;
      }
    } else if (request_type == kIn && request == USB_REQ_GET_STATUS) {
      reply = {0, 0};
    } else if (request_type == kIn && request == USB_REQ_GET_CONFIGURATION) {
      reply = {kConfigurationValue};
    } else if ((request_type == 0x00 && request == USB_REQ_SET_CONFIGURATION) ||
               (request_type == 0x01 && request == USB_REQ_SET_INTERFACE) ||
               (request_type <= 0x02 && request == USB_REQ_CLEAR_FEATURE)) {
      reply.clear();
    } else {
      return -EPIPE;
    }
    if (reply.size() > room) reply.resize(room);
    urb->in_data = std::move(reply);
    urb->actual_length = static_cast<int>(urb->in_data.size());
    return 0;
  }

  // ---- the bus (pump thread) -----------------------------------------------------------
  // Takes one packet from this frame's budget; false when the frame is used up.
  bool TakePacket() {
    const int64_t index = (Clock::now() - t0) / kFrame;
    if (index != frame_index) {
      frame_index = index;
      frame_packets = 0;
    }
    if (frame_packets >= options.max_packets_per_frame) return false;
    ++frame_packets;
    if (frame_packets == 1) ++stats.busy_frames;
    if (frame_packets == options.max_packets_per_frame) ++stats.frames_at_packet_budget;
    stats.max_packets_in_a_frame = std::max(stats.max_packets_in_a_frame, frame_packets);
    return true;
  }

  // Moves OUT packets; false when the frame's budget ran out.
  bool ServeOut() {
    while (!out_queue.empty()) {
      std::shared_ptr<Urb> urb = out_queue.front();
      const size_t total = urb->out_data.size();
      if (!TakePacket()) return false;
      const size_t chunk = std::min<size_t>(kMaxPacketSize, total - urb->progress);
      urb->progress += chunk;
      ++stats.packets_out;
      if (urb->progress == total) {
        device->WriteFromHost(urb->out_data.data(), total);
        stats.bytes_out += total;
        urb->actual_length = static_cast<int>(total);
        out_queue.pop_front();
        Finish(urb, 0);
      }
    }
    return true;
  }

  // Moves IN packets from staged device bytes; false when the frame's budget ran out.
  bool ServeIn() {
    while (!in_queue.empty()) {
      std::shared_ptr<Urb> urb = in_queue.front();
      const size_t space = static_cast<size_t>(urb->buffer_length) - urb->progress;
      if (staged.empty()) {
        // No data: a transfer holding data that ended on a full packet gets a ZLP.
        if (urb->progress == 0 || !urb->last_packet_full) return true;
        if (!TakePacket()) return false;
        ++stats.packets_in;
        CompleteIn(urb);
        continue;
      }
      if (!TakePacket()) return false;
      const size_t chunk = std::min({static_cast<size_t>(kMaxPacketSize), space, staged.size()});
      urb->in_data.insert(urb->in_data.end(), staged.begin(), staged.begin() + chunk);
      staged.erase(staged.begin(), staged.begin() + chunk);
      urb->progress += chunk;
      urb->last_packet_full = chunk == kMaxPacketSize;
      ++stats.packets_in;
      stats.bytes_in += chunk;
      if (chunk < kMaxPacketSize || urb->progress == static_cast<size_t>(urb->buffer_length)) {
        CompleteIn(urb);
      }
    }
    return true;
  }

  void CompleteIn(const std::shared_ptr<Urb>& urb) {
    urb->actual_length = static_cast<int>(urb->progress);
    in_queue.pop_front();
    Finish(urb, 0);
  }

  // Device bytes worth reading now: no more than pending IN transfers can take.
  size_t InRoom() const {
    size_t room = 0;
    for (const auto& urb : in_queue) room += urb->buffer_length - urb->progress;
    return room > staged.size() ? room - staged.size() : 0;
  }

  // Reader thread: takes device bytes while IN transfers have room for them, blocking on
  // the device (not polling), so an idle bus costs almost nothing.
  void ReaderLoop() {
    std::vector<uint8_t> buf;
    std::unique_lock<std::mutex> lock(mu);
    while (!stopping) {
      // Like a device's transmit buffer, bytes are taken ahead of the host's polls up to
      // kDeviceTxBuffer, or further while IN transfers have room: a write the firmware
      // made at once reaches the host in full transfers, not split by when it polled.
      const size_t buffer_room =
          staged.size() < kDeviceTxBuffer ? kDeviceTxBuffer - staged.size() : 0;
      const size_t room = std::min<size_t>(std::max(InRoom(), buffer_room), 64 * 1024);
      if (room == 0 || current == nullptr || reader_paused) {
        pump_wake.wait(lock);
        continue;
      }
      const uint64_t read_epoch = epoch;
      buf.resize(room);
      reader_reading = true;
      lock.unlock();
      const size_t n = device->ReadToHost(buf.data(), buf.size(), 20'000'000);
      lock.lock();
      reader_reading = false;
      reader_idle.notify_all();
      if (n > 0 && epoch == read_epoch && current != nullptr) {
        staged.insert(staged.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(n));
        pump_wake.notify_all();
      } else {
        stats.device_bytes_discarded += n;
      }
    }
  }

  // True when the pump has packets to move now (budget permitting).
  bool PumpHasWork() const {
    if (!out_queue.empty()) return true;
    if (in_queue.empty()) return false;
    const Urb& head = *in_queue.front();
    return !staged.empty() || (head.progress > 0 && head.last_packet_full);
  }

  void PumpLoop() {
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    std::unique_lock<std::mutex> lock(mu);
    while (!stopping) {
      if (!PumpHasWork()) {
        pump_wake.wait(lock);
        continue;
      }
      const bool budget_left = ServeOut() && ServeIn();
      if (!budget_left) {
        pump_wake.wait_until(lock, t0 + (frame_index + 1) * kFrame);  // the next frame
      }
    }
  }

  // ---- plugging ----------------------------------------------------------------------
  std::string SysfsDescription(const Generation& g) const {
    const auto device_descriptor =
        BuildDeviceDescriptor(options.identity.vendor_id, options.identity.product_id);
    const auto configuration = BuildConfigurationDescriptor();
    std::string hex;
    for (uint8_t b : device_descriptor) absl::StrAppendFormat(&hex, "%02x", b);
    for (uint8_t b : configuration) absl::StrAppendFormat(&hex, "%02x", b);
    const auto& id = options.identity;
    return absl::StrFormat(
        "P: %s\n"
        "E: DEVNAME=%s\n"
        "E: DEVTYPE=usb_device\n"
        "E: SUBSYSTEM=usb\n"
        "E: DRIVER=usb\n"
        "E: BUSNUM=%03d\n"
        "E: DEVNUM=%03d\n"
        "E: MAJOR=189\n"
        "E: MINOR=%d\n"
        "E: PRODUCT=%x/%x/%x\n"
        "E: ID_VENDOR_ID=%04x\n"
        "E: ID_MODEL_ID=%04x\n"
        "E: ID_SERIAL_SHORT=%s\n"
        "A: busnum=%d\n"
        "A: devnum=%d\n"
        "A: idVendor=%04x\n"
        "A: idProduct=%04x\n"
        "A: bcdDevice=%04x\n"
        "A: speed=12\n"
        "A: bConfigurationValue=%d\n"
        "A: bNumConfigurations=1\n"
        "A: bNumInterfaces= 1\n"
        "A: bMaxPacketSize0=64\n"
        "A: serial=%s\n"
        "A: manufacturer=%s\n"
        "A: product=%s\n"
        "H: descriptors=%s\n",
        kSysfsPath, g.node, kBusNumber, g.device_number,
        (kBusNumber - 1) * 128 + g.device_number - 1, id.vendor_id, id.product_id, kDeviceRelease,
        id.vendor_id, id.product_id, id.serial, kBusNumber, g.device_number, id.vendor_id,
        id.product_id, kDeviceRelease, kConfigurationValue, id.serial, id.manufacturer, id.product,
        hex);
  }
};

absl::StatusOr<std::unique_ptr<UsbEmulator>> UsbEmulator::Create(
    sim::DevicePipe* device, const UsbEmulatorOptions& options) {
  if (!RunningUnderUmockdev()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the USB emulator needs umockdev's preload library (", kUmockdevPreloadLibrary,
                     ") in this process: run under umockdev-wrapper or call "
                     "ReexecUnderUmockdev() first"));
  }
  if (device == nullptr) return absl::InvalidArgumentError("the USB emulator needs a device pipe");
  if (options.max_packets_per_frame < 1) {
    return absl::InvalidArgumentError(absl::StrCat("max_packets_per_frame must be at least 1, not ",
                                                   options.max_packets_per_frame));
  }
  for (const std::string* text :
       {&options.identity.serial, &options.identity.manufacturer, &options.identity.product}) {
    uint8_t d[kMaxStringDescriptorSize];
    if (BuildStringDescriptor(text->data(), text->size(), d, sizeof d) == 0 ||
        text->find('\n') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "USB string \"", *text, "\" is too long (126 characters at most) or has a newline"));
    }
  }
  // The preload sleeps after every emulated ioctl; umockdev's worker thread (created
  // next) inherits this slack.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  auto impl = std::make_unique<Impl>();
  impl->device = device;
  impl->options = options;
  impl->testbed = umockdev_testbed_new();
  gchar* root = umockdev_testbed_get_root_dir(impl->testbed);
  impl->root_dir = root;
  g_free(root);
  impl->handler = umockdev_ioctl_base_new();
  g_signal_connect(impl->handler, "handle-ioctl", G_CALLBACK(&Impl::OnIoctl), impl.get());
  Impl* raw = impl.get();
  impl->pump = std::thread([raw] { raw->PumpLoop(); });
  impl->reader = std::thread([raw] { raw->ReaderLoop(); });
  std::unique_ptr<UsbEmulator> emulator(new UsbEmulator(std::move(impl)));
  if (options.plugged_at_start) emulator->Plug();
  return emulator;
}

UsbEmulator::UsbEmulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

UsbEmulator::~UsbEmulator() {
  Unplug();
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
    impl_->pump_wake.notify_all();
  }
  impl_->pump.join();
  impl_->reader.join();
  g_signal_handlers_disconnect_by_data(impl_->handler, impl_.get());
  {
    // Handles still open would report their end into a destroyed emulator.
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (auto& [client, state] : impl_->clients) {
      g_object_weak_unref(G_OBJECT(client), &Impl::OnClientGone, impl_.get());
    }
    impl_->clients.clear();
    for (auto& g : impl_->generations) {
      if (g->fifo_fd >= 0) close(g->fifo_fd);
    }
    impl_->generations.clear();
  }
  g_object_unref(impl_->handler);
  g_object_unref(impl_->testbed);
}

void UsbEmulator::Plug() {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> plug_lock(d.plug_mu);
  auto g = std::make_shared<Generation>();
  {
    std::lock_guard<std::mutex> lock(d.mu);
    if (d.current != nullptr) return;
    g->device_number = d.next_device_number;
    d.next_device_number = d.next_device_number >= 127 ? 2 : d.next_device_number + 1;
  }
  g->node = absl::StrFormat("/dev/bus/usb/%03d/%03d", kBusNumber, g->device_number);
  const std::string dir = absl::StrFormat("%s/dev/bus/usb/%03d", d.root_dir, kBusNumber);
  const std::string path = d.root_dir + g->node;
  g_mkdir_with_parents(dir.c_str(), 0755);
  unlink(path.c_str());
  if (mkfifo(path.c_str(), 0666) == 0) {
    g->fifo_fd = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  }
  if (g->fifo_fd >= 0) {
    // One page: a single byte fills it. It starts holding one ("nothing to reap").
    fcntl(g->fifo_fd, F_SETPIPE_SZ, 4096);
    const uint8_t one = 1;
    g->fifo_ready = write(g->fifo_fd, &one, 1) != 1;
  }
  {
    std::unique_lock<std::mutex> lock(d.mu);
    d.reader_paused = true;
    d.reader_idle.wait(lock, [&d] { return !d.reader_reading; });
  }
  d.device->DiscardPipes();
  {
    std::lock_guard<std::mutex> lock(d.mu);
    d.reader_paused = false;
    g->plugged = true;
    d.current = g;
    d.generations.push_back(g);
    d.staged.clear();
    ++d.epoch;
    ++d.stats.plugs;
    d.stats.device_number = g->device_number;
    d.RefreshCounts();
    d.pump_wake.notify_all();
  }
  GError* error = nullptr;
  umockdev_testbed_attach_ioctl(d.testbed, g->node.c_str(), d.handler, &error);
  if (error != nullptr) {
    g_warning("attaching the usbfs handler to %s: %s", g->node.c_str(), error->message);
    g_clear_error(&error);
  }
  // Attached first: adding sends the "add" uevent and hosts may open the node at once.
  const std::string description = d.SysfsDescription(*g);
  if (!umockdev_testbed_add_from_string(d.testbed, description.c_str(), &error)) {
    g_warning("adding the emulated USB device: %s", error != nullptr ? error->message : "?");
    g_clear_error(&error);
  }
}

void UsbEmulator::Unplug() {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> plug_lock(d.plug_mu);
  std::shared_ptr<Generation> g;
  {
    std::lock_guard<std::mutex> lock(d.mu);
    if (d.current == nullptr) return;
    g = d.current;
    g->plugged = false;
    d.current = nullptr;
    ++d.epoch;
    d.staged.clear();
    d.out_queue.clear();
    d.in_queue.clear();
    for (auto& [client, c] : d.clients) {
      if (c->generation != g) continue;
      while (!c->in_flight.empty()) {
        std::shared_ptr<Urb> urb = c->in_flight.front();
        urb->actual_length = static_cast<int>(urb->progress);
        d.Finish(urb, -ESHUTDOWN);
        ++d.stats.urbs_failed_unplug;
      }
      if (d.claimant == c.get()) d.claimant = nullptr;
    }
    ++d.stats.unplugs;
    d.stats.device_number = 0;
    if (g->handles == 0) d.CloseGeneration(g);
    d.RefreshCounts();
  }
  const std::string syspath = std::string("/sys") + kSysfsPath;
  umockdev_testbed_uevent(d.testbed, syspath.c_str(), "remove");
  umockdev_testbed_remove_device(d.testbed, syspath.c_str());
  GError* error = nullptr;
  umockdev_testbed_detach_ioctl(d.testbed, g->node.c_str(), &error);
  g_clear_error(&error);
  unlink((d.root_dir + g->node).c_str());
}

void UsbEmulator::Reset() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    ++impl_->stats.resets;
  }
  Unplug();
  Plug();
}

bool UsbEmulator::plugged() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->current != nullptr;
}

std::string UsbEmulator::device_node() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->current != nullptr ? impl_->current->node : "";
}

UsbEmulatorStats UsbEmulator::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}

}  // namespace rollrig::usb
