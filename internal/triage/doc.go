// Package triage classifies what residents write into categories, offline
// and in pure Go: character n-grams of the text (no dictionary, so place
// names and new words count as much as known ones), TF-IDF weights, and a
// one-vs-rest linear support vector machine trained by dual coordinate
// descent (Hsieh et al., ICML 2008 — LIBLINEAR's solver). Probabilities come
// from a softmax over the decision values whose temperature is fitted on
// cross-validated decisions, so that a confidence of 0.9 means about nine
// in ten are right.
//
// The package is a leaf: it knows nothing of cases or the database. A model
// serialises to JSON so that the application can keep versions of it.
package triage
