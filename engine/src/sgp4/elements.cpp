// Element input: ISO 8601 epochs, OMM fields and two-line element sets.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/angles.hpp"
#include "sgp4/constants.hpp"
#include "sgp4/sgp4.hpp"

namespace satveto::sgp4 {

namespace {

constexpr std::int64_t microseconds_per_day = 86'400'000'000;
constexpr std::int64_t mjd_of_unix_epoch = 40587;
// MJD of 1949-12-31, day 0 of the model's epoch count (JD 2433281.5).
constexpr std::int64_t mjd_of_model_origin = 33281;
constexpr double mjd_to_jd = 2400000.5;
constexpr double jd_of_model_origin = 2433281.5;
constexpr int min_year = 1900;
constexpr int max_year = 2199;

Error epoch_error(std::string_view text, const std::string& problem) {
    return Error{ErrorCode::invalid_epoch, "epoch '" + std::string(text) + "': " + problem};
}

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
    constexpr int days_in_month[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : days_in_month[month - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t mjd_from_civil(int year, int month, int day) {
    return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) + mjd_of_unix_epoch;
}

// Reads exactly `width` decimal digits at text[pos]; -1 if any is not a digit.
int read_digits(std::string_view text, std::size_t pos, std::size_t width) {
    if (pos + width > text.size()) return -1;
    int value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (text[i] < '0' || text[i] > '9') return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

// Epoch at microsecond resolution: the day and the microseconds into it.
struct EpochMicros {
    std::int64_t mjd_day;
    std::int64_t microsecond_of_day;
};

Expected<EpochMicros> parse_epoch_micros(std::string_view text) {
    // Fixed layout up to the seconds: YYYY-MM-DDTHH:MM:SS (19 characters).
    constexpr std::size_t fixed_length = 19;
    if (text.size() < fixed_length) return epoch_error(text, "too short for YYYY-MM-DDTHH:MM:SS");
    const struct {
        std::size_t pos;
        char separator;
    } separators[] = {{4, '-'}, {7, '-'}, {10, 'T'}, {13, ':'}, {16, ':'}};
    for (const auto& s : separators) {
        if (text[s.pos] != s.separator) {
            return epoch_error(
                text, "expected '" + std::string(1, s.separator) + "' at position " + std::to_string(s.pos + 1));
        }
    }
    const int year = read_digits(text, 0, 4);
    const int month = read_digits(text, 5, 2);
    const int day = read_digits(text, 8, 2);
    const int hour = read_digits(text, 11, 2);
    const int minute = read_digits(text, 14, 2);
    const int second = read_digits(text, 17, 2);
    if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) {
        return epoch_error(text, "date and time fields must be digits");
    }
    if (year < min_year || year > max_year) {
        return epoch_error(text, "year " + std::to_string(year) + " outside " + std::to_string(min_year) + "-" +
                                     std::to_string(max_year));
    }
    if (month < 1 || month > 12) return epoch_error(text, "month " + std::to_string(month) + " outside 1-12");
    if (day < 1 || day > days_in_month(year, month)) {
        return epoch_error(text, "day " + std::to_string(day) + " does not exist in that month");
    }
    if (hour > 23) return epoch_error(text, "hour " + std::to_string(hour) + " outside 0-23");
    if (minute > 59) return epoch_error(text, "minute " + std::to_string(minute) + " outside 0-59");
    if (second > 59) return epoch_error(text, "second " + std::to_string(second) + " outside 0-59");

    std::size_t pos = fixed_length;
    std::int64_t nanoseconds = 0;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        constexpr std::size_t max_fraction_digits = 9;
        std::size_t digits = 0;
        std::int64_t scale = 100'000'000;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            if (++digits > max_fraction_digits) return epoch_error(text, "more than 9 fractional digits");
            nanoseconds += (text[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (digits == 0) return epoch_error(text, "no digits after the decimal point");
    }
    if (pos < text.size() && text[pos] == 'Z') ++pos;
    if (pos != text.size()) {
        return epoch_error(text, "unexpected text '" + std::string(text.substr(pos)) + "' after the seconds");
    }

    EpochMicros e{mjd_from_civil(year, month, day),
                  ((hour * 60LL + minute) * 60LL + second) * 1'000'000LL + (nanoseconds + 500) / 1000};
    if (e.microsecond_of_day == microseconds_per_day) {  // rounding carried into the next day
        e.mjd_day += 1;
        e.microsecond_of_day = 0;
    }
    return e;
}

Error element_field_error(const char* field, double value, const char* requirement) {
    return Error{ErrorCode::invalid_element, std::string(field) + " = " + std::to_string(value) + " " + requirement};
}

// ---- TLE fixed-column fields ----

constexpr std::size_t tle_line_length = 69;

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

std::string_view trim_right_whitespace(std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

Error tle_error(int line, std::size_t first_column, std::size_t width, const char* field, std::string_view text,
                const char* problem) {
    return Error{ErrorCode::invalid_tle,
                 "TLE line " + std::to_string(line) + " columns " + std::to_string(first_column + 1) + "-" +
                     std::to_string(first_column + width) + " (" + field + "): '" + std::string(text) + "' " + problem};
}

// A whole field as a decimal number (leading '+' or '-', optional leading '.'), else NaN.
double parse_number(std::string_view field) {
    field = trim(field);
    if (!field.empty() && field.front() == '+') field.remove_prefix(1);
    if (field.empty()) return std::nan("");
    double value = 0.0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (ec != std::errc() || end != field.data() + field.size()) return std::nan("");
    return value;
}

// "Assumed decimal point" field: sign, five digits, signed exponent digit, e.g. "-11606-4" = -0.11606e-4.
// Reproduces twoline2rv's arithmetic: mantissa * pow(10, exponent).
double parse_exponent_field(std::string_view field) {
    if (field.size() != 8) return std::nan("");
    const char sign = field[0];
    if (sign != ' ' && sign != '+' && sign != '-') return std::nan("");
    std::string mantissa_text = "0.";
    for (std::size_t i = 1; i <= 5; ++i) {
        const char c = field[i] == ' ' ? '0' : field[i];
        if (c < '0' || c > '9') return std::nan("");
        mantissa_text += c;
    }
    const char exponent_sign = field[6];
    const char exponent_digit = field[7];
    if ((exponent_sign != '-' && exponent_sign != '+' && exponent_sign != ' ') || exponent_digit < '0' ||
        exponent_digit > '9') {
        return std::nan("");
    }
    double mantissa = parse_number(mantissa_text);
    if (sign == '-') mantissa = -mantissa;
    const int exponent = (exponent_sign == '-' ? -1 : 1) * (exponent_digit - '0');
    return mantissa * std::pow(10.0, exponent);
}

int tle_checksum(std::string_view line) {
    int sum = 0;
    for (std::size_t i = 0; i < tle_line_length - 1; ++i) {
        const char c = line[i];
        if (c >= '0' && c <= '9') sum += c - '0';
        if (c == '-') sum += 1;
    }
    return sum % 10;
}

// Calendar fields of a TLE epoch day-of-year, as Vallado's days2mdhms derives them
// (only the hour/minute/second split matters for rounding; see parse_tle).
struct DayClock {
    int hour, minute;
    double second;
};

DayClock split_day_fraction(double fraction_of_day) {
    double temp = fraction_of_day * 24.0;
    const double hour = std::floor(temp);
    temp = (temp - hour) * 60.0;
    const double minute = std::floor(temp);
    return {static_cast<int>(hour), static_cast<int>(minute), (temp - minute) * 60.0};
}

}  // namespace

Expected<Epoch> parse_epoch(std::string_view iso_utc) {
    Expected<EpochMicros> e = parse_epoch_micros(iso_utc);
    if (!e) return e.error();
    return Epoch{e->mjd_day, static_cast<double>(e->microsecond_of_day) / static_cast<double>(microseconds_per_day)};
}

Expected<MeanElements> to_mean_elements(const OmmElements& omm) {
    Expected<EpochMicros> epoch = parse_epoch_micros(omm.epoch);
    if (!epoch) return epoch.error();
    if (omm.norad_cat_id < 0) {
        return Error{ErrorCode::invalid_element, "NORAD_CAT_ID " + std::to_string(omm.norad_cat_id) + " is negative"};
    }
    const struct {
        const char* name;
        double value;
    } fields[] = {{"MEAN_MOTION", omm.mean_motion},
                  {"ECCENTRICITY", omm.eccentricity},
                  {"INCLINATION", omm.inclination},
                  {"RA_OF_ASC_NODE", omm.ra_of_asc_node},
                  {"ARG_OF_PERICENTER", omm.arg_of_pericenter},
                  {"MEAN_ANOMALY", omm.mean_anomaly},
                  {"BSTAR", omm.bstar},
                  {"MEAN_MOTION_DOT", omm.mean_motion_dot},
                  {"MEAN_MOTION_DDOT", omm.mean_motion_ddot}};
    for (const auto& f : fields) {
        if (!std::isfinite(f.value)) return element_field_error(f.name, f.value, "is not finite");
    }
    if (!(omm.inclination >= 0.0 && omm.inclination <= 180.0)) {
        return element_field_error("INCLINATION", omm.inclination, "(deg) is outside [0, 180]");
    }

    // Unit factors of python-sgp4's sgp4.omm (rev/day^k to rad/min^k), kept in the
    // same form so that both sides round identically.
    constexpr double mean_motion_dot_units = 1036800.0 / common::pi;            // 2 * 1440^2 / (2 pi)
    constexpr double mean_motion_ddot_units = 2985984000.0 / 2.0 / common::pi;  // 6 * 1440^3 / (2 pi) / 6 * 2

    MeanElements m;
    m.catalog_number = omm.norad_cat_id;
    m.epoch = Epoch{epoch->mjd_day,
                    static_cast<double>(epoch->microsecond_of_day) / static_cast<double>(microseconds_per_day)};
    // Days since 1949-12-31 as seconds/86400, the way python-sgp4 computes it from a datetime.
    const std::int64_t micros_since_origin = (epoch->mjd_day - mjd_of_model_origin) * microseconds_per_day +
                                             epoch->microsecond_of_day;
    m.epoch_days = static_cast<double>(micros_since_origin) / 1.0e6 / 86400.0;
    m.mean_motion = omm.mean_motion / 720.0 * common::pi;
    m.eccentricity = omm.eccentricity;
    m.inclination = omm.inclination * common::deg;
    m.ra_of_asc_node = omm.ra_of_asc_node * common::deg;
    m.arg_of_perigee = omm.arg_of_pericenter * common::deg;
    m.mean_anomaly = omm.mean_anomaly * common::deg;
    m.bstar = omm.bstar;
    m.mean_motion_dot = omm.mean_motion_dot / mean_motion_dot_units;
    m.mean_motion_ddot = omm.mean_motion_ddot / mean_motion_ddot_units;
    return m;
}

std::int64_t decode_catalog_number(std::string_view field) noexcept {
    if (field.size() != 5) return -1;
    std::int64_t leading = 0;
    std::size_t first_digit = 1;
    const char c = field[0];
    if (c >= 'A' && c <= 'Z') {
        // Alpha-5: A=10 ... Z=33, skipping I and O (they look like 1 and 0).
        if (c == 'I' || c == 'O') return -1;
        leading = 10 + (c - 'A') - (c > 'I' ? 1 : 0) - (c > 'O' ? 1 : 0);
    } else {
        first_digit = 0;
        while (first_digit < 4 && field[first_digit] == ' ') ++first_digit;  // space padding
    }
    std::int64_t rest = 0;
    for (std::size_t i = first_digit; i < 5; ++i) {
        if (field[i] < '0' || field[i] > '9') return -1;
        rest = rest * 10 + (field[i] - '0');
    }
    return leading * 10000 + rest;
}

Expected<MeanElements> parse_tle(std::string_view line1, std::string_view line2, TleOptions options) {
    line1 = trim_right_whitespace(line1);
    line2 = trim_right_whitespace(line2);
    const std::string_view lines[2] = {line1, line2};
    for (int n = 0; n < 2; ++n) {
        const std::string_view line = lines[n];
        if (line.size() != tle_line_length) {
            return Error{ErrorCode::invalid_tle, "TLE line " + std::to_string(n + 1) + " has " +
                                                     std::to_string(line.size()) + " characters, expected 69"};
        }
        if (line[0] != static_cast<char>('1' + n) || line[1] != ' ') {
            return Error{ErrorCode::invalid_tle,
                         "TLE line " + std::to_string(n + 1) + " must start with '" + std::to_string(n + 1) + " '"};
        }
        if (options.verify_checksum) {
            const int expected = tle_checksum(line);
            if (line[68] != static_cast<char>('0' + expected)) {
                return Error{ErrorCode::invalid_tle, "TLE line " + std::to_string(n + 1) + " checksum '" +
                                                         std::string(1, line[68]) + "' does not match computed " +
                                                         std::to_string(expected)};
            }
        }
    }
    // Blank separators and fixed decimal points of the format.
    for (const std::size_t column : {8, 32, 43, 52, 61, 63}) {
        if (line1[column] != ' ') return tle_error(1, column, 1, "separator", line1.substr(column, 1), "is not blank");
    }
    for (const std::size_t column : {7, 16, 25, 33, 42, 51}) {
        if (line2[column] != ' ') return tle_error(2, column, 1, "separator", line2.substr(column, 1), "is not blank");
    }

    const std::int64_t catalog = decode_catalog_number(line1.substr(2, 5));
    if (catalog < 0) return tle_error(1, 2, 5, "catalog number", line1.substr(2, 5), "is not a catalog number");
    if (line2.substr(2, 5) != line1.substr(2, 5)) {
        return tle_error(2, 2, 5, "catalog number", line2.substr(2, 5), "differs from line 1");
    }

    struct Field {
        int line;
        std::size_t column, width;
        const char* name;
        double value;
    };
    auto number = [&](int line, std::size_t column, std::size_t width, const char* name) {
        return Field{line, column, width, name, parse_number(lines[line - 1].substr(column, width))};
    };
    std::string ecc_text = "0.";
    for (const char c : line2.substr(26, 7)) ecc_text += c == ' ' ? '0' : c;
    const Field fields[] = {
        number(1, 18, 2, "epoch year"),
        number(1, 20, 12, "epoch day"),
        number(1, 33, 10, "mean motion dot"),
        Field{1, 44, 8, "mean motion ddot", parse_exponent_field(line1.substr(44, 8))},
        Field{1, 53, 8, "bstar", parse_exponent_field(line1.substr(53, 8))},
        number(2, 8, 8, "inclination"),
        number(2, 17, 8, "ra of ascending node"),
        Field{2, 26, 7, "eccentricity",
              ecc_text.find_first_not_of("0123456789.") == std::string::npos ? parse_number(ecc_text) : std::nan("")},
        number(2, 34, 8, "argument of perigee"),
        number(2, 43, 8, "mean anomaly"),
        number(2, 52, 11, "mean motion"),
    };
    for (const Field& f : fields) {
        if (!std::isfinite(f.value)) {
            return tle_error(f.line, f.column, f.width, f.name, lines[f.line - 1].substr(f.column, f.width),
                             "is not a valid number");
        }
    }
    const double two_digit_year = fields[0].value;
    const double epoch_day_of_year = fields[1].value;
    const std::string_view year_text = line1.substr(18, 2);
    if (year_text[0] < '0' || year_text[0] > '9' || year_text[1] < '0' || year_text[1] > '9') {
        return tle_error(1, 18, 2, "epoch year", year_text, "is not two digits");
    }
    // Two-digit years: 57-99 are 1957-1999, 00-56 are 2000-2056.
    const int year = static_cast<int>(two_digit_year) + (two_digit_year < 57 ? 2000 : 1900);
    const int days_in_year = is_leap_year(year) ? 366 : 365;
    if (!(epoch_day_of_year >= 1.0 && epoch_day_of_year < days_in_year + 1.0)) {
        return tle_error(1, 20, 12, "epoch day", line1.substr(20, 12), "is outside the year");
    }

    // rev/day -> rad/min, as twoline2rv: divide by 1440 / (2 pi).
    const double revs_per_day_to_rad_per_min = 1440.0 / (2.0 * common::pi);

    MeanElements m;
    m.catalog_number = catalog;
    const double whole_day = std::floor(epoch_day_of_year);
    const double fraction = epoch_day_of_year - whole_day;
    m.epoch = Epoch{mjd_from_civil(year, 1, 1) + static_cast<std::int64_t>(whole_day) - 1, fraction};
    // The model's epoch value: Julian date rebuilt from hour/minute/second, as
    // twoline2rv + jday do, so that gsto and the lunar-solar terms round the same.
    const DayClock clock = split_day_fraction(fraction);
    const double jd = static_cast<double>(m.epoch.mjd_day) + mjd_to_jd;
    const double jd_fraction = (clock.second + clock.minute * 60.0 + clock.hour * 3600.0) / 86400.0;
    m.epoch_days = (jd + jd_fraction) - jd_of_model_origin;

    m.mean_motion = fields[10].value / revs_per_day_to_rad_per_min;
    m.mean_motion_dot = fields[2].value / (revs_per_day_to_rad_per_min * 1440.0);
    m.mean_motion_ddot = fields[3].value / (revs_per_day_to_rad_per_min * 1440.0 * 1440);
    m.bstar = fields[4].value;
    m.inclination = fields[5].value * common::deg;
    m.ra_of_asc_node = fields[6].value * common::deg;
    m.eccentricity = fields[7].value;
    m.arg_of_perigee = fields[8].value * common::deg;
    m.mean_anomaly = fields[9].value * common::deg;
    return m;
}

}  // namespace satveto::sgp4
