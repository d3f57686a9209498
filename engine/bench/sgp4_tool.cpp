// satveto-sgp4-tool: development companion of the SGP4 library.
//
//   satveto-sgp4-tool states FILE
//       FILE lines: NORAD EPOCH MEAN_MOTION ECCENTRICITY INCLINATION RA_OF_ASC_NODE
//                   ARG_OF_PERICENTER MEAN_ANOMALY BSTAR MEAN_MOTION_DOT MEAN_MOTION_DDOT MJD...
//       prints one line per (object, instant): "object instant error x y z vx vy vz".
//       Used to compare with python-sgp4 before the RPC path exists.
//
//   satveto-sgp4-tool bench FILE START_MJD INSTANTS REPETITIONS THREADS
//       FILE as above without MJDs. Propagates every object at INSTANTS instants
//       (one minute apart from START_MJD, UTC) with SatelliteBatch, on one
//       thread and on THREADS threads; prints the median rates as one JSON object.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sgp4/sgp4.hpp"

namespace sg = satveto::sgp4;

namespace {

struct Record {
    sg::OmmElements omm;
    std::vector<double> mjds;
};

bool read_records(const char* path, std::vector<Record>& records) {
    std::ifstream in(path);
    if (!in) {
        std::cerr << "cannot open " << path << "\n";
        return false;
    }
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream f(line);
        Record r;
        sg::OmmElements& o = r.omm;
        if (!(f >> o.norad_cat_id >> o.epoch >> o.mean_motion >> o.eccentricity >> o.inclination >> o.ra_of_asc_node >>
              o.arg_of_pericenter >> o.mean_anomaly >> o.bstar >> o.mean_motion_dot >> o.mean_motion_ddot)) {
            std::cerr << "malformed line: " << line << "\n";
            return false;
        }
        for (double mjd; f >> mjd;) r.mjds.push_back(mjd);
        records.push_back(std::move(r));
    }
    return true;
}

int print_states(const std::vector<Record>& records) {
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto sat = sg::init_satellite(records[i].omm);
        if (!sat) {
            std::printf("%zu -1 %d %s\n", i, static_cast<int>(sat.error().code), sat.error().message.c_str());
            continue;
        }
        std::vector<double> minutes;
        for (double mjd : records[i].mjds) minutes.push_back(sg::minutes_since_epoch(*sat, mjd));
        std::vector<sg::StateVector> out(minutes.size());
        sg::propagate_times(*sat, minutes, out);
        for (std::size_t j = 0; j < out.size(); ++j) {
            const auto& s = out[j];
            std::printf("%zu %zu %d %.17g %.17g %.17g %.17g %.17g %.17g\n", i, j, static_cast<int>(s.error), s.r_km[0],
                        s.r_km[1], s.r_km[2], s.v_km_s[0], s.v_km_s[1], s.v_km_s[2]);
        }
    }
    return 0;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

int bench(const std::vector<Record>& records, double mjd0, int instants, int repetitions, unsigned threads) {
    std::vector<sg::Satellite> sats;
    for (const auto& r : records) {
        const auto s = sg::init_satellite(r.omm);
        if (!s) {
            std::cerr << "object " << r.omm.norad_cat_id << ": " << s.error().message << "\n";
            return 1;
        }
        sats.push_back(*s);
    }
    const sg::SatelliteBatch batch(sats);
    std::vector<sg::StateVector> out(sats.size());

    auto run = [&](unsigned n_threads) {
        std::vector<double> rates;
        for (int rep = 0; rep < repetitions; ++rep) {
            const auto start = std::chrono::steady_clock::now();
            for (int k = 0; k < instants; ++k) batch.propagate_at(mjd0 + k / 1440.0, out, n_threads);
            const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
            rates.push_back(static_cast<double>(sats.size()) * instants / elapsed.count());
        }
        return median(rates);
    };
    const double single = run(1);
    const double multi = run(threads);
    const auto errors = std::count_if(out.begin(), out.end(),
                                      [](const sg::StateVector& s) { return s.error != sg::ErrorCode::ok; });
    std::printf(
        "{\"objects\": %zu, \"instants\": %d, \"repetitions\": %d, \"threads\": %u, "
        "\"single_thread_per_s\": %.6g, \"all_threads_per_s\": %.6g, \"errors_at_last_instant\": %td}\n",
        sats.size(), instants, repetitions, threads, single, multi, errors);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: " << argv[0] << " states FILE | bench FILE START_MJD INSTANTS REPETITIONS THREADS\n";
        return 2;
    }
    const std::string command = argv[1];
    std::vector<Record> records;
    if (!read_records(argv[2], records) || records.empty()) return 1;
    if (command == "states") return print_states(records);
    if (command == "bench" && argc == 7) {
        return bench(records, std::stod(argv[3]), std::stoi(argv[4]), std::stoi(argv[5]),
                     static_cast<unsigned>(std::stoul(argv[6])));
    }
    std::cerr << "unknown command or wrong arguments\n";
    return 2;
}
