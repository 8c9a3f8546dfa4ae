// N-API surface of the DNS fast path. Plain functions on opaque handles; src/dns/fastpath-addon.ts is
// the only caller and gives them types. Argument errors throw TypeError; socket errors throw an
// Error whose code is the errno name (EADDRINUSE, ...), like Node's own sockets.
#include <arpa/inet.h>
#include <net/if.h>
#include <node_api.h>
#include <string.h>

#include <memory>
#include <string>

#include "answer-table.h"
#include "udp-loop.h"

namespace {

constexpr size_t kMaxQueuedMisses = 4096;

using Table = std::shared_ptr<AnswerTable>;

bool args(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < want) {
    napi_throw_type_error(env, nullptr, "dns fast path: missing arguments");
    return false;
  }
  return true;
}

bool str(napi_env env, napi_value v, std::string& out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) {
    napi_throw_type_error(env, nullptr, "dns fast path: expected a string");
    return false;
  }
  out.resize(len + 1);
  napi_get_value_string_utf8(env, v, out.data(), len + 1, &len);
  out.resize(len);
  return true;
}

/** A Buffer's bytes in place: valid while the Buffer is. */
bool buffer(napi_env env, napi_value v, void*& data, size_t& len) {
  if (napi_get_buffer_info(env, v, &data, &len) != napi_ok) {
    napi_throw_type_error(env, nullptr, "dns fast path: expected a Buffer");
    return false;
  }
  return true;
}

bool bytes(napi_env env, napi_value v, std::string& out) {
  void* data = nullptr;
  size_t len = 0;
  if (!buffer(env, v, data, len)) return false;
  out.assign(static_cast<const char*>(data), len);
  return true;
}

template <typename T>
T* external(napi_env env, napi_value v) {
  void* p = nullptr;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == nullptr) {
    napi_throw_type_error(env, nullptr, "dns fast path: bad handle");
    return nullptr;
  }
  return static_cast<T*>(p);
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

bool parseAddress(const std::string& address, uint32_t port, sockaddr_storage& ss, socklen_t& len) {
  memset(&ss, 0, sizeof ss);
  auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
  if (inet_pton(AF_INET, address.c_str(), &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    len = sizeof *a4;
    return true;
  }
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
  size_t pct = address.find('%');
  if (inet_pton(AF_INET6, address.substr(0, pct).c_str(), &a6->sin6_addr) != 1) return false;
  if (pct != std::string::npos) {
    a6->sin6_scope_id = if_nametoindex(address.c_str() + pct + 1);
    if (a6->sin6_scope_id == 0) return false;
  }
  a6->sin6_family = AF_INET6;
  a6->sin6_port = htons(port);
  len = sizeof *a6;
  return true;
}

/** The client's address as Node's dgram prints it: IPv6 link-local with %interface. */
std::string formatPeer(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 1] = "";
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    char ifname[IF_NAMESIZE];
    if (a->sin6_scope_id != 0 && if_indextoname(a->sin6_scope_id, ifname)) {
      strcat(buf, "%");
      strcat(buf, ifname);
    }
  }
  return buf;
}

// ---- table ----

napi_value tableCreate(napi_env env, napi_callback_info) {
  napi_value out;
  auto* table = new Table(std::make_shared<AnswerTable>());
  napi_create_external(env, table, [](napi_env, void* p, void*) { delete static_cast<Table*>(p); }, nullptr, &out);
  return out;
}

napi_value tableRemember(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  std::string view, key, answer;
  if (!args(env, info, 4, argv)) return nullptr;
  Table* t = external<Table>(env, argv[0]);
  if (!t || !str(env, argv[1], view) || !bytes(env, argv[2], key) || !bytes(env, argv[3], answer)) return nullptr;
  (*t)->remember(view, key, answer);
  return undefined(env);
}

napi_value tableForget(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  std::string view, key;
  if (!args(env, info, 3, argv)) return nullptr;
  Table* t = external<Table>(env, argv[0]);
  if (!t || !str(env, argv[1], view) || !bytes(env, argv[2], key)) return nullptr;
  (*t)->forget(view, key);
  return undefined(env);
}

/** (table, string) -> undefined: one AnswerTable method that takes a string. */
napi_value tableStringCall(napi_env env, napi_callback_info info, void (AnswerTable::*method)(const std::string&)) {
  napi_value argv[2];
  std::string text;
  if (!args(env, info, 2, argv)) return nullptr;
  Table* t = external<Table>(env, argv[0]);
  if (!t || !str(env, argv[1], text)) return nullptr;
  ((**t).*method)(text);
  return undefined(env);
}

napi_value tableDropView(napi_env env, napi_callback_info info) { return tableStringCall(env, info, &AnswerTable::dropView); }

napi_value tableBindClient(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  std::string peer, view;
  if (!args(env, info, 3, argv)) return nullptr;
  Table* t = external<Table>(env, argv[0]);
  if (!t || !bytes(env, argv[1], peer) || !str(env, argv[2], view)) return nullptr;
  (*t)->bindClient(reinterpret_cast<const sockaddr*>(peer.data()), peer.size(), view);
  return undefined(env);
}

napi_value tableUnbindAddress(napi_env env, napi_callback_info info) { return tableStringCall(env, info, &AnswerTable::unbindAddress); }

napi_value tableCounters(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return nullptr;
  Table* t = external<Table>(env, argv[0]);
  if (!t) return nullptr;
  napi_value out, v;
  const uint64_t values[] = {(*t)->hits.load(), (*t)->nxdomain.load(), (*t)->shed.load(), (*t)->formerr.load(), (*t)->refused.load(), (*t)->dropped.load(), (*t)->notimp.load()};
  const uint32_t n = sizeof values / sizeof values[0];
  napi_create_array_with_length(env, n, &out);
  for (uint32_t i = 0; i < n; i++) {
    napi_create_double(env, static_cast<double>(values[i]), &v);
    napi_set_element(env, out, i, v);
  }
  return out;
}

// ---- listeners ----

/** Runs on the JS thread for each miss; env is null when the queue is torn down (just free it). */
void deliverMiss(napi_env env, napi_value fn, void*, void* data) {
  std::unique_ptr<Miss> miss(static_cast<Miss*>(data));
  if (env == nullptr || fn == nullptr) return;
  std::string host = formatPeer(miss->peer);
  napi_value argv[3];
  napi_create_buffer_copy(env, miss->msg.size(), miss->msg.data(), nullptr, &argv[0]);
  napi_create_buffer_copy(env, miss->peerLen, &miss->peer, nullptr, &argv[1]);
  napi_create_string_utf8(env, host.c_str(), host.size(), &argv[2]);
  if (napi_call_function(env, undefined(env), fn, 3, argv, nullptr) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);  // as a throwing 'message' listener of a dgram socket would
  }
}

/** At environment teardown the listener thread must stop before Node frees the thread-safe function. */
void closeAtExit(void* loop) { static_cast<UdpLoop*>(loop)->close(); }

/** undefined: any client; otherwise an array of prefix strings ("10.0.0.0/24"). */
bool prefixes(napi_env env, napi_value v, std::vector<ClientPrefix>& out, bool& any) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  any = t == napi_undefined;
  if (any) return true;
  uint32_t n = 0;
  if (napi_get_array_length(env, v, &n) != napi_ok) {
    napi_throw_type_error(env, nullptr, "dns fast path: clients must be an array of prefixes");
    return false;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    std::string text;
    ClientPrefix p;
    if (napi_get_element(env, v, i, &e) != napi_ok || !str(env, e, text)) return false;
    if (!parsePrefix(text, p)) {
      napi_throw_type_error(env, nullptr, ("dns fast path: bad client prefix " + text).c_str());
      return false;
    }
    out.push_back(p);
  }
  return true;
}

napi_value listenUdp(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  std::string address;
  uint32_t port = 0;
  std::vector<ClientPrefix> clients;
  bool anyClient = true;
  if (!args(env, info, 5, argv)) return nullptr;
  Table* t = external<Table>(env, argv[0]);
  if (!t || !str(env, argv[1], address)) return nullptr;
  if (napi_get_value_uint32(env, argv[2], &port) != napi_ok || port > 65535) {
    napi_throw_type_error(env, nullptr, "dns fast path: bad port");
    return nullptr;
  }
  if (!prefixes(env, argv[4], clients, anyClient)) return nullptr;
  sockaddr_storage at;
  socklen_t atLen = 0;
  if (!parseAddress(address, port, at, atLen)) {
    napi_throw_error(env, "EINVAL", "bind EINVAL");
    return nullptr;
  }
  napi_value name;
  napi_threadsafe_function onMiss;
  napi_create_string_utf8(env, "ponton-dns-miss", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[3], nullptr, name, kMaxQueuedMisses, 1, nullptr, nullptr, nullptr, deliverMiss, &onMiss) != napi_ok) {
    napi_throw_type_error(env, nullptr, "dns fast path: onMiss must be a function");
    return nullptr;
  }
  std::string code, message;
  UdpLoop* loop = UdpLoop::open(*t, reinterpret_cast<sockaddr*>(&at), atLen, onMiss, std::move(clients), anyClient, code, message);
  if (!loop) {
    napi_release_threadsafe_function(onMiss, napi_tsfn_abort);
    napi_throw_error(env, code.c_str(), message.c_str());
    return nullptr;
  }
  // Registered after the thread-safe function's own hook, so it runs first (hooks run LIFO).
  napi_add_env_cleanup_hook(env, closeAtExit, loop);
  napi_value out;
  napi_create_external(
      env, loop,
      [](napi_env env, void* p, void*) {
        napi_remove_env_cleanup_hook(env, closeAtExit, p);
        delete static_cast<UdpLoop*>(p);
      },
      nullptr, &out);
  return out;
}

napi_value localPort(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  if (!args(env, info, 1, argv)) return nullptr;
  UdpLoop* loop = external<UdpLoop>(env, argv[0]);
  if (!loop) return nullptr;
  napi_create_int32(env, loop->port(), &out);
  return out;
}

napi_value sendTo(napi_env env, napi_callback_info info) {
  napi_value argv[3], out;
  std::string peer;
  void* data = nullptr;
  size_t len = 0;
  if (!args(env, info, 3, argv)) return nullptr;
  UdpLoop* loop = external<UdpLoop>(env, argv[0]);
  if (!loop || !bytes(env, argv[2], peer) || !buffer(env, argv[1], data, len)) return nullptr;
  bool sent = loop->send(static_cast<const uint8_t*>(data), len, reinterpret_cast<const sockaddr*>(peer.data()), peer.size());
  napi_get_boolean(env, sent, &out);
  return out;
}

napi_value closeListener(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return nullptr;
  UdpLoop* loop = external<UdpLoop>(env, argv[0]);
  if (!loop) return nullptr;
  napi_remove_env_cleanup_hook(env, closeAtExit, loop);
  loop->close();
  return undefined(env);
}

napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor fns[] = {
      {"tableCreate", nullptr, tableCreate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tableRemember", nullptr, tableRemember, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tableForget", nullptr, tableForget, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tableDropView", nullptr, tableDropView, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tableBindClient", nullptr, tableBindClient, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tableUnbindAddress", nullptr, tableUnbindAddress, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tableCounters", nullptr, tableCounters, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"listen", nullptr, listenUdp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"localPort", nullptr, localPort, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"send", nullptr, sendTo, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"close", nullptr, closeListener, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
