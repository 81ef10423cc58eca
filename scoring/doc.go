// Package scoring learns from an agency's history and scores what the bot
// and the dashboard ask about. It holds:
//
//   - features: how a lead becomes the model's inputs, the same for live
//     and historical leads (features.go), and the candidate conversation
//     features with their trial (trial.go);
//   - training: the comparison, calibration and tiers behind a lead model
//     (train.go, on package learn's forests);
//   - bundles: a trained model as stored, exported and imported, decoded
//     for scoring (bundle.go, transfer.go, model.go), the transparent rules
//     that score until one is active (rules.go) and the switch between the
//     two (active.go), with the words that explain a score (words.go);
//   - churn: the probability that an active customer cancels within 30
//     days (churn.go);
//   - value: what a lead or a customer is worth (value.go).
//
// Nested packages hold the rest: learn (the models and their
// evaluation), importer (agency spreadsheets into store rows), demo (the
// generated demo agency) and demo/seeding (seeding a store with it),
// modelreport (the model report's numbers) and insight (the analytics'
// findings). scoring and its children may import store for its row types
// (store imports none of them) and never import dashboard or bot.
package scoring
