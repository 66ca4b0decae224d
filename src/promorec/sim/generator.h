// Draws time-ordered click rows from a planted model: a Zipf-popular user
// meets a Zipf-popular offer at a time a random gap after the previous row;
// the label is a coin flip with the model's true click probability.
// Used by `promorec generate`, by tests and by the simulator.
// Thread-safety: a RowGenerator is one stream of draws; use one per thread.
// The model must outlive it.
#pragma once

#include <cstdint>

#include "promorec/base/random.h"
#include "promorec/sim/planted_model.h"

namespace promorec::sim {

struct Row {
  FieldValues values{};
  // Whole seconds, so that every output format carries the same time.
  std::int64_t timestamp_us = 0;
  double probability = 0;
  std::uint8_t label = 0;
};

class RowGenerator {
 public:
  // The same model and config always give the same sequence of rows.
  RowGenerator(const PlantedModel& model, const GeneratorConfig& config);

  void Next(Row* row);

 private:
  const PlantedModel& model_;
  base::Rng rng_;
  double mean_gap_us_;
  // Unrounded time, so that gaps shorter than a second still add up.
  double elapsed_us_ = 0;
  std::int64_t start_us_;
};

}  // namespace promorec::sim
