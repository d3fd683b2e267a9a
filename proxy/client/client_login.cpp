// Logging in: AUTH and HELLO. The default user is respite's own (requirepass); any other user is
// an ACL user of upstream's: upstream checks the login on the client's dedicated connection, and
// from then on that client's commands run upstream as that user, on connections shared by every
// client of the user (user_registry.h). While upstream is down, a user who logged in before may
// log in again (checked against a salted hash). ACL permissions are upstream's to enforce.

#include "proxy/client/client_session.h"
#include "proxy/client/session_text.h"
#include "proxy/client/user_registry.h"
#include "proxy/errors.h"
#include "proxy/io_thread.h"
#include "proxy/metrics.h"
#include "proxy/server.h"
#include "proxy/upstream/upstream_link.h"
#include "resp/command_encoder.h"
#include "resp/reply_writer.h"

namespace respite::proxy {

using resp::Command;
using namespace session_text;

bool ClientSession::NeedsUpstreamLogin(const Command& cmd) {
  const auto& argv = cmd.argv;
  if (IEquals(argv[0], "auth")) return argv.size() == 3 && !IEquals(argv[1], "default");
  for (size_t i = 2; i + 2 < argv.size(); ++i) {  // HELLO ver AUTH user pass ...
    if (IEquals(argv[i], "auth")) return !IEquals(argv[i + 1], "default");
  }
  return false;
}

void ClientSession::SetUser(uint32_t user) {
  if (user_ != 0) io_.server().users().Leave(user_);
  user_ = user;
  // A dedicated link held now (sticky, or mid-login) runs as the new user from here on; a
  // subscriber's link takes no commands of respite's (their replies would mix with messages).
  if (dedicated_ != nullptr && !relay_) SyncDedicated();
}

void ClientSession::StartLogin(const Command& cmd, std::string_view user, std::string_view password,
                               bool hello) {
  UserRegistry& users = io_.server().users();
  if (io_.server().serve_locally()) {
    std::string reply;
    if (users.Verify(user, password)) {
      SetUser(users.Join(user, password));
      authenticated_ = true;
      if (hello) {
        Hello(cmd, &reply, /*login_done=*/true);
      } else {
        resp::ReplyWriter(&reply, protocol_).Ok();
      }
    } else {
      io_.server().metrics().CountAuthFailure();
      resp::ReplyWriter(&reply, protocol_).Error(errors::kWrongPass);
    }
    CompleteLocal(reply);
    return;
  }
  const bool discard = reply_mode_ != ReplyMode::kOn;
  if (reply_mode_ == ReplyMode::kSkip) reply_mode_ = ReplyMode::kOn;
  PendingLogin login;
  login.tag = replies_.Reserve(discard, MetaFor(CommandPath::kProxy, false));
  login.user.assign(user);
  login.password.assign(password);
  if (hello) login.hello.assign(cmd.argv.begin(), cmd.argv.end());
  UpstreamLink* link = EnsureDedicated();
  if (link == nullptr) {
    Finish(login.tag, ErrorReply(errors::kMaxDedicated));
    return;
  }
  pending_login_ = std::move(login);
  scratch_.clear();
  resp::AppendCommand(&scratch_, {"AUTH", user, password});
  ++inflight_;
  inflight_link_ = link;
  link->Send(scratch_, this, pending_login_->tag);
}

void ClientSession::FinishLogin(std::string_view reply) {
  PendingLogin login = std::move(*pending_login_);
  pending_login_.reset();
  if (reply != "+OK\r\n") {
    io_.server().metrics().CountAuthFailure();
    Finish(login.tag, reply);  // upstream's own error (WRONGPASS ...)
    return;
  }
  const uint32_t user = io_.server().users().Join(login.user, login.password);
  // The login's own AUTH ran on the dedicated link: it is that user's already.
  if (dedicated_ != nullptr) dedicated_->conn_state().user = user;
  SetUser(user);
  authenticated_ = true;
  if (login.hello.empty()) {
    Finish(login.tag, reply);
    return;
  }
  Command hello;
  hello.argv.assign(login.hello.begin(), login.hello.end());
  std::string hello_reply;
  Hello(hello, &hello_reply, /*login_done=*/true);
  Finish(login.tag, hello_reply);
}

bool ClientSession::Auth(const Command& cmd, std::string* reply) {
  resp::ReplyWriter w(reply, protocol_);
  if (cmd.argv.size() < 2 || cmd.argv.size() > 3) {
    w.Error(ArityError("auth"));
    return true;
  }
  if (cmd.argv.size() == 3 && !IEquals(cmd.argv[1], "default")) {
    StartLogin(cmd, cmd.argv[1], cmd.argv[2], /*hello=*/false);
    return false;
  }
  const std::string& pass = io_.config().requirepass;
  if (cmd.argv.size() == 2 && pass.empty()) {
    w.Error(errors::kAuthNotConfigured);
    return true;
  }
  // With no password configured the default user takes any password, as in Redis.
  if (pass.empty() || SecretEquals(cmd.argv.back(), pass)) {
    SetUser(0);
    authenticated_ = true;
    w.Ok();
  } else {
    io_.server().metrics().CountAuthFailure();
    w.Error(errors::kWrongPass);
  }
  return true;
}

bool ClientSession::Hello(const Command& cmd, std::string* reply, bool login_done) {
  resp::ReplyWriter w(reply, protocol_);
  long long version = protocol_;
  if (cmd.argv.size() >= 2) {
    if (!ParseInt(cmd.argv[1], &version)) {
      w.Error("ERR Protocol version is not an integer or out of range");
      return true;
    }
    if (version < 2 || version > 3) {
      w.Error(errors::kProtoUnsupported);
      return true;
    }
  }
  std::string_view user, pass, name;
  bool has_auth = false, has_name = false;
  for (size_t i = 2; i < cmd.argv.size(); ++i) {
    const size_t left = cmd.argv.size() - i - 1;
    if (IEquals(cmd.argv[i], "auth") && left >= 2) {
      user = cmd.argv[i + 1];
      pass = cmd.argv[i + 2];
      has_auth = true;
      i += 2;
    } else if (IEquals(cmd.argv[i], "setname") && left >= 1) {
      name = cmd.argv[i + 1];
      has_name = true;
      i += 1;
    } else {
      w.Error("ERR Syntax error in HELLO option '" + std::string(cmd.argv[i]) + "'");
      return true;
    }
  }
  if (has_auth && !IEquals(user, "default")) {
    // An ACL user of upstream's: upstream checks the login, then this runs again.
    if (!login_done) {
      if (has_name && !ValidClientName(name)) {
        w.Error("ERR Client names cannot contain spaces, newlines or special characters.");
        return true;
      }
      StartLogin(cmd, user, pass, /*hello=*/true);
      return false;
    }
  } else if (has_auth) {
    const std::string& expected = io_.config().requirepass;
    if (!expected.empty() && !SecretEquals(pass, expected)) {
      io_.server().metrics().CountAuthFailure();
      w.Error(errors::kWrongPass);
      return true;
    }
    SetUser(0);
    authenticated_ = true;
  }
  if (!authenticated_) {
    w.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
        "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
        "protocol version at the same time");
    return true;
  }
  if (has_name) {
    if (!ValidClientName(name)) {
      w.Error("ERR Client names cannot contain spaces, newlines or special characters.");
      return true;
    }
    name_.assign(name);
    if (dedicated_ != nullptr) SyncDedicated();
  }
  if (version != protocol_) {
    protocol_ = static_cast<int>(version);
    if (dedicated_ != nullptr) SyncDedicated();
  }
  reply->clear();
  resp::ReplyWriter m(reply, protocol_);
  m.MapHeader(7);
  m.Bulk("server");
  m.Bulk("redis");
  m.Bulk("version");
  m.Bulk(io_.server().UpstreamVersion());
  m.Bulk("proto");
  m.Integer(protocol_);
  m.Bulk("id");
  m.Integer(static_cast<int64_t>(id_));
  m.Bulk("mode");
  m.Bulk("standalone");
  m.Bulk("role");
  m.Bulk("master");
  m.Bulk("modules");
  m.ArrayHeader(0);
  return true;
}

}  // namespace respite::proxy
