// Beast is built once here (BOOST_BEAST_SEPARATE_COMPILATION) instead of in every file using it.
#include <boost/beast/src.hpp>
