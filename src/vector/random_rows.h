// Test data: n random L2-normalised rows of `dim` floats, reproducible by seed.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace lakehouse::vector {

inline std::vector<float> RandomUnitRows(size_t n, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> rows(n * dim);
  for (size_t i = 0; i < n; ++i) {
    double norm = 0;
    for (int j = 0; j < dim; ++j) norm += std::pow(rows[i * dim + j] = normal(rng), 2);
    for (int j = 0; j < dim; ++j) rows[i * dim + j] /= static_cast<float>(std::sqrt(norm));
  }
  return rows;
}

}  // namespace lakehouse::vector
