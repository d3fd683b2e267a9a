#pragma once
// Whether a peer is "on loopback" in Redis' protected-mode sense: exactly 127.0.0.1 or ::1 (and
// 127.0.0.1 as an IPv4-mapped address, which a dual-stack listener reports). Protected mode and
// both admin planes use this one rule.

#include <boost/asio/ip/tcp.hpp>

namespace respite::proxy {

inline bool IsLoopbackPeer(const boost::asio::ip::tcp::endpoint& peer) {
  namespace ip = boost::asio::ip;
  ip::address address = peer.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address.is_v4() ? address.to_v4() == ip::address_v4::loopback()
                         : address.to_v6() == ip::address_v6::loopback();
}

}  // namespace respite::proxy
