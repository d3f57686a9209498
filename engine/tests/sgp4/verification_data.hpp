// Readers for Vallado's SGP4 verification files (SGP4-VER.TLE, tcppver.out), shared by the sgp4 tests.
//
// The files are not part of the repository: they ship with the python `sgp4`
// package and the tests find them through the environment variable
// SATVETO_SGP4_DATA_DIR. A missing variable or file is a test failure.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace satveto::sgp4::testdata {

// One verification case: the TLE plus the time span the reference driver tabulates.
struct VerificationCase {
    std::string line1, line2;  // 69 columns each
    double start = 0, stop = 0, step = 0;
};

// One block of tcppver.out: "<satnum> xx" then rows "t x y z vx vy vz [...]".
struct ReferenceRow {
    double t;
    double r[3];
    double v[3];
};
struct ReferenceBlock {
    long catalog_number = 0;
    std::vector<ReferenceRow> rows;
};

inline std::string data_file(const char* name) {
    const char* dir = std::getenv("SATVETO_SGP4_DATA_DIR");
    if (dir == nullptr || *dir == '\0') {
        FAIL(
            "SATVETO_SGP4_DATA_DIR is not set: point it at the directory of the python sgp4 package "
            "(it holds SGP4-VER.TLE and tcppver.out), e.g. $(python -c 'import sgp4, os; "
            "print(os.path.dirname(sgp4.__file__))')");
    }
    std::string path = std::string(dir) + "/" + name;
    if (!std::ifstream(path)) FAIL("cannot read " << path << " (SATVETO_SGP4_DATA_DIR=" << dir << ")");
    return path;
}

inline std::vector<VerificationCase> read_verification_cases() {
    std::ifstream in(data_file("SGP4-VER.TLE"));
    std::vector<VerificationCase> cases;
    std::string line, pending_line1;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("1 ", 0) == 0) {
            pending_line1 = line;
        } else if (line.rfind("2 ", 0) == 0) {
            REQUIRE(!pending_line1.empty());
            REQUIRE(line.size() > 69);
            VerificationCase c;
            c.line1 = pending_line1.substr(0, 69);
            c.line2 = line.substr(0, 69);
            std::istringstream span(line.substr(69));
            REQUIRE(static_cast<bool>(span >> c.start >> c.stop >> c.step));
            cases.push_back(c);
            pending_line1.clear();
        }
    }
    return cases;
}

inline std::vector<ReferenceBlock> read_reference_output() {
    std::ifstream in(data_file("tcppver.out"));
    std::vector<ReferenceBlock> blocks;
    std::string line;
    while (std::getline(in, line)) {
        if (line.find("xx") != std::string::npos) {
            ReferenceBlock block;
            block.catalog_number = std::stol(line);
            blocks.push_back(block);
            continue;
        }
        std::istringstream fields(line);
        ReferenceRow row{};
        if (!(fields >> row.t >> row.r[0] >> row.r[1] >> row.r[2] >> row.v[0] >> row.v[1] >> row.v[2])) continue;
        REQUIRE(!blocks.empty());
        blocks.back().rows.push_back(row);
    }
    return blocks;
}

// Times at which Vallado's test driver evaluates a case: 0 first, then start..stop
// by step (not repeating 0), then stop itself if the stepping missed it.
inline std::vector<double> driver_times(const VerificationCase& c) {
    std::vector<double> times{0.0};
    double t = c.start;
    while (t <= c.stop) {
        if (!(t == c.start && c.start == 0.0)) times.push_back(t);
        t += c.step;
    }
    if (t - c.stop < c.step - 1e-6) times.push_back(c.stop);
    return times;
}

}  // namespace satveto::sgp4::testdata
