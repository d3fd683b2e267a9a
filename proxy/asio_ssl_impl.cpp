// Asio's SSL layer (upstream TLS links), built once here like the rest of Asio in asio_impl.cpp;
// a file of its own so that targets using Asio without TLS (the admin HTTP fuzzer) need no libssl.
#include <boost/asio/ssl/impl/src.hpp>
