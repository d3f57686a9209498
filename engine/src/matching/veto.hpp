// filter_sources' work: which source boxes of one detector lie on a predicted track.
#pragma once

#include "geometry/camera.hpp"
#include "geometry/tan_wcs.hpp"
#include "matching/visit.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace satveto::matching {

// The objects whose corridors veto at least one footprint of an answer: what the answer
// discloses (engine/disclosure_budget.hpp counts them), as indices into
// VisitTracks::candidate_ids, each once, in the order first met.  A footprint within reach of
// several corridors reveals every one of them.  Footprints vetoed for another reason (a WCS
// or sky corners the visit cannot judge, secrecy denials) reveal nothing of the catalog.
class Revealed {
public:
    explicit Revealed(std::size_t candidates) : candidates_(candidates) {}

    void mark(std::uint32_t candidate) {
        if (marks_.empty()) marks_.assign(candidates_, 0);  // only answers that veto pay for it
        if (marks_[candidate]) return;
        marks_[candidate] = 1;
        list_.push_back(candidate);
    }
    // Whether `candidate` is already marked: its other segments need not be tried again.
    bool marked(std::uint32_t candidate) const { return !marks_.empty() && marks_[candidate]; }
    // A visit vetoed whole (VisitTracks::veto_everything) does not say which corridor covers
    // the field: every candidate counts as revealed.
    void mark_all() {
        for (std::size_t c = 0; c < candidates_; ++c) mark(static_cast<std::uint32_t>(c));
    }
    const std::vector<std::uint32_t>& candidates() const { return list_; }

private:
    std::size_t candidates_;
    std::vector<char> marks_;
    std::vector<std::uint32_t> list_;
};

// One flag per box, true when the box is vetoed.  The footprint of a box is mapped with the
// detector's TAN WCS when one is given, else with the camera model at the visit's rotation,
// else (rotation unknown) taken at every rotation: the annulus of its field-angle radii.
// With `revealed`, the candidates whose corridors veto a box are marked in it; only vetoed
// boxes pay for that (every suspect segment is then tried, not only up to the first hit).
std::vector<char> veto_boxes(const VisitTracks& visit, const geometry::Detector& detector,
                             std::span<const geometry::BBox> boxes, const geometry::TanWcs* wcs,
                             Revealed* revealed = nullptr);

}  // namespace satveto::matching
