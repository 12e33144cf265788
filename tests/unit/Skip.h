#pragma once

#include <string>

namespace testing {

/// Marks the running test as skipped, with the reason printed; the test must return right
/// after. A run in which every test skipped exits 77, which CTest reports as "Skipped" rather
/// than as a pass (SKIP_RETURN_CODE 77; tests/unit/UnitMain.cpp, the runner of every suite).
void skip(const std::string& reason);

}  // namespace testing
