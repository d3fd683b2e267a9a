#include "proxy/client/client_directory.h"

#include <boost/asio/post.hpp>
#include <mutex>

#include "proxy/io_thread.h"
#include "proxy/server.h"

namespace respite::proxy {

void VisitAllIoThreads(Server& server, IoThread& origin,
                       std::function<DirectoryVisit(IoThread&)> visit,
                       std::function<void(std::vector<DirectoryVisit>)> done) {
  struct Gather {
    std::mutex mu;
    std::vector<DirectoryVisit> results;
    size_t remaining;
    std::function<DirectoryVisit(IoThread&)> visit;
    std::function<void(std::vector<DirectoryVisit>)> done;
  };
  const size_t threads = server.io_thread_count();
  auto gather = std::make_shared<Gather>();
  gather->results.resize(threads);
  gather->remaining = threads;
  gather->visit = std::move(visit);
  gather->done = std::move(done);
  for (size_t i = 0; i < threads; ++i) {
    IoThread& io = server.io_thread(i);
    boost::asio::post(io.context(), [gather, &io, &origin, i] {
      DirectoryVisit result = gather->visit(io);
      bool last;
      {
        std::lock_guard lock(gather->mu);
        gather->results[i] = std::move(result);
        last = --gather->remaining == 0;
      }
      if (last) {
        boost::asio::post(origin.context(), [gather] { gather->done(std::move(gather->results)); });
      }
    });
  }
}

}  // namespace respite::proxy
