#pragma once
// The receiving end of forwarded requests. An UpstreamLink delivers each reply, in request order,
// to the sink that sent the request. All calls happen on the io thread that owns both objects.

#include <cstdint>
#include <string_view>

namespace respite::proxy {

class UpstreamLink;

class ReplySink {
 public:
  // One complete reply (RESP bytes, valid only during the call) for the request tagged `tag`.
  virtual void OnReply(uint64_t tag, std::string_view reply) = 0;
  // The request tagged `tag` will get no reply: the link failed. `error` is the full error text
  // without '-' to send the client instead. `request` holds the request's bytes when known (empty
  // otherwise); `sent` says whether it may have reached upstream (its outcome is then unknown,
  // so only a read or an idempotent write may safely run elsewhere).
  virtual void OnRequestFailed(uint64_t tag, std::string_view error, std::string_view request,
                               bool sent) = 0;
  // A link this sink owns as a dedicated (or relay) connection closed. Called after the
  // OnRequestFailed calls for that link.
  virtual void OnLinkClosed(UpstreamLink* link) = 0;
  // Cluster mode: the reply to `tag` is -MOVED or -ASK (`reply`), and `request` holds the
  // request's bytes, to send again where the redirect says. Sinks that do not follow redirects
  // take it as the reply.
  virtual void OnRedirect(uint64_t tag, std::string_view reply, std::string_view request) {
    (void)request;
    OnReply(tag, reply);
  }
  // In relay mode (pub/sub, MONITOR, CLIENT TRACKING): one reply or push message from upstream.
  virtual void OnRelay(std::string_view reply) = 0;
  // Reference counting keeps a sink alive while a link holds requests for it.
  virtual void AddRef() = 0;
  virtual void Release() = 0;

 protected:
  ~ReplySink() = default;
};

}  // namespace respite::proxy
