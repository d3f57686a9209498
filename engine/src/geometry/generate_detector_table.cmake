# Regenerates lsstcam_detector_table.inc from engine/data/lsstcam_detectors.csv.
#
#   cmake -DCSV=engine/data/lsstcam_detectors.csv \
#         -DOUT=engine/src/geometry/lsstcam_detector_table.inc \
#         -P engine/src/geometry/generate_detector_table.cmake
#
# The generated file is committed (the engine needs no data file at run time and the
# build needs no generator step); the unit test "detector table matches the CSV" reads
# the CSV and fails if the two ever disagree, so edit the CSV and re-run this script.
# Numbers are copied as text, so the compiled doubles are exactly what strtod reads
# from the CSV.
cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED CSV OR NOT DEFINED OUT)
  message(FATAL_ERROR "usage: cmake -DCSV=<csv> -DOUT=<inc> -P generate_detector_table.cmake")
endif()

file(STRINGS "${CSV}" lines)
list(POP_FRONT lines header)
set(expected_header
    "detector_id,name,raft,sensor,physical_type,detector_type,center_x_mm,center_y_mm,yaw_deg,n_pix_x,n_pix_y,pixel_size_um")
if(NOT header STREQUAL expected_header)
  message(FATAL_ERROR "unexpected CSV header: ${header}")
endif()

set(rows "")
set(count 0)
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  string(REPLACE "," ";" f "${line}")
  list(LENGTH f n)
  if(NOT n EQUAL 12)
    message(FATAL_ERROR "expected 12 fields: ${line}")
  endif()
  list(GET f 0 id)
  list(GET f 1 name)
  list(GET f 2 raft)
  list(GET f 3 sensor)
  list(GET f 4 physical)
  list(GET f 5 dtype)
  list(GET f 6 cx)
  list(GET f 7 cy)
  list(GET f 8 yaw)
  list(GET f 9 nx)
  list(GET f 10 ny)
  list(GET f 11 pix)
  if(dtype STREQUAL "SCIENCE")
    set(kind "DetectorType::science")
  elseif(dtype STREQUAL "GUIDER")
    set(kind "DetectorType::guider")
  elseif(dtype STREQUAL "WAVEFRONT")
    set(kind "DetectorType::wavefront")
  else()
    message(FATAL_ERROR "unknown detector_type ${dtype}")
  endif()
  string(APPEND rows
    "    {${id}, \"${name}\", \"${raft}\", \"${sensor}\", \"${physical}\", ${kind}, {${cx}, ${cy}}, ${yaw}, ${nx}, ${ny}, ${pix}},\n")
  math(EXPR count "${count} + 1")
endforeach()

file(WRITE "${OUT}"
"// GENERATED from engine/data/lsstcam_detectors.csv by generate_detector_table.cmake; do not edit.
// Source of the data: lsst/obs_lsst camera description (see engine/data/README.md).
// Fields: id, name, raft, sensor, physical_type, type, centre (mm), yaw (deg), n_pix_x, n_pix_y,
// pixel size (um).  Included by camera.cpp inside namespace satveto::geometry.
inline constexpr int detector_table_size = ${count};
inline constexpr Detector detector_table[detector_table_size] = {
${rows}};
")
