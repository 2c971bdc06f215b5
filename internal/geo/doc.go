// Package geo holds the geometry civicgrid needs for regions and grids:
// GeoJSON polygons, validation with machine-readable error codes, point
// containment, area, tolerance-aware Within/Overlaps checks between regions,
// the GCJ-02 ("Mars coordinates") transform used by Chinese map providers, and
// a packed R-tree Index that maps a point to its most specific region.
//
// It is a leaf helper: it imports only the standard library and nothing of
// civicgrid's, so the domain, store and web layers can all use it.
//
// Conventions:
//   - Coordinates are WGS-84 degrees, longitude first, as in GeoJSON.
//   - Rings are closed (first point == last point). Ring orientation is not
//     enforced: RFC 7946 asks writers for counter-clockwise outer rings, but
//     real data from government portals is mixed, so readers stay lenient.
//   - Containment is even-odd with holes, and a point exactly on a boundary
//     (outer or hole) counts as contained, so a grid owns its own border.
//   - Geometries that cross the antimeridian or enclose a pole are not
//     supported; civicgrid's regions are municipal.
//   - Distances and tolerances are metres on a sphere of radius EarthRadius,
//     measured in a local equirectangular projection, which is accurate to
//     well under 1% at city scale.
package geo
