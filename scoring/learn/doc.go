// Package learn holds the model-lifecycle core behind lead scoring: binary
// classifiers (the pinned random forest library and its extremely
// randomised variant, plus a decision tree, gradient-boosted trees and a
// regularised logistic regression written here because no well-kept Go
// library offers them with probabilities), stratified k-fold
// cross-validation, a time-ordered hold-out, metrics, probability
// calibration and a tabular data loader with one-hot encoding.
//
// It knows nothing of leads or of the store: it works on float vectors and
// 0/1 labels. Everything random that this package controls takes an
// explicit seed; the forest library draws from the global math/rand and is
// therefore not reproducible (see Forest).
package learn
