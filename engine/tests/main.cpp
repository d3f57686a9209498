// The Catch2 runner of satveto-unit-tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
