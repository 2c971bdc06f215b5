// Package calendar counts time limits on a working calendar: the working
// periods of a day, the weekend, and each year's public holidays and make-up
// working days (调休上班) as the State Council announces them.
//
// It is a leaf package (standard library only) so that the case loop, the
// jobs runner and the web pages can all compute the same deadline.
//
// # Units
//
//   - Hours counts natural time: every nanosecond between start and deadline
//     that is not inside a paused interval.
//   - WorkHours counts only time inside the working periods (default
//     09:00–12:00 and 13:30–18:00) of working days, minus pauses.
//   - WorkDays is Amount × the length of a working day (7.5 h by default) of
//     working time, counted exactly like WorkHours. So two working days from
//     Monday 10:00 end on Wednesday 10:00; from Friday 17:00 before an
//     ordinary weekend they end on Tuesday 17:00; a start outside working
//     hours starts counting at the next working period.
//
// A deadline is the earliest instant at which the budget is used up, so a
// budget that runs out exactly at 12:00 ends at 12:00, not at 13:30.
//
// # Working days
//
// A day is a working day unless it is a weekend day or inside a holiday
// range; a day listed as a make-up working day is a working day even on a
// weekend. Years absent from Calendar.Years follow the weekend rule only:
// nothing is guessed about holidays that have not been announced, so a
// deployment must load next year's schedule (or rely on a newer release)
// before deadlines reach into it.
//
// # Pauses
//
// Paused intervals (approved suspensions, 挂账) stop the clock. They may be
// given in any order and may overlap. An interval whose To is zero is still
// paused: a deadline that the budget would only reach after its start does
// not exist yet, and Deadline returns the zero Time.
//
// # Performance and concurrency
//
// A Calendar compiles itself on first use into day tables. Counting working
// days and finding "the n-th working day" are then O(1) whatever the span, so
// Deadline and Elapsed cost the same for an hour as for fifteen working days,
// plus a scan of the pause list per pause, and never allocate (Explain does). Treat a Calendar as
// immutable once it has been used: to change one, Clone it and edit the
// clone. Methods are safe for concurrent use.
package calendar
