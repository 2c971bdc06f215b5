// Package demo builds the demo city that `civicgrid demo` loads into an empty
// database, so that a newcomer sees a living system in one command: two real
// districts of central Beijing (东城区, 西城区) with six streets, their
// communities and about three hundred grids, the organisations that work
// there, a grid staff ledger with some history, and one sign-in per role.
//
// Generate is pure: the same seed always yields the same City, so
// screenshots, tutorials and tests can name concrete grids and people. Load
// writes a City through the store's ordinary import paths, so the demo data
// passes exactly the checks an administrator's own data would.
//
// The boundaries are invented but plausible: every level is cut from one
// jittered lattice of points around real central-Beijing coordinates, so
// neighbours share identical vertices, children tile their parents exactly
// and nothing overlaps. Community, organisation and personal names are
// realistic but, below the street level, made up; the phone numbers are
// random and belong to nobody we know of.
//
// LoadCases then gives the city two months of history: residents', grid
// workers' and callers' reports worked through the whole case loop by the
// people whose job each step is, through the same store calls a server
// makes, with the store's clock moved along the way (see Clock). Reports
// come from many people, as in a real district — about a thousand residents
// on the app and two thousand callers, most of whom report once or twice in
// the two months — so that 一人多诉 warnings name the few who really report
// often (thirty regular callers and the named demo residents), and a planted
// 多人同诉 hotspot waits in the demo grid.
package demo
